//! The relay's Prometheus series, in the process's registry. Labels are low-cardinality only:
//! channel (`email`, `letter`) and failure reason (`permanent`, `exhausted`).

use std::time::Duration;

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};

use crate::domain::Channel;

const CHANNELS: [&str; 2] = ["email", "letter"];
const REASONS: [&str; 2] = ["permanent", "exhausted"];

/// Counters, gauge and histogram of `docket notify`.
#[derive(Clone)]
pub struct NotifyMetrics {
    /// Notices delivered, by channel.
    pub sent: IntCounterVec,
    /// Notices marked failed, by channel and reason.
    pub failed: IntCounterVec,
    /// Notices held for a person (a character no font prints), by channel.
    pub held: IntCounterVec,
    /// Transient failures scheduled for another attempt, by channel.
    pub retried: IntCounterVec,
    /// Rows with status `pending`, by channel, refreshed from the database.
    pub pending: IntGaugeVec,
    /// Seconds per send attempt, by channel.
    pub send_seconds: HistogramVec,
}

impl NotifyMetrics {
    /// Creates the series and registers them in `registry`.
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let m = Self {
            sent: IntCounterVec::new(
                Opts::new(
                    "docket_notifications_sent_total",
                    "Notices delivered, by channel.",
                ),
                &["channel"],
            )?,
            failed: IntCounterVec::new(
                Opts::new(
                    "docket_notifications_failed_total",
                    "Notices marked failed, by channel and reason (permanent or exhausted).",
                ),
                &["channel", "reason"],
            )?,
            held: IntCounterVec::new(
                Opts::new(
                    "docket_notifications_held_total",
                    "Notices held instead of sent (e.g. a character no font prints), by channel.",
                ),
                &["channel"],
            )?,
            retried: IntCounterVec::new(
                Opts::new(
                    "docket_notifications_retried_total",
                    "Transient send failures scheduled for another attempt, by channel.",
                ),
                &["channel"],
            )?,
            pending: IntGaugeVec::new(
                Opts::new(
                    "docket_notifications_pending",
                    "Outbox rows waiting to be sent, by channel (from the database).",
                ),
                &["channel"],
            )?,
            send_seconds: HistogramVec::new(
                HistogramOpts::new("docket_notify_send_seconds", "Seconds per send attempt.")
                    .buckets(vec![
                        0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0,
                    ]),
                &["channel"],
            )?,
        };
        registry.register(Box::new(m.sent.clone()))?;
        registry.register(Box::new(m.failed.clone()))?;
        registry.register(Box::new(m.held.clone()))?;
        registry.register(Box::new(m.retried.clone()))?;
        registry.register(Box::new(m.pending.clone()))?;
        registry.register(Box::new(m.send_seconds.clone()))?;
        for c in CHANNELS {
            m.sent.with_label_values(&[c]);
            m.retried.with_label_values(&[c]);
            m.held.with_label_values(&[c]);
            m.pending.with_label_values(&[c]);
            for r in REASONS {
                m.failed.with_label_values(&[c, r]);
            }
        }
        Ok(m)
    }

    /// Metrics in a registry of their own (tests, the library entry point).
    pub fn standalone() -> Self {
        Self::register(&Registry::new()).expect("fresh registry")
    }

    /// A notice on `channel` was relayed with `outcome` (counted once its batch committed).
    pub fn relayed(&self, channel: Channel, outcome: Relayed) {
        let ch = channel.as_str();
        match outcome {
            Relayed::Sent => self.sent.with_label_values(&[ch]).inc(),
            Relayed::Retried => self.retried.with_label_values(&[ch]).inc(),
            Relayed::Failed(reason) => self.failed.with_label_values(&[ch, reason.as_str()]).inc(),
            Relayed::Held => self.held.with_label_values(&[ch]).inc(),
        }
    }

    /// A send attempt on `channel` took `took`.
    pub fn send_took(&self, channel: Channel, took: Duration) {
        self.send_seconds
            .with_label_values(&[channel.as_str()])
            .observe(took.as_secs_f64());
    }

    /// Notices pending on `channel`, as the database counts them.
    pub fn set_pending(&self, channel: Channel, pending: i64) {
        self.pending
            .with_label_values(&[channel.as_str()])
            .set(pending);
    }
}

/// What became of a notice the relay tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relayed {
    /// Delivered.
    Sent,
    /// A transient failure: another attempt is scheduled.
    Retried,
    /// Marked failed.
    Failed(FailReason),
    /// Held for a person.
    Held,
}

/// Why a notice was marked failed: the `reason` label of `docket_notifications_failed_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailReason {
    /// The channel refused it for good.
    Permanent,
    /// Transient failures used up every attempt.
    Exhausted,
}

impl FailReason {
    /// The label value, also the prefix of the recorded error.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Permanent => "permanent",
            Self::Exhausted => "exhausted",
        }
    }
}
