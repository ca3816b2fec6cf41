//! Telemetry: logging, and Prometheus metrics with the `/metrics`, `/healthz`, `/readyz` endpoints.
//!
//! Logging is initialised once per process, JSON or human-readable, filtered by `RUST_LOG`.
//! Metrics live in one registry per process: [`metrics::WorkerMetrics`] (worker),
//! [`enqueue::EnqueueMetrics`] (enqueue) and [`progress::ProgressMetrics`] (serve: run progress
//! from the database, exported once).
//!
//! Log lines name cases by `case_id` only. A-numbers, names, addresses, emails and birth dates are
//! never logged; the domain types mask the A-number even in `Debug` output.

pub mod batch;
pub mod enqueue;
pub mod limits;
pub mod metrics;
pub mod progress;
pub mod server;

use tracing::{Level, Metadata};
use tracing_subscriber::filter::{FilterFn, filter_fn};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, fmt};

use crate::config::{LogFormat, LogSettings};

/// Installs the global subscriber; logs go to stderr so command output on stdout stays clean.
/// Whatever `RUST_LOG` asks, the AMQP client is never logged below debug: at trace, lapin prints
/// every frame it handles, message bodies (names, A-numbers, addresses) included.
pub fn init(settings: &LogSettings) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(settings.level.clone()));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = match settings.format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .finish()
            .with(no_frames())
            .try_init(),
        LogFormat::Pretty => builder.compact().finish().with(no_frames()).try_init(),
    };
    // A second init (tests, the in-process demo) keeps the first subscriber.
    let _ = result;
}

/// Targets that may log message bodies at trace level.
const BODY_LOGGING_TARGETS: [&str; 3] = ["lapin", "amq_protocol", "tcp_stream"];

/// Drops trace-level events of [`BODY_LOGGING_TARGETS`].
fn no_frames() -> FilterFn<fn(&Metadata<'_>) -> bool> {
    filter_fn(allowed as fn(&Metadata<'_>) -> bool)
}

fn allowed(meta: &Metadata<'_>) -> bool {
    *meta.level() < Level::TRACE
        || !BODY_LOGGING_TARGETS
            .iter()
            .any(|t| meta.target() == *t || meta.target().starts_with(&format!("{t}::")))
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::Layer;
    use tracing_subscriber::layer::Context;

    use super::*;

    struct Targets(Arc<Mutex<Vec<String>>>);

    impl<S: tracing::Subscriber> Layer<S> for Targets {
        fn on_event(&self, e: &tracing::Event<'_>, _: Context<'_, S>) {
            self.0
                .lock()
                .unwrap()
                .push(e.metadata().target().to_string());
        }
    }

    #[test]
    fn the_amqp_client_is_capped_at_debug_and_docket_is_not() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry()
            .with(Targets(seen.clone()).with_filter(tracing::level_filters::LevelFilter::TRACE))
            .with(no_frames());
        tracing::subscriber::with_default(subscriber, || {
            tracing::trace!(target: "lapin::channels", "frame body");
            tracing::trace!(target: "amq_protocol", "frame body");
            tracing::debug!(target: "lapin::channels", "debug kept");
            tracing::trace!(target: "docket::worker", "trace kept");
            tracing::trace!(target: "lapinfoo", "not lapin");
        });
        assert_eq!(
            *seen.lock().unwrap(),
            ["lapin::channels", "docket::worker", "lapinfoo"]
        );
    }
}
