//! What the policy tools read: a run's case records with their recorded decisions (what-if over
//! a run) and the counts of its cases by group, decision and offer state (the audit report).
//! Read-only.

use futures_util::{Stream, StreamExt};
use sqlx::{PgConnection, PgPool};

use super::StoreError;
use crate::policy::Dimension;

/// The members of run `run_id` whose sequence numbers are in `after < seq <= through`: the case
/// record (contract JSON text) and the recorded decision. Pages by range rather than by "the
/// next `limit` after the last", so that several pages can be read at once, on several
/// connections; a range walks the run's sequence index, so memory stays one page per reader.
pub async fn records_in_range(
    pool: &PgPool,
    run_id: i64,
    after: i64,
    through: i64,
) -> Result<Vec<RecordRow>, StoreError> {
    Ok(sqlx::query!(
        r#"SELECT rc.seq, c.record::text AS "record!", o.decision AS "decision?"
         FROM run_cases rc
         JOIN cases c USING (case_id)
         LEFT JOIN outcomes o ON o.run_id = rc.run_id AND o.case_id = rc.case_id
         WHERE rc.run_id = $1 AND rc.seq > $2 AND rc.seq <= $3"#,
        run_id,
        after,
        through
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| RecordRow {
        seq: r.seq,
        record: r.record,
        decision: r.decision,
    })
    .collect())
}

/// The members of run `run_id`, each as its recorded decision (NULL when not reviewed) and its
/// case record (contract JSON text), in PostgreSQL's binary `COPY` format: one statement over
/// the whole run that scans `cases` in heap order against the run's members hashed (see
/// [`super::run_scan`]) instead of two index lookups a member ([`records_in_range`]). Call it
/// in a transaction of [`super::run_scan::begin_snapshot`]. The rows come in no particular
/// order; read the stream to its end (or drop the transaction with it). See
/// [`crate::policy::copy_rows`] for the format.
pub async fn copy_run_records(
    tx: &mut PgConnection,
    run_id: i64,
) -> Result<impl Stream<Item = Result<impl AsRef<[u8]>, StoreError>> + Send + Unpin, StoreError> {
    super::run_scan::hash_joins_only(&mut *tx).await?;
    let members = super::run_scan::members(&mut *tx, run_id).await?;
    let decided = super::run_scan::decided(&mut *tx, run_id).await?;
    // Runtime: COPY streams rows and takes no bound parameter; the numbers are integers and the
    // tables are the run's partitions (or their parents), named from its id.
    // `c.record` without a cast: in the binary format a `json` (or `text`) value is its text as
    // stored, so the record crosses without the two copies of a cast to `text`.
    let query = if decided == members {
        // Every member reviewed: its outcomes are its members, so `cases` is probed against the
        // outcomes alone. Hashing the members joined to their outcomes took 4.8 of 8 seconds of
        // PostgreSQL's time at 3,000,000 members; hashing the outcomes alone, 1.7.
        let outcomes = super::partitions::table_of(&mut *tx, run_id).await?;
        format!(
            "COPY (SELECT o.decision, c.record
                   FROM cases c
                   JOIN (SELECT case_id, decision FROM {outcomes}
                         WHERE run_id = {run_id} LIMIT {members}) o USING (case_id))
             TO STDOUT (FORMAT binary)"
        )
    } else {
        let run_cases = super::run_scan::members_table(&mut *tx, run_id).await?;
        format!(
            "COPY (SELECT m.decision, c.record
                   FROM cases c
                   JOIN (SELECT rc.case_id, o.decision
                         FROM {run_cases} rc
                         LEFT JOIN outcomes o ON o.run_id = rc.run_id AND o.case_id = rc.case_id
                         WHERE rc.run_id = {run_id}
                         LIMIT {members}) m USING (case_id))
             TO STDOUT (FORMAT binary)"
        )
    };
    let stream = tx.copy_out_raw(&query).await?;
    Ok(stream.map(|chunk| chunk.map_err(StoreError::from)))
}

