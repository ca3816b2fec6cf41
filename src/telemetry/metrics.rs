//! Prometheus metrics of a process, in one registry created at start-up and passed in.
//!
//! Names follow the Prometheus conventions: a `docket_` prefix, base units, `_total` on counters,
//! explicit histogram buckets, and only low-cardinality labels (never a case id or personal data).

use prometheus::{
    Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::domain::Decision;

/// The worker's metrics.
#[derive(Clone)]
pub struct WorkerMetrics {
    registry: Registry,
    /// Jobs received (every job of every message, refused ones included).
    pub jobs_received: IntCounter,
    /// Outcomes recorded, by decision.
    pub jobs_completed: IntCounterVec,
    /// Jobs that already had an outcome (redeliveries, duplicate publishes).
    pub jobs_duplicate: IntCounter,
    /// Messages or jobs dead-lettered, by reason (`decode`, `validation`, `unknown_run`).
    pub jobs_dead_lettered: IntCounterVec,
    /// Batches that failed and were returned to the queue, by stage (`database`, `broker`).
    pub batches_failed: IntCounterVec,
    /// Jobs of failed batches, returned to the queue, by reason (`database`, `broker`).
    pub jobs_failed: IntCounterVec,
    /// Seconds from a job's delivery to its acknowledgement.
    pub job_seconds: Histogram,
    /// Jobs per batch.
    pub batch_jobs: Histogram,
    /// Seconds to write and commit a batch's outcomes.
    pub batch_commit_seconds: Histogram,
    /// Seconds from a batch's first delivery to its ack.
    pub batch_seconds: Histogram,
    /// Jobs received and not yet acknowledged.
    pub jobs_in_flight: IntGauge,
    /// Consumers currently connected to the broker.
    pub consumers_connected: IntGauge,
    /// Unix time of the last committed batch.
    pub last_batch_timestamp_seconds: IntGauge,
    /// Jobs of cancelled runs acknowledged without an outcome.
    pub jobs_cancelled: IntCounter,
    /// Messages of paused runs moved to their parking queue.
    pub messages_parked: IntCounter,
    /// Parked messages moved back to the work queue.
    pub messages_released: IntCounter,
    /// Large messages of throttled runs published again as smaller ones.
    pub messages_split: IntCounter,
    /// Seconds batches waited for a throttled run's rate.
    pub throttle_wait_seconds: Histogram,
}

pub(crate) fn counter(r: &Registry, name: &str, help: &str) -> IntCounter {
    let c = IntCounter::new(name, help).expect("valid metric");
    r.register(Box::new(c.clone())).expect("unique metric");
    c
}

pub(crate) fn counter_vec(r: &Registry, name: &str, help: &str, label: &str) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), &[label]).expect("valid metric");
    r.register(Box::new(c.clone())).expect("unique metric");
    c
}

pub(crate) fn gauge(r: &Registry, name: &str, help: &str) -> IntGauge {
    let g = IntGauge::new(name, help).expect("valid metric");
    r.register(Box::new(g.clone())).expect("unique metric");
    g
}

pub(crate) fn histogram(r: &Registry, name: &str, help: &str, buckets: Vec<f64>) -> Histogram {
    let h = Histogram::with_opts(HistogramOpts::new(name, help).buckets(buckets))
        .expect("valid metric");
    r.register(Box::new(h.clone())).expect("unique metric");
    h
}

/// Buckets of the latency histograms, in seconds. They reach RabbitMQ's 30-minute consumer
/// timeout, the longest a delivery can be held: a batch of a throttled run may wait out its
/// rate for many minutes (the worker warns past 15), and such waits must not all land in `+Inf`.
pub(crate) const SECONDS: [f64; 19] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0, 30.0, 60.0, 120.0,
    300.0, 600.0, 900.0, 1800.0,
];

/// A series' name and help text.
type Series = (&'static str, &'static str);

