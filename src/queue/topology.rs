//! Idempotent declaration of the exchanges and queues every docket process relies on.
//!
//! ```text
//! docket.jobs (direct) --review--> docket.review (quorum, delivery limit, dead-letters to)
//!                                        |
//! docket.dead (fanout) <-----------------+  and explicit dead letters with their reason
//!        '--> docket.review.dead (quorum)
//! ```

use lapin::options::{
    ExchangeDeclareOptions, ExchangeDeleteOptions, QueueBindOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable};
use lapin::{Channel, Connection, ExchangeKind};

use super::QueueError;
use crate::config::AmqpSettings;

/// Declares both exchanges, the work queue and the dead-letter queue, and binds them.
/// Every process declares the same arguments, so running it again changes nothing.
pub async fn declare(channel: &Channel, s: &AmqpSettings) -> Result<(), QueueError> {
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..ExchangeDeclareOptions::default()
    };
    channel
        .exchange_declare(
            s.exchange.as_str().into(),
            ExchangeKind::Direct,
            durable,
            FieldTable::default(),
        )
        .await?;
    channel
        .exchange_declare(
            s.dead_letter_exchange.as_str().into(),
            ExchangeKind::Fanout,
            durable,
            FieldTable::default(),
        )
        .await?;

    let mut dead_args = FieldTable::default();
    dead_args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    channel
        .queue_declare(
            s.dead_letter_queue.as_str().into(),
            QueueDeclareOptions::durable(),
            dead_args,
        )
        .await?;
    channel
        .queue_bind(
            s.dead_letter_queue.as_str().into(),
            s.dead_letter_exchange.as_str().into(),
            "".into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;

    channel
        .queue_declare(
            s.queue.as_str().into(),
            QueueDeclareOptions::durable(),
            work_queue_arguments(s),
        )
        .await?;
    channel
        .queue_bind(
            s.queue.as_str().into(),
            s.exchange.as_str().into(),
            s.routing_key.as_str().into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await?;
    Ok(())
}

/// Arguments of the work queue: quorum, a delivery limit, and dead-lettering to the dead-letter
/// exchange when the limit is reached.
fn work_queue_arguments(s: &AmqpSettings) -> FieldTable {
    let mut args = FieldTable::default();
    args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    args.insert(
        "x-dead-letter-exchange".into(),
        AMQPValue::LongString(s.dead_letter_exchange.as_str().into()),
    );
    args.insert(
        "x-delivery-limit".into(),
        AMQPValue::LongLongInt(i64::from(s.delivery_limit)),
    );
    args
}

/// Declares the topology on a channel of its own when this user may (an administrator, or a
/// worker's user); a user limited to publishing or reading dead letters (see
/// [`super::permissions`]) may not declare a queue that dead-letters, so for it the exchanges and
/// queues are only checked to exist (a worker declares them).
pub async fn declare_or_check(conn: &Connection, s: &AmqpSettings) -> Result<(), QueueError> {
    let ch = conn.create_channel().await?;
    match declare(&ch, s).await {
        Ok(()) => {
            ch.close(200, "declared".into()).await.ok();
            Ok(())
        }
        Err(e) if e.to_string().contains("ACCESS_REFUSED") => {
            let ch = conn.create_channel().await?;
            for queue in [&s.queue, &s.dead_letter_queue] {
                depth(&ch, queue).await?;
            }
            ch.close(200, "checked".into()).await.ok();
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// Messages ready in a queue (passive declare; the queue must exist).
pub async fn depth(channel: &Channel, queue: &str) -> Result<u32, QueueError> {
    let q = channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await?;
    Ok(q.message_count())
}

/// Deletes `queues` and `exchanges` (messages and bindings with them), each on a channel of its
/// own, so one the broker refuses closes only its channel and the rest are still tried. Returns
/// whether every deletion succeeded; deleting what does not exist succeeds.
pub async fn delete(conn: &Connection, queues: &[String], exchanges: &[&str]) -> bool {
    let mut ok = true;
    for q in queues {
        ok &= match conn.create_channel().await {
            Ok(ch) => {
                let done = ch
                    .queue_delete(q.as_str().into(), QueueDeleteOptions::default())
                    .await
                    .is_ok();
                ch.close(200, "deleted".into()).await.ok();
                done
            }
            Err(_) => false,
        };
    }
    for x in exchanges {
        ok &= match conn.create_channel().await {
            Ok(ch) => {
                let done = ch
                    .exchange_delete((*x).into(), ExchangeDeleteOptions::default())
                    .await
                    .is_ok();
                ch.close(200, "deleted".into()).await.ok();
                done
            }
            Err(_) => false,
        };
    }
    ok
}
