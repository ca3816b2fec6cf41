//! What every handler checks first: who the caller is (the owner of its token) and, for a change,
//! that it may make it and its JSON body. Handlers take these as extractors, so each says only
//! what it does.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::auth::{principal, require};
use super::{ApiError, ApiState};
use crate::domain::{FieldError, decode_json};
use crate::identity::{Permission, Principal};

/// A caller who may read.
pub struct Reader;

impl FromRequestParts<ApiState> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, ApiError> {
        let who = principal(&state.pool, parts).await?;
        require(&who, Permission::Read)?;
        Ok(Self)
    }
}

/// The JSON body of a lifecycle action, from a caller who may decide: 401 or 403 before the body
/// is read, 400 naming the field when it does not parse.
pub struct Decide<T>(pub Principal, pub T);

/// The JSON body of a run-control change, from a caller who may operate.
pub struct Operate<T>(pub Principal, pub T);

async fn change<T: DeserializeOwned>(
    req: Request,
    state: &ApiState,
    need: Permission,
) -> Result<(Principal, T), ApiError> {
    let (parts, body) = req.into_parts();
    let who = principal(&state.pool, &parts).await?;
    require(&who, need)?;
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
    Ok((who, decode_json(&bytes).map_err(refuse)?))
}

impl<T: DeserializeOwned + Send> FromRequest<ApiState> for Decide<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &ApiState) -> Result<Self, ApiError> {
        let (who, body) = change(req, state, Permission::Decide).await?;
        Ok(Self(who, body))
    }
}

impl<T: DeserializeOwned + Send> FromRequest<ApiState> for Operate<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &ApiState) -> Result<Self, ApiError> {
        let (who, body) = change(req, state, Permission::Operate).await?;
        Ok(Self(who, body))
    }
}

/// Refuses a change that does not say why.
pub fn why(reason: &str) -> Result<(), ApiError> {
    if reason.trim().is_empty() {
        Err(ApiError::bad_request("reason: must say why"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::why;

    #[test]
    fn a_change_says_why() {
        assert!(why("court order").is_ok());
        assert!(why(" ").is_err());
    }
}
