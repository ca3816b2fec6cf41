//! Reads for the console's run page: decisions and offers by court, and the run's state history.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::StoreError;
use super::progress::OFFERS_MADE;

/// Decisions and offers in one court.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CourtRow {
    /// Court.
    pub court: String,
    /// Cases reviewed.
    pub reviewed: i64,
    /// Recommended for an offer.
    pub recommended: i64,
    /// Enforcement priorities.
    pub enforcement: i64,
    /// Offers made (offered or later).
    pub offered: i64,
}

/// Reviewed cases, recommendations, enforcement priorities and offers made, per court.
pub async fn by_court(pool: &PgPool, run_id: i64) -> Result<Vec<CourtRow>, StoreError> {
    Ok(sqlx::query_as!(
        CourtRow,
        r#"SELECT c.court,
                  count(*) AS "reviewed!",
                  count(*) FILTER (WHERE oc.decision = 'offer_recommended') AS "recommended!",
                  count(*) FILTER (WHERE oc.decision = 'enforcement_priority') AS "enforcement!",
                  count(o.case_id) FILTER (WHERE o.state = ANY($2)) AS "offered!"
           FROM outcomes oc
           JOIN cases c ON c.case_id = oc.case_id
           LEFT JOIN offers o ON o.run_id = oc.run_id AND o.case_id = oc.case_id
           WHERE oc.run_id = $1
           GROUP BY c.court ORDER BY c.court"#,
        run_id,
        &OFFERS_MADE[..] as &[&str]
    )
    .fetch_all(pool)
    .await?)
}

/// One change of a run's state.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StateChange {
    /// Before.
    pub from_state: String,
    /// After.
    pub to_state: String,
    /// Rate, when throttled.
    pub rate: Option<f64>,
    /// Who.
    pub actor: String,
    /// Why.
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A run's state changes, newest first (at most `limit`).
pub async fn state_history(
    pool: &PgPool,
    run_id: i64,
    limit: i64,
) -> Result<Vec<StateChange>, StoreError> {
    Ok(sqlx::query_as!(
        StateChange,
        "SELECT from_state, to_state, rate, actor, reason, at FROM run_state_changes
         WHERE run_id = $1 ORDER BY id DESC LIMIT $2",
        run_id,
        limit
    )
    .fetch_all(pool)
    .await?)
}

/// One notice of a case (no payload: it holds personal data).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NoticeRow {
    /// Outbox id.
    pub id: i64,
    /// Notice kind (offer, reminder, …).
    pub kind: String,
    /// respondent or counsel.
    pub recipient: String,
    /// email or letter.
    pub channel: String,
    /// Outbox status.
    pub status: String,
    /// Queued when.
    pub created_at: DateTime<Utc>,
    /// Sent when.
    pub sent_at: Option<DateTime<Utc>>,
}

/// The notices of one case in a run, oldest first.
pub async fn notices(
    pool: &PgPool,
    run_id: i64,
    case_id: &str,
) -> Result<Vec<NoticeRow>, StoreError> {
    Ok(sqlx::query_as!(
        NoticeRow,
        "SELECT id, kind, recipient, channel, status, created_at, sent_at FROM notifications
         WHERE run_id = $1 AND case_id = $2 ORDER BY id",
        run_id,
        case_id
    )
    .fetch_all(pool)
    .await?)
}

/// The outbox key and issue date of one letter of a case (where the print folder keeps it).
pub async fn letter(
    pool: &PgPool,
    run_id: i64,
    case_id: &str,
    id: i64,
) -> Result<Option<(String, chrono::NaiveDate)>, StoreError> {
    let row = sqlx::query!(
        r#"SELECT idempotency_key, payload->>'issued_on' AS issued_on FROM notifications
           WHERE id = $1 AND run_id = $2 AND case_id = $3 AND channel = 'letter'"#,
        id,
        run_id,
        case_id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(|r| Some((r.idempotency_key, r.issued_on?.parse().ok()?))))
}

/// What a run's aggregates (courts, report, what-if) depend on: how many outcomes it has, and the
/// newest offer transition of any run. Equal stamps, equal aggregates; both are read from small
/// indexes, never from the run's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    outcomes: i64,
    transition: i64,
}

impl Stamp {
    /// A stamp of `outcomes` outcomes and newest transition `transition`.
    pub fn new(outcomes: i64, transition: i64) -> Self {
        Self {
            outcomes,
            transition,
        }
    }
}

/// The stamp of run `run_id` now.
pub async fn stamp(pool: &PgPool, run_id: i64) -> Result<Stamp, StoreError> {
    let r = sqlx::query!(
        r#"SELECT (SELECT coalesce(sum(n), 0)::bigint FROM run_counts
                   WHERE run_id = $1 AND kind = 'decision') AS "outcomes!",
                  (SELECT coalesce(max(id), 0) FROM transitions) AS "transition!""#,
        run_id
    )
    .fetch_one(pool)
    .await?;
    Ok(Stamp::new(r.outcomes, r.transition))
}
