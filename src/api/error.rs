//! JSON errors with stable codes: `{"error": {"code": "...", "message": "..."}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::offers::OfferError;
use crate::store::StoreError;

/// An API error: a status, a stable machine-readable code, and a message for people.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
}

/// The stable, machine-readable error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 401: no valid token.
    Unauthorized,
    /// 403: the token's owner or scope does not allow this.
    Forbidden,
    /// 404: no such run or case.
    NotFound,
    /// 400: the request names the field that is wrong and why.
    BadRequest,
    /// 409: the offer lifecycle does not allow the action now.
    IllegalTransition,
    /// 409: the run or policy refuses the change in its present state.
    Refused,
    /// 500: see the server log.
    Internal,
}

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// A code and a message for people (names the field, never a personal value).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable code.
    pub code: ErrorCode,
    /// For people.
    pub message: String,
}

impl ApiError {
    /// 401: no or unknown token.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "a valid bearer token is required",
        )
    }
    /// 403: the token may not do this.
    pub fn forbidden() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            ErrorCode::Forbidden,
            "this token's owner or scope does not allow this",
        )
    }
    /// 404.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }
    /// 400.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::BadRequest, message)
    }
    /// 409: the lifecycle does not allow the action now.
    pub fn illegal_transition(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, ErrorCode::IllegalTransition, message)
    }

    fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::UnknownRun(r) => Self::not_found(format!("no run named {r:?}")),
            StoreError::Refused(why) => Self::new(StatusCode::CONFLICT, ErrorCode::Refused, why),
            other => {
                tracing::error!(error = %other, "API request failed.");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "the request could not be completed; see the server log",
                )
            }
        }
    }
}

impl From<crate::identity::IdentityError> for ApiError {
    fn from(e: crate::identity::IdentityError) -> Self {
        match e {
            crate::identity::IdentityError::Store(s) => s.into(),
            other => Self::bad_request(other.to_string()),
        }
    }
}

impl From<OfferError> for ApiError {
    fn from(e: OfferError) -> Self {
        match e {
            OfferError::Store(s) => s.into(),
            OfferError::Rules(r) => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                format!("run rules: {r}"),
            ),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(ErrorBody {
                error: ErrorDetail {
                    code: self.code,
                    message: self.message,
                },
            }),
        )
            .into_response()
    }
}
