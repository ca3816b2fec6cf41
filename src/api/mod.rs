//! The HTTP API of `docket serve`: run progress, a case's outcome and offer history, the offer
//! lifecycle's transitions (one case, or in bulk with a dry run), and run control (a run's state, a
//! policy's status). Every request carries a bearer token owned by a named account (see
//! [`crate::identity`]); reads need any token, lifecycle actions an attorney token, run control an
//! operator token, and the token's owner is recorded as the actor. The OpenAPI document is at
//! `/api/v1/openapi.json`.

mod actions;
mod auth;
mod control;
mod doc;
mod error;
mod extract;
mod input;
mod runs;
pub mod trace;

use std::sync::OnceLock;

use axum::extract::DefaultBodyLimit;
use axum::{Json, Router};
use serde_json::Value;
use sqlx::PgPool;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use doc::{NOT_BLANK, PLAIN_TEXT};
pub use error::{ApiError, ErrorBody, ErrorCode, ErrorDetail};
pub use input::{ClientToday, DateSettings};

/// Largest request body accepted.
const MAX_BODY_BYTES: usize = 64 * 1024;

/// What the handlers share.
#[derive(Clone)]
pub struct ApiState {
    /// Database (tokens are looked up in it).
    pub pool: PgPool,
}

/// Every route, each with its part of the OpenAPI document.
fn routes() -> OpenApiRouter<ApiState> {
    OpenApiRouter::with_openapi(doc::ApiDoc::openapi())
        .routes(routes!(openapi))
        .routes(routes!(runs::list_runs))
        .routes(routes!(runs::run_progress))
        .routes(routes!(runs::case_detail))
        .routes(routes!(actions::case_action))
        .routes(routes!(actions::bulk_action))
        .routes(routes!(control::set_state))
        .routes(routes!(control::set_policy))
}

/// The OpenAPI 3.1 description of this API, generated from the handlers.
pub fn openapi_document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| doc::finish(routes().split_for_parts().1))
}

/// The API routes, ready to be merged into a server's router.
pub fn router(state: ApiState) -> Router {
    routes()
        .split_for_parts()
        .0
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(input::plain_path))
        .with_state(state)
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", security(()),
    responses((status = 200, description = "The OpenAPI document", body = Object)))]
async fn openapi() -> Json<&'static Value> {
    Json(openapi_document())
}