/// The lowest and highest sequence numbers of run `run_id`'s members (None: no members).
/// Members a job brought into an open run have negative numbers.
pub async fn seq_bounds(pool: &PgPool, run_id: i64) -> Result<Option<(i64, i64)>, StoreError> {
    let r = sqlx::query!(
        r#"SELECT min(seq) AS "low?", max(seq) AS "high?" FROM run_cases WHERE run_id = $1"#,
        run_id
    )
    .fetch_one(pool)
    .await?;
    Ok(r.low.zip(r.high))
}

/// One member of a run as the what-if reads it.
#[derive(Debug, Clone)]
pub struct RecordRow {
    /// The member's sequence number in the run (the page key).
    pub seq: i64,
    /// The imported case record, contract JSON.
    pub record: String,
    /// The decision the run recorded, `None` when not reviewed.
    pub decision: Option<String>,
}

/// One count line: group, decision (None: not reviewed), offer state (None: no offer), cases.
pub type GroupCount = (String, Option<String>, Option<String>, i64);

/// Cases of run `run_id` counted by group, decision and offer state. The group is the value of
/// `by`, or with `then` the two values joined by [`PAIR`] (`DEN · pro_se`). A wholly reviewed
/// run is answered from its group counters ([`super::groups`]: a few thousand rows whatever its
/// size, counted by one scan the first time); a run still under review by [`scan_counts`].
pub async fn group_counts(
    pool: &PgPool,
    run_id: i64,
    by: Dimension,
    then: Option<Dimension>,
) -> Result<Vec<GroupCount>, StoreError> {
    if super::groups::complete(pool, run_id).await? {
        super::groups::ensure_counted(pool, run_id).await?;
        super::groups::fold_run(pool, run_id).await?;
        return super::groups::counts(pool, run_id, by, then).await;
    }
    scan_counts(pool, run_id, by, then).await
}

/// [`group_counts`] by joining every member of the run to its case, outcome and offer: its time
/// grows with the run (40 s at 3,000,000 cases under load).
pub async fn scan_counts(
    pool: &PgPool,
    run_id: i64,
    by: Dimension,
    then: Option<Dimension>,
) -> Result<Vec<GroupCount>, StoreError> {
    let group = match then {
        None => group_sql(by).to_string(),
        Some(then) => format!("({}) || '{PAIR}' || ({})", group_sql(by), group_sql(then)),
    };
    // The group expression is one of the fixed texts of `group_sql`: nothing here comes from input.
    // Runtime: the GROUP BY expression varies with the dimensions asked for.
    let sql = format!(
        "SELECT {group} AS grp, o.decision, f.state, count(*)
         FROM run_cases rc
         JOIN cases c USING (case_id)
         LEFT JOIN outcomes o ON o.run_id = rc.run_id AND o.case_id = rc.case_id
         LEFT JOIN offers f ON f.run_id = rc.run_id AND f.case_id = rc.case_id
         WHERE rc.run_id = $1
         GROUP BY 1, 2, 3"
    );
    Ok(sqlx::query_as(&sql).bind(run_id).fetch_all(pool).await?)
}

/// What joins the two values of a two-way group.
pub const PAIR: &str = " · ";

/// The SQL expression of a dimension over the `cases` table aliased `c`; the same group names as
/// [`Dimension::of`] gives for a case record.
fn group_sql(dim: Dimension) -> &'static str {
    match dim {
        Dimension::Court => "c.court",
        Dimension::Nationality => "c.nationality",
        Dimension::Language => "c.language",
        Dimension::Representation => "CASE WHEN c.represented THEN 'represented' ELSE 'pro_se' END",
        Dimension::Custody => "c.custody",
        Dimension::Relief => {
            "CASE WHEN case_has_petition(c.record) THEN 'petition' ELSE 'no_petition' END"
        }
    }
}
