//! The legal status of a policy (rule-set name). Halting it (enjoined, vacated, rescinded,
//! superseded) pauses its active runs and holds its unsent notices in the same transaction;
//! making it active again resumes the runs it paused and releases the held notices.
//!
//! What depends on the status takes the policy's lock: a status change takes it exclusively for
//! its transaction ([`set`]); a transaction that makes offers or creates a run takes it shared
//! ([`lock_for_runs`], [`status_for_offers`]) before it reads the status. So a change that commits
//! concurrently is either seen or waits for that transaction to commit, and then applies to what
//! it wrote. An advisory lock rather than a row lock: a policy has no `policy_status` row until
//! its status is first set or it is declared from its rule-set file ([`declare`]).

use serde::Serialize;
use sqlx::{PgConnection, PgPool};

use super::StoreError;

/// Statuses a policy can have.
pub const POLICY_STATUSES: [&str; 5] = ["active", "enjoined", "vacated", "rescinded", "superseded"];

/// What a status change did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct PolicyChange {
    /// Rule-set name.
    pub rules_name: String,
    /// Status before (`active` when never set).
    pub from: String,
    /// Status after.
    pub to: String,
    /// Runs paused by this change.
    pub runs_paused: u64,
    /// Runs resumed by this change (those the policy had paused).
    pub runs_resumed: u64,
    /// Notices held (pending before).
    pub notices_held: u64,
    /// Notices released (pending again).
    pub notices_released: u64,
}

/// Sets the status of the policy `rules_name`, recording who and why, in one transaction.
pub async fn set(
    pool: &PgPool,
    rules_name: &str,
    status: &str,
    actor: &str,
    reason: &str,
) -> Result<PolicyChange, StoreError> {
    let mut tx = pool.begin().await?;
    let change = set_in(&mut tx, rules_name, status, actor, reason).await?;
    tx.commit().await?;
    Ok(change)
}

/// Makes a policy that no run uses yet known, at status `active` (nothing happens if it is known
/// already), so that its status can be set before its first run. The caller has read the rule
/// set that declares the name.
pub async fn declare(pool: &PgPool, rules_name: &str) -> Result<(), StoreError> {
    sqlx::query!(
        "INSERT INTO policy_status (rules_name, status, actor, reason) \
         VALUES ($1, 'active', 'docket', 'declared by its rule set') ON CONFLICT (rules_name) DO NOTHING",
        rules_name
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// [`set`] inside the caller's transaction, which holds the policy's lock exclusively until it
/// ends: offers and new runs of the policy wait for it.
pub async fn set_in(
    tx: &mut PgConnection,
    rules_name: &str,
    status: &str,
    actor: &str,
    reason: &str,
) -> Result<PolicyChange, StoreError> {
    if !POLICY_STATUSES.contains(&status) {
        return Err(StoreError::Refused(format!(
            "status: {status:?} is not a policy status (one of {})",
            POLICY_STATUSES.join(", ")
        )));
    }
    lock_known(&mut *tx, rules_name).await?;
    let from = record_status(&mut *tx, rules_name, status, actor, reason).await?;
    let why = format!("policy {rules_name} {status}: {reason}");
    let runs = move_runs(&mut *tx, rules_name, status, actor, &why).await?;
    let notices = move_notices(&mut *tx, rules_name, status).await?;
    let mut change = PolicyChange {
        rules_name: rules_name.to_string(),
        from,
        to: status.to_string(),
        ..PolicyChange::default()
    };
    if status == "active" {
        change.runs_resumed = runs;
        change.notices_released = notices;
    } else {
        change.runs_paused = runs;
        change.notices_held = notices;
    }
    Ok(change)
}

/// Takes the policy's lock exclusively for the rest of the transaction (the key
/// [`lock_for_runs`] takes shared), and refuses a policy no run uses that was never declared.
async fn lock_known(tx: &mut PgConnection, rules_name: &str) -> Result<(), StoreError> {
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtextextended('docket.policy_status:' || $1, 0))",
        rules_name
    )
    .execute(&mut *tx)
    .await?;
    // A name no run uses and never declared is most likely a typo: refuse it rather than record
    // the status of a policy that does not exist.
    let known = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM runs WHERE rules_name = $1)
               OR EXISTS (SELECT 1 FROM policy_status WHERE rules_name = $1) AS "known!""#,
        rules_name
    )
    .fetch_one(&mut *tx)
    .await?;
    if !known {
        return Err(StoreError::Refused(format!(
            "no run uses a rule set named {rules_name:?}; to set the status of a policy before \
             its first run, give the rule-set file that declares it (--rules-file)"
        )));
    }
    Ok(())
}

