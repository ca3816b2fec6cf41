//! The broker's own ceilings on this machine: messages like the run's published with confirms and
//! consumed with acks at the same time, with no work in between; and published alone.
//!
//! The messages are a sample of the run's own (its first messages, the same size as the rest),
//! published again and again up to the run's count: the broker's cost depends on their number and
//! size, not their content, and the bench's memory stays flat whatever the backlog's size.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicQosOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{BasicProperties, Connection};

use crate::config::AmqpSettings;
use crate::queue::QueueError;
use crate::queue::publish::confirmed;

/// Attempts at one ceiling before the bench gives up.
const ATTEMPTS: u32 = 3;

/// Which ceiling to measure.
#[derive(Debug, Clone, Copy)]
pub enum Ceiling {
    /// Published and consumed at once ([`measure`]), with this prefetch.
    Both {
        /// The consumer's prefetch.
        prefetch: u16,
    },
    /// Published alone ([`measure_publish`]).
    Publish,
}

/// Measures `ceiling` on a connection of its own, closed afterwards, so nothing it leaves behind
/// (deleted queues, cancelled consumers) can affect what is measured next. A failed attempt is
/// made again (at most [`ATTEMPTS`] in all) on a new connection and an emptied queue: a broker
/// under the import's load has been seen refusing a quorum queue's declare once
/// (`cluster_not_formed`, an error that closes the connection) and accepting it a second later.
pub async fn measure_on_own_connection(
    amqp: &AmqpSettings,
    ceiling: Ceiling,
    queue: &str,
    sample: &[Vec<u8>],
    total: usize,
    in_flight: usize,
) -> Result<f64, QueueError> {
    let mut attempt = 1;
    loop {
        let conn = crate::queue::connect(amqp, "bench-ceiling").await?;
        let measured = match ceiling {
            Ceiling::Both { prefetch } => {
                measure(&conn, queue, sample, total, in_flight, prefetch).await
            }
            Ceiling::Publish => measure_publish(&conn, queue, sample, total, in_flight).await,
        };
        conn.close(200, "bench".into()).await.ok();
        match measured {
            Err(e) if attempt < ATTEMPTS => {
                eprintln!("bench: {ceiling:?} ceiling failed ({e}); trying again in 2 s");
                tokio::time::sleep(Duration::from_secs(2)).await;
                delete_queue(amqp, queue).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Deletes `queue` if it is there (what a failed attempt left), on a connection of its own.
async fn delete_queue(amqp: &AmqpSettings, queue: &str) {
    if let Ok(conn) = crate::queue::connect(amqp, "bench-ceiling").await {
        if let Ok(ch) = conn.create_channel().await {
            ch.queue_delete(queue.into(), QueueDeleteOptions::default())
                .await
                .ok();
        }
        conn.close(200, "bench".into()).await.ok();
    }
}

/// Publishes `total` messages (`sample`, round and round) to a fresh quorum queue with up to
/// `in_flight` confirms outstanding while a consumer with `prefetch` acks them; returns the seconds
/// until the last one was consumed.
pub async fn measure(
    conn: &Connection,
    queue: &str,
    sample: &[Vec<u8>],
    total: usize,
    in_flight: usize,
    prefetch: u16,
) -> Result<f64, QueueError> {
    let setup = conn.create_channel().await?;
    declare_quorum(&setup, queue).await?;
    let consume = conn.create_channel().await?;
    consume
        .basic_qos(prefetch, BasicQosOptions::default())
        .await?;
    let mut consumer = consume
        .basic_consume(
            queue.into(),
            "ceiling".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let publish = conn.create_channel().await?;
    publish
        .confirm_select(lapin::options::ConfirmSelectOptions::default())
        .await?;
    let started = Instant::now();
    let consumer_task = tokio::spawn(async move {
        let mut seen = 0usize;
        while seen < total {
            match tokio::time::timeout(Duration::from_secs(60), consumer.next()).await {
                Ok(Some(Ok(d))) => {
                    seen += 1;
                    d.acker.ack(BasicAckOptions::default()).await.ok();
                }
                _ => break,
            }
        }
        (seen, consumer)
    });
    publish_all(&publish, queue, sample, total, in_flight).await?;
    let (seen, consumer) = consumer_task
        .await
        .map_err(|_| QueueError::NotConfirmed("the ceiling consumer panicked"))?;
    let secs = started.elapsed().as_secs_f64();
    // Cancel the consumer and wait for the broker to confirm it before deleting the queue. A
    // consumer merely dropped is cancelled in the background; if the queue is deleted meanwhile
    // the broker cancels it too, lapin then receives a cancel-ok it no longer expects and fails
    // the whole connection ("unexpected basic cancel-ok", seen once in ~14 bench runs).
    consume
        .basic_cancel(consumer.tag(), BasicCancelOptions::default())
        .await
        .ok();
    drop(consumer);
    setup
        .queue_delete(queue.into(), QueueDeleteOptions::default())
        .await
        .ok();
    for ch in [&setup, &consume, &publish] {
        ch.close(200, "ceiling".into()).await.ok();
    }
    if seen < total {
        return Err(QueueError::NotConfirmed(
            "the ceiling consumer stopped early",
        ));
    }
    Ok(secs)
}

/// Publishes `total` messages (`sample`, round and round) to a fresh quorum queue with up to
/// `in_flight` confirms outstanding and no consumer; returns the seconds until the last confirm.
pub async fn measure_publish(
    conn: &Connection,
    queue: &str,
    sample: &[Vec<u8>],
    total: usize,
    in_flight: usize,
) -> Result<f64, QueueError> {
    let channel = conn.create_channel().await?;
    declare_quorum(&channel, queue).await?;
    channel
        .confirm_select(lapin::options::ConfirmSelectOptions::default())
        .await?;
    let started = Instant::now();
    publish_all(&channel, queue, sample, total, in_flight).await?;
    let secs = started.elapsed().as_secs_f64();
    channel
        .queue_delete(queue.into(), QueueDeleteOptions::default())
        .await
        .ok();
    channel.close(200, "ceiling".into()).await.ok();
    Ok(secs)
}

/// Publishes `total` messages (`sample`, round and round) to `queue` through the default exchange,
/// persistent, with up to `in_flight` confirms outstanding, and waits for the last confirm.
async fn publish_all(
    channel: &lapin::Channel,
    queue: &str,
    sample: &[Vec<u8>],
    total: usize,
    in_flight: usize,
) -> Result<(), QueueError> {
    let mut pending = std::collections::VecDeque::new();
    for body in sample.iter().cycle().take(total) {
        let c = channel
            .basic_publish(
                "".into(),
                queue.into(),
                lapin::options::BasicPublishOptions::default(),
                body,
                BasicProperties::default()
                    .with_content_type("application/json".into())
                    .with_delivery_mode(2),
            )
            .await?;
        pending.push_back(c);
        while pending.len() >= in_flight {
            confirmed(pending.pop_front().expect("non-empty")).await?;
        }
    }
    for c in pending {
        confirmed(c).await?;
    }
    Ok(())
}

/// Declares `queue` as a durable quorum queue, like the jobs queue.
async fn declare_quorum(channel: &lapin::Channel, queue: &str) -> Result<(), QueueError> {
    let mut args = FieldTable::default();
    args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    channel
        .queue_declare(queue.into(), QueueDeclareOptions::durable(), args)
        .await?;
    Ok(())
}
