//! Run control in the batch step, database side: refresh the cached run states and claim what
//! was parked when a run is resumed or cancelled, flag runs whose messages are parked, check the
//! runs are still reviewable inside the batch's transaction, and charge and wait out a throttled
//! run's rate before committing. The broker side (moving parked messages) is in `outlet`.

use std::collections::HashMap;
use std::time::Duration;

use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::WorkerError;
use super::review::Plan;
use super::runs::{Gate, RunCache};
use crate::store::{StoreError, policy_status, run_state};
use crate::telemetry::metrics::WorkerMetrics;

/// What to do with a run's parked messages, claimed by this worker (only one worker claims each).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Release {
    /// The run is reviewable again: move its parked messages back to the work queue.
    Resume(String),
    /// The run was cancelled: delete its parking queue.
    Drop(String),
}

/// Refreshes the run states when stale; then claims the parked messages of runs that are
/// reviewable again or cancelled, for the broker side to release or drop
/// ([`super::outlet::Outlet::release`]).
pub async fn refresh(pool: &PgPool, runs: &mut RunCache) -> Result<Vec<Release>, StoreError> {
    if !runs.refresh_states(pool).await? {
        return Ok(Vec::new());
    }
    let parked: Vec<(i64, String, Gate)> = runs
        .states()
        .values()
        .filter(|r| r.parked)
        .map(|r| (r.id, r.name.clone(), Gate::of(&r.state, r.rate)))
        .collect();
    let mut claimed = Vec::new();
    for (id, name, gate) in parked {
        if gate == Gate::Park || !run_state::claim_parked(pool, id).await? {
            continue;
        }
        claimed.push(if gate == Gate::Drop {
            Release::Drop(name)
        } else {
            Release::Resume(name)
        });
    }
    Ok(claimed)
}

/// Flags the runs whose messages the batch parks, before they are parked: a crash after parking
/// must not leave jobs parked unflagged (they are released on resume only when flagged).
pub async fn mark_parked(pool: &PgPool, runs: &RunCache, plan: &Plan) -> Result<(), StoreError> {
    for run in plan.parked.keys() {
        if let Some(row) = runs.states().get(run) {
            run_state::mark_parked(pool, row.id).await?;
        }
    }
    Ok(())
}

/// Whether every run with outcomes in the plan is still reviewable, read in the batch's
/// transaction under a share lock: a pause or cancel committed before this cannot be missed, and
/// one requested now waits for this commit. One query per batch, not per message. First it takes
/// the shared lock of the runs' policies, so a policy status change also waits for this commit
/// (and holds the notices it queued), or commits first and is seen by the offers of this batch.
pub async fn still_reviewable(
    tx: &mut sqlx::PgConnection,
    plan: &Plan,
) -> Result<bool, StoreError> {
    let mut ids: Vec<i64> = plan.outcomes.iter().map(|o| o.run_id).collect();
    ids.sort_unstable();
    ids.dedup();
    policy_status::lock_for_runs(&mut *tx, &ids).await?;
    let states = run_state::lock_states(tx, &ids).await?;
    Ok(states
        .iter()
        .all(|(_, state)| state != "paused" && state != "cancelled"))
}

/// A throttle wait this long holds the batch's deliveries unacknowledged for half of RabbitMQ's
/// default 30-minute consumer timeout: the worker warns. (Consumers hold only minutes of a
/// throttled run's rate and large messages are split to match, so it takes many worker
/// processes on one slow run to get there.)
pub const LONG_THROTTLE_WAIT_SECONDS: f64 = 900.0;

/// Cases a batch took from throttled runs' buckets, and the longest debt to wait out: given back
/// when the batch is not recorded.
#[must_use = "give the cases back if the batch is not recorded"]
#[derive(Debug, Default)]
pub struct Charged {
    taken: Vec<(i64, usize)>,
    wait_seconds: f64,
}

impl Charged {
    /// Gives the cases back to their buckets (best effort: a bucket left in debt only slows the
    /// run down for a while).
    pub async fn give_back(self, pool: &PgPool) {
        for (id, n) in self.taken {
            if let Err(e) = run_state::give_back_tokens(pool, id, n).await {
                tracing::warn!(run_id = id, error = %e, "Throttled cases not given back.");
            }
        }
    }

    /// Sleeps out the debt, so that all workers together stay under each run's rate. The sleep
    /// ends early when `token` is cancelled (shutdown): the batch then fails with
    /// [`WorkerError::Interrupted`], to go back to the queue unacknowledged.
    pub async fn wait(
        &self,
        metrics: &WorkerMetrics,
        token: &CancellationToken,
    ) -> Result<(), WorkerError> {
        let wait = self.wait_seconds;
        if wait >= LONG_THROTTLE_WAIT_SECONDS {
            tracing::warn!(
                wait_seconds = wait,
                "A throttled batch waits near RabbitMQ's consumer timeout: raise the rate or \
                 publish fewer cases per message."
            );
        }
        if wait <= 0.0 {
            return Ok(());
        }
        metrics.throttle_waited(wait);
        tokio::select! {
            biased;
            _ = token.cancelled() => {}
            _ = tokio::time::sleep(Duration::from_secs_f64(wait)) => return Ok(()),
        }
        tracing::info!(
            wait_seconds = wait,
            "Shutting down during a throttle wait: the batch goes back to the queue."
        );
        Err(WorkerError::Interrupted)
    }
}

/// Takes the batch's cases of throttled runs from their buckets; returns what it took and how
/// long to wait. Charged run by run, so a failure part-way gives back what was already taken.
pub async fn charge(pool: &PgPool, runs: &RunCache, plan: &Plan) -> Result<Charged, StoreError> {
    let mut per_run: HashMap<i64, usize> = HashMap::new();
    for o in &plan.outcomes {
        *per_run.entry(o.run_id).or_default() += 1;
    }
    let throttled: Vec<(i64, usize)> = runs
        .states()
        .values()
        .filter(|r| matches!(Gate::of(&r.state, r.rate), Gate::Throttle(_)))
        .filter_map(|r| per_run.get(&r.id).map(|n| (r.id, *n)))
        .collect();
    let mut charged = Charged::default();
    for (id, n) in throttled {
        match run_state::take_tokens(pool, id, n).await {
            Ok(w) => {
                charged.taken.push((id, n));
                charged.wait_seconds = charged.wait_seconds.max(w);
            }
            Err(e) => {
                charged.give_back(pool).await;
                return Err(e);
            }
        }
    }
    Ok(charged)
}
