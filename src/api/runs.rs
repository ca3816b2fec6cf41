//! Reads (any token): every run's progress, one run's progress, and one case's outcome with its
//! offer history.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;

use super::extract::Reader;
use super::{ApiError, ApiState, ErrorBody};
use crate::store::{
    self, offer_queries::OfferHistory, outcomes::StoredOutcome, progress::RunProgress,
};

/// Every run's progress, oldest run first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RunList {
    /// Runs, oldest first.
    pub runs: Vec<RunProgress>,
}

/// A case's outcome in a run and, when it was recommended, its offer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseDetail {
    /// The decision, every rule that fired in plain words, the score and the policy's hash.
    pub outcome: StoredOutcome,
    /// The offer's state, deadline and every transition (null when there is no offer).
    pub offer: Option<OfferHistory>,
}

/// Progress of every run.
#[utoipa::path(get, path = "/api/v1/runs", tag = "runs",
    responses(
        (status = 200, description = "Every run's progress, oldest first", body = RunList),
        (status = 401, description = "No valid token", body = ErrorBody),
    ))]
pub(super) async fn list_runs(
    _: Reader,
    State(s): State<ApiState>,
) -> Result<Json<RunList>, ApiError> {
    let created: HashMap<String, usize> = store::runs::names(&s.pool)
        .await?
        .into_iter()
        .enumerate()
        .map(|(i, name)| (name, i))
        .collect();
    let mut runs = store::progress::all(&s.pool).await?;
    runs.sort_by_key(|p| created.get(&p.run).copied().unwrap_or(usize::MAX));
    Ok(Json(RunList { runs }))
}

/// Progress of one run.
#[utoipa::path(get, path = "/api/v1/runs/{run}", tag = "runs",
    params(("run" = String, Path, description = "Run name")),
    responses(
        (status = 200, description = "The run's progress", body = RunProgress),
        (status = 400, description = "A control character in the path", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "No such run", body = ErrorBody),
    ))]
pub(super) async fn run_progress(
    _: Reader,
    State(s): State<ApiState>,
    Path(run): Path<String>,
) -> Result<Json<RunProgress>, ApiError> {
    Ok(Json(store::progress::for_run(&s.pool, &run).await?))
}

/// A case's outcome, every fired rule, and its offer history.
#[utoipa::path(get, path = "/api/v1/runs/{run}/cases/{case_id}", tag = "cases",
    params(
        ("run" = String, Path, description = "Run name"),
        ("case_id" = String, Path, description = "Case id"),
    ),
    responses(
        (status = 200, description = "Outcome and offer", body = CaseDetail),
        (status = 400, description = "A control character in the path", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 404, description = "No such run, or the case has no outcome in it", body = ErrorBody),
    ))]
pub(super) async fn case_detail(
    _: Reader,
    State(s): State<ApiState>,
    Path((run, case_id)): Path<(String, String)>,
) -> Result<Json<CaseDetail>, ApiError> {
    let r = store::runs::get(&s.pool, &run).await?;
    let outcome = store::outcomes::find(&s.pool, r.id, &case_id)
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!("case {case_id} has no outcome in run {run}"))
        })?;
    let offer = store::offer_queries::history(&s.pool, r.id, &case_id).await?;
    Ok(Json(CaseDetail { outcome, offer }))
}
