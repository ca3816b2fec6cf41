//! The batch step: one function from a batch of received messages to what to do with them.
//!
//! In order: refresh the run states once, split large messages of slowly throttled runs, plan the
//! batch (pure: [`review::plan`]), charge and wait out throttled runs' rates, record it in one
//! transaction, and hand back the publishes that must follow the commit and precede the ack
//! ([`AfterCommit`], done by the broker side, `outlet`). The step itself talks only to the
//! database, so tests drive it without a broker.
//!
//! Whether a failure is transient or fatal is decided here, in [`classify`], and nowhere else.

use std::collections::HashMap;
use std::sync::Arc;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use super::WorkerError;
use super::control::{self, Release};
use super::review::{self, Plan, Received};
use super::runs::{LoadedRun, RunCache, RunLookup};
use super::split::{self, Splits};
use crate::config::WorkerSettings;
use crate::domain::DeadLetter;
use crate::store::{StoreError, outcomes};
use crate::telemetry::batch::BatchRecorded;
use crate::telemetry::metrics::WorkerMetrics;

/// Re-plans allowed when run states keep changing between the plan and the commit.
const MAX_REPLANS: usize = 3;

/// What to do with every message of the batch (they are acknowledged or returned together).
#[derive(Debug)]
pub enum Disposition {
    /// Recorded (or nothing to record): do [`Verdict::after`], then acknowledge the batch.
    Acknowledge,
    /// A database failure that waiting will not cure: return the batch to the queue (each return
    /// counts towards the delivery limit).
    Requeue(StoreError),
    /// The database is unavailable for now: keep the batch unacknowledged (a return would count
    /// towards the delivery limit) and run the step again after a backoff.
    RetryInPlace(StoreError),
    /// Shutdown came first: not recorded; the batch goes back with the channel.
    Interrupted,
}

/// The publishes a recorded batch needs before its ack, in the order they must happen.
#[derive(Debug, Default)]
pub struct AfterCommit {
    /// Pieces of split messages, to the jobs exchange.
    pub pieces: Vec<Vec<u8>>,
    /// Messages split into those pieces.
    pub split: usize,
    /// Messages of paused runs to park, by run name (indexes in the batch); their runs are
    /// already flagged.
    pub parked: HashMap<String, Vec<usize>>,
    /// Jobs of cancelled runs, acknowledged without an outcome (counted only).
    pub cancelled: usize,
    /// Refused messages and jobs.
    pub dead_letters: Vec<DeadLetter>,
    /// What the commit recorded, for the metrics once the batch is acknowledged.
    pub recorded: BatchRecorded,
}

/// The step's answer.
#[derive(Debug)]
pub struct Verdict {
    /// What to do with the batch.
    pub disposition: Disposition,
    /// Parked messages this worker claimed while refreshing the run states: to release or drop
    /// whatever the disposition.
    pub releases: Vec<Release>,
    /// The publishes before the ack (empty unless the disposition is `Acknowledge`).
    pub after: AfterCommit,
}

/// The batch step of one consumer: the database, the worker's settings, name and metrics.
pub struct BatchStep<'a> {
    /// Database pool.
    pub pool: &'a PgPool,
    /// Batch, prefetch and consumer settings (for splitting).
    pub settings: &'a WorkerSettings,
    /// Worker name, recorded with each outcome.
    pub name: &'a str,
    /// The worker's metrics.
    pub metrics: &'a WorkerMetrics,
}

