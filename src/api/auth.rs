//! Bearer tokens: each belongs to a named account (a person or a service) and carries a scope;
//! only its digest is stored (see [`crate::identity`]). The token's owner is the actor of every
//! change made with it.

use axum::http::request::Parts;
use sqlx::PgPool;

use super::ApiError;
use crate::identity::{self, Permission, Principal};

/// The principal a request's `Authorization: Bearer …` header stands for.
pub async fn principal(pool: &PgPool, parts: &Parts) -> Result<Principal, ApiError> {
    let token = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 200)
        .ok_or_else(ApiError::unauthorized)?;
    identity::store::token_principal(pool, token)
        .await
        .map_err(ApiError::from)?
        .ok_or_else(ApiError::unauthorized)
}

/// Refuses with 403 unless `who` may do `p`.
pub fn require(who: &Principal, p: Permission) -> Result<(), ApiError> {
    if who.can(p) {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}
