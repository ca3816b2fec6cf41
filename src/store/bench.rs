//! The statements of `docket bench` and `docket notify bench`: scratch runs and databases, and
//! the figures read back from them (outcome counts, commit latency, database size).
//!
//! They run only against a bench's own scratch database, never a production one.

use chrono::NaiveDate;
use sqlx::{PgExecutor, PgPool};

use super::outcomes::RulesRef;
use super::{StoreError, valid_database_name};

/// The current database's size in bytes.
pub async fn database_size(pool: &PgPool) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar!(r#"SELECT pg_database_size(current_database()) AS "size!""#)
            .fetch_one(pool)
            .await?,
    )
}

/// Outcomes recorded for run `run_id`.
pub async fn outcome_count(pool: &PgPool, run_id: i64) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM outcomes WHERE run_id = $1"#,
        run_id
    )
    .fetch_one(pool)
    .await?)
}

/// Members whose latency [`commit_latency`] reads: above this, a systematic sample of about as
/// many (every n-th sequence number). Each costs a lookup of its publish, about 10 µs; all
/// 3,000,000 members of a large run took 20-45 s for a figure a sample gives as well.
pub const LATENCY_SAMPLE: i64 = 100_000;

/// Publish-confirm to commit latency of run `run_id` (p50 and p99, ms, over its `members`, or a
/// systematic sample of about [`LATENCY_SAMPLE`] of them) and the seconds from its first to its
/// last commit (over every outcome).
pub async fn commit_latency(
    pool: &PgPool,
    run_id: i64,
    members: i64,
) -> Result<(f64, f64, f64), StoreError> {
    let step = (members / LATENCY_SAMPLE).max(1);
    let r = sqlx::query!(
        r#"
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lat) AS "p50!",
               percentile_cont(0.99) WITHIN GROUP (ORDER BY lat) AS "p99!",
               (SELECT EXTRACT(EPOCH FROM max(decided_at) - min(decided_at))::float8
                FROM outcomes WHERE run_id = $1) AS "span!"
        FROM (SELECT GREATEST(EXTRACT(EPOCH FROM o.decided_at - p.confirmed_at) * 1000, 0)::float8
                     AS lat
              FROM run_cases rc
              JOIN outcomes o ON o.run_id = rc.run_id AND o.case_id = rc.case_id
              CROSS JOIN LATERAL (
                  SELECT confirmed_at FROM run_publishes p
                  WHERE p.run_id = rc.run_id AND p.last_seq >= rc.seq
                  ORDER BY p.last_seq LIMIT 1) p
              WHERE rc.run_id = $1 AND rc.seq % $2 = 0) o
        "#,
        run_id,
        step
    )
    .fetch_one(pool)
    .await?;
    Ok((r.p50, r.p99, r.span))
}

/// Creates the store ceiling's scratch run (no members, no partition) under `rules` (whose text
/// is `rules_text`) and `as_of`; returns its id.
pub async fn create_ceiling_run(
    pool: &PgPool,
    rules: &RulesRef,
    rules_text: &str,
    as_of: NaiveDate,
) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar!(
        "INSERT INTO runs (name, rules_name, rules_version, rules_hash, rules_text, as_of, created_by) \
         VALUES ('bench-store-ceiling', $1, $2, $3, $4, $5, 'bench') RETURNING id",
        rules.name,
        rules.version,
        rules.hash,
        rules_text,
        as_of
    )
    .fetch_one(pool)
    .await?)
}

/// Every member of run `run_id` with its imported facts hash, read by one statement as the caller
/// consumes the stream (in no particular order): the store ceiling's writers are fed from it
/// without a lookup per batch and without holding the run in memory.
pub fn members(
    pool: &PgPool,
    run_id: i64,
) -> futures_util::stream::BoxStream<'_, Result<(String, String), StoreError>> {
    use futures_util::StreamExt;
    sqlx::query!(
        "SELECT rc.case_id, c.facts_hash FROM run_cases rc JOIN cases c USING (case_id) \
         WHERE rc.run_id = $1",
        run_id
    )
    .fetch(pool)
    .map(|row| {
        row.map(|r| (r.case_id, r.facts_hash))
            .map_err(StoreError::from)
    })
    .boxed()
}

/// Lets the notify bench fill the outbox without offers behind its rows: drops the outbox's
/// foreign key to the offer transitions.
pub async fn drop_outbox_transition_key(pool: &PgPool) -> Result<(), StoreError> {
    sqlx::query!("ALTER TABLE notifications DROP CONSTRAINT notifications_transition_id_fkey")
        .execute(pool)
        .await?;
    Ok(())
}

/// Drops the scratch database `name` (ending its sessions), through `admin`, a connection to
/// another database of the server. Names docket would not create are refused.
pub async fn drop_database(admin: impl PgExecutor<'_>, name: &str) -> Result<(), StoreError> {
    if !valid_database_name(name) {
        return Err(StoreError::BadDatabaseName);
    }
    // Runtime: DROP DATABASE takes no bound parameter; the name is checked above, then quoted.
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(admin)
        .await?;
    Ok(())
}
