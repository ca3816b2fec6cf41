//! The relay's Prometheus series, in the process's registry. Labels are low-cardinality only:
//! channel (`email`, `letter`) and failure reason (`permanent`, `exhausted`).

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};

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
}
