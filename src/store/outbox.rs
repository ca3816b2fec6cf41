//! The notification outbox, its one owner: writing notices inside the transaction of the
//! transition they report, and the relay's side (claim due rows, record what happened to them,
//! count them).
//!
//! Claims take row locks with `FOR UPDATE SKIP LOCKED` inside the caller's transaction, so
//! concurrent relays never hold the same row, and a relay that dies before its commit releases
//! its rows, still `pending`, to the next one.

use std::time::Duration;

use sqlx::{PgConnection, PgPool};

use super::StoreError;
use crate::domain::{PlannedNotice, idempotency_key};

/// A notice to queue for a transition.
pub struct Queued<'a> {
    /// Run id.
    pub run_id: i64,
    /// Case id.
    pub case_id: &'a str,
    /// The transition it reports.
    pub transition_id: i64,
    /// Recipient, channel and payload.
    pub notice: &'a PlannedNotice,
}

/// Inserts the notices; a key already queued is left as it is. Returns how many were new.
pub async fn queue(conn: &mut PgConnection, items: &[Queued<'_>]) -> Result<u64, StoreError> {
    if items.is_empty() {
        return Ok(0);
    }
    let n = items.len();
    let (mut keys, mut runs, mut cases, mut transitions) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut kinds, mut recipients, mut channels, mut languages, mut payloads) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for q in items {
        keys.push(idempotency_key(
            q.run_id,
            q.case_id,
            q.transition_id,
            q.notice,
        ));
        runs.push(q.run_id);
        cases.push(q.case_id);
        transitions.push(q.transition_id);
        kinds.push(q.notice.payload.kind.as_str());
        recipients.push(q.notice.recipient.as_str());
        channels.push(q.notice.channel.as_str());
        languages.push(q.notice.payload.language.as_str());
        payloads.push(serde_json::to_string(&q.notice.payload).expect("payload serializes"));
    }
    let done = sqlx::query!(
        r#"
        INSERT INTO notifications (idempotency_key, run_id, case_id, transition_id, kind, recipient,
                                   channel, language, payload)
        SELECT t.key, t.run_id, t.case_id, t.transition_id, t.kind, t.recipient, t.channel,
               t.language, t.payload::jsonb
        FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[],
                    $7::text[], $8::text[], $9::text[])
             AS t(key, run_id, case_id, transition_id, kind, recipient, channel, language, payload)
        ON CONFLICT (idempotency_key) DO NOTHING
        "#,
        &keys,
        &runs,
        &cases as &[&str],
        &transitions,
        &kinds as &[&str],
        &recipients as &[&str],
        &channels as &[&str],
        &languages as &[&str],
        &payloads
    )
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}

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
    Ok(sqlx::query_as!(
        Claimed,
        "SELECT id, idempotency_key, case_id, channel, attempts, payload FROM notifications \
         WHERE status = 'pending' AND next_attempt_at <= now() \
         AND NOT EXISTS (SELECT 1 FROM runs r JOIN policy_status p USING (rules_name) \
           WHERE r.id = notifications.run_id AND p.status <> 'active') \
         ORDER BY next_attempt_at, id LIMIT $1 FOR UPDATE SKIP LOCKED",
        i64::from(limit)
    )
    .fetch_all(conn)
    .await?)
}

