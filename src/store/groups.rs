//! The `run_groups` table: a wholly reviewed run's cases counted by the report's dimensions,
//! decision and offer state, once (outcomes never change), then kept by a trigger on `offers`
//! (see its migration), so the audit report sums a few thousand counter rows instead of joining
//! every member to its case, outcome and offer on every call.

use sqlx::PgPool;

use super::StoreError;
use super::policy_counts::{GroupCount, PAIR};
use crate::policy::Dimension;

/// A run's rows not folded yet above which [`fold_run`] folds them.
const FOLD_AT: i64 = 2_000;

/// Whether every member of the run has an outcome (from the run's counters): only then are its
/// groups counted, and the report reads them.
pub async fn complete(pool: &PgPool, run_id: i64) -> Result<bool, StoreError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT (SELECT coalesce(sum(n), 0) FROM run_counts c
                   WHERE c.run_id = r.id AND c.kind = 'decision')
                  >= r.total_cases + (SELECT count(*) FROM run_cases j
                                      WHERE j.run_id = r.id AND j.seq < 0) AS "complete!"
           FROM runs r WHERE r.id = $1"#,
        run_id
    )
    .fetch_optional(pool)
    .await?
    .unwrap_or(false))
}

/// Folds the run's counter rows into one per combination when more than a few thousand are not
/// folded yet (the rows its offers' changes appended); returns the rows folded. Safe beside other folds
/// and writers: each row is deleted, and so summed, once.
pub async fn fold_run(pool: &PgPool, run_id: i64) -> Result<u64, StoreError> {
    fold_run_over(pool, run_id, FOLD_AT).await
}

/// [`fold_run`] when at least `at` of the run's rows are not folded yet.
pub async fn fold_run_over(pool: &PgPool, run_id: i64, at: i64) -> Result<u64, StoreError> {
    let unfolded = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM (SELECT 1 FROM run_groups
           WHERE run_id = $1 AND at > '-infinity' LIMIT $2) t"#,
        run_id,
        at
    )
    .fetch_one(pool)
    .await?;
    if unfolded < at {
        return Ok(0);
    }
    let folded = sqlx::query_scalar!(
        r#"
        WITH old AS (
            DELETE FROM run_groups WHERE run_id = $1
            RETURNING run_id, court, nationality, language, represented, custody, petition,
                      decision, state, n
        ), summed AS (
            INSERT INTO run_groups (run_id, court, nationality, language, represented, custody,
                                    petition, decision, state, n, at)
            SELECT run_id, court, nationality, language, represented, custody, petition,
                   decision, state, sum(n), '-infinity'
            FROM old GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9 HAVING sum(n) <> 0
        )
        SELECT count(*) AS "folded!" FROM old
        "#,
        run_id
    )
    .fetch_one(pool)
    .await?;
    Ok(folded as u64)
}

/// Counts every completed run's groups that were not counted yet, and folds their counters (see
/// [`ensure_counted`], [`fold_run`]): `serve` calls it in the background, so the first report of
/// a run that just completed does not scan it.
pub async fn count_completed(pool: &PgPool) -> Result<(), StoreError> {
    let ids = sqlx::query_scalar!("SELECT id FROM runs WHERE state = 'completed' ORDER BY id")
        .fetch_all(pool)
        .await?;
    for id in ids {
        ensure_counted(pool, id).await?;
        fold_run(pool, id).await?;
    }
    Ok(())
}

/// Counts the run's members by group, decision and offer state into `run_groups` unless that was
/// done, once: from the run's outcomes, which carry their case's groups, and its offers hashed
/// ([`count_outcomes`]); for a run with outcomes written before outcomes kept their groups, by one
/// scan of `cases` in heap order against the run's members, their outcomes and offers hashed
/// ([`count_members`]). Call it for a wholly reviewed run only (outcomes written afterwards are
/// not counted). Offers changed meanwhile are counted once: the scan and the counters' deletion
/// share one snapshot, and counter rows committed after it stay. Builders of one run wait for
/// each other.
pub async fn ensure_counted(pool: &PgPool, run_id: i64) -> Result<bool, StoreError> {
    let mut tx = pool.begin().await?;
    if !lock_uncounted(&mut tx, run_id).await? {
        return Ok(false);
    }
    super::run_scan::hash_joins_only(&mut tx).await?;
    let members = super::run_scan::members(&mut tx, run_id).await?;
    if count_outcomes(&mut tx, run_id, members).await? {
        tx.commit().await?;
        return Ok(true);
    }
    drop(tx);
    count_members(pool, run_id).await
}

