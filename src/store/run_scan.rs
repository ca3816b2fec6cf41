//! What a statement that reads every member of a run with its case needs to be one pass over
//! `cases` in heap order: the run's members (with their outcomes, and offers) hashed, and `cases`
//! scanned and probed against them, instead of two index lookups a member (at 3,000,000 members
//! about a minute, most of it reading the 3.6 GB heap of `cases` in random order).
//!
//! The planner does not find that plan on its own: the parent tables `outcomes` and `offers` have
//! no statistics (autovacuum never analyzes a partitioned table), so it takes a join of members
//! to outcomes for hundreds of times larger than the run and hashes `cases` instead. The members'
//! subquery therefore ends with `LIMIT` the run's exact member count, taken in the same snapshot,
//! which bounds that estimate to the truth without leaving anyone out; nested loops and merge
//! joins are turned off for the transaction, and hashes get room for a large run's members
//! (about 300 MB at 3,000,000).

use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use super::StoreError;

/// `work_mem` of a whole-run scan: a hash may take twice this (`hash_mem_multiplier`), enough
/// for the members of a 3,000,000-case run.
pub const WORK_MEM: &str = "256MB";

/// Sets the transaction's planner settings for a whole-run scan (see the module's notes). JIT is
/// off too: it compiled the count of a 3,000,000-case run's outcomes for 0.3-1.0 s, more than it
/// saved on a plan that is one scan, one hash and one aggregate.
pub async fn hash_joins_only(conn: &mut PgConnection) -> Result<(), StoreError> {
    sqlx::query!(
        r#"SELECT set_config('work_mem', $1, true) AS "work_mem!",
                  set_config('enable_nestloop', 'off', true) AS "nestloop!",
                  set_config('enable_mergejoin', 'off', true) AS "mergejoin!",
                  set_config('jit', 'off', true) AS "jit!""#,
        WORK_MEM
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}

/// Lets the transaction's next aggregate run on parallel workers by hashing. A run's outcome
/// partition has no statistics until `serve` analyzes it, so the planner takes the filter on its
/// run for a few hundred rows of 3,000,000 and reads them through the key's index on one backend;
/// and it expects tens of millions of groups (there are a few thousand), so it would sort them.
/// Index and bitmap scans and sorting are therefore off, and parallel workers cost nothing.
pub async fn parallel_aggregate(conn: &mut PgConnection) -> Result<(), StoreError> {
    sqlx::query!(
        r#"SELECT set_config('parallel_setup_cost', '0', true) AS "setup!",
                  set_config('parallel_tuple_cost', '0', true) AS "tuple!",
                  set_config('enable_sort', 'off', true) AS "sort!",
                  set_config('enable_indexscan', 'off', true) AS "index!",
                  set_config('enable_bitmapscan', 'off', true) AS "bitmap!""#
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}

/// Gathers statistics on `cases` when it has never had any (an import into an empty table on a
/// server without autovacuum): without them the planner takes case records for a few bytes and
/// may choose to hash `cases` rather than the members. Reads a sample of 30,000 pages once.
pub async fn analyze_cases_once(pool: &PgPool) -> Result<(), StoreError> {
    let never = sqlx::query_scalar!(
        r#"SELECT coalesce(s.last_analyze IS NULL AND s.last_autoanalyze IS NULL, true)
                  AS "never!"
           FROM pg_stat_user_tables s WHERE s.relid = 'cases'::regclass"#
    )
    .fetch_optional(pool)
    .await?;
    if never.unwrap_or(true) {
        sqlx::query!("ANALYZE cases").execute(pool).await?;
    }
    Ok(())
}

/// The number of members of run `run_id`, in the caller's snapshot.
pub async fn members(conn: &mut PgConnection, run_id: i64) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM run_cases WHERE run_id = $1"#,
        run_id
    )
    .fetch_one(conn)
    .await?)
}

/// How many members of run `run_id` have an outcome, in the caller's snapshot, from the run's
/// counters (kept by a trigger on every insert of outcomes, which are deleted only with their
/// run): a handful of rows, where counting the outcomes reads them all.
pub async fn decided(conn: &mut PgConnection, run_id: i64) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT coalesce(sum(n), 0)::bigint AS "n!" FROM run_counts
           WHERE run_id = $1 AND kind = 'decision'"#,
        run_id
    )
    .fetch_one(conn)
    .await?)
}

/// Where run `run_id`'s members are: its own partition of `run_cases` when it has one (every run
/// created by `run create` does), else `run_cases`. Naming the partition gives the planner that
/// partition's statistics: through the parent, which has none, it takes the members' case ids
/// for a few hundred distinct values, judges a hash of them too slow to probe and hashes `cases`
/// instead (3.9 GB in 8 batches spilled to disk: 43 s at 3,000,000 members, against 26-30 s).
pub async fn members_table(conn: &mut PgConnection, run_id: i64) -> Result<String, StoreError> {
    super::partitions::own_or_parent(conn, "run_cases", format!("run_cases_run_{run_id}")).await
}

/// A read-only transaction in which every statement sees one snapshot, so the member count
/// bounds the scan that follows exactly.
pub async fn begin_snapshot(pool: &PgPool) -> Result<Transaction<'static, Postgres>, StoreError> {
    Ok(pool
        .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        .await?)
}