/// Stores the policy's new status and records the change; returns the status before (`active`
/// when never set).
async fn record_status(
    tx: &mut PgConnection,
    rules_name: &str,
    status: &str,
    actor: &str,
    reason: &str,
) -> Result<String, StoreError> {
    let from = sqlx::query_scalar!(
        "SELECT status FROM policy_status WHERE rules_name = $1 FOR UPDATE",
        rules_name
    )
    .fetch_optional(&mut *tx)
    .await?;
    let from = from.unwrap_or_else(|| "active".into());
    sqlx::query!(
        "INSERT INTO policy_status (rules_name, status, actor, reason) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (rules_name) DO UPDATE SET status = $2, actor = $3, reason = $4, changed_at = now()",
        rules_name,
        status,
        actor,
        reason
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO policy_status_changes (rules_name, from_status, to_status, actor, reason) \
         VALUES ($1, $2, $3, $4, $5)",
        rules_name,
        &from,
        status,
        actor,
        reason
    )
    .execute(&mut *tx)
    .await?;
    Ok(from)
}

/// Pauses the policy's active and throttled runs (a halt) or resumes the runs it paused
/// (`active`), recording each change with `why`; returns how many moved.
async fn move_runs(
    tx: &mut PgConnection,
    rules_name: &str,
    status: &str,
    actor: &str,
    why: &str,
) -> Result<u64, StoreError> {
    let (to, from_states, by_policy) = if status == "active" {
        ("active", vec!["paused"], true)
    } else {
        ("paused", vec!["active", "throttled"], false)
    };
    let moved = sqlx::query!(
        r#"UPDATE runs r SET state = $2, rate = NULL, state_changed_at = now(),
             paused_by_policy = ($2 = 'paused')
           FROM (SELECT id, state FROM runs WHERE rules_name = $1 AND state = ANY($3)
                 AND (NOT $4 OR paused_by_policy) FOR UPDATE) old
           WHERE r.id = old.id RETURNING r.id, old.state AS "old_state!""#,
        rules_name,
        to,
        &from_states as &[&str],
        by_policy
    )
    .fetch_all(&mut *tx)
    .await?;
    for m in &moved {
        super::run_state::record(&mut *tx, m.id, &m.old_state, to, None, actor, why).await?;
    }
    Ok(moved.len() as u64)
}

/// Holds the pending notices of the policy's runs (a halt) or releases the held ones (`active`);
/// returns how many.
async fn move_notices(
    tx: &mut PgConnection,
    rules_name: &str,
    status: &str,
) -> Result<u64, StoreError> {
    let (from_status, to_status) = if status == "active" {
        ("held", "pending")
    } else {
        ("pending", "held")
    };
    Ok(sqlx::query!(
        "UPDATE notifications SET status = $3, next_attempt_at = now() WHERE status = $2 \
         AND run_id IN (SELECT id FROM runs WHERE rules_name = $1)",
        rules_name,
        from_status,
        to_status
    )
    .execute(&mut *tx)
    .await?
    .rows_affected())
}

