//! Archiving a run: its outcomes, offers and transitions streamed as JSON lines, then every row of
//! the run dropped (its partitions of `outcomes` and `run_cases` go with one statement each
//! instead of a delete per row).

use futures_util::TryStreamExt;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use super::StoreError;

/// Schema of the export's first line.
pub const SCHEMA: &str = "docket.run-archive/v1";

/// Run states a run may be archived in.
pub const ARCHIVABLE: [&str; 2] = ["completed", "cancelled"];

/// Why a run cannot be archived.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// The run is still running.
    #[error("run {run} is {state}: only a completed or cancelled run is archived")]
    NotFinished {
        /// Run name.
        run: String,
        /// Its state.
        state: String,
    },
    /// Notices of the run are still to be sent.
    #[error("run {run} has {count} notice(s) pending or held: send or cancel them first")]
    NoticesPending {
        /// Run name.
        run: String,
        /// How many.
        count: i64,
    },
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ArchiveError {
    fn from(e: sqlx::Error) -> Self {
        ArchiveError::Store(e.into())
    }
}

/// Locks the named run for archiving (no state change can happen meanwhile) and returns its id
/// and the export's first line: the run, its policy text and its state changes.
pub async fn begin(
    tx: &mut Transaction<'_, Postgres>,
    name: &str,
) -> Result<(i64, String), ArchiveError> {
    let row = sqlx::query!(
        "SELECT id, state FROM runs WHERE name = $1 FOR UPDATE",
        name
    )
    .fetch_optional(&mut **tx)
    .await?;
    let (id, state) = row
        .map(|r| (r.id, r.state))
        .ok_or_else(|| StoreError::UnknownRun(name.to_string()))?;
    if !ARCHIVABLE.contains(&state.as_str()) {
        return Err(ArchiveError::NotFinished {
            run: name.to_string(),
            state,
        });
    }
    let pending = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM notifications
           WHERE run_id = $1 AND status IN ('pending', 'held')"#,
        id
    )
    .fetch_one(&mut **tx)
    .await?;
    if pending > 0 {
        return Err(ArchiveError::NoticesPending {
            run: name.to_string(),
            count: pending,
        });
    }
    let header = sqlx::query_scalar!(
        r#"
        SELECT json_build_object(
            'schema', $2::text,
            'run', json_build_object(
                'name', r.name, 'rules_name', r.rules_name, 'rules_version', r.rules_version,
                'rules_hash', r.rules_hash, 'rules_text', r.rules_text, 'as_of', r.as_of,
                'courts', r.courts, 'open', r.open, 'state', r.state,
                'total_cases', r.total_cases, 'created_by', r.created_by,
                'created_at', r.created_at),
            'state_changes', (SELECT coalesce(json_agg(json_build_object(
                    'from', s.from_state, 'to', s.to_state, 'rate', s.rate, 'actor', s.actor,
                    'reason', s.reason, 'at', s.at) ORDER BY s.id), '[]')
                FROM run_state_changes s WHERE s.run_id = r.id))::text AS "header!"
        FROM runs r WHERE r.id = $1
        "#,
        id,
        SCHEMA
    )
    .fetch_one(&mut **tx)
    .await?;
    Ok((id, header))
}

/// Streams one JSON line per outcome of the run (with its offer and the offer's transitions) to
/// `each`, in no particular order; returns how many.
pub async fn outcomes<F>(
    conn: &mut PgConnection,
    run_id: i64,
    mut each: F,
) -> Result<u64, StoreError>
where
    F: FnMut(&str) -> std::io::Result<()>,
{
    let mut rows = sqlx::query_scalar!(
        r#"
        SELECT json_build_object(
            'case_id', o.case_id, 'job_id', o.job_id, 'decision', o.decision, 'score', o.score,
            'fired', o.fired, 'fired_ids', o.fired_ids,
            'rules_name', coalesce(o.rules_name, r.rules_name),
            'rules_version', coalesce(o.rules_version, r.rules_version),
            'rules_hash', coalesce(o.rules_hash, r.rules_hash),
            'facts_hash', o.facts_hash, 'decided_at', o.decided_at,
            'worker', o.worker,
            'offer', (SELECT json_build_object(
                    'state', f.state, 'deadline', f.deadline, 'offered_at', f.offered_at,
                    'updated_at', f.updated_at,
                    'transitions', (SELECT coalesce(json_agg(json_build_object(
                            'from', t.from_state, 'to', t.to_state, 'actor', t.actor,
                            'reason', t.reason, 'at', t.at) ORDER BY t.id), '[]')
                        FROM transitions t WHERE t.run_id = f.run_id AND t.case_id = f.case_id))
                FROM offers f WHERE f.run_id = o.run_id AND f.case_id = o.case_id))::text AS "line!"
        FROM outcomes o JOIN runs r ON r.id = o.run_id WHERE o.run_id = $1
        "#,
        run_id
    )
    .fetch(conn);
    let mut n = 0;
    while let Some(line) = rows.try_next().await? {
        each(&line).map_err(|e| StoreError::Query(sqlx::Error::Io(e)))?;
        n += 1;
    }
    Ok(n)
}

/// Drops every row of the run: its partitions of outcomes and members, then the run (which
/// cascades to its offers, transitions, notices and state changes) and then its counters.
pub async fn drop_run(tx: &mut Transaction<'_, Postgres>, run_id: i64) -> Result<(), StoreError> {
    super::partitions::drop_run(tx, run_id).await?;
    sqlx::query!("DELETE FROM runs WHERE id = $1", run_id)
        .execute(&mut **tx)
        .await?;
    // Last: deleting the run's offers and notices appended counter rows.
    super::counts::delete_run(tx, run_id).await?;
    super::groups::delete_run(tx, run_id).await?;
    Ok(())
}

/// Rows of the run left in its tables (0 once archived), for tests and checks.
pub async fn rows_left(pool: &PgPool, run_id: i64) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT (SELECT count(*) FROM outcomes WHERE run_id = $1)
                + (SELECT count(*) FROM run_cases WHERE run_id = $1)
                + (SELECT count(*) FROM offers WHERE run_id = $1)
                + (SELECT count(*) FROM transitions WHERE run_id = $1)
                + (SELECT count(*) FROM notifications WHERE run_id = $1)
                + (SELECT count(*) FROM run_counts WHERE run_id = $1)
                + (SELECT count(*) FROM run_groups WHERE run_id = $1) AS "rows!""#,
        run_id
    )
    .fetch_one(pool)
    .await?)
}
