//! Sign-in and sign-out. Failed sign-ins are recorded and rate-limited per account and per
//! address; an unknown name costs the same time as a wrong password.

use askama::Template;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::http::header::SET_COOKIE;
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::pages::render;
use super::session::{COOKIE, Form, PRE_COOKIE, address, check_csrf, cookie, csrf_for, set_cookie};
use super::{ConsoleError, ConsoleState};
use crate::identity::{self, store};

#[derive(Template)]
#[template(path = "console/sign_in.html")]
struct SignInPage {
    csrf: String,
    problem: Option<String>,
}

fn page(state: &ConsoleState, problem: Option<String>) -> Result<Response, ConsoleError> {
    let nonce = identity::new_secret();
    let csrf = csrf_for(&state.csrf_key, &format!("signin:{nonce}"));
    let html = render(&SignInPage { csrf, problem })?;
    let c = set_cookie(PRE_COOKIE, &nonce, state.secure_cookies, false);
    Ok(([(SET_COOKIE, c)], html).into_response())
}

/// `GET /console/sign-in`.
pub async fn form(State(state): State<ConsoleState>) -> Result<Response, ConsoleError> {
    page(&state, None)
}

#[derive(Deserialize)]
struct Credentials {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
}

/// `POST /console/sign-in`: a session for the right password, a page saying it was refused
/// otherwise, and 429 once too many attempts failed.
pub async fn submit(
    State(state): State<ConsoleState>,
    req: Request,
) -> Result<Response, ConsoleError> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 16 * 1024)
        .await
        .map_err(|_| ConsoleError::BadRequest("form: too large or unreadable".into()))?;
    let nonce = cookie(&parts.headers, PRE_COOKIE).unwrap_or_default();
    check_csrf(
        &bytes,
        &csrf_for(&state.csrf_key, &format!("signin:{nonce}")),
    )?;
    let c: Credentials = serde_html_form::from_bytes(&bytes)
        .map_err(|e| ConsoleError::BadRequest(format!("form: {e}")))?;
    let name = c.name.trim();
    let addr = address(&parts);
    if store::rate_limited(&state.pool, name, &addr).await? {
        tracing::warn!("Sign-in refused: too many recent failures for the account or address.");
        return Err(ConsoleError::TooMany);
    }
    let found = if identity::check_name(name).is_ok() {
        store::credentials(&state.pool, name).await?
    } else {
        None
    };
    let hash = found
        .as_ref()
        .and_then(|(_, _, h)| h.clone())
        .unwrap_or_else(|| identity::decoy_hash().to_string());
    let password = c.password;
    let ok = tokio::task::spawn_blocking(move || identity::verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let account = match (ok, found) {
        (true, Some((id, _, Some(_)))) => id,
        _ => {
            store::record_failure(&state.pool, name, &addr).await?;
            tracing::info!("A sign-in was refused.");
            let mut r = page(&state, Some("The name or password is not right.".into()))?;
            *r.status_mut() = axum::http::StatusCode::UNAUTHORIZED;
            return Ok(r);
        }
    };
    let secret = store::start_session(&state.pool, account).await?;
    let set = set_cookie(COOKIE, &secret, state.secure_cookies, false);
    let clear = set_cookie(PRE_COOKIE, "", state.secure_cookies, true);
    Ok((
        AppendHeaders([(SET_COOKIE, set), (SET_COOKIE, clear)]),
        Redirect::to("/console/runs"),
    )
        .into_response())
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize)]
pub struct Nothing {}

/// `POST /console/sign-out`: ends the session.
pub async fn sign_out(
    State(state): State<ConsoleState>,
    headers: HeaderMap,
    Form(_, Nothing {}): Form<Nothing>,
) -> Result<Response, ConsoleError> {
    if let Some(s) = cookie(&headers, COOKIE) {
        store::end_session(&state.pool, &s).await?;
    }
    let clear = set_cookie(COOKIE, "", state.secure_cookies, true);
    Ok(([(SET_COOKIE, clear)], Redirect::to("/console/sign-in")).into_response())
}
