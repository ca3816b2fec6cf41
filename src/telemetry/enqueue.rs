//! Metrics of `docket enqueue`: publishes and publisher confirms.
//!
//! Enqueue is a short command, so it prints its rate when done; with `--metrics-listen` it also
//! serves these on `/metrics` while it publishes (a long enqueue of 300,000 cases can be watched).

use prometheus::{Histogram, IntCounter, IntCounterVec, IntGauge, Registry};

use super::metrics::{SECONDS, counter, counter_vec, gauge, histogram};

/// Confirm results, the label values of `docket_enqueue_confirms_total`.
pub const CONFIRM_RESULTS: [&str; 3] = ["ack", "refused", "error"];

/// The enqueue command's metrics.
#[derive(Clone)]
pub struct EnqueueMetrics {
    registry: Registry,
    /// Messages published (each awaits a confirm).
    pub messages_published: IntCounter,
    /// Cases whose message the broker confirmed.
    pub cases_published: IntCounter,
    /// Confirms by result: `ack`, `refused` (nack or unroutable), `error` (channel failed).
    pub confirms: IntCounterVec,
    /// Seconds from publishing a message to its confirm.
    pub confirm_seconds: Histogram,
    /// Messages awaiting a confirm.
    pub confirms_in_flight: IntGauge,
    /// Unix time of the last confirm.
    pub last_confirm_timestamp_seconds: IntGauge,
}

impl EnqueueMetrics {
    /// Creates the collectors in a new registry.
    pub fn new() -> Self {
        let r = Registry::new();
        let m = Self {
            messages_published: counter(
                &r,
                "docket_enqueue_messages_published_total",
                "Messages published to the jobs exchange.",
            ),
            cases_published: counter(
                &r,
                "docket_enqueue_cases_published_total",
                "Cases whose message the broker confirmed.",
            ),
            confirms: counter_vec(
                &r,
                "docket_enqueue_confirms_total",
                "Publisher confirms by result (ack, refused, error).",
                "result",
            ),
            confirm_seconds: histogram(
                &r,
                "docket_enqueue_confirm_seconds",
                "Seconds from publishing a message to the broker's confirm.",
                SECONDS.to_vec(),
            ),
            confirms_in_flight: gauge(
                &r,
                "docket_enqueue_confirms_in_flight",
                "Published messages awaiting a confirm.",
            ),
            last_confirm_timestamp_seconds: gauge(
                &r,
                "docket_enqueue_last_confirm_timestamp_seconds",
                "Unix time of the last confirm.",
            ),
            registry: r,
        };
        for result in CONFIRM_RESULTS {
            m.confirms.with_label_values(&[result]);
        }
        m
    }

    /// The registry, for `/metrics`.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }
}

impl Default for EnqueueMetrics {
    fn default() -> Self {
        Self::new()
    }
}
