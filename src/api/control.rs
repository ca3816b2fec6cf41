//! Run control over HTTP (operator tokens): a run's state, and a policy's status.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;

use super::extract::{Operate, why};
use super::{ApiError, ApiState, ErrorBody};
use crate::store::policy_status;
use crate::store::policy_status::PolicyChange;
use crate::store::run_state::{self, Changed};

/// A state an operator may set (the document's enum; the store checks the same list).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum SettableState {
    /// Resume a paused or throttled run.
    Active,
    /// Park its jobs unreviewed.
    Paused,
    /// Review at most `rate` cases per second.
    Throttled,
    /// Final: its jobs are acknowledged without an outcome.
    Cancelled,
}

/// A policy's legal status.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(super) enum PolicyStatusName {
    /// In force.
    Active,
    /// Halted by a court order.
    Enjoined,
    /// Struck down.
    Vacated,
    /// Withdrawn by the agency.
    Rescinded,
    /// Replaced by a later policy.
    Superseded,
}

/// Body of `POST /api/v1/runs/{run}/state`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct StateBody {
    /// The new state.
    #[schema(value_type = SettableState)]
    state: String,
    /// Cases per second, all workers together; required above 0 when throttled.
    #[serde(default)]
    #[schema(exclusive_minimum = 0.0)]
    rate: Option<f64>,
    /// Why (not blank); recorded with who and when.
    #[schema(min_length = 1)]
    reason: String,
}

/// Pause, resume (active), throttle or cancel a run (operator scope), recorded with who and why.
/// Workers obey within about a second: a paused run's jobs are parked unreviewed, a cancelled
/// run's are acknowledged without an outcome.
#[utoipa::path(post, path = "/api/v1/runs/{run}/state", tag = "control",
    params(("run" = String, Path, description = "Run name")),
    request_body = StateBody,
    responses(
        (status = 200, description = "The change", body = Changed),
        (status = 400, description = "A field is wrong; the message names it", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token may not operate", body = ErrorBody),
        (status = 404, description = "No such run", body = ErrorBody),
        (status = 409, description = "Refused: the run is cancelled or completed, the state \
            is not one to set, throttled lacks a rate, or its policy is halted and the change \
            would resume it", body = ErrorBody),
    ))]
pub(super) async fn set_state(
    State(s): State<ApiState>,
    Path(run): Path<String>,
    Operate(who, b): Operate<StateBody>,
) -> Result<Json<Changed>, ApiError> {
    why(&b.reason)?;
    let change = run_state::Change {
        state: &b.state,
        rate: b.rate,
        actor: &who.name,
        reason: &b.reason,
    };
    Ok(Json(run_state::set(&s.pool, &run, &change).await?))
}

/// Body of `POST /api/v1/policies/{rules}/status`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PolicyBody {
    /// The new status.
    #[schema(value_type = PolicyStatusName)]
    status: String,
    /// Why (not blank); recorded with who and when.
    #[schema(min_length = 1)]
    reason: String,
}

/// Set a policy's legal status (operator scope). Halting it pauses its active and throttled
/// runs, refuses new offers under it and holds its unsent notices; active resumes the runs it
/// paused and releases the held notices.
#[utoipa::path(post, path = "/api/v1/policies/{rules}/status", tag = "control",
    params(("rules" = String, Path, description = "Rule-set name")),
    request_body = PolicyBody,
    responses(
        (status = 200, description = "What changed", body = PolicyChange),
        (status = 400, description = "A field is wrong; the message names it", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token may not operate", body = ErrorBody),
        (status = 409, description = "Refused: not a status, or no run uses the rule set",
            body = ErrorBody),
    ))]
pub(super) async fn set_policy(
    State(s): State<ApiState>,
    Path(rules): Path<String>,
    Operate(who, b): Operate<PolicyBody>,
) -> Result<Json<PolicyChange>, ApiError> {
    why(&b.reason)?;
    let c = policy_status::set(&s.pool, &rules, &b.status, &who.name, &b.reason).await?;
    Ok(Json(c))
}
