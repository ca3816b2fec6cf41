//! The `offers` and `transitions` tables: applying lifecycle actions under row locks, with the
//! notices of each transition written to the outbox in the same transaction.

use std::collections::HashMap;

use chrono::{Days, NaiveDate};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};

use super::StoreError;
use super::outbox::{self, Queued};
use crate::domain::{
    Action, Case, NoticeContext, OfferState, PlannedNotice, Requirements, next, plan_notices,
};

/// What the run's rule set says about offers.
#[derive(Debug, Clone)]
pub struct OfferPolicy {
    /// Approval and background-check requirements.
    pub requirements: Requirements,
    /// Days the respondent has to answer.
    pub deadline_days: u32,
    /// Days after the offer when an unanswered offer gets a reminder.
    pub reminder_days: u32,
    /// Closure mechanism name.
    pub closure_mechanism: String,
}

/// Who does what, why, and on which day.
#[derive(Debug, Clone)]
pub struct ActionRequest<'a> {
    /// The action.
    pub action: Action,
    /// Who does it (an attorney, an operator, `system`).
    pub actor: &'a str,
    /// Why (stored with the transition).
    pub reason: &'a str,
    /// The day it happens (deadlines count from it).
    pub today: NaiveDate,
    /// Expire an offer before its deadline (with a reason).
    pub force: bool,
}

/// Why an Expire must not happen yet: the deadline is today or later and the request does not
/// force it, or forces it without a reason.
fn early_expiry(req: &ActionRequest<'_>, deadline: Option<NaiveDate>) -> Option<String> {
    let deadline = deadline.filter(|d| *d >= req.today)?;
    if req.action != Action::Expire {
        return None;
    }
    if !req.force {
        return Some(format!(
            "the deadline {deadline} has not passed; expiring earlier needs force and a reason"
        ));
    }
    req.reason
        .trim()
        .is_empty()
        .then(|| "forcing an expiry before the deadline needs a reason".to_string())
}

/// The reason stored with the transitions: a forced expiry says so.
fn recorded_reason(req: &ActionRequest<'_>) -> String {
    if req.force && req.action == Action::Expire {
        format!("forced before the deadline: {}", req.reason.trim())
    } else {
        req.reason.to_string()
    }
}

/// One transition that was applied.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Applied {
    /// Case id.
    pub case_id: String,
    /// State before.
    pub from: OfferState,
    /// State after.
    pub to: OfferState,
    /// Transition id.
    pub transition_id: i64,
    /// Notices queued.
    pub notices: u64,
}

/// One case the action was refused for, and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Refused {
    /// Case id.
    pub case_id: String,
    /// Why.
    pub reason: String,
}

/// The result of applying an action to some cases.
#[derive(Debug, Default, Clone, Serialize, utoipa::ToSchema)]
pub struct Outcome {
    /// Applied transitions.
    pub applied: Vec<Applied>,
    /// Refusals.
    pub refused: Vec<Refused>,
}

/// Cases per transaction in bulk operations.
const CHUNK: usize = 500;

/// Applies `req` to every case of `ids` (in chunks, one transaction each).
pub async fn apply(
    pool: &PgPool,
    run_id: i64,
    policy: &OfferPolicy,
    ids: &[String],
    req: &ActionRequest<'_>,
) -> Result<Outcome, StoreError> {
    let mut out = Outcome::default();
    for chunk in ids.chunks(CHUNK) {
        let mut tx = pool.begin().await?;
        let part = apply_chunk(&mut tx, run_id, policy, chunk, req, None).await?;
        tx.commit().await?;
        out.applied.extend(part.applied);
        out.refused.extend(part.refused);
    }
    Ok(out)
}

