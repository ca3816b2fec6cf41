//! The `run_counts` table: outcomes per run and decision, offers per state and notices per status
//! (and failed notices per channel and reason) as counters, kept by triggers on `outcomes`,
//! `offers` and `notifications` (see their migrations), so progress never counts a run's rows.

use std::collections::HashMap;

use sqlx::PgPool;

use super::StoreError;

/// Counter rows older than this are folded into one per key.
const FOLD_AFTER_SECS: f64 = 300.0;

/// What the counters count: outcomes by decision, offers by state, notices by status, failed
/// notices by channel and reason.
pub const KINDS: [&str; 4] = ["decision", "offer", "notice", "failed_notice"];

/// What joins the channel and the reason in the key of a `failed_notice` counter.
pub const FAILED_SEPARATOR: char = '\u{1f}';

/// One counter summed: run name, kind (one of [`KINDS`]), key, count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    /// Run name.
    pub run: String,
    /// One of [`KINDS`].
    pub kind: String,
    /// The decision, state, status, or `channel` [`FAILED_SEPARATOR`] `reason`.
    pub key: String,
    /// The count (never 0).
    pub n: i64,
}

/// Every run's counters of every kind, summed (keys that sum to zero are absent). Reads the
/// counter rows only: a handful per run and key once folded.
pub async fn all(pool: &PgPool) -> Result<Vec<Counter>, StoreError> {
    Ok(sqlx::query!(
        r#"SELECT r.name, c.kind, c.key, sum(c.n)::bigint AS "n!"
           FROM run_counts c JOIN runs r ON r.id = c.run_id
           GROUP BY r.name, c.kind, c.key HAVING sum(c.n) <> 0
           ORDER BY r.name, c.kind, c.key"#
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| Counter {
        run: r.name,
        kind: r.kind,
        key: r.key,
        n: r.n,
    })
    .collect())
}

/// Outcomes recorded in the last `seconds` seconds, per run name (runs with none are absent).
pub async fn recent(pool: &PgPool, seconds: i64) -> Result<HashMap<String, i64>, StoreError> {
    let rows = sqlx::query!(
        r#"SELECT r.name, sum(c.n)::bigint AS "n!"
           FROM run_counts c JOIN runs r ON r.id = c.run_id
           WHERE c.kind = 'decision' AND c.at > now() - make_interval(secs => $1)
           GROUP BY r.name"#,
        seconds as f64
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|r| (r.name, r.n)).collect())
}

/// Folds counter rows older than a few minutes into one row per (run, kind, key), when there are
/// any not folded yet; returns the rows folded.
pub async fn fold(pool: &PgPool) -> Result<u64, StoreError> {
    fold_older_than(pool, FOLD_AFTER_SECS).await
}

/// Folds counter rows older than `secs` seconds (see [`fold`]). Safe beside other folds: each row
/// is deleted, and so summed, once.
pub async fn fold_older_than(pool: &PgPool, secs: f64) -> Result<u64, StoreError> {
    let folded = sqlx::query_scalar!(
        r#"
        WITH old AS (
            DELETE FROM run_counts
            WHERE at < now() - make_interval(secs => $1)
              AND EXISTS (SELECT 1 FROM run_counts
                          WHERE at > '-infinity' AND at < now() - make_interval(secs => $1))
            RETURNING run_id, kind, key, n
        ), summed AS (
            INSERT INTO run_counts (run_id, kind, key, n, at)
            SELECT run_id, kind, key, sum(n), '-infinity' FROM old GROUP BY run_id, kind, key
        )
        SELECT count(*) AS "folded!" FROM old
        "#,
        secs
    )
    .fetch_optional(pool)
    .await?;
    Ok(folded.unwrap_or(0) as u64)
}

/// Deletes a run's counters, in the caller's transaction: after its offers and notices are
/// deleted, whose triggers count the deletions.
pub async fn delete_run(conn: &mut sqlx::PgConnection, run_id: i64) -> Result<(), StoreError> {
    sqlx::query!("DELETE FROM run_counts WHERE run_id = $1", run_id)
        .execute(conn)
        .await?;
    Ok(())
}
