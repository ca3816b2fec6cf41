//! Run control in PostgreSQL: a run's state and its history, the token bucket of a throttled run,
//! and the status of a policy, which pauses its runs and holds its notices while halted.

use serde::Serialize;
use sqlx::PgPool;

use super::StoreError;

/// States a run can be in, as the `runs.state` CHECK lists them.
pub const RUN_STATES: [&str; 5] = ["active", "paused", "throttled", "cancelled", "completed"];

/// A requested change of a run's state.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    /// `active` (resume), `paused`, `throttled` or `cancelled`.
    pub state: &'a str,
    /// Cases per second, for `throttled`.
    pub rate: Option<f64>,
    /// Who.
    pub actor: &'a str,
    /// Why.
    pub reason: &'a str,
}

/// A change as recorded.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Changed {
    /// Run name.
    pub run: String,
    /// State before.
    pub from: String,
    /// State after.
    pub to: String,
    /// Rate after, when throttled.
    pub rate: Option<f64>,
}

/// A run's current state, as the workers and enqueue cache it.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow, Serialize)]
pub struct RunStateRow {
    /// Run id.
    pub id: i64,
    /// Run name.
    pub name: String,
    /// One of [`RUN_STATES`].
    pub state: String,
    /// Cases per second when throttled.
    pub rate: Option<f64>,
    /// Seconds since the last change of state.
    pub seconds_in_state: f64,
    /// A worker parked jobs of this run.
    pub parked: bool,
}

/// Changes a run's state and records who, when and why, in one transaction. A cancelled or
/// completed run stays so; a run whose policy is halted cannot be resumed or throttled.
pub async fn set(pool: &PgPool, run: &str, c: &Change<'_>) -> Result<Changed, StoreError> {
    if !["active", "paused", "throttled", "cancelled"].contains(&c.state) {
        return Err(StoreError::Refused(format!(
            "{:?} is not a state one can set",
            c.state
        )));
    }
    if c.state == "throttled" && !c.rate.is_some_and(|r| r > 0.0 && r.is_finite()) {
        return Err(StoreError::Refused("throttled needs a rate above 0".into()));
    }
    let mut tx = pool.begin().await?;
    let row = sqlx::query!(
        r#"SELECT r.id, r.state, p.status AS "status?"
           FROM runs r LEFT JOIN policy_status p USING (rules_name)
           WHERE r.name = $1 FOR UPDATE OF r"#,
        run
    )
    .fetch_optional(&mut *tx)
    .await?;
    let row = row.ok_or_else(|| StoreError::UnknownRun(run.to_string()))?;
    let (id, from, policy) = (row.id, row.state, row.status);
    if from == "cancelled" || from == "completed" {
        return Err(StoreError::Refused(format!(
            "run {run} is {from}; it cannot change"
        )));
    }
    if let Some(p) = policy.filter(|p| p != "active")
        && (c.state == "active" || c.state == "throttled")
    {
        return Err(StoreError::Refused(format!(
            "the policy of run {run} is {p}; make it active before resuming"
        )));
    }
    let rate = (c.state == "throttled").then_some(c.rate).flatten();
    sqlx::query!(
        "UPDATE runs SET state = $2, rate = $3, state_changed_at = now(), paused_by_policy = false, \
         bucket_tokens = 0, bucket_at = now() WHERE id = $1",
        id,
        c.state,
        rate
    )
    .execute(&mut *tx)
    .await?;
    record(&mut tx, id, &from, c.state, rate, c.actor, c.reason).await?;
    tx.commit().await?;
    Ok(Changed {
        run: run.to_string(),
        from,
        to: c.state.to_string(),
        rate,
    })
}

/// Records a change. `at` is the clock when the run's row is locked, not the transaction's start:
/// a batch that committed while the change waited for the lock is before it, as it should be.
pub(super) async fn record(
    tx: &mut sqlx::PgConnection,
    run_id: i64,
    from: &str,
    to: &str,
    rate: Option<f64>,
    actor: &str,
    reason: &str,
) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO run_state_changes (run_id, from_state, to_state, rate, actor, reason, at) \
         VALUES ($1, $2, $3, $4, $5, $6, clock_timestamp())",
        run_id,
        from,
        to,
        rate,
        actor,
        reason
    )
    .execute(tx)
    .await?;
    Ok(())
}

