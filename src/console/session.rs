//! Who is signed in: a session cookie (a random secret whose digest is stored), or a name a
//! trusted single-sign-on proxy vouches for with the shared secret. CSRF tokens are derived from
//! the session with a per-process key, and checked on every form.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use secrecy::ExposeSecret;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::{ConsoleError, ConsoleState};
use crate::identity::{self, Principal, same_bytes};

/// The session cookie's name.
pub const COOKIE: &str = "docket_session";
/// The cookie that ties the sign-in form to its CSRF token before there is a session.
pub const PRE_COOKIE: &str = "docket_signin";

/// A signed-in person, and the CSRF token their forms carry.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who.
    pub who: Principal,
    /// CSRF token for this session's forms.
    pub csrf: String,
}

/// The value of cookie `name` in the request, if any.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty() && v.len() <= 128)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, for the console's paths; Secure when asked.
/// An empty value with `expire` removes the cookie.
pub fn set_cookie(name: &str, value: &str, secure: bool, expire: bool) -> String {
    let mut c = format!("{name}={value}; Path=/console; HttpOnly; SameSite=Strict");
    if secure {
        c.push_str("; Secure");
    }
    if expire {
        c.push_str("; Max-Age=0");
    }
    c
}

/// The CSRF token of a session basis (its cookie, or the proxy-vouched name).
pub fn csrf_for(key: &str, basis: &str) -> String {
    hex::encode(Sha256::digest(
        format!("{key}\u{0}csrf\u{0}{basis}").as_bytes(),
    ))
}

/// The client's address (for the sign-in rate limit), or "unknown".
pub fn address(parts: &Parts) -> String {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// The account a trusted proxy names, when single sign-on is configured and the request carries
/// the shared secret; a name without the secret is ignored (and logged, without the name).
async fn proxy_principal(
    parts: &Parts,
    state: &ConsoleState,
) -> Result<Option<Principal>, ConsoleError> {
    let s = &state.settings;
    let secret = s.sso_secret.expose_secret();
    if s.sso_user_header.is_empty() || s.sso_secret_header.is_empty() || secret.is_empty() {
        return Ok(None);
    }
    let header = |h: &str| parts.headers.get(h).and_then(|v| v.to_str().ok());
    let Some(name) = header(&s.sso_user_header) else {
        return Ok(None);
    };
    let given = header(&s.sso_secret_header).unwrap_or("");
    if !same_bytes(&identity::digest(given), &identity::digest(secret)) {
        tracing::warn!("A request named a user without the proxy's secret; ignored.");
        return Ok(None);
    }
    if identity::check_name(name).is_err() {
        return Ok(None);
    }
    Ok(identity::store::principal(&state.pool, name).await?)
}

impl FromRequestParts<ConsoleState> for Session {
    type Rejection = ConsoleError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ConsoleState,
    ) -> Result<Self, ConsoleError> {
        if let Some(who) = proxy_principal(parts, state).await? {
            let csrf = csrf_for(&state.csrf_key, &format!("proxy:{}", who.name));
            return Ok(Self { who, csrf });
        }
        let secret = cookie(&parts.headers, COOKIE).ok_or(ConsoleError::SignIn)?;
        let idle = state.settings.session_idle_minutes.max(1);
        let who = identity::store::session_principal(&state.pool, &secret, idle)
            .await?
            .ok_or(ConsoleError::SignIn)?;
        let csrf = csrf_for(&state.csrf_key, &format!("session:{secret}"));
        Ok(Self { who, csrf })
    }
}

#[derive(Deserialize)]
struct CsrfField {
    #[serde(default)]
    csrf: String,
}

/// A form posted by a signed-in person with the session's CSRF token; refused with 403 when the
/// token is missing or wrong, 400 naming the field when the form does not parse.
pub struct Form<T>(pub Session, pub T);

impl<T: DeserializeOwned + Send> FromRequest<ConsoleState> for Form<T> {
    type Rejection = ConsoleError;

    async fn from_request(req: Request, state: &ConsoleState) -> Result<Self, ConsoleError> {
        let (mut parts, body) = req.into_parts();
        let session = Session::from_request_parts(&mut parts, state).await?;
        let bytes = axum::body::to_bytes(body, 256 * 1024)
            .await
            .map_err(|_| ConsoleError::BadRequest("form: too large or unreadable".into()))?;
        check_csrf(&bytes, &session.csrf)?;
        let form = serde_html_form::from_bytes::<T>(&bytes)
            .map_err(|e| ConsoleError::BadRequest(format!("form: {e}")))?;
        Ok(Self(session, form))
    }
}

/// Refuses a form whose `csrf` field is not `expected`.
pub fn check_csrf(body: &[u8], expected: &str) -> Result<(), ConsoleError> {
    let given = serde_html_form::from_bytes::<CsrfField>(body)
        .map(|f| f.csrf)
        .unwrap_or_default();
    if !given.is_empty() && same_bytes(given.as_bytes(), expected.as_bytes()) {
        Ok(())
    } else {
        Err(ConsoleError::Forbidden(
            "csrf: the form's security token is missing or stale; reload the page and try again"
                .into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_name_and_set_strict_and_http_only() {
        let mut h = HeaderMap::new();
        h.insert("cookie", "a=1; docket_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&h, COOKIE).as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "missing"), None);
        let c = set_cookie(COOKIE, "v", false, false);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict"));
        assert!(!c.contains("Secure"));
        assert!(set_cookie(COOKIE, "v", true, false).contains("; Secure"));
        assert!(set_cookie(COOKIE, "", true, true).contains("Max-Age=0"));
    }

    #[test]
    fn a_form_needs_its_sessions_csrf_token() {
        let t = csrf_for("key", "session:s1");
        assert_ne!(t, csrf_for("key", "session:s2"));
        assert_ne!(t, csrf_for("other", "session:s1"));
        assert!(check_csrf(format!("csrf={t}&x=1").as_bytes(), &t).is_ok());
        assert!(check_csrf(b"x=1", &t).is_err());
        assert!(check_csrf(b"csrf=&x=1", &t).is_err());
        assert!(
            check_csrf(
                format!("csrf={}", csrf_for("key", "session:s2")).as_bytes(),
                &t
            )
            .is_err()
        );
    }
}
