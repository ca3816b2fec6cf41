//! The worker: consumers that review jobs and record outcomes, supervised and restarted with backoff.
//!
//! A job's path: `consumer` gathers deliveries into a batch (`intake::receive` decodes each) and
//! hands it to `step::BatchStep::process`, which refreshes run states (`control`), splits large
//! messages of throttled runs (`split`), plans (`review::plan`, pure), charges throttled runs
//! (`control`), commits one transaction (`store::outcomes`, `offers`), and returns a verdict;
//! `consumer` then has `outlet` publish what must follow the commit and acknowledges.

mod consumer;
pub mod control;
mod feed;
pub mod intake;
mod offers;
mod outlet;
pub mod review;
pub mod runs;
mod split;
pub mod step;

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::queue::{self, QueueError, topology};
use crate::retry::Backoff;
use crate::store::StoreError;
use crate::telemetry::metrics::WorkerMetrics;

/// Worker errors.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// Broker failure.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// Database failure.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The broker cancelled the consumer or closed the channel.
    #[error("the consumer was cancelled by the broker or its channel closed")]
    ConsumerCancelled,
    /// Shutdown interrupted a batch before its transaction (a throttle wait): it was not
    /// recorded and goes back to the queue unacknowledged.
    #[error("shutdown interrupted the batch before it was recorded; it goes back to the queue")]
    Interrupted,
}

impl From<lapin::Error> for WorkerError {
    fn from(e: lapin::Error) -> Self {
        Self::Queue(QueueError::Amqp(e))
    }
}

/// A fault to inject, for tests of redelivery.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Close the channel after a batch's commit, before its ack.
    CloseChannelBeforeAck,
}

/// What the consumers share.
pub(crate) struct Shared {
    settings: Settings,
    pool: PgPool,
    name: String,
    metrics: WorkerMetrics,
    fault: Option<Fault>,
}

/// A worker process's consumers.
pub struct Worker {
    shared: Arc<Shared>,
}

impl Worker {
    /// A worker named `name` (recorded with each outcome).
    pub fn new(settings: Settings, pool: PgPool, name: String) -> Self {
        Self::with_fault(settings, pool, name, None)
    }

    #[doc(hidden)]
    pub fn with_fault(
        settings: Settings,
        pool: PgPool,
        name: String,
        fault: Option<Fault>,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                settings,
                pool,
                name,
                metrics: WorkerMetrics::new(),
                fault,
            }),
        }
    }

    /// The worker's metrics (live).
    pub fn metrics(&self) -> WorkerMetrics {
        self.shared.metrics.clone()
    }

    /// Declares the topology, then runs the consumers until `token` is cancelled. A consumer whose
    /// channel or connection fails is restarted with backoff.
    pub async fn run(&self, token: CancellationToken) -> Result<(), WorkerError> {
        let conn = queue::connect(&self.shared.settings.amqp, "worker").await?;
        let channel = conn.create_channel().await?;
        topology::declare(&channel, &self.shared.settings.amqp).await?;
        channel.close(200, "declared".into()).await.ok();
        conn.close(200, "declared".into()).await.ok();

        let mut tasks = JoinSet::new();
        let mut indexes = std::collections::HashMap::new();
        let spawn = |tasks: &mut JoinSet<()>, index: usize| {
            let shared = self.shared.clone();
            let token = token.clone();
            tasks
                .spawn(async move { supervise(shared, index, token).await })
                .id()
        };
        for index in 0..self.shared.settings.worker.consumers {
            indexes.insert(spawn(&mut tasks, index), index);
        }
        // A consumer that panicked is started again: its unacknowledged jobs went back to the
        // queue with its channel, and a message that keeps doing it reaches the delivery limit.
        while let Some(done) = tasks.join_next_with_id().await {
            if let Err(e) = done
                && e.is_panic()
                && !token.is_cancelled()
                && let Some(index) = indexes.remove(&e.id())
            {
                tracing::error!(consumer = index, "Consumer panicked; starting it again.");
                tokio::time::sleep(Duration::from_secs(1)).await;
                indexes.insert(spawn(&mut tasks, index), index);
            }
        }
        Ok(())
    }
}

/// Keeps one consumer running: its own connection, reopened with backoff after any failure.
async fn supervise(shared: Arc<Shared>, index: usize, token: CancellationToken) {
    let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(30));
    while !token.is_cancelled() {
        let mut connected = false;
        // Named after the worker (host:pid), so an operator can tell its connections apart.
        let role = format!("worker {}", shared.name);
        let outcome = match queue::connect(&shared.settings.amqp, &role).await {
            Ok(conn) => {
                let r = consumer::consume(&shared, &conn, index, &token, &mut connected).await;
                conn.close(200, "bye".into()).await.ok();
                r
            }
            Err(e) => Err(e.into()),
        };
        if connected {
            // It worked for a while: the next failure starts from a short delay again.
            backoff.reset();
        }
        match outcome {
            Ok(()) => break,
            Err(e) => {
                let wait = backoff.next_delay();
                tracing::warn!(consumer = index, error = %e, retry_in_ms = wait.as_millis() as u64, "Consumer stopped; restarting.");
                tokio::select! {
                    _ = token.cancelled() => break,
                    _ = tokio::time::sleep(wait) => {}
                }
            }
        }
    }
}

/// A name for this worker process: host and pid.
pub fn default_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{host}:{}", std::process::id())
}