/// In the caller's transaction (planner set by [`super::run_scan::hash_joins_only`], the run's
/// count lock held by [`lock_uncounted`]): counts the run's outcomes by the groups they carry,
/// decision and offer state into `run_groups` and marks the run counted, when that counts every
/// one of its `members` members; returns whether it did. It does not when an outcome has no
/// groups (written before they were kept) or a member has no outcome; then nothing is written.
///
/// The count is a read-only statement of its own, so PostgreSQL may spread it over parallel
/// workers (a statement that writes may not): at 3,000,000 outcomes 3.3-3.7 s against 5.5 s on
/// one backend. The lock keeps every change of the run's offers out until the transaction ends,
/// so the rows written are the count read.
async fn count_outcomes(
    tx: &mut sqlx::PgConnection,
    run_id: i64,
    members: i64,
) -> Result<bool, StoreError> {
    super::run_scan::parallel_aggregate(&mut *tx).await?;
    let rows = sqlx::query_as!(
        GroupRow,
        r#"
        SELECT o.court AS "court?", o.nationality AS "nationality?", o.language AS "language?",
               o.represented AS "represented?", o.custody AS "custody?",
               o.petition AS "petition?", o.decision AS "decision!", f.state AS "state?",
               count(*) AS "n!"
        FROM outcomes o
        LEFT JOIN offers f ON f.run_id = o.run_id AND f.case_id = o.case_id
        WHERE o.run_id = $1
        GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
        "#,
        run_id
    )
    .fetch_all(&mut *tx)
    .await?;
    let whole =
        rows.iter().map(|r| r.n).sum::<i64>() == members && rows.iter().all(GroupRow::has_groups);
    if whole {
        write_counts(tx, run_id, rows).await?;
    }
    Ok(whole)
}

/// One line of [`count_outcomes`]: a group, decision and offer state, and its cases.
struct GroupRow {
    court: Option<String>,
    nationality: Option<String>,
    language: Option<String>,
    represented: Option<bool>,
    custody: Option<String>,
    petition: Option<bool>,
    decision: String,
    state: Option<String>,
    n: i64,
}

impl GroupRow {
    /// Whether the outcomes counted carry their groups (outcomes written before they were kept
    /// have none).
    fn has_groups(&self) -> bool {
        self.court.is_some()
            && self.nationality.is_some()
            && self.language.is_some()
            && self.represented.is_some()
            && self.custody.is_some()
            && self.petition.is_some()
    }
}