impl BatchStep<'_> {
    /// Runs the step over `batch` (never empty). `runs` is the consumer's run cache.
    pub async fn process(
        &self,
        runs: &mut RunCache,
        batch: &[Received],
        token: &CancellationToken,
    ) -> Verdict {
        let jobs: usize = batch.iter().map(Received::job_count).sum();
        let span = tracing::debug_span!(
            "batch",
            messages = batch.len(),
            jobs,
            runs = tracing::field::Empty
        );
        async {
            let releases = match control::refresh(self.pool, runs).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "Run states not refreshed.");
                    Vec::new()
                }
            };
            let splits = split::plan(batch, runs, self.settings);
            let (disposition, after) = match self.record(runs, batch, splits, token).await {
                Ok(after) => (Disposition::Acknowledge, after),
                Err(e) => (classify(e, token), AfterCommit::default()),
            };
            Verdict {
                disposition,
                releases,
                after,
            }
        }
        .instrument(span)
        .await
    }

    /// Plans, throttles and commits the batch; plans again (a few times at most) when a run of
    /// the batch was paused or cancelled between the plan and the commit.
    async fn record(
        &self,
        runs: &mut RunCache,
        batch: &[Received],
        splits: Splits,
        token: &CancellationToken,
    ) -> Result<AfterCommit, WorkerError> {
        let mut replans = 0;
        let (plan, inserted, commit_seconds) = loop {
            let loaded = self.load_runs(runs, batch).await?;
            let mut names: Vec<&str> = loaded.keys().map(String::as_str).collect();
            names.sort_unstable();
            tracing::Span::current().record("runs", names.join(","));
            let plan = review::plan(batch, &loaded, |run| runs.gate(run), &splits.messages);
            let charged = control::charge(self.pool, runs, &plan).await?;
            let started = std::time::Instant::now();
            let empty = plan.outcomes.is_empty();
            let attempt = match charged.wait(self.metrics, token).await {
                Ok(()) => self.commit(&plan).await,
                Err(e) => Err(e),
            };
            // Not recorded: the cases taken from throttled runs' buckets go back, so a re-plan
            // or a retry of the batch does not charge them twice.
            if !matches!(attempt, Ok(Some(_))) {
                charged.give_back(self.pool).await;
            }
            match attempt? {
                Some(inserted) if empty => break (plan, inserted, 0.0),
                Some(inserted) => break (plan, inserted, started.elapsed().as_secs_f64()),
                None => {
                    runs.invalidate_states();
                    replans += 1;
                    if replans > MAX_REPLANS {
                        return Err(StoreError::Refused("run states keep changing".into()).into());
                    }
                }
            }
        };
        control::mark_parked(self.pool, runs, &plan).await?;
        Ok(after_commit(batch, plan, splits, &inserted, commit_seconds))
    }

    /// The batch's runs, by name, from the cache or the database.
    async fn load_runs(
        &self,
        runs: &mut RunCache,
        batch: &[Received],
    ) -> Result<HashMap<String, Result<Arc<LoadedRun>, RunLookup>>, StoreError> {
        let mut loaded = HashMap::new();
        for msg in batch {
            if let Ok(m) = &msg.decoded
                && !loaded.contains_key(&m.run_id)
            {
                let run = runs.get(self.pool, &m.run_id).await?;
                loaded.insert(m.run_id.clone(), run);
            }
        }
        Ok(loaded)
    }

    /// One transaction: the runs still reviewable (`None` when one was paused or cancelled
    /// meanwhile), new cases of open runs, the outcomes, the offers they open. The outcomes
    /// are inserted as if none were recorded yet, the usual case and the cheaper statement;
    /// should one be (a redelivery), the transaction is rolled back and made again, leaving
    /// the recorded outcomes as they are.
    async fn commit(&self, plan: &Plan) -> Result<Option<outcomes::Inserted>, WorkerError> {
        if plan.outcomes.is_empty() {
            return Ok(Some(outcomes::Inserted::default()));
        }
        match self.commit_as(plan, outcomes::Existing::Fail).await {
            Err(WorkerError::Store(e)) if outcomes::already_recorded(&e) => {
                self.commit_as(plan, outcomes::Existing::Skip).await
            }
            attempt => attempt,
        }
    }

    /// [`Self::commit`]'s transaction, with `existing` for the outcomes already recorded.
    async fn commit_as(
        &self,
        plan: &Plan,
        existing: outcomes::Existing,
    ) -> Result<Option<outcomes::Inserted>, WorkerError> {
        let mut tx = self.pool.begin().await.map_err(StoreError::from)?;
        if !control::still_reviewable(&mut tx, plan).await? {
            tx.rollback().await.ok();
            return Ok(None);
        }
        for (run_id, cases) in &plan.joining {
            outcomes::join_open_run(&mut tx, *run_id, cases).await?;
        }
        let inserted = outcomes::insert_batch(&mut tx, &plan.outcomes, self.name, existing).await?;
        super::offers::open(&mut tx, plan, &inserted, self.name).await?;
        tx.commit().await.map_err(StoreError::from)?;
        Ok(Some(inserted))
    }
}

/// What must follow the commit: the split pieces, the parked messages, the dead letters (the
/// plan's and the jobs the database refused), and the counts for the metrics.
fn after_commit(
    batch: &[Received],
    mut plan: Plan,
    splits: Splits,
    inserted: &outcomes::Inserted,
    commit_seconds: f64,
) -> AfterCommit {
    let refused = review::refused_letters(batch, &plan, &inserted.refused);
    plan.dead_letters.extend(refused);
    let duplicates = (plan.outcomes.len() as u64)
        .saturating_sub(inserted.total() + inserted.refused.len() as u64);
    AfterCommit {
        split: splits.messages.len(),
        pieces: splits.pieces,
        parked: std::mem::take(&mut plan.parked),
        cancelled: plan.cancelled,
        recorded: BatchRecorded {
            jobs: plan.jobs,
            completed: inserted.counts.iter().map(|(_, d, n)| (*d, *n)).collect(),
            duplicates,
            commit_seconds,
        },
        dead_letters: plan.dead_letters,
    }
}

/// Transient or fatal, decided once: shutdown wins; a database that is down or restarting is
/// waited out in place; any other database failure returns the batch to the queue.
pub fn classify(e: WorkerError, token: &CancellationToken) -> Disposition {
    match e {
        WorkerError::Interrupted => Disposition::Interrupted,
        _ if token.is_cancelled() => Disposition::Interrupted,
        WorkerError::Store(e) if e.is_transient() => Disposition::RetryInPlace(e),
        WorkerError::Store(e) => Disposition::Requeue(e),
        // The step does no broker work; should a broker error reach here, returning the batch
        // is the safe answer.
        other => Disposition::Requeue(StoreError::Refused(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::{Disposition, classify};
    use crate::store::StoreError;
    use crate::worker::WorkerError;
    use tokio_util::sync::CancellationToken;

    fn unreachable() -> WorkerError {
        WorkerError::Store(StoreError::Unreachable {
            url: "postgres://db".into(),
            cause: "refused".into(),
        })
    }

    #[test]
    fn an_unreachable_database_is_retried_in_place_and_other_failures_requeue() {
        let token = CancellationToken::new();
        assert!(matches!(
            classify(unreachable(), &token),
            Disposition::RetryInPlace(_)
        ));
        let refused = WorkerError::Store(StoreError::Refused("no".into()));
        assert!(matches!(classify(refused, &token), Disposition::Requeue(_)));
    }

    #[test]
    fn shutdown_wins_over_any_failure() {
        let token = CancellationToken::new();
        assert!(matches!(
            classify(WorkerError::Interrupted, &token),
            Disposition::Interrupted
        ));
        token.cancel();
        assert!(matches!(
            classify(unreachable(), &token),
            Disposition::Interrupted
        ));
    }
}
