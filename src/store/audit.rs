//! The audit trail the console shows: every offer transition, every change of a run's state and
//! every replay of dead letters, newest first, filtered by person, run, action (the state
//! reached) and date, paged.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;

use super::StoreError;

/// What the audit shows.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only changes by this actor.
    pub actor: Option<String>,
    /// Only this run.
    pub run: Option<String>,
    /// Only changes to this state (an offer state or a run state).
    pub to_state: Option<String>,
    /// From this day (UTC).
    pub from: Option<NaiveDate>,
    /// Up to and including this day (UTC).
    pub to: Option<NaiveDate>,
}

/// One change.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// Run name.
    pub run: String,
    /// `offer` (a case's transition), `run` (the run's state) or `dead_letters` (a replay).
    pub subject: String,
    /// The case id, for an offer transition.
    pub case_id: Option<String>,
    /// State before.
    pub from_state: Option<String>,
    /// State after.
    pub to_state: String,
    /// Why.
    pub reason: String,
}

/// One page of changes matching `f`, newest first; `limit` at most.
pub async fn page(
    pool: &PgPool,
    f: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<Vec<AuditRow>, StoreError> {
    Ok(sqlx::query_as!(
        AuditRow,
        r#"
        SELECT at AS "at!", actor AS "actor!", run AS "run!", subject AS "subject!", case_id,
               from_state, to_state AS "to_state!", reason AS "reason!"
        FROM (
          SELECT t.at, t.actor, r.name AS run, 'offer' AS subject, t.case_id, t.from_state,
                 t.to_state, t.reason, t.id AS seq
          FROM transitions t JOIN runs r ON r.id = t.run_id
          UNION ALL
          SELECT c.at, c.actor, r.name, 'run', NULL, c.from_state, c.to_state, c.reason, c.id
          FROM run_state_changes c JOIN runs r ON r.id = c.run_id
          UNION ALL
          SELECT d.at, d.actor, COALESCE(d.run, ''), 'dead_letters', NULL, NULL, 'replayed',
                 d.reason || ' (' || d.replayed || ' replayed)', d.id
          FROM dead_letter_replays d
        ) x
        WHERE ($1::text IS NULL OR x.actor = $1)
          AND ($2::text IS NULL OR x.run = $2)
          AND ($3::text IS NULL OR x.to_state = $3)
          AND ($4::date IS NULL OR x.at >= $4::date)
          AND ($5::date IS NULL OR x.at < $5::date + 1)
        ORDER BY at DESC, seq DESC LIMIT $6 OFFSET $7
        "#,
        f.actor.as_deref(),
        f.run.as_deref(),
        f.to_state.as_deref(),
        f.from,
        f.to,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?)
}
