//! What the API accepts as text and dates: no control character (NUL included) in any string of a
//! body or in the path, each refused with a 400 that names the field; and a client-chosen `today`
//! only where the settings allow it (demo and test set-ups), within sane years.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use serde_json::Value;

use super::ApiError;

/// The `[dates]` settings of the API.
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DateSettings {
    /// Accept a `today` chosen by the client in action bodies. Demo and test settings only: in
    /// production the server's clock dates letters and deadlines.
    #[serde(default)]
    pub client_today: bool,
}

/// Whether this server accepts a client-chosen `today` (a request extension set by the server).
#[derive(Debug, Clone, Copy, Default)]
pub struct ClientToday(pub bool);

/// The day an action happens: the server's date, or the client's when allowed and sane.
pub fn today(asked: Option<NaiveDate>, allowed: bool) -> Result<NaiveDate, ApiError> {
    let Some(day) = asked else {
        return Ok(chrono::Utc::now().date_naive());
    };
    if !allowed {
        return Err(ApiError::bad_request(
            "today: is set by the server (a client-chosen day is accepted only with \
             dates.client_today, in demo and test settings)",
        ));
    }
    if !(1990..=2100).contains(&day.year()) {
        return Err(ApiError::bad_request(
            "today: must be a year from 1990 to 2100",
        ));
    }
    Ok(day)
}

/// The JSON path of the first string (or key) holding a control character, if any.
pub fn control_character(v: &Value, path: &str) -> Option<String> {
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}.{k}")
        }
    };
    match v {
        Value::String(s) if s.chars().any(char::is_control) => Some(if path.is_empty() {
            ".".into()
        } else {
            path.into()
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| control_character(item, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, item)| {
            if k.chars().any(char::is_control) {
                Some(if path.is_empty() {
                    ".".into()
                } else {
                    path.into()
                })
            } else {
                control_character(item, &join(k))
            }
        }),
        _ => None,
    }
}

/// Refuses a request whose path or query, percent-decoded, holds a control character.
pub async fn plain_path(req: Request, next: Next) -> Response {
    let uri = req.uri();
    let raw = format!("{}{}", uri.path(), uri.query().unwrap_or(""));
    if percent_decoded(&raw).chars().any(char::is_control) {
        return ApiError::bad_request("path: must not contain control characters").into_response();
    }
    next.run(req).await
}

fn percent_decoded(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_control_character_anywhere_is_found_by_its_path() {
        let v = serde_json::json!({"actor": "a", "courts": ["DEN", "x\u{0}"], "reason": "ok"});
        assert_eq!(control_character(&v, "").as_deref(), Some("courts[1]"));
        let v = serde_json::json!({"reason": "line\nbreak"});
        assert_eq!(control_character(&v, "").as_deref(), Some("reason"));
        let v = serde_json::json!({"reason": "c1\u{85}"});
        assert_eq!(control_character(&v, "").as_deref(), Some("reason"));
        let v = serde_json::json!({"actor": "Ana Ortiz", "reason": "court order ñ"});
        assert_eq!(control_character(&v, ""), None);
    }

    #[test]
    fn a_client_day_needs_the_setting_and_a_sane_year() {
        let day = NaiveDate::from_ymd_opt(2011, 12, 1).unwrap();
        assert!(today(Some(day), false).is_err());
        assert_eq!(today(Some(day), true).unwrap(), day);
        let far = NaiveDate::from_ymd_opt(262_000, 1, 1).unwrap();
        assert!(today(Some(far), true).is_err());
        assert!(today(None, false).is_ok());
    }

    #[test]
    fn percent_encoded_controls_are_decoded() {
        assert!(percent_decoded("/api/v1/runs/a%00b").contains('\0'));
        assert!(percent_decoded("/x%C2%85").chars().any(char::is_control));
        assert_eq!(percent_decoded("/api/v1/runs/r-1"), "/api/v1/runs/r-1");
    }
}
