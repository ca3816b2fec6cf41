//! What a consumer checks before it reads a delivery: the body's size and how often the broker
//! has delivered it already.
//!
//! Why the worker counts deliveries itself: RabbitMQ 3.10's quorum queues count every return
//! (a nack with requeue, a closed channel, a killed consumer) in `x-delivery-count` and, past
//! `x-delivery-limit`, dead-letter the message with only an `x-death` entry, no docket reason.
//! The worker dead-letters such a message one delivery earlier, explicitly, with the kind
//! `delivery_limit`, a reason and the count; the broker's own limit stays as the backstop.

use lapin::message::Delivery;
use lapin::types::AMQPValue;

use super::review::Received;
use crate::config::Settings;

/// Header the quorum queue sets to the number of earlier deliveries of a message.
pub const DELIVERY_COUNT_HEADER: &str = "x-delivery-count";

/// Turns a delivery into a [`Received`]: refused unread when too large or delivered too often,
/// decoded otherwise.
pub fn receive(d: Delivery, settings: &Settings) -> Received {
    let deliveries = earlier_deliveries(&d);
    let max = settings.worker.max_message_bytes;
    let limit = u64::from(settings.amqp.delivery_limit);
    let mut r = if d.data.len() > max {
        let reason = format!(
            "the body of {} bytes exceeds worker.max_message_bytes ({max})",
            d.data.len()
        );
        Received::refuse(d.delivery_tag, d.data, "too_large", reason)
    } else if deliveries >= limit {
        let reason = format!(
            "delivered {} times without being recorded (amqp.delivery_limit is {limit})",
            deliveries + 1
        );
        Received::refuse(d.delivery_tag, d.data, "delivery_limit", reason)
    } else {
        Received::decode(d.delivery_tag, d.data)
    };
    r.deliveries = deliveries;
    r
}

/// Times the broker delivered the message before: its `x-delivery-count` when the broker says
/// it is a redelivery, 0 on a first delivery whatever headers the producer set (a producer can
/// set `x-delivery-count` itself; only the broker sets the `redelivered` flag).
pub fn earlier_deliveries(d: &Delivery) -> u64 {
    if d.redelivered {
        delivery_count(d).max(1)
    } else {
        0
    }
}

/// The `x-delivery-count` header of a delivery (0 when absent).
pub fn delivery_count(d: &Delivery) -> u64 {
    d.properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get(DELIVERY_COUNT_HEADER))
        .and_then(as_u64)
        .unwrap_or(0)
}

/// An integer header value of any AMQP width.
pub fn as_u64(v: &AMQPValue) -> Option<u64> {
    match v {
        AMQPValue::ShortShortInt(n) => u64::try_from(*n).ok(),
        AMQPValue::ShortShortUInt(n) => Some(u64::from(*n)),
        AMQPValue::ShortInt(n) => u64::try_from(*n).ok(),
        AMQPValue::ShortUInt(n) => Some(u64::from(*n)),
        AMQPValue::LongInt(n) => u64::try_from(*n).ok(),
        AMQPValue::LongUInt(n) => Some(u64::from(*n)),
        AMQPValue::LongLongInt(n) => u64::try_from(*n).ok(),
        _ => None,
    }
}
