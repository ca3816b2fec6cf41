//! Run control over HTTP (operator tokens): a run's state, and a policy's status.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{Operate, why};
use super::{ApiError, ApiState};
use crate::store::{policy_status, run_state};

/// Body of `POST /api/v1/runs/{run}/state`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StateBody {
    state: String,
    #[serde(default)]
    rate: Option<f64>,
    reason: String,
}

/// Sets a run's state: `active` (resume), `paused`, `throttled` (with `rate`) or `cancelled`.
pub(super) async fn set_state(
    State(s): State<ApiState>,
    Path(run): Path<String>,
    Operate(who, b): Operate<StateBody>,
) -> Result<Json<Value>, ApiError> {
    why(&b.reason)?;
    let change = run_state::Change {
        state: &b.state,
        rate: b.rate,
        actor: &who.name,
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
}

/// Sets a policy's status; halting it pauses its runs and holds its notices.
pub(super) async fn set_policy(
    State(s): State<ApiState>,
    Path(rules): Path<String>,
    Operate(who, b): Operate<PolicyBody>,
) -> Result<Json<Value>, ApiError> {
    why(&b.reason)?;
    let c = policy_status::set(&s.pool, &rules, &b.status, &who.name, &b.reason).await?;
    Ok(Json(json!(c)))
}
