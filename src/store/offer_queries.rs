//! Read side of the offer lifecycle: selections for bulk actions, a case's history, counts.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use sqlx::PgPool;

use super::StoreError;
use crate::domain::OfferState;

/// Which offers a bulk action applies to.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only offers in this state.
    pub state: Option<OfferState>,
    /// Only these courts.
    pub courts: Vec<String>,
    /// Only outcomes scoring at least this.
    pub min_score: Option<i32>,
}

/// Case ids of the run's offers matching `sel`, in case-id order.
pub async fn select(
    pool: &PgPool,
    run_id: i64,
    sel: &Selection,
) -> Result<Vec<String>, StoreError> {
    let courts = (!sel.courts.is_empty()).then_some(sel.courts.as_slice());
    Ok(sqlx::query_scalar!(
        r#"
        SELECT o.case_id
        FROM offers o
        JOIN outcomes oc ON oc.run_id = o.run_id AND oc.case_id = o.case_id
        LEFT JOIN cases c ON c.case_id = o.case_id
        WHERE o.run_id = $1
          AND ($2::text IS NULL OR o.state = $2)
          AND ($3::text[] IS NULL OR c.court = ANY($3))
          AND ($4::int IS NULL OR oc.score >= $4)
        ORDER BY o.case_id
        "#,
        run_id,
        sel.state.map(OfferState::as_str),
        courts,
        sel.min_score
    )
    .fetch_all(pool)
    .await?)
}

/// Offers still open after their deadline (`deadline < today`).
pub async fn overdue(
    pool: &PgPool,
    run_id: i64,
    today: NaiveDate,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar!(
        "SELECT case_id FROM offers WHERE run_id = $1 AND state = 'offered' AND deadline < $2 ORDER BY case_id",
        run_id,
        today
    )
    .fetch_all(pool)
    .await?)
}

/// Open offers made at least `reminder_days` before `today` that have had no reminder yet. The day
/// an offer was made is its deadline less `deadline_days` (the offer's own "today").
pub async fn due_for_reminder(
    pool: &PgPool,
    run_id: i64,
    today: NaiveDate,
    reminder_days: u32,
    deadline_days: u32,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar!(
        r#"
        SELECT o.case_id FROM offers o
        WHERE o.run_id = $1 AND o.state = 'offered'
          AND o.deadline - $4::int + $3::int <= $2
          AND NOT EXISTS (SELECT 1 FROM transitions t
                          WHERE t.run_id = o.run_id AND t.case_id = o.case_id
                            AND t.from_state = 'offered' AND t.to_state = 'offered')
        ORDER BY o.case_id
        "#,
        run_id,
        today,
        reminder_days as i32,
        deadline_days as i32
    )
    .fetch_all(pool)
    .await?)
}

/// One recorded transition.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TransitionRow {
    /// Transition id.
    pub id: i64,
    /// State before (None for the first).
    #[schema(value_type = Option<crate::domain::OfferState>)]
    pub from_state: Option<String>,
    /// State after.
    #[schema(value_type = crate::domain::OfferState)]
    pub to_state: String,
    /// Who.
    pub actor: String,
    /// Why.
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A case's offer: current state, deadline and every transition.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OfferHistory {
    /// Current state.
    #[schema(value_type = crate::domain::OfferState)]
    pub state: String,
    /// Response deadline, once offered.
    pub deadline: Option<NaiveDate>,
    /// Transitions, oldest first.
    pub transitions: Vec<TransitionRow>,
}

/// The offer history of a case, if it has an offer in the run.
pub async fn history(
    pool: &PgPool,
    run_id: i64,
    case_id: &str,
) -> Result<Option<OfferHistory>, StoreError> {
    let head = sqlx::query!(
        "SELECT state, deadline FROM offers WHERE run_id = $1 AND case_id = $2",
        run_id,
        case_id
    )
    .fetch_optional(pool)
    .await?;
    let Some(head) = head else {
        return Ok(None);
    };
    let transitions = sqlx::query_as!(
        TransitionRow,
        "SELECT id, from_state, to_state, actor, reason, at FROM transitions WHERE run_id = $1 AND case_id = $2 ORDER BY id",
        run_id,
        case_id
    )
    .fetch_all(pool)
    .await?;
    Ok(Some(OfferHistory {
        state: head.state,
        deadline: head.deadline,
        transitions,
    }))
}

/// Offers per state in a run (every state present, zero included).
pub async fn state_counts(pool: &PgPool, run_id: i64) -> Result<BTreeMap<String, i64>, StoreError> {
    let rows = sqlx::query!(
        r#"SELECT state, count(*) AS "n!" FROM offers WHERE run_id = $1 GROUP BY state"#,
        run_id
    )
    .fetch_all(pool)
    .await?;
    let mut out: BTreeMap<String, i64> = OfferState::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), 0))
        .collect();
    out.extend(rows.into_iter().map(|r| (r.state, r.n)));
    Ok(out)
}