// The worker's series (the labelled ones name their label in `WorkerMetrics::new`).
const JOBS_RECEIVED: Series = (
    "docket_jobs_received_total",
    "Jobs received, refused ones included.",
);
const JOBS_COMPLETED: Series = (
    "docket_jobs_completed_total",
    "Outcomes recorded, by decision.",
);
const JOBS_DUPLICATE: Series = (
    "docket_jobs_duplicate_total",
    "Jobs that already had an outcome (redeliveries and duplicate publishes).",
);
const JOBS_DEAD_LETTERED: Series = (
    "docket_jobs_dead_lettered_total",
    "Messages or jobs sent to the dead-letter queue, by reason.",
);
const BATCHES_FAILED: Series = (
    "docket_batches_failed_total",
    "Batches returned to the queue after a failure, by stage.",
);
const JOBS_FAILED: Series = (
    "docket_jobs_failed_total",
    "Jobs returned to the queue because their batch failed, by reason.",
);
const JOB_SECONDS: Series = (
    "docket_job_seconds",
    "Seconds from a job's delivery to its acknowledgement.",
);
const BATCH_COMMIT_SECONDS: Series = (
    "docket_batch_commit_seconds",
    "Seconds to write and commit a batch's outcomes.",
);
const BATCH_SECONDS: Series = (
    "docket_batch_seconds",
    "Seconds from a batch's first delivery to its acknowledgement.",
);
const JOBS_IN_FLIGHT: Series = (
    "docket_jobs_in_flight",
    "Jobs received and not yet acknowledged.",
);
const CONSUMERS_CONNECTED: Series = (
    "docket_consumers_connected",
    "Consumers currently connected to the broker.",
);
const LAST_BATCH_TIMESTAMP_SECONDS: Series = (
    "docket_last_batch_timestamp_seconds",
    "Unix time of the last committed batch.",
);
const JOBS_CANCELLED: Series = (
    "docket_jobs_cancelled_total",
    "Jobs of cancelled runs acknowledged without an outcome.",
);
const MESSAGES_PARKED: Series = (
    "docket_messages_parked_total",
    "Messages of paused runs moved to their parking queue.",
);
const MESSAGES_SPLIT: Series = (
    "docket_messages_split_total",
    "Large messages of throttled runs published again as smaller ones.",
);
const MESSAGES_RELEASED: Series = (
    "docket_messages_released_total",
    "Parked messages moved back to the work queue when their run resumed.",
);
const THROTTLE_WAIT_SECONDS: Series = (
    "docket_throttle_wait_seconds",
    "Seconds a batch waited for its throttled run's rate.",
);

impl WorkerMetrics {
    /// Creates the collectors in a new registry.
    pub fn new() -> Self {
        let r = Registry::new();
        let count = |(name, help): Series| counter(&r, name, help);
        let count_by = |(name, help): Series, label| counter_vec(&r, name, help, label);
        let level = |(name, help): Series| gauge(&r, name, help);
        let latency = |(name, help): Series| histogram(&r, name, help, SECONDS.to_vec());
        let m = Self {
            jobs_received: count(JOBS_RECEIVED),
            jobs_completed: count_by(JOBS_COMPLETED, "decision"),
            jobs_duplicate: count(JOBS_DUPLICATE),
            jobs_dead_lettered: count_by(JOBS_DEAD_LETTERED, "reason"),
            batches_failed: count_by(BATCHES_FAILED, "stage"),
            jobs_failed: count_by(JOBS_FAILED, "reason"),
            job_seconds: latency(JOB_SECONDS),
            batch_jobs: histogram(
                &r,
                "docket_batch_jobs",
                "Jobs per batch.",
                vec![1.0, 10.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2000.0],
            ),
            batch_commit_seconds: latency(BATCH_COMMIT_SECONDS),
            batch_seconds: latency(BATCH_SECONDS),
            jobs_in_flight: level(JOBS_IN_FLIGHT),
            consumers_connected: level(CONSUMERS_CONNECTED),
            last_batch_timestamp_seconds: level(LAST_BATCH_TIMESTAMP_SECONDS),
            jobs_cancelled: count(JOBS_CANCELLED),
            messages_parked: count(MESSAGES_PARKED),
            messages_split: count(MESSAGES_SPLIT),
            messages_released: count(MESSAGES_RELEASED),
            throttle_wait_seconds: latency(THROTTLE_WAIT_SECONDS),
            registry: r,
        };
        m.show_empty_series();
        m
    }

