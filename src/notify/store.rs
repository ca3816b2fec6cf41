//! Outbox queries: claim due rows, record what happened to them, and count them.
//!
//! Claims take row locks with `FOR UPDATE SKIP LOCKED` inside the caller's transaction, so
//! concurrent relays never hold the same row, and a relay that dies before its commit releases
//! its rows, still `pending`, to the next one.

use std::time::Duration;

use sqlx::{PgConnection, PgPool};

use crate::store::StoreError;

/// A claimed outbox row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    /// Row id.
    pub id: i64,
    /// Idempotency key.
    pub idempotency_key: String,
    /// Case id, for logs.
    pub case_id: String,
    /// `email` or `letter`.
    pub channel: String,
    /// Attempts before this one.
    pub attempts: i32,
    /// The notice payload (PII: never logged).
    pub payload: serde_json::Value,
}

/// Locks up to `limit` due rows (`pending`, `next_attempt_at <= now()`), oldest first, skipping
/// rows another relay holds. `held` rows are never claimed, nor rows of a run whose policy is
/// halted (a notice queued after the halt waits for the policy, as the held ones do).
pub async fn claim(conn: &mut PgConnection, limit: u32) -> Result<Vec<Claimed>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT id, idempotency_key, case_id, channel, attempts, payload FROM notifications \
         WHERE status = 'pending' AND next_attempt_at <= now() \
         AND NOT EXISTS (SELECT 1 FROM runs r JOIN policy_status p USING (rules_name) \
           WHERE r.id = notifications.run_id AND p.status <> 'active') \
         ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?)
}

/// Marks a row sent.
pub async fn mark_sent(conn: &mut PgConnection, id: i64) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE notifications SET status = 'sent', sent_at = now(), attempts = attempts + 1, \
         last_error = NULL WHERE id = $1",
    )
    .bind(id)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records a transient failure and when to try again.
pub async fn mark_retry(
    conn: &mut PgConnection,
    id: i64,
    delay: Duration,
    error: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE notifications SET attempts = attempts + 1, last_error = $2, \
         next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .bind(delay.as_secs_f64())
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a row failed for good.
pub async fn mark_failed(conn: &mut PgConnection, id: i64, error: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE notifications SET status = 'failed', attempts = attempts + 1, last_error = $2 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(error)
    .execute(conn)
    .await?;
    Ok(())
}

/// Holds a row for a person, with the reason (`held` rows are never claimed). The attempt is
/// counted; `last_error` says why, for `docket status` and `docket notices held`.
pub async fn mark_held(conn: &mut PgConnection, id: i64, reason: &str) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE notifications SET status = 'held', attempts = attempts + 1, last_error = $2 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(format!("held: {reason}"))
    .execute(conn)
    .await?;
    Ok(())
}

/// Pending rows per channel, all runs together (for the gauge).
pub async fn pending_by_channel(pool: &PgPool) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT channel, count(*) FROM notifications WHERE status = 'pending' GROUP BY channel",
    )
    .fetch_all(pool)
    .await?)
}

/// Rows of a run in one (channel, status).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct StatusCount {
    /// `email` or `letter`.
    pub channel: String,
    /// `pending`, `sent`, `failed` or `held`.
    pub status: String,
    /// Rows.
    pub count: i64,
}

/// Outbox rows of a run per (channel, status), sorted, for `docket status`.
pub async fn counts(pool: &PgPool, run_id: i64) -> Result<Vec<StatusCount>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT channel, status, count(*) AS count FROM notifications WHERE run_id = $1 \
         GROUP BY channel, status ORDER BY channel, status",
    )
    .bind(run_id)
    .fetch_all(pool)
    .await?)
}

/// A notice held for a person: what it is and why, never whom it is for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow)]
pub struct HeldNotice {
    /// Run name.
    pub run: String,
    /// Case id.
    pub case_id: String,
    /// Idempotency key.
    pub key: String,
    /// Notice kind.
    pub kind: String,
    /// `email` or `letter`.
    pub channel: String,
    /// Why it is held (`held: addressee_name: no font covers character U+0F56`, or the policy's
    /// halt when its `last_error` is empty).
    pub reason: Option<String>,
}

/// Held notices, oldest first, of one run (by name) or of all.
pub async fn held(pool: &PgPool, run: Option<&str>) -> Result<Vec<HeldNotice>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT r.name AS run, n.case_id, n.idempotency_key AS key, n.kind, n.channel, \
         n.last_error AS reason FROM notifications n JOIN runs r ON r.id = n.run_id \
         WHERE n.status = 'held' AND ($1::text IS NULL OR r.name = $1) ORDER BY n.id",
    )
    .bind(run)
    .fetch_all(pool)
    .await?)
}
