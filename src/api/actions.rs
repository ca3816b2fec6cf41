//! Lifecycle actions (attorney tokens): one case, or every case of a run that an action applies
//! to, with a dry run that only counts.

use axum::extract::{Path, State};
use axum::{Extension, Json};
use chrono::NaiveDate;
use serde::Deserialize;

use super::extract::{self, Decide};
use super::input::{self, ClientToday};
use super::{ApiError, ApiState, ErrorBody};
use crate::domain::Action;
use crate::offers::{self, Command, Report};
use crate::store::{offer_queries::Selection, offers::Applied};

/// Body of a single-case action.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CaseAction {
    /// What to do.
    #[schema(value_type = Action)]
    action: String,
    /// Why; recorded with the transition. Required (not blank) with `force`.
    #[serde(default)]
    reason: String,
    /// The day it happens: accepted only under `dates.client_today` (demo and test settings),
    /// years 1990 to 2100; otherwise the server's date.
    #[serde(default)]
    today: Option<NaiveDate>,
    /// Expire before the deadline; needs a non-blank reason, recorded as "forced before the
    /// deadline: REASON".
    #[serde(default)]
    force: bool,
}

/// Body of a bulk action.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct BulkAction {
    /// What to do; the cases selected are those in the state the action applies to.
    #[schema(value_type = Action)]
    action: String,
    /// Why; recorded with each transition. Required (not blank) with `force`.
    #[serde(default)]
    reason: String,
    /// Only cases of these courts (EOIR codes, any case).
    #[serde(default)]
    courts: Vec<String>,
    /// Only cases scoring at least this.
    #[serde(default)]
    min_score: Option<i32>,
    /// Count the cases selected; change nothing.
    #[serde(default)]
    dry_run: bool,
    /// Accepted only under `dates.client_today` (demo and test settings), years 1990 to 2100.
    #[serde(default)]
    today: Option<NaiveDate>,
    /// Expire before the deadline; needs a non-blank reason.
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

/// Apply a lifecycle action to one case (attorney scope).
#[utoipa::path(post, path = "/api/v1/runs/{run}/cases/{case_id}/actions", tag = "cases",
    params(
        ("run" = String, Path, description = "Run name"),
        ("case_id" = String, Path, description = "Case id"),
    ),
    request_body = CaseAction,
    responses(
        (status = 200, description = "The transition", body = Applied),
        (status = 400, description = "A field is wrong; the message names it", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token may not decide", body = ErrorBody),
        (status = 404, description = "No such run", body = ErrorBody),
        (status = 409, description = "The offer's state does not allow the action", body = ErrorBody),
    ))]
pub(super) async fn case_action(
    State(s): State<ApiState>,
    Path((run, case_id)): Path<(String, String)>,
    dates: Option<Extension<ClientToday>>,
    Decide(who, body): Decide<CaseAction>,
) -> Result<Json<Applied>, ApiError> {
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
            case_ids: vec![case_id.clone()],
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
    let applied = report.outcome.applied.into_iter().next();
    applied.map(Json).ok_or_else(|| {
        ApiError::illegal_transition(format!("case {case_id}: the action changed nothing"))
    })
}

/// Apply a lifecycle action to every case of the run it applies to (attorney scope), e.g.
/// approve all recommended cases of a court; `dry_run` counts first.
#[utoipa::path(post, path = "/api/v1/runs/{run}/actions", tag = "cases",
    params(("run" = String, Path, description = "Run name")),
    request_body = BulkAction,
    responses(
        (status = 200, description = "Selected, applied and refused", body = Report),
        (status = 400, description = "A field is wrong; the message names it", body = ErrorBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "The token may not decide", body = ErrorBody),
        (status = 404, description = "No such run", body = ErrorBody),
        (status = 409, description = "The run's policy refuses the action now", body = ErrorBody),
    ))]
pub(super) async fn bulk_action(
    State(s): State<ApiState>,
    Path(run): Path<String>,
    dates: Option<Extension<ClientToday>>,
    Decide(who, body): Decide<BulkAction>,
) -> Result<Json<Report>, ApiError> {
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
    Ok(Json(report))
}
