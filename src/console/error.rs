//! The console's errors: each becomes a page with its status, or a redirect to sign in.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::identity::IdentityError;
use crate::offers::OfferError;
use crate::store::StoreError;

/// A console error.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// Not signed in (or the session went idle): to the sign-in page.
    #[error("sign in first")]
    SignIn,
    /// Signed in, but the role does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// No such run or case.
    #[error("{0}")]
    NotFound(String),
    /// Bad form or query input, naming the field.
    #[error("{0}")]
    BadRequest(String),
    /// The lifecycle or the run's state does not allow it now.
    #[error("{0}")]
    Conflict(String),
    /// Too many failed sign-ins.
    #[error("too many failed sign-ins: wait a quarter of an hour and try again")]
    TooMany,
    /// Anything else; the detail goes to the server log only.
    #[error("the request could not be completed; see the server log")]
    Internal,
}

impl From<StoreError> for ConsoleError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::UnknownRun(_) => Self::NotFound("no such run".into()),
            StoreError::Refused(why) => Self::Conflict(why),
            other => {
                tracing::error!(error = %other, "Console request failed.");
                Self::Internal
            }
        }
    }
}

impl From<IdentityError> for ConsoleError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::Store(s) => s.into(),
            IdentityError::Invalid(why) => Self::BadRequest(why),
            other => {
                tracing::error!(error = %other, "Console identity check failed.");
                Self::Internal
            }
        }
    }
}

impl From<OfferError> for ConsoleError {
    fn from(e: OfferError) -> Self {
        match e {
            OfferError::Store(s) => s.into(),
            OfferError::Rules(r) => {
                tracing::error!(error = %r, "A run's rules do not load.");
                Self::Internal
            }
        }
    }
}

impl From<askama::Error> for ConsoleError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "A console page did not render.");
        Self::Internal
    }
}

#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: String,
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, title) = match &self {
            ConsoleError::SignIn => return Redirect::to("/console/sign-in").into_response(),
            ConsoleError::Forbidden(_) => (StatusCode::FORBIDDEN, "Not allowed"),
            ConsoleError::NotFound(_) => (StatusCode::NOT_FOUND, "Not found"),
            ConsoleError::BadRequest(_) => (StatusCode::BAD_REQUEST, "Not accepted"),
            ConsoleError::Conflict(_) => (StatusCode::CONFLICT, "Not possible now"),
            ConsoleError::TooMany => (StatusCode::TOO_MANY_REQUESTS, "Too many attempts"),
            ConsoleError::Internal => (StatusCode::INTERNAL_SERVER_ERROR, "Something failed"),
        };
        let page = ErrorPage {
            title,
            message: self.to_string(),
        };
        let body = page
            .render()
            .unwrap_or_else(|_| "the page could not be rendered".into());
        (status, Html(body)).into_response()
    }
}
