//! Run control in a consumer: refresh the cached run states, release or drop what was parked when
//! a run is resumed or cancelled, park a batch's messages of paused runs, and wait out a
//! throttled run's rate before committing.

use std::collections::HashMap;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::review::{Plan, Received};
use super::runs::{Gate, RunCache};
use super::{Shared, WorkerError};
use crate::queue::parking;
use crate::queue::publish::Publisher;
use crate::store::{policy_status, run_state};

/// Refreshes the run states when stale; then releases the parked jobs of runs that are
/// reviewable again, and drops those of cancelled runs (one worker claims each).
pub async fn refresh(
    shared: &Shared,
    park: &Publisher,
    runs: &mut RunCache,
) -> Result<(), WorkerError> {
    if !runs.refresh_states(&shared.pool).await? {
        return Ok(());
    }
    let parked: Vec<(i64, String, Gate)> = runs
        .states()
        .values()
        .filter(|r| r.parked)
        .map(|r| (r.id, r.name.clone(), Gate::of(&r.state, r.rate)))
        .collect();
    for (id, name, gate) in parked {
        if gate == Gate::Park || !run_state::claim_parked(&shared.pool, id).await? {
            continue;
        }
        let amqp = &shared.settings.amqp;
        if gate == Gate::Drop {
            let n = parking::drop_queue(park.channel(), amqp, &name).await?;
            shared.metrics.jobs_cancelled.inc_by(u64::from(n));
            tracing::info!(run = %name, messages = n, "Cancelled run: parked jobs dropped.");
        } else {
            let n = parking::release(park.channel(), amqp, &name).await?;
            shared.metrics.messages_released.inc_by(n);
            tracing::info!(run = %name, messages = n, "Run resumed: parked jobs released.");
        }
    }
    Ok(())
}

/// Parks the batch's messages of paused runs (confirmed before the batch is acknowledged) and
/// flags the runs so the parked jobs are released on resume.
pub async fn park(
    shared: &Shared,
    park: &Publisher,
    runs: &RunCache,
    plan: &Plan,
    batch: &[Received],
) -> Result<(), WorkerError> {
    for (run, indexes) in &plan.parked {
        let bodies: Vec<&[u8]> = indexes.iter().map(|&i| batch[i].body.as_slice()).collect();
        // Flagged first: a crash after parking must not leave jobs parked unflagged.
        if let Some(row) = runs.states().get(run) {
            run_state::mark_parked(&shared.pool, row.id).await?;
        }
        parking::park(park.channel(), &shared.settings.amqp, run, &bodies).await?;
        shared.metrics.messages_parked.inc_by(bodies.len() as u64);
    }
    shared.metrics.jobs_cancelled.inc_by(plan.cancelled as u64);
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
) -> Result<bool, WorkerError> {
    let mut ids: Vec<i64> = plan.outcomes.iter().map(|o| o.run_id).collect();
    ids.sort_unstable();
    ids.dedup();
    policy_status::lock_for_runs(&mut *tx, &ids).await?;
    let halted: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, state FROM runs WHERE id = ANY($1) ORDER BY id FOR SHARE")
            .bind(&ids)
            .fetch_all(tx)
            .await
            .map_err(crate::store::StoreError::from)?;
    Ok(halted
        .iter()
        .all(|(_, state)| state != "paused" && state != "cancelled"))
}

/// A throttle wait this long holds the batch's deliveries unacknowledged for half of RabbitMQ's
/// default 30-minute consumer timeout: the worker warns. (Consumers hold only minutes of a
/// throttled run's rate and large messages are split to match, so it takes many worker
/// processes on one slow run to get there.)
pub const LONG_THROTTLE_WAIT_SECONDS: f64 = 900.0;

/// Cases a batch took from throttled runs' buckets: given back when the batch is not recorded.
#[must_use = "give the cases back if the batch is not recorded"]
#[derive(Debug, Default)]
pub struct Charged(Vec<(i64, usize)>);

impl Charged {
    /// Gives the cases back to their buckets (best effort: a bucket left in debt only slows the
    /// run down for a while).
    pub async fn give_back(self, shared: &Shared) {
        for (id, n) in self.0 {
            if let Err(e) = run_state::give_back_tokens(&shared.pool, id, n).await {
                tracing::warn!(run_id = id, error = %e, "Throttled cases not given back.");
            }
        }
    }
}

/// Takes the batch's cases of throttled runs from their buckets and sleeps out the longest debt,
/// so that all workers together stay under each run's rate; returns what it took. The sleep ends
/// early when `token` is cancelled (shutdown): the cases taken are given back to their buckets
/// and the batch fails with [`WorkerError::Interrupted`], to go back to the queue unacknowledged.
pub async fn throttle(
    shared: &Shared,
    runs: &RunCache,
    plan: &Plan,
    token: &CancellationToken,
) -> Result<Charged, WorkerError> {
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
    // Charged run by run, so a failure part-way gives back what was already taken.
    let mut charged = Charged::default();
    let mut wait = 0.0f64;
    for (id, n) in throttled {
        match run_state::take_tokens(&shared.pool, id, n).await {
            Ok(w) => {
                charged.0.push((id, n));
                wait = wait.max(w);
            }
            Err(e) => {
                charged.give_back(shared).await;
                return Err(e.into());
            }
        }
    }
    if wait >= LONG_THROTTLE_WAIT_SECONDS {
        tracing::warn!(
            wait_seconds = wait,
            "A throttled batch waits near RabbitMQ's consumer timeout: raise the rate or publish \
             fewer cases per message."
        );
    }
    if wait <= 0.0 {
        return Ok(charged);
    }
    shared.metrics.throttle_wait_seconds.observe(wait);
    tokio::select! {
        biased;
        _ = token.cancelled() => {}
        _ = tokio::time::sleep(Duration::from_secs_f64(wait)) => return Ok(charged),
    }
    charged.give_back(shared).await;
    tracing::info!(
        wait_seconds = wait,
        "Shutting down during a throttle wait: the batch goes back to the queue."
    );
    Err(WorkerError::Interrupted)
}
