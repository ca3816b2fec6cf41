//! Parking queues: jobs of a paused run are moved to `<queue>.parked.<run>` (a durable quorum
//! queue, fed through the default exchange) and moved back to the work exchange when the run is
//! reviewable again, or deleted when it is cancelled. Republishing makes new messages, so parking
//! never counts against the work queue's delivery limit, and parked jobs cost nothing while parked.

use lapin::Channel;
use lapin::options::{BasicAckOptions, BasicGetOptions, QueueDeclareOptions, QueueDeleteOptions};
use lapin::types::{AMQPValue, FieldTable};

use super::QueueError;
use super::publish::publish_confirmed;
use crate::config::AmqpSettings;

/// Parked messages moved back per round of confirms.
const RELEASE_WINDOW: usize = 200;

/// The parking queue of a run.
pub fn queue_name(s: &AmqpSettings, run: &str) -> String {
    format!("{}.parked.{run}", s.queue)
}

/// Declares the run's parking queue (idempotent).
pub async fn declare(channel: &Channel, s: &AmqpSettings, run: &str) -> Result<(), QueueError> {
    let mut args = FieldTable::default();
    args.insert(
        "x-queue-type".into(),
        AMQPValue::LongString("quorum".into()),
    );
    channel
        .queue_declare(
            queue_name(s, run).as_str().into(),
            QueueDeclareOptions::durable(),
            args,
        )
        .await?;
    Ok(())
}

/// Parks bodies of one run, waiting for every confirm (`channel` is in confirm mode).
pub async fn park(
    channel: &Channel,
    s: &AmqpSettings,
    run: &str,
    bodies: &[&[u8]],
) -> Result<(), QueueError> {
    declare(channel, s, run).await?;
    let name = queue_name(s, run);
    publish_confirmed(channel, "", &name, bodies).await
}

/// Moves every parked job of a run back to the work exchange (each confirmed before its parked
/// copy is acknowledged). The queue is left in place: a worker whose cached state is a second old
/// may still park into it, and the next release takes those. Returns messages moved.
pub async fn release(channel: &Channel, s: &AmqpSettings, run: &str) -> Result<u64, QueueError> {
    declare(channel, s, run).await?;
    let name = queue_name(s, run);
    let mut moved = 0;
    loop {
        // Up to RELEASE_WINDOW at a time: publishes pipelined, then one multiple ack.
        let mut window = Vec::new();
        while window.len() < RELEASE_WINDOW {
            match channel
                .basic_get(name.as_str().into(), BasicGetOptions { no_ack: false })
                .await?
            {
                Some(msg) => window.push(msg.delivery),
                None => break,
            }
        }
        let Some(last) = window.last().map(|d| d.delivery_tag) else {
            break;
        };
        let bodies: Vec<&[u8]> = window.iter().map(|d| d.data.as_slice()).collect();
        publish_confirmed(channel, &s.exchange, &s.routing_key, &bodies).await?;
        channel
            .basic_ack(last, BasicAckOptions { multiple: true })
            .await?;
        moved += window.len() as u64;
    }
    Ok(moved)
}

/// Deletes a run's parking queue with what it holds (a cancelled run). Returns messages dropped.
pub async fn drop_queue(channel: &Channel, s: &AmqpSettings, run: &str) -> Result<u32, QueueError> {
    Ok(channel
        .queue_delete(
            queue_name(s, run).as_str().into(),
            QueueDeleteOptions::default(),
        )
        .await?)
}