/// Replaces the run's counters with `rows` and marks it counted, in the caller's transaction.
async fn write_counts(
    tx: &mut sqlx::PgConnection,
    run_id: i64,
    rows: Vec<GroupRow>,
) -> Result<(), StoreError> {
    let n = rows.len();
    let (mut courts, mut nationalities, mut languages, mut custodies) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut represented, mut petitions) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut decisions, mut states, mut ns) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for r in rows {
        courts.push(r.court.unwrap_or_default());
        nationalities.push(r.nationality.unwrap_or_default());
        languages.push(r.language.unwrap_or_default());
        custodies.push(r.custody.unwrap_or_default());
        represented.push(r.represented == Some(true));
        petitions.push(r.petition == Some(true));
        decisions.push(r.decision);
        states.push(r.state);
        ns.push(r.n);
    }
    sqlx::query!("DELETE FROM run_groups WHERE run_id = $1", run_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query!("INSERT INTO run_group_builds (run_id) VALUES ($1)", run_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        r#"
        INSERT INTO run_groups (run_id, court, nationality, language, represented, custody,
                                petition, decision, state, n, at)
        SELECT $1, t.*, '-infinity'
        FROM UNNEST($2::text[], $3::text[], $4::text[], $5::bool[], $6::text[], $7::bool[],
                    $8::text[], $9::text[], $10::bigint[])
             AS t(court, nationality, language, represented, custody, petition, decision,
                  state, n)
        "#,
        run_id,
        &courts,
        &nationalities,
        &languages,
        &represented,
        &custodies,
        &petitions,
        &decisions,
        &states as &[Option<String>],
        &ns
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// [`ensure_counted`] for a run whose outcomes do not all carry their groups: one scan of `cases`
/// in heap order against the run's members, their outcomes and offers hashed
/// ([`super::run_scan`]), each case counted in its groups as imported.
async fn count_members(pool: &PgPool, run_id: i64) -> Result<bool, StoreError> {
    super::run_scan::analyze_cases_once(pool).await?;
    let mut tx = pool.begin().await?;
    if !lock_uncounted(&mut tx, run_id).await? {
        return Ok(false);
    }
    super::run_scan::hash_joins_only(&mut tx).await?;
    // The count and the scan are two statements (two snapshots): when a member joined the run in
    // between, the limit may have left someone out, so the count is made again.
    let members = super::run_scan::members(&mut tx, run_id).await?;
    let now = sqlx::query_scalar!(
        r#"
        WITH old AS (DELETE FROM run_groups WHERE run_id = $1),
        built AS (INSERT INTO run_group_builds (run_id) VALUES ($1)),
        counted AS (
            INSERT INTO run_groups (run_id, court, nationality, language, represented, custody,
                                    petition, decision, state, n, at)
            SELECT $1, c.court, c.nationality, c.language, c.represented, c.custody,
                   case_has_petition(c.record), m.decision, m.state, count(*), '-infinity'
            FROM cases c
            JOIN (SELECT rc.case_id, o.decision, f.state
                  FROM run_cases rc
                  LEFT JOIN outcomes o ON o.run_id = rc.run_id AND o.case_id = rc.case_id
                  LEFT JOIN offers f ON f.run_id = rc.run_id AND f.case_id = rc.case_id
                  WHERE rc.run_id = $1
                  LIMIT $2) m USING (case_id)
            GROUP BY 2, 3, 4, 5, 6, 7, 8, 9
        )
        SELECT count(*) AS "members!" FROM run_cases WHERE run_id = $1
        "#,
        run_id,
        members
    )
    .fetch_one(&mut *tx)
    .await?;
    if now != members {
        tx.rollback().await?;
        return Box::pin(count_members(pool, run_id)).await;
    }
    tx.commit().await?;
    Ok(true)
}

/// In the caller's transaction: waits for any other count of the run (and holds its lock until
/// the transaction ends); returns whether the run is still to be counted.
async fn lock_uncounted(tx: &mut sqlx::PgConnection, run_id: i64) -> Result<bool, StoreError> {
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "locked!"
           FROM (SELECT pg_advisory_xact_lock(hashtext('run_groups'), $1::int)) l"#,
        run_id as i32
    )
    .fetch_one(&mut *tx)
    .await?;
    let counted = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM run_group_builds WHERE run_id = $1) AS "counted!""#,
        run_id
    )
    .fetch_one(&mut *tx)
    .await?;
    Ok(!counted)
}

/// The run's cases counted by group (the value of `by`, or with `then` both values joined by
/// [`PAIR`]), decision and offer state, from its counters (see [`ensure_counted`]): the same
/// lines as [`super::policy_counts::scan_counts`] gives.
pub async fn counts(
    pool: &PgPool,
    run_id: i64,
    by: Dimension,
    then: Option<Dimension>,
) -> Result<Vec<GroupCount>, StoreError> {
    let group = match then {
        None => group_sql(by).to_string(),
        Some(then) => format!("({}) || '{PAIR}' || ({})", group_sql(by), group_sql(then)),
    };
    // Runtime: the GROUP BY expression varies with the dimensions asked for; it is one of the
    // fixed texts of `group_sql`, nothing here comes from input.
    let sql = format!(
        "SELECT {group} AS grp, g.decision, g.state, sum(g.n)::bigint
         FROM run_groups g WHERE g.run_id = $1
         GROUP BY 1, 2, 3 HAVING sum(g.n) <> 0"
    );
    Ok(sqlx::query_as(&sql).bind(run_id).fetch_all(pool).await?)
}

/// The SQL expression of a dimension over `run_groups` aliased `g`: the same group names as
/// [`Dimension::of`] gives for a case record.
fn group_sql(dim: Dimension) -> &'static str {
    match dim {
        Dimension::Court => "g.court",
        Dimension::Nationality => "g.nationality",
        Dimension::Language => "g.language",
        Dimension::Representation => "CASE WHEN g.represented THEN 'represented' ELSE 'pro_se' END",
        Dimension::Custody => "g.custody",
        Dimension::Relief => "CASE WHEN g.petition THEN 'petition' ELSE 'no_petition' END",
    }
}

/// Deletes a run's group counters, in the caller's transaction: after its offers are deleted,
/// whose trigger counts the deletions (its `run_group_builds` row goes with the run).
pub async fn delete_run(conn: &mut sqlx::PgConnection, run_id: i64) -> Result<(), StoreError> {
    sqlx::query!("DELETE FROM run_groups WHERE run_id = $1", run_id)
        .execute(conn)
        .await?;
    Ok(())
}
