//! Metrics of `docket enqueue`: publishes and publisher confirms.
//!
//! Enqueue is a short command, so it prints its rate when done; with `--metrics-listen` it also
//! serves these on `/metrics` while it publishes (a long enqueue of 300,000 cases can be watched).

use std::time::Duration;

use prometheus::{Histogram, IntCounter, IntCounterVec, IntGauge, Registry};

use super::metrics::{SECONDS, counter, counter_vec, gauge, histogram};

/// How the broker answered a published message: the label of `docket_enqueue_confirms_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmResult {
    /// Acknowledged.
    Ack,
    /// Refused: a nack, or returned unroutable.
    Refused,
    /// No answer: the channel failed.
    Error,
}

impl ConfirmResult {
    /// Every result, in label order.
    pub const ALL: [ConfirmResult; 3] = [Self::Ack, Self::Refused, Self::Error];

    fn label(self) -> &'static str {
        match self {
            Self::Ack => "ack",
            Self::Refused => "refused",
            Self::Error => "error",
        }
    }
}

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
        for result in ConfirmResult::ALL {
            m.confirms.with_label_values(&[result.label()]);
        }
        m
    }

    /// A message was published; it awaits its confirm.
    pub fn published(&self) {
        self.messages_published.inc();
        self.confirms_in_flight.inc();
    }

    /// A message's confirm came back `waited` after it was published (or its channel failed); an
    /// acknowledged one also counts its latency and the time of the last confirm.
    pub fn confirmed(&self, result: ConfirmResult, waited: Duration) {
        self.confirms_in_flight.dec();
        self.confirms.with_label_values(&[result.label()]).inc();
        if result == ConfirmResult::Ack {
            self.confirm_seconds.observe(waited.as_secs_f64());
            self.last_confirm_timestamp_seconds
                .set(chrono::Utc::now().timestamp());
        }
    }

    /// The cases of acknowledged messages, handed on to be recorded as published.
    pub fn cases_confirmed(&self, cases: u64) {
        self.cases_published.inc_by(cases);
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