    /// Creates the labelled series that have not happened yet, so a scrape shows them at 0.
    fn show_empty_series(&self) {
        for d in Decision::ALL {
            self.jobs_completed.with_label_values(&[d.as_str()]);
        }
        for reason in ["decode", "validation", "unknown_run"] {
            self.jobs_dead_lettered.with_label_values(&[reason]);
        }
        for stage in ["database", "broker"] {
            self.batches_failed.with_label_values(&[stage]);
            self.jobs_failed.with_label_values(&[stage]);
        }
    }

    /// Outcomes recorded, all decisions together.
    pub fn completed(&self) -> u64 {
        Decision::ALL
            .iter()
            .map(|d| self.jobs_completed.with_label_values(&[d.as_str()]).get())
            .sum()
    }

    /// Dead letters, all reasons together.
    pub fn dead_lettered(&self) -> u64 {
        [
            "decode",
            "validation",
            "unknown_run",
            "facts_mismatch",
            "not_in_run",
        ]
        .iter()
        .map(|r| self.jobs_dead_lettered.with_label_values(&[r]).get())
        .sum()
    }

    /// The registry, for the `/metrics` endpoint.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }
}

impl Default for WorkerMetrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Registers the gauge `docket_ready`: 1 while the process's `/readyz` check passes, set at each
/// scrape, so alerts can see a replica that is up but not ready.
pub fn ready_gauge(r: &Registry) -> IntGauge {
    gauge(
        r,
        "docket_ready",
        "1 when the process is ready (broker and database usable, not draining), else 0.",
    )
}

/// Registers what every process exports beside its own series: `docket_build_info{version}`
/// (always 1) and, on Linux, the standard `process_*` series (resident memory, CPU seconds,
/// open and maximum file descriptors, start time).
pub fn register_process_metrics(r: &Registry) {
    let info = gauge_vec(
        r,
        "docket_build_info",
        "Always 1; the labels say which build of docket this process runs.",
        &["version"],
    );
    info.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
    #[cfg(target_os = "linux")]
    {
        let collector = prometheus::process_collector::ProcessCollector::for_self();
        r.register(Box::new(collector)).expect("unique metric");
    }
}

/// Registers a labelled gauge.
pub(crate) fn gauge_vec(r: &Registry, name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    let g = IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric");
    r.register(Box::new(g.clone())).expect("unique metric");
    g
}

/// Renders a registry in the Prometheus text format.
pub fn render(registry: &Registry) -> String {
    TextEncoder::new()
        .encode_to_string(&registry.gather())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_decision_series_exists_from_the_start() {
        let m = WorkerMetrics::new();
        let text = render(m.registry());
        for d in Decision::ALL {
            assert!(
                text.contains(&format!(
                    "docket_jobs_completed_total{{decision=\"{d}\"}} 0"
                )),
                "{d}"
            );
        }
        assert!(text.contains("docket_batch_commit_seconds_bucket"));
    }

    #[test]
    fn latency_buckets_reach_the_longest_throttle_wait() {
        let m = WorkerMetrics::new();
        m.throttle_wait_seconds.observe(20.0 * 60.0);
        let text = render(m.registry());
        // A 20-minute wait is counted in a finite bucket, not only in +Inf.
        assert!(
            text.contains("docket_throttle_wait_seconds_bucket{le=\"1800\"} 1"),
            "{text}"
        );
        assert!(text.contains("docket_throttle_wait_seconds_bucket{le=\"900\"} 0"));
        assert!(SECONDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn every_process_exports_its_build_and_process_metrics() {
        let r = Registry::new();
        register_process_metrics(&r);
        let text = render(&r);
        let version = env!("CARGO_PKG_VERSION");
        assert!(text.contains(&format!("docket_build_info{{version=\"{version}\"}} 1")));
        for name in [
            "process_resident_memory_bytes",
            "process_cpu_seconds_total",
            "process_open_fds",
        ] {
            assert!(text.contains(name), "{name} in {text}");
        }
    }
}
