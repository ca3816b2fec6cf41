//! The worker's events as typed methods: each records its counters and histograms (and, where an
//! operator may care, its log line) in one place, so call sites never spell a metric or a label.

use std::time::Instant;

use super::metrics::WorkerMetrics;
use crate::domain::{DeadLetter, Decision};

/// What a committed batch recorded.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct BatchRecorded {
    /// Jobs the batch carried (refused ones included).
    pub jobs: usize,
    /// Outcomes inserted, per decision.
    pub completed: Vec<(Decision, u64)>,
    /// Jobs that already had an outcome (redeliveries, duplicate publishes).
    pub duplicates: u64,
    /// Seconds the transaction took to write and commit.
    pub commit_seconds: f64,
}

/// Where a batch failed: the label of `docket_batches_failed_total` and
/// `docket_jobs_failed_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedAt {
    /// PostgreSQL.
    Database,
    /// RabbitMQ.
    Broker,
}

impl FailedAt {
    fn label(self) -> &'static str {
        match self {
            FailedAt::Database => "database",
            FailedAt::Broker => "broker",
        }
    }
}

impl WorkerMetrics {
    /// A batch was recorded, its dead letters published and it is acknowledged: counts, batch
    /// size, commit and end-to-end latency, and each job's latency from its message's arrival.
    pub fn batch_acknowledged(
        &self,
        recorded: &BatchRecorded,
        dead_letters: &[DeadLetter],
        started: Instant,
        arrivals: &[(Instant, usize)],
    ) {
        self.jobs_received.inc_by(recorded.jobs as u64);
        for (d, n) in &recorded.completed {
            self.jobs_completed
                .with_label_values(&[d.as_str()])
                .inc_by(*n);
        }
        self.jobs_duplicate.inc_by(recorded.duplicates);
        for letter in dead_letters {
            self.jobs_dead_lettered
                .with_label_values(&[letter.kind])
                .inc();
        }
        self.batch_jobs.observe(recorded.jobs as f64);
        self.batch_commit_seconds.observe(recorded.commit_seconds);
        self.last_batch_timestamp_seconds
            .set(chrono::Utc::now().timestamp());
        self.batch_seconds.observe(started.elapsed().as_secs_f64());
        for (at, n) in arrivals {
            let seconds = at.elapsed().as_secs_f64();
            (0..*n).for_each(|_| self.job_seconds.observe(seconds));
        }
    }

    /// A batch failed at `stage`; with `returned`, that many jobs went back to the queue.
    pub fn batch_failed(&self, stage: FailedAt, returned: Option<usize>) {
        self.batches_failed
            .with_label_values(&[stage.label()])
            .inc();
        if let Some(n) = returned {
            self.jobs_failed
                .with_label_values(&[stage.label()])
                .inc_by(n as u64);
        }
    }

    /// Jobs received into a batch (`+n`) or settled (`-n`).
    pub fn in_flight(&self, delta: i64) {
        self.jobs_in_flight.add(delta);
    }

    /// Messages of a paused run moved to its parking queue.
    pub fn parked(&self, messages: usize) {
        self.messages_parked.inc_by(messages as u64);
    }

    /// Parked messages moved back to the work queue.
    pub fn released(&self, messages: u64) {
        self.messages_released.inc_by(messages);
    }

    /// Jobs of a cancelled run acknowledged without an outcome.
    pub fn cancelled(&self, jobs: u64) {
        self.jobs_cancelled.inc_by(jobs);
    }

    /// Large messages of throttled runs published again in pieces.
    pub fn split(&self, messages: u64) {
        self.messages_split.inc_by(messages);
    }

    /// A batch waits `seconds` for its throttled run's rate.
    pub fn throttle_waited(&self, seconds: f64) {
        self.throttle_wait_seconds.observe(seconds);
    }

    /// A consumer connected to the broker; it counts as gone when the guard is dropped.
    pub fn consumer_connected(&self) -> ConsumerConnected<'_> {
        self.consumers_connected.inc();
        ConsumerConnected(self)
    }
}

/// Counts a connected consumer while it lives (see [`WorkerMetrics::consumer_connected`]).
#[must_use = "the consumer counts as gone when this is dropped"]
pub struct ConsumerConnected<'a>(&'a WorkerMetrics);

impl Drop for ConsumerConnected<'_> {
    fn drop(&mut self) {
        self.0.consumers_connected.dec();
    }
}
