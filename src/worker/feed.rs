//! A consumer's deliveries, with a prefetch that follows how many cases messages carry.
//!
//! RabbitMQ applies `basic.qos` (without `global`) to consumers created after it, never to one
//! already consuming, so a prefetch is changed by subscribing again: the old consumer is
//! cancelled first, then the new one starts with the new limit. What the old one had already
//! been sent is still delivered, and delivered first, so delivery tags keep rising and the
//! batch's `multiple` ack never covers a delivery that has not been processed yet. Deliveries
//! the old consumer holds stay unacknowledged on the channel and are acknowledged as usual.

use futures_util::StreamExt;
use lapin::message::Delivery;
use lapin::options::{BasicCancelOptions, BasicConsumeOptions, BasicQosOptions};
use lapin::types::FieldTable;
use lapin::{Channel, Consumer};

/// The deliveries of one channel's consumer, re-subscribed when the prefetch should change.
pub struct Feed {
    channel: Channel,
    queue: String,
    tag: String,
    subscriptions: u32,
    current: Consumer,
    /// A cancelled consumer whose remaining deliveries come before the current one's.
    draining: Option<Consumer>,
    prefetch: u16,
}

impl Feed {
    /// Subscribes to `queue` with consumer tag `tag` and a prefetch of `prefetch` messages.
    pub async fn open(
        channel: &Channel,
        queue: &str,
        tag: &str,
        prefetch: u16,
    ) -> Result<Self, lapin::Error> {
        channel
            .basic_qos(prefetch, BasicQosOptions::default())
            .await?;
        let current = subscribe(channel, queue, tag).await?;
        Ok(Self {
            channel: channel.clone(),
            queue: queue.to_string(),
            tag: tag.to_string(),
            subscriptions: 1,
            current,
            draining: None,
            prefetch,
        })
    }

    /// The next delivery; `None` once the broker has cancelled the consumer. Cancel safe.
    pub async fn next(&mut self) -> Option<Result<Delivery, lapin::Error>> {
        if let Some(old) = &mut self.draining {
            match old.next().await {
                Some(d) => return Some(d),
                None => self.draining = None,
            }
        }
        self.current.next().await
    }

    /// Subscribes again with a prefetch of `want` when it differs enough from the current one
    /// (at least twice or at most half), so small differences in message sizes do not cause a new
    /// subscription after every batch. Returns whether it did.
    pub async fn resize(&mut self, want: u16) -> Result<bool, lapin::Error> {
        if !needs_resize(self.prefetch, want) || self.draining.is_some() {
            return Ok(false);
        }
        let old_tag = self.current.tag();
        self.channel
            .basic_cancel(old_tag, BasicCancelOptions::default())
            .await?;
        self.channel
            .basic_qos(want, BasicQosOptions::default())
            .await?;
        self.subscriptions += 1;
        let tag = format!("{}.{}", self.tag, self.subscriptions);
        let new = subscribe(&self.channel, &self.queue, &tag).await?;
        self.draining = Some(std::mem::replace(&mut self.current, new));
        tracing::debug!(consumer = %tag, prefetch = want, "Prefetch resized.");
        self.prefetch = want;
        Ok(true)
    }
}

async fn subscribe(channel: &Channel, queue: &str, tag: &str) -> Result<Consumer, lapin::Error> {
    channel
        .basic_consume(
            queue.into(),
            tag.into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
}

/// Whether a prefetch of `want` is worth a new subscription when the current one is `current`.
pub fn needs_resize(current: u16, want: u16) -> bool {
    let (current, want) = (u32::from(current), u32::from(want));
    want != current && (want >= 2 * current || 2 * want <= current)
}

/// The prefetch (in messages) that holds about `prefetch_cases` cases given the last batch's
/// jobs per message, between 1 and `max`. Producers that send one case per message get the full
/// `max`; 500-case batch messages get a handful, so one worker never holds the whole backlog
/// unacknowledged (memory stays bounded and other replicas get work).
pub fn prefetch_for(max: u16, prefetch_cases: usize, jobs: usize, messages: usize) -> u16 {
    let per_message = (jobs / messages.max(1)).max(1);
    (prefetch_cases / per_message).clamp(1, usize::from(max.max(1))) as u16
}

/// Seconds of a throttled run's rate that the consumers of a process may hold between them.
/// RabbitMQ closes a channel that holds a delivery unacknowledged for its consumer timeout (30
/// minutes by default); a consumer waiting out a slow run's rate must not come near it.
pub const THROTTLED_HOLD_SECONDS: f64 = 300.0;

/// Cases a consumer may hold while it reviews jobs of a run throttled to `rate` cases/s:
/// [`THROTTLED_HOLD_SECONDS`] of the rate shared by `consumers` consumers, between 1 and
/// `prefetch_cases`.
pub fn throttled_cases(prefetch_cases: usize, rate: f64, consumers: usize) -> usize {
    let share = rate * THROTTLED_HOLD_SECONDS / consumers.max(1) as f64;
    (share as usize).clamp(1, prefetch_cases.max(1))
}

#[cfg(test)]
mod tests {
    use super::{needs_resize, prefetch_for, throttled_cases};

    #[test]
    fn a_slow_throttle_holds_minutes_of_its_rate_not_the_full_prefetch() {
        // 1 case/s over 4 consumers: 75 cases each, 300 s of the rate in all.
        assert_eq!(throttled_cases(2000, 1.0, 4), 75);
        assert_eq!(prefetch_for(1000, throttled_cases(2000, 1.0, 4), 1, 1), 75);
        // A fast throttle keeps the usual prefetch.
        assert_eq!(throttled_cases(2000, 1000.0, 4), 2000);
        // Never below one case.
        assert_eq!(throttled_cases(2000, 0.001, 4), 1);
    }

    #[test]
    fn prefetch_is_sized_in_cases_not_messages() {
        assert_eq!(prefetch_for(1000, 2000, 500, 500), 1000);
        assert_eq!(prefetch_for(1000, 2000, 1000, 2), 4);
        assert_eq!(prefetch_for(1000, 2000, 3000, 3), 2);
        assert_eq!(prefetch_for(1000, 100, 5000, 5), 1);
    }

    #[test]
    fn a_prefetch_changes_only_when_it_is_off_by_a_factor_of_two() {
        assert!(needs_resize(1, 4));
        assert!(needs_resize(1, 1000));
        assert!(needs_resize(1000, 4));
        // 1,000 cases a consumer (the k8s ConfigMap) over 500-case messages.
        assert!(needs_resize(1, 2));
        assert!(!needs_resize(4, 4));
        assert!(!needs_resize(4, 7));
        assert!(!needs_resize(4, 3));
        assert!(needs_resize(4, 8));
        assert!(needs_resize(4, 2));
        assert!(!needs_resize(1, 1));
    }
}
