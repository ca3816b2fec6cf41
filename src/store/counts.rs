//! The `run_counts` table: outcomes per run and decision as counters, kept by a trigger on
//! `outcomes` (see its migration), so progress never counts a run's outcomes.

use std::collections::HashMap;

use sqlx::PgPool;

use super::StoreError;

/// Counter rows older than this are folded into one per key.
const FOLD_AFTER_SECS: f64 = 300.0;

/// Outcomes per run name and decision (decisions with none are absent).
pub async fn decisions(pool: &PgPool) -> Result<Vec<(String, String, i64)>, StoreError> {
    Ok(sqlx::query!(
        r#"SELECT r.name, c.key, sum(c.n)::bigint AS "n!"
           FROM run_counts c JOIN runs r ON r.id = c.run_id
           WHERE c.kind = 'decision' GROUP BY r.name, c.key HAVING sum(c.n) <> 0"#
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.name, r.key, r.n))
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

/// Deletes a run's counters (with its outcomes), in the caller's transaction.
pub async fn delete_run(conn: &mut sqlx::PgConnection, run_id: i64) -> Result<(), StoreError> {
    sqlx::query!("DELETE FROM run_counts WHERE run_id = $1", run_id)
        .execute(conn)
        .await?;
    Ok(())
}
