//! Partitions of `outcomes` and `run_cases`, one per run (see the migrations that partition
//! them): a run's rows are created in bulk and dropped with one statement.

use sqlx::{Postgres, Transaction};

use super::StoreError;

fn name(run_id: i64) -> String {
    format!("outcomes_run_{run_id}")
}

/// Where run `run_id`'s outcomes are: its own partition of `outcomes` when it has one (every run
/// created by `run create` does), else `outcomes`. Naming the partition gives the planner its
/// statistics (the parent has none).
pub async fn table_of(conn: &mut sqlx::PgConnection, run_id: i64) -> Result<String, StoreError> {
    own_or_parent(conn, "outcomes", name(run_id)).await
}

/// `table` when it is attached as a partition of `parent`, else `parent`.
pub(super) async fn own_or_parent(
    conn: &mut sqlx::PgConnection,
    parent: &str,
    table: String,
) -> Result<String, StoreError> {
    let attached = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM pg_inherits
                          WHERE inhrelid = to_regclass($1) AND inhparent = to_regclass($2))
                  AS "attached!""#,
        &table,
        parent
    )
    .fetch_one(conn)
    .await?;
    Ok(if attached { table } else { parent.into() })
}

/// Gives the run a partition of `outcomes` of its own. Call it last in the transaction that
/// creates the run: it locks `outcomes` until the transaction ends.
pub async fn create_outcomes(
    tx: &mut Transaction<'_, Postgres>,
    run_id: i64,
) -> Result<(), StoreError> {
    // Runtime: the partition's name and bound are the run's id, which SQL cannot bind.
    sqlx::query(&format!(
        "CREATE TABLE {} PARTITION OF outcomes FOR VALUES IN ({run_id})",
        name(run_id)
    ))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Gathers statistics on the partitions of completed runs that have none or stale ones (see
/// [`analyze_outcomes`]), and on `offers` likewise; returns how many tables it analyzed. `serve`
/// calls it in the background after marking finished runs completed; however many runs there
/// are, finding the stale tables is one statement. A review makes its offers faster than
/// autovacuum's analyze follows (where autovacuum runs at all), and without statistics the
/// planner takes a queue of 230,000 offers for a dozen rows and sorts them all for the worklist's
/// first page in score order (60 ms at 3,000,000 cases, 0.3 ms with statistics).
pub async fn analyze_completed(pool: &sqlx::PgPool) -> Result<usize, StoreError> {
    analyze_stale(pool, None).await
}

/// Gathers statistics on the run's partition of `outcomes`, where it has one and they are
/// missing or stale. Called when the run completes: a partition filled faster than autovacuum's
/// analyze follows has none, and without statistics the planner joins it by nested loops (a
/// minute for a 20,000-case report, 0.2 s with). One autovacuum already analyzed is left alone
/// unless most of its rows came since: `ANALYZE` of a 3,000,000-row partition reads 30,000 pages
/// (1–2 s on a loaded machine), so it runs in `serve`'s background, not in a `status`. Returns
/// whether it analyzed.
pub async fn analyze_outcomes(pool: &sqlx::PgPool, run_id: i64) -> Result<bool, StoreError> {
    Ok(analyze_stale(pool, Some(run_id)).await? > 0)
}

/// Analyzes the outcome partitions with missing or stale statistics (none yet, or more rows
/// changed since the last `ANALYZE` than it counted) of run `run_id`, or, without one, of every
/// completed run and `offers`, found in one statement; returns how many it analyzed.
async fn analyze_stale(pool: &sqlx::PgPool, run_id: Option<i64>) -> Result<usize, StoreError> {
    let stale = sqlx::query_scalar!(
        r#"SELECT t.name AS "name!"
           FROM (SELECT 'outcomes_run_' || id AS name FROM runs
                 WHERE CASE WHEN $1::bigint IS NULL THEN state = 'completed' ELSE id = $1 END
                 UNION ALL SELECT 'offers' WHERE $1::bigint IS NULL) t
           JOIN pg_class p ON p.oid = to_regclass(t.name)
           LEFT JOIN pg_stat_user_tables s ON s.relid = p.oid
           WHERE coalesce(s.last_analyze IS NULL AND s.last_autoanalyze IS NULL
                          OR s.n_mod_since_analyze > s.n_live_tup, true)
           ORDER BY t.name"#,
        run_id
    )
    .fetch_all(pool)
    .await?;
    for table in &stale {
        // Runtime: the table's name is a run's partition's (or `offers`), which SQL cannot bind.
        sqlx::query(&format!("ANALYZE {table}"))
            .execute(pool)
            .await?;
    }
    Ok(stale.len())
}

/// Detaches and drops the run's partitions of `outcomes` and `run_cases`, where it has them (rows
/// of the run in the default partitions are left to the caller).
pub async fn drop_run(tx: &mut Transaction<'_, Postgres>, run_id: i64) -> Result<(), StoreError> {
    drop_partition(tx, "outcomes", &name(run_id)).await?;
    drop_partition(tx, "run_cases", &format!("run_cases_run_{run_id}")).await
}

async fn drop_partition(
    tx: &mut Transaction<'_, Postgres>,
    parent: &str,
    table: &str,
) -> Result<(), StoreError> {
    let exists = sqlx::query_scalar!(r#"SELECT to_regclass($1) IS NOT NULL AS "exists!""#, table)
        .fetch_one(&mut **tx)
        .await?;
    if exists {
        // Runtime: table names are the run's, which SQL cannot bind.
        sqlx::query(&format!("ALTER TABLE {parent} DETACH PARTITION {table}"))
            .execute(&mut **tx)
            .await?;
        // Runtime: as above.
        sqlx::query(&format!("DROP TABLE {table}"))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Fixes the run's members: a partition of `run_cases` of its own, filled before it has any
/// index (the cases in disk order, numbered from 1), indexed in one sorted pass per index, then
/// attached. Returns the number of members.
pub async fn fill_members(
    tx: &mut Transaction<'_, Postgres>,
    run_id: i64,
    courts: Option<&[String]>,
) -> Result<u64, StoreError> {
    let table = format!("run_cases_run_{run_id}");
    // The check lets the attach skip scanning the partition for rows of other runs.
    // Runtime: the partition's name and check are the run's id, which SQL cannot bind.
    sqlx::query(&format!(
        "CREATE TABLE {table} (LIKE run_cases INCLUDING DEFAULTS, CHECK (run_id = {run_id}))"
    ))
    .execute(&mut **tx)
    .await?;
    // Members are numbered in the heap's order, which enqueue reads them in: a plain serial scan.
    // Once the pages of `cases` are all-visible (an import's `COPY … FREEZE`, or a vacuum) the
    // planner prefers an index-only scan of the primary key, which would number them in
    // case-id order and make every enqueue read a random heap page.
    sqlx::query!(
        "SELECT set_config('enable_indexonlyscan', 'off', true) AS a, \
                set_config('enable_indexscan', 'off', true) AS b, \
                set_config('enable_bitmapscan', 'off', true) AS c, \
                set_config('max_parallel_workers_per_gather', '0', true) AS d"
    )
    .fetch_one(&mut **tx)
    .await?;
    // Runtime: inserts into the run's partition, named by its id.
    let members = sqlx::query(&format!(
        "INSERT INTO {table} (run_id, case_id, seq) \
         SELECT $1, case_id, row_number() OVER () \
         FROM cases WHERE $2::text[] IS NULL OR court = ANY($2)"
    ))
    .bind(run_id)
    .bind(courts)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    sqlx::query!(
        "SELECT set_config(name, reset_val, true) FROM pg_settings WHERE name IN \
         ('enable_indexonlyscan', 'enable_indexscan', 'enable_bitmapscan', \
          'max_parallel_workers_per_gather')"
    )
    .fetch_all(&mut **tx)
    .await?;
    sqlx::query!("SET LOCAL maintenance_work_mem = '256MB'")
        .execute(&mut **tx)
        .await?;
    // Runtime: statements on the run's partition, named by its id.
    for sql in [
        format!("ALTER TABLE {table} ADD PRIMARY KEY (run_id, case_id)"),
        format!("CREATE UNIQUE INDEX {table}_seq ON {table} (run_id, seq)"),
        format!("ALTER TABLE run_cases ATTACH PARTITION {table} FOR VALUES IN ({run_id})"),
        // Statistics now: without them the planner takes the new partition for empty and joins
        // it by nested loops (a 20,000-case report took a minute instead of a tenth of a second).
        format!("ANALYZE {table}"),
    ] {
        sqlx::query(&sql).execute(&mut **tx).await?;
    }
    Ok(members)
}