/// Every run's state (one cheap query; workers call it about once a second).
pub async fn all(pool: &PgPool) -> Result<Vec<RunStateRow>, StoreError> {
    Ok(sqlx::query_as!(
        RunStateRow,
        r#"SELECT id, name, state, rate,
                  extract(epoch FROM now() - state_changed_at)::float8 AS "seconds_in_state!",
                  parked
           FROM runs ORDER BY id"#
    )
    .fetch_all(pool)
    .await?)
}

/// Takes `n` cases from a throttled run's bucket, refilled at its rate since the last take and
/// never above zero, in one UPDATE. Returns the seconds to wait before using them (the debt over
/// the rate), 0 when the run is not throttled.
pub async fn take_tokens(pool: &PgPool, run_id: i64, n: usize) -> Result<f64, StoreError> {
    let debt = sqlx::query_scalar!(
        "UPDATE runs SET bucket_tokens = LEAST(0, bucket_tokens + rate * \
           extract(epoch FROM clock_timestamp() - bucket_at)) - $2, bucket_at = clock_timestamp() \
         WHERE id = $1 AND state = 'throttled' RETURNING -bucket_tokens / rate AS \"debt!\"",
        run_id,
        n as f64
    )
    .fetch_optional(pool)
    .await?;
    Ok(debt.unwrap_or(0.0).max(0.0))
}

/// Gives `n` cases back to a throttled run's bucket (never above zero): a batch that took them
/// was not recorded after all.
pub async fn give_back_tokens(pool: &PgPool, run_id: i64, n: usize) -> Result<(), StoreError> {
    sqlx::query!(
        "UPDATE runs SET bucket_tokens = LEAST(0, bucket_tokens + $2) \
         WHERE id = $1 AND state = 'throttled'",
        run_id,
        n as f64
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Marks `completed` the active or throttled runs whose every case has an outcome. Reads the
/// runs' counters (see [`super::counts`]), never their outcomes, and folds old counter rows.
/// It gathers no statistics, so a `status` stays fast: `serve` does, in the background
/// ([`super::partitions::analyze_completed`]).
pub async fn complete_finished(pool: &PgPool) -> Result<u64, StoreError> {
    super::counts::fold(pool).await?;
    let mut tx = pool.begin().await?;
    let done = sqlx::query!(
        r#"UPDATE runs r SET state = 'completed', rate = NULL, state_changed_at = now()
           FROM (SELECT id, state, total_cases + (SELECT count(*) FROM run_cases j
                                                  WHERE j.run_id = runs.id AND j.seq < 0) AS members
                 FROM runs WHERE state IN ('active', 'throttled') FOR UPDATE) old
           WHERE r.id = old.id AND old.members > 0
             AND (SELECT coalesce(sum(n), 0) FROM run_counts c
                  WHERE c.run_id = r.id AND c.kind = 'decision') >= old.members
           RETURNING r.id, old.state AS "old_state!""#
    )
    .fetch_all(&mut *tx)
    .await?;
    for d in &done {
        record(
            &mut tx,
            d.id,
            &d.old_state,
            "completed",
            None,
            "docket",
            "every case reviewed",
        )
        .await?;
    }
    tx.commit().await?;
    Ok(done.len() as u64)
}

/// Records that jobs of the run were parked.
pub async fn mark_parked(pool: &PgPool, run_id: i64) -> Result<(), StoreError> {
    sqlx::query!(
        "UPDATE runs SET parked = true WHERE id = $1 AND NOT parked",
        run_id
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Claims the release of a run's parked jobs: true for exactly one caller after they were parked.
pub async fn claim_parked(pool: &PgPool, run_id: i64) -> Result<bool, StoreError> {
    Ok(sqlx::query!(
        "UPDATE runs SET parked = false WHERE id = $1 AND parked",
        run_id
    )
    .execute(pool)
    .await?
    .rows_affected()
        == 1)
}

/// The states of runs `ids`, read under a share lock held until the caller's transaction ends:
/// a state change committed before cannot be missed, and one requested now waits.
pub async fn lock_states(
    conn: &mut sqlx::PgConnection,
    ids: &[i64],
) -> Result<Vec<(i64, String)>, StoreError> {
    Ok(sqlx::query!(
        "SELECT id, state FROM runs WHERE id = ANY($1) ORDER BY id FOR SHARE",
        ids
    )
    .fetch_all(conn)
    .await?
    .into_iter()
    .map(|r| (r.id, r.state))
    .collect())
}
