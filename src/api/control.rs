//! Run control over HTTP (write scope): a run's state, and a policy's status.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, ApiState, Scope, require};
use crate::store::{policy_status, run_state};

/// Body of `POST /api/v1/runs/{run}/state`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StateBody {
    state: String,
    #[serde(default)]
    rate: Option<f64>,
    reason: String,
    actor: String,
}

/// Sets a run's state: `active` (resume), `paused`, `throttled` (with `rate`) or `cancelled`.
pub(super) async fn set_state(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Path(run): Path<String>,
    body: Result<Json<StateBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    require(&s, &headers, Scope::Write)?;
    let Json(b) = body.map_err(|e| ApiError::bad_request(e.body_text()))?;
    if b.actor.trim().is_empty() || b.reason.trim().is_empty() {
        return Err(ApiError::bad_request(
            "actor and reason: must say who and why",
        ));
    }
    let change = run_state::Change {
        state: &b.state,
        rate: b.rate,
        actor: &b.actor,
        reason: &b.reason,
    };
    let done = run_state::set(&s.pool, &run, &change).await?;
    Ok(Json(json!(done)))
}

/// Body of `POST /api/v1/policies/{rules}/status`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct PolicyBody {
    status: String,
    reason: String,
    actor: String,
}

/// Sets a policy's status; halting it pauses its runs and holds its notices.
pub(super) async fn set_policy(
    State(s): State<ApiState>,
    headers: HeaderMap,
    Path(rules): Path<String>,
    body: Result<Json<PolicyBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    require(&s, &headers, Scope::Write)?;
    let Json(b) = body.map_err(|e| ApiError::bad_request(e.body_text()))?;
    if b.actor.trim().is_empty() || b.reason.trim().is_empty() {
        return Err(ApiError::bad_request(
            "actor and reason: must say who and why",
        ));
    }
    let c = policy_status::set(&s.pool, &rules, &b.status, &b.actor, &b.reason).await?;
    Ok(Json(json!(c)))
}
