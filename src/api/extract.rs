//! What every handler checks first: the caller's token scope and, for a change, its JSON body and
//! who makes it. Handlers take these as extractors, so each says only what it does.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::{ApiError, ApiState, Scope};
use crate::domain::{FieldError, decode_json};

/// A caller holding a read (or write) token.
pub struct Reader;

impl FromRequestParts<ApiState> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        require(state, parts, Scope::Read)?;
        Ok(Self)
    }
}

/// The JSON body of a change, from a caller holding a write token: 401 or 403 before the body is
/// read, 400 naming the field when it does not parse.
pub struct Change<T>(pub T);

impl<T: DeserializeOwned + Send> FromRequest<ApiState> for Change<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &ApiState) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        require(state, &parts, Scope::Write)?;
        let json = parts
            .headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("application/json"));
        if !json {
            return Err(ApiError::bad_request(
                "body: must be JSON (Content-Type: application/json)",
            ));
        }
        let req = Request::from_parts(parts, body);
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::bad_request("body: too large or unreadable"))?;
        // Errors name the field, never a value or an unknown key that is not a field name.
        let refuse = |e: FieldError| ApiError::bad_request(e.to_string());
        let value: serde_json::Value = decode_json(&bytes).map_err(refuse)?;
        if let Some(field) = super::input::control_character(&value, "") {
            return Err(ApiError::bad_request(format!(
                "{field}: must not contain control characters"
            )));
        }
        Ok(Self(decode_json(&bytes).map_err(refuse)?))
    }
}

/// Refuses a change that does not say who makes it (and, when a `reason` is asked for, why).
pub fn who_and_why(actor: &str, reason: Option<&str>) -> Result<(), ApiError> {
    let blank = |s: &str| s.trim().is_empty();
    match reason {
        None if blank(actor) => Err(ApiError::bad_request("actor: must name who acts")),
        Some(r) if blank(actor) || blank(r) => Err(ApiError::bad_request(
            "actor and reason: must say who and why",
        )),
        _ => Ok(()),
    }
}

fn require(state: &ApiState, parts: &Parts, need: Scope) -> Result<(), ApiError> {
    let header = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    match state.tokens.scope(header) {
        None => Err(ApiError::unauthorized()),
        Some(have) if have < need => Err(ApiError::forbidden()),
        Some(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::who_and_why;

    #[test]
    fn a_change_names_who_and_when_asked_why() {
        assert!(who_and_why("clerk-7", None).is_ok());
        assert!(who_and_why(" ", None).is_err());
        assert!(who_and_why("clerk-7", Some("court order")).is_ok());
        assert!(who_and_why("clerk-7", Some(" ")).is_err());
        assert!(who_and_why("", Some("court order")).is_err());
    }
}
