//! Telemetry: logging, and Prometheus metrics with the `/metrics`, `/healthz`, `/readyz` endpoints.
//!
//! Logging is initialised once per process, JSON or human-readable, filtered by `RUST_LOG`.
//! Metrics live in one registry per process: [`metrics::WorkerMetrics`] (worker),
//! [`enqueue::EnqueueMetrics`] (enqueue) and [`progress::ProgressMetrics`] (serve: run progress
//! from the database, exported once).
//!
//! Log lines name cases by `case_id` only. A-numbers, names, addresses, emails and birth dates are
//! never logged; the domain types mask the A-number even in `Debug` output.

pub mod enqueue;
pub mod metrics;
pub mod progress;
pub mod server;

use tracing_subscriber::{EnvFilter, fmt};

use crate::config::{LogFormat, LogSettings};

/// Installs the global subscriber; logs go to stderr so command output on stdout stays clean.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(settings.level.clone()));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = match settings.format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
    // A second init (tests, the in-process demo) keeps the first subscriber.
    let _ = result;
}