/// Marks a row sent.
pub async fn mark_sent(conn: &mut PgConnection, id: i64) -> Result<(), StoreError> {
    sqlx::query!(
        "UPDATE notifications SET status = 'sent', sent_at = now(), attempts = attempts + 1, \
         last_error = NULL WHERE id = $1",
        id
    )
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
    sqlx::query!(
        "UPDATE notifications SET attempts = attempts + 1, last_error = $2, \
         next_attempt_at = now() + make_interval(secs => $3) WHERE id = $1",
        id,
        error,
        delay.as_secs_f64()
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Marks a row failed for good.
pub async fn mark_failed(conn: &mut PgConnection, id: i64, error: &str) -> Result<(), StoreError> {
    sqlx::query!(
        "UPDATE notifications SET status = 'failed', attempts = attempts + 1, last_error = $2 \
         WHERE id = $1",
        id,
        error
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Holds a row for a person, with the reason (`held` rows are never claimed). The attempt is
/// counted; `last_error` says why, for `docket status` and `docket notices held`.
pub async fn mark_held(conn: &mut PgConnection, id: i64, reason: &str) -> Result<(), StoreError> {
    sqlx::query!(
        "UPDATE notifications SET status = 'held', attempts = attempts + 1, last_error = $2 \
         WHERE id = $1",
        id,
        format!("held: {reason}")
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Pending rows per channel, all runs together (for the gauge).
pub async fn pending_by_channel(pool: &PgPool) -> Result<Vec<(String, i64)>, StoreError> {
    Ok(sqlx::query!(
        r#"SELECT channel, count(*) AS "n!" FROM notifications
           WHERE status = 'pending' GROUP BY channel"#
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.channel, r.n))
    .collect())
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
    Ok(sqlx::query_as!(
        StatusCount,
        r#"SELECT channel, status, count(*) AS "count!" FROM notifications WHERE run_id = $1
           GROUP BY channel, status ORDER BY channel, status"#,
        run_id
    )
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
    Ok(sqlx::query_as!(
        HeldNotice,
        "SELECT r.name AS run, n.case_id, n.idempotency_key AS key, n.kind, n.channel, \
         n.last_error AS reason FROM notifications n JOIN runs r ON r.id = n.run_id \
         WHERE n.status = 'held' AND ($1::text IS NULL OR r.name = $1) ORDER BY n.id",
        run
    )
    .fetch_all(pool)
    .await?)
}

/// Which failed notices of a run a retry takes.
#[derive(Debug, Clone, Copy)]
pub struct FailedMatch<'a> {
    /// Run id.
    pub run_id: i64,
    /// Only notices of this kind.
    pub kind: Option<&'a str>,
    /// Only notices on this channel.
    pub channel: Option<&'a str>,
}

/// The matching failed notices by channel and reason; then, unless `dry_run`, makes them
/// `pending` again, due now, with their attempts reset, and records the retry with `actor`, in
/// one transaction (a retry that matched nothing changes and records nothing). Returns the
/// groups and how many were made pending.
pub async fn retry_failed(
    pool: &PgPool,
    m: &FailedMatch<'_>,
    actor: &str,
    dry_run: bool,
) -> Result<(Vec<super::progress::FailedNotices>, u64), StoreError> {
    let mut tx = pool.begin().await?;
    // The two statements match the same notices: keep their WHERE clauses the same.
    let failed = sqlx::query_as!(
        super::progress::FailedNotices,
        r#"SELECT channel, coalesce(last_error, 'unknown') AS "reason!", count(*) AS "count!"
           FROM notifications WHERE run_id = $1 AND status = 'failed'
             AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR channel = $3)
           GROUP BY 1, 2 ORDER BY 1, 2"#,
        m.run_id,
        m.kind,
        m.channel
    )
    .fetch_all(&mut *tx)
    .await?;
    if dry_run {
        tx.rollback().await?;
        return Ok((failed, 0));
    }
    let requeued = sqlx::query!(
        "UPDATE notifications SET status = 'pending', attempts = 0, next_attempt_at = now() \
         WHERE run_id = $1 AND status = 'failed' \
           AND ($2::text IS NULL OR kind = $2) AND ($3::text IS NULL OR channel = $3)",
        m.run_id,
        m.kind,
        m.channel
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if requeued == 0 {
        tx.rollback().await?;
        return Ok((failed, 0));
    }
    sqlx::query!(
        "INSERT INTO notification_retries (run_id, kind, channel, notices, actor) \
         VALUES ($1, $2, $3, $4, $5)",
        m.run_id,
        m.kind,
        m.channel,
        requeued as i64,
        actor
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((failed, requeued))
}