/// Applies `req` to `ids` inside the caller's transaction. `cases` may supply the case records
/// (the worker has them); otherwise they are read from `cases` when notices need them. The Offer
/// action is refused for every case while the run's policy is halted (see
/// [`super::policy_status::status_for_offers`]).
pub async fn apply_chunk(
    conn: &mut PgConnection,
    run_id: i64,
    policy: &OfferPolicy,
    ids: &[String],
    req: &ActionRequest<'_>,
    cases: Option<&HashMap<String, Case>>,
) -> Result<Outcome, StoreError> {
    // Under a halted policy no offer is made; read in this transaction, under the policy's lock.
    if req.action == Action::Offer {
        let status = super::policy_status::status_for_offers(conn, run_id).await?;
        if status != "active" {
            let reason = format!("the run's policy is {status}: no new offer is made under it");
            let refused = ids
                .iter()
                .map(|case_id| Refused {
                    case_id: case_id.clone(),
                    reason: reason.clone(),
                })
                .collect();
            return Ok(Outcome {
                applied: Vec::new(),
                refused,
            });
        }
    }
    let rows: Vec<(String, String, Option<NaiveDate>)> = sqlx::query_as(
        "SELECT case_id, state, deadline FROM offers WHERE run_id = $1 AND case_id = ANY($2) \
         ORDER BY case_id FOR UPDATE",
    )
    .bind(run_id)
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    let deadlines: HashMap<String, NaiveDate> = rows
        .iter()
        .filter_map(|(id, _, d)| d.map(|d| (id.clone(), d)))
        .collect();
    let current: HashMap<String, OfferState> = rows
        .into_iter()
        .filter_map(|(id, s, _)| s.parse().ok().map(|s| (id, s)))
        .collect();
    let mut out = Outcome::default();
    let mut moves: Vec<(String, OfferState, OfferState)> = Vec::new();
    for id in ids {
        if let Some(reason) = early_expiry(req, deadlines.get(id).copied()) {
            out.refused.push(Refused {
                case_id: id.clone(),
                reason,
            });
            continue;
        }
        match current.get(id) {
            None => out.refused.push(Refused {
                case_id: id.clone(),
                reason: "has no offer in this run (its review did not recommend one)".into(),
            }),
            Some(from) => match next(*from, req.action, policy.requirements) {
                Ok(to) => moves.push((id.clone(), *from, to)),
                Err(e) => out.refused.push(Refused {
                    case_id: id.clone(),
                    reason: e.to_string(),
                }),
            },
        }
    }
    if moves.is_empty() {
        return Ok(out);
    }
    let deadline = (req.action == Action::Offer)
        .then(|| {
            req.today
                .checked_add_days(Days::new(policy.deadline_days.into()))
        })
        .flatten();
    let move_ids: Vec<&str> = moves.iter().map(|(id, _, _)| id.as_str()).collect();
    let froms: Vec<&str> = moves.iter().map(|(_, f, _)| f.as_str()).collect();
    let tos: Vec<&str> = moves.iter().map(|(_, _, t)| t.as_str()).collect();
    sqlx::query(
        r#"
        UPDATE offers o SET state = u.state, updated_at = now(),
            deadline = COALESCE($4, o.deadline),
            offered_at = CASE WHEN $4::date IS NOT NULL THEN now() ELSE o.offered_at END
        FROM UNNEST($2::text[], $3::text[]) AS u(case_id, state)
        WHERE o.run_id = $1 AND o.case_id = u.case_id
        "#,
    )
    .bind(run_id)
    .bind(&move_ids)
    .bind(&tos)
    .bind(deadline)
    .execute(&mut *conn)
    .await?;
    let inserted: Vec<(i64, String)> = sqlx::query_as(
        r#"
        INSERT INTO transitions (run_id, case_id, from_state, to_state, actor, reason)
        SELECT $1, t.case_id, t.from_state, t.to_state, $5, $6
        FROM UNNEST($2::text[], $3::text[], $4::text[]) AS t(case_id, from_state, to_state)
        RETURNING id, case_id
        "#,
    )
    .bind(run_id)
    .bind(&move_ids)
    .bind(&froms)
    .bind(&tos)
    .bind(req.actor)
    .bind(recorded_reason(req))
    .fetch_all(&mut *conn)
    .await?;
    let transition_of: HashMap<String, i64> =
        inserted.into_iter().map(|(id, case)| (case, id)).collect();

    let mut notices: HashMap<String, Vec<PlannedNotice>> = HashMap::new();
    if let Some(kind) = req.action.notice() {
        let loaded;
        let records = match cases {
            Some(c) => c,
            None => {
                loaded = load_cases(conn, &move_ids).await?;
                &loaded
            }
        };
        let ctx = NoticeContext {
            kind,
            deadline: None,
            deadline_days: None,
            closure_mechanism: policy.closure_mechanism.clone(),
            issued_on: req.today,
        };
        let deadlines = offer_deadlines(conn, run_id, &move_ids, deadline).await?;
        for (id, _, _) in &moves {
            if let Some(case) = records.get(id) {
                let ctx = NoticeContext {
                    deadline: deadlines.get(id).copied().flatten(),
                    deadline_days: (kind == crate::domain::NoticeKind::Offer)
                        .then_some(policy.deadline_days),
                    ..ctx.clone()
                };
                notices.insert(id.clone(), plan_notices(case, &ctx));
            }
        }
    }
    let mut queued = Vec::new();
    for (id, _, _) in &moves {
        for n in notices.get(id).into_iter().flatten() {
            queued.push(Queued {
                run_id,
                case_id: id,
                transition_id: transition_of[id],
                notice: n,
            });
        }
    }
    outbox::queue(conn, &queued).await?;
    for (id, from, to) in moves {
        out.applied.push(Applied {
            notices: notices.get(&id).map_or(0, |v| v.len() as u64),
            transition_id: transition_of[&id],
            case_id: id,
            from,
            to,
        });
    }
    Ok(out)
}

