//! The HTTP API of `docket serve`: run progress, a case's outcome and offer history, the offer
//! lifecycle's transitions (one case, or in bulk with a dry run), and run control (a run's state, a
//! policy's status). Every request carries a bearer token owned by a named account (see
//! [`crate::identity`]); reads need any token, lifecycle actions an attorney token, run control an
//! operator token, and the token's owner is recorded as the actor. The OpenAPI document is at
//! `/api/v1/openapi.json`.

mod auth;
mod control;
mod error;
mod extract;
mod input;
pub mod trace;

use axum::Extension;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::PgPool;

pub use error::ApiError;
pub use input::{ClientToday, DateSettings};

use extract::{Decide, Reader};

use crate::domain::Action;
use crate::offers::{self, Command};
use crate::store::{self, offer_queries::Selection};

/// Largest request body accepted.
const MAX_BODY_BYTES: usize = 64 * 1024;
/// The OpenAPI 3.1 description of this API.
pub const OPENAPI: &str = include_str!("openapi.json");

/// What the handlers share.
#[derive(Clone)]
pub struct ApiState {
    /// Database (tokens are looked up in it).
    pub pool: PgPool,
}

/// The API routes, ready to be merged into a server's router.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/runs", get(list_runs))
        .route("/api/v1/runs/{run}", get(run_progress))
        .route("/api/v1/runs/{run}/cases/{case_id}", get(case_detail))
        .route(
            "/api/v1/runs/{run}/cases/{case_id}/actions",
            post(case_action),
        )
        .route("/api/v1/runs/{run}/actions", post(bulk_action))
        .route("/api/v1/runs/{run}/state", post(control::set_state))
        .route("/api/v1/policies/{rules}/status", post(control::set_policy))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(input::plain_path))
        .with_state(state)
}

async fn openapi() -> ([(&'static str, &'static str); 1], &'static str) {
    ([("content-type", "application/json")], OPENAPI)
}

/// Every run's progress, oldest run first.
async fn list_runs(_: Reader, State(s): State<ApiState>) -> Result<Json<Value>, ApiError> {
    let created: std::collections::HashMap<String, usize> = store::runs::names(&s.pool)
        .await?
        .into_iter()
        .enumerate()
        .map(|(i, name)| (name, i))
        .collect();
    let mut runs = store::progress::all(&s.pool).await?;
    runs.sort_by_key(|p| created.get(&p.run).copied().unwrap_or(usize::MAX));
    Ok(Json(json!({ "runs": runs })))
}

async fn run_progress(
    _: Reader,
    State(s): State<ApiState>,
    Path(run): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let p = store::progress::for_run(&s.pool, &run).await?;
    Ok(Json(serde_json::to_value(p).expect("progress serializes")))
}

async fn case_detail(
    _: Reader,
    State(s): State<ApiState>,
    Path((run, case_id)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let r = store::runs::get(&s.pool, &run).await?;
    let outcome = store::outcomes::find(&s.pool, r.id, &case_id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!("case {case_id} has no outcome in run {run}"))
        })?;
    let offer = store::offer_queries::history(&s.pool, r.id, &case_id).await?;
    Ok(Json(json!({ "outcome": outcome, "offer": offer })))
}

/// Body of a single-case action.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CaseAction {
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    today: Option<NaiveDate>,
    /// Expire before the deadline (needs a reason, which is recorded).
    #[serde(default)]
    force: bool,
}

fn parse_action(name: &str) -> Result<Action, ApiError> {
    name.parse::<Action>().map_err(ApiError::bad_request)
}

/// Whether the server lets clients choose `today` (absent: it does not).
fn client_today(ext: Option<Extension<ClientToday>>) -> bool {
    ext.is_some_and(|Extension(ClientToday(allowed))| allowed)
}

async fn case_action(
    State(s): State<ApiState>,
    Path((run, case_id)): Path<(String, String)>,
    dates: Option<Extension<ClientToday>>,
    Decide(who, body): Decide<CaseAction>,
) -> Result<Json<Value>, ApiError> {
    let action = parse_action(&body.action)?;
    if body.force {
        extract::why(&body.reason)?;
    }
    let today = input::today(body.today, client_today(dates))?;
    let report = offers::execute(
        &s.pool,
        &Command {
            run: &run,
            action,
            case_ids: vec![case_id],
            selection: None,
            actor: &who.name,
            reason: &body.reason,
            today,
            dry_run: false,
            force: body.force,
        },
    )
    .await?;
    if let Some(refused) = report.outcome.refused.first() {
        return Err(ApiError::illegal_transition(refused.reason.clone()));
    }
    Ok(Json(json!(report.outcome.applied.first())))
}

/// Body of a bulk action.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkAction {
    action: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    courts: Vec<String>,
    #[serde(default)]
    min_score: Option<i32>,
    #[serde(default)]
    dry_run: bool,
    #[serde(default)]
    today: Option<NaiveDate>,
    /// Expire before the deadline (needs a reason, which is recorded).
    #[serde(default)]
    force: bool,
}

async fn bulk_action(
    State(s): State<ApiState>,
    Path(run): Path<String>,
    dates: Option<Extension<ClientToday>>,
    Decide(who, body): Decide<BulkAction>,
) -> Result<Json<Value>, ApiError> {
    let action = parse_action(&body.action)?;
    if body.force {
        extract::why(&body.reason)?;
    }
    let today = input::today(body.today, client_today(dates))?;
    let report = offers::execute(
        &s.pool,
        &Command {
            run: &run,
            action,
            case_ids: Vec::new(),
            selection: Some(Selection {
                state: None,
                courts: body.courts.iter().map(|c| c.to_uppercase()).collect(),
                min_score: body.min_score,
            }),
            actor: &who.name,
            reason: &body.reason,
            today,
            dry_run: body.dry_run,
            force: body.force,
        },
    )
    .await?;
    Ok(Json(
        serde_json::to_value(report).expect("report serializes"),
    ))
}