/// Takes, for the rest of the caller's transaction, the shared lock of the policy of each run of
/// `run_ids`: a status change waits until the transaction ends. Take it before reading any
/// status and before locking rows a status change also locks (`runs`).
pub async fn lock_for_runs(conn: &mut PgConnection, run_ids: &[i64]) -> Result<(), StoreError> {
    // The key is the one [`set_in`] takes exclusively.
    sqlx::query!(
        "SELECT pg_advisory_xact_lock_shared(hashtextextended('docket.policy_status:' || rules_name, 0)) \
         FROM (SELECT DISTINCT rules_name FROM runs WHERE id = ANY($1) ORDER BY rules_name) p",
        run_ids
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The status of a run's policy (`active` when never set), read in the caller's transaction
/// under the policy's shared lock: an Offer applied in this transaction cannot miss a halt that
/// commits meanwhile, and the halt holds the notices this transaction queues.
pub async fn status_for_offers(conn: &mut PgConnection, run_id: i64) -> Result<String, StoreError> {
    lock_for_runs(&mut *conn, &[run_id]).await?;
    let s = sqlx::query_scalar!(
        "SELECT p.status FROM runs r JOIN policy_status p USING (rules_name) WHERE r.id = $1",
        run_id
    )
    .fetch_optional(conn)
    .await?;
    Ok(s.unwrap_or_else(|| "active".into()))
}

/// A halted policy: its name, status and the reason given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Halt {
    /// Rule-set name.
    pub rules_name: String,
    /// `enjoined`, `vacated`, `rescinded` or `superseded`.
    pub status: String,
    /// Why, as given with the change.
    pub reason: String,
}

/// Puts a run just inserted in the caller's transaction into the state its policy's status implies,
/// under the policy's shared lock: under a halted policy it starts paused by the policy, as the
/// halt paused the runs that existed then (recorded as a change from `active`, by `actor`), so
/// making the policy active again resumes it. A halt committing meanwhile waits for this
/// transaction and then pauses the run itself. Returns the halt, if any.
pub async fn start_new_run(
    tx: &mut PgConnection,
    run_id: i64,
    actor: &str,
) -> Result<Option<Halt>, StoreError> {
    lock_for_runs(&mut *tx, &[run_id]).await?;
    let Some(halt) = halt_in(&mut *tx, run_id).await? else {
        return Ok(None);
    };
    sqlx::query!(
        "UPDATE runs SET state = 'paused', paused_by_policy = true, state_changed_at = now() \
         WHERE id = $1",
        run_id
    )
    .execute(&mut *tx)
    .await?;
    let why = format!(
        "policy {} {}: {}",
        halt.rules_name, halt.status, halt.reason
    );
    super::run_state::record(&mut *tx, run_id, "active", "paused", None, actor, &why).await?;
    Ok(Some(halt))
}

/// The halt of a run's policy, if its policy is halted.
pub async fn halt_of_run(pool: &PgPool, run_id: i64) -> Result<Option<Halt>, StoreError> {
    let mut conn = pool.acquire().await?;
    halt_in(&mut conn, run_id).await
}

async fn halt_in(conn: &mut PgConnection, run_id: i64) -> Result<Option<Halt>, StoreError> {
    Ok(sqlx::query_as!(
        Halt,
        "SELECT p.rules_name, p.status, p.reason FROM runs r JOIN policy_status p USING (rules_name) \
         WHERE r.id = $1 AND p.status <> 'active'",
        run_id
    )
    .fetch_optional(conn)
    .await?)
}

/// Cancels the held notices of a policy's runs (they will never be sent). Returns how many.
pub async fn cancel_held(pool: &PgPool, rules_name: &str, reason: &str) -> Result<u64, StoreError> {
    Ok(sqlx::query!(
        "UPDATE notifications SET status = 'cancelled', last_error = $2 WHERE status = 'held' \
         AND run_id IN (SELECT id FROM runs WHERE rules_name = $1)",
        rules_name,
        format!("cancelled by the operator: {reason}")
    )
    .execute(pool)
    .await?
    .rows_affected())
}