async fn load_cases(
    conn: &mut PgConnection,
    ids: &[&str],
) -> Result<HashMap<String, Case>, StoreError> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT case_id, record::text FROM cases WHERE case_id = ANY($1)")
            .bind(ids)
            .fetch_all(&mut *conn)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, json)| Case::from_json(json.as_bytes()).ok().map(|c| (id, c)))
        .collect())
}

async fn offer_deadlines(
    conn: &mut PgConnection,
    run_id: i64,
    ids: &[&str],
    fresh: Option<NaiveDate>,
) -> Result<HashMap<String, Option<NaiveDate>>, StoreError> {
    if fresh.is_some() {
        return Ok(ids.iter().map(|id| (id.to_string(), fresh)).collect());
    }
    Ok(sqlx::query_as(
        "SELECT case_id, deadline FROM offers WHERE run_id = $1 AND case_id = ANY($2)",
    )
    .bind(run_id)
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect())
}

/// Records new recommendations (state `offer_recommended`, first transition by `actor`), inside the
/// caller's transaction; a case that already has an offer in the run is left alone.
pub async fn recommend(
    conn: &mut PgConnection,
    run_id: i64,
    ids: &[&str],
    actor: &str,
) -> Result<Vec<String>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let created: Vec<String> = sqlx::query_scalar(
        r#"
        INSERT INTO offers (run_id, case_id, state)
        SELECT $1, id, 'offer_recommended' FROM UNNEST($2::text[]) AS t(id)
        ON CONFLICT (run_id, case_id) DO NOTHING
        RETURNING case_id
        "#,
    )
    .bind(run_id)
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query(
        r#"
        INSERT INTO transitions (run_id, case_id, from_state, to_state, actor, reason)
        SELECT $1, id, NULL, 'offer_recommended', $3, 'recommended by the rules'
        FROM UNNEST($2::text[]) AS t(id)
        "#,
    )
    .bind(run_id)
    .bind(&created)
    .bind(actor)
    .execute(&mut *conn)
    .await?;
    Ok(created)
}
