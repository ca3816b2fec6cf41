//! The OpenAPI document, generated from the handlers' `#[utoipa::path]` attributes and their
//! typed bodies, then completed with the rule every handler applies to text: no control
//! character (NUL included) in a path segment or a string of a request body, and a non-blank
//! reason where a change must say why.

use serde_json::Value;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// A string without control characters (C0, DEL and C1), as [`super::input`] enforces.
pub const PLAIN_TEXT: &str = r"^[^\x00-\x1F\x7F-\x9F]*$";
/// Plain text holding at least one character that is not white space ("must say why").
pub const NOT_BLANK: &str =
    r"^[^\x00-\x1F\x7F-\x9F]*[^\s\x00-\x1F\x7F-\x9F][^\x00-\x1F\x7F-\x9F]*$";

/// Request bodies whose `reason` must say why.
const REASON_REQUIRED: [&str; 2] = ["StateBody", "PolicyBody"];

/// The document's fixed parts; paths and schemas come from the routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "docket API",
        version = "1.0.0",
        description = "Run progress, case outcomes and the offer lifecycle of docket. Every request \
            carries a bearer token owned by a named account (docket token create); its owner is \
            recorded as the actor of every change. Reads need any token; lifecycle actions an \
            attorney token; run control and policy status an operator token. Errors are \
            {\"error\": {\"code\", \"message\"}} with stable codes; a 400 names the field. No \
            string (path segment or body field) may hold a control character."
    ),
    modifiers(&Bearer),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The finished document: `generated` (from the routes) with the text rules written in.
pub fn finish(generated: utoipa::openapi::OpenApi) -> Value {
    let mut doc = serde_json::to_value(generated).expect("the OpenAPI document serializes");
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut().filter_map(Value::as_object_mut) {
            for op in item.values_mut() {
                for p in op
                    .get_mut("parameters")
                    .and_then(Value::as_array_mut)
                    .into_iter()
                    .flatten()
                {
                    plain_strings(&mut p["schema"]);
                }
            }
        }
    }
    let bodies: Vec<String> = request_schemas(&doc);
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for name in &bodies {
            if let Some(s) = schemas.get_mut(name) {
                plain_strings(s);
                if REASON_REQUIRED.contains(&name.as_str()) {
                    s["properties"]["reason"]["pattern"] = NOT_BLANK.into();
                }
            }
        }
    }
    doc
}

/// The component names that request bodies refer to.
fn request_schemas(doc: &Value) -> Vec<String> {
    let mut names = Vec::new();
    for item in doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
    {
        for op in item.as_object().into_iter().flat_map(|m| m.values()) {
            let r = &op["requestBody"]["content"]["application/json"]["schema"]["$ref"];
            if let Some(name) = r.as_str().and_then(|r| r.rsplit('/').next()) {
                names.push(name.to_string());
            }
        }
    }
    names
}

/// Gives every free-text string in `schema` (not an enum, a date or a pattern already) the
/// plain-text pattern.
fn plain_strings(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let is_string = match map.get("type") {
                Some(Value::String(t)) => t == "string",
                Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
                _ => false,
            };
            let free = !map.contains_key("enum")
                && !map.contains_key("format")
                && !map.contains_key("pattern");
            if is_string && free {
                map.insert("pattern".into(), PLAIN_TEXT.into());
            }
            for v in map.values_mut() {
                plain_strings(v);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(plain_strings),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn free_text_gets_the_plain_text_pattern_and_enums_and_dates_do_not() {
        let mut s = json!({"type": "object", "properties": {
            "reason": {"type": "string"},
            "today": {"type": ["string", "null"], "format": "date"},
            "courts": {"type": "array", "items": {"type": "string"}},
            "state": {"type": "string", "enum": ["active"]}}});
        plain_strings(&mut s);
        assert_eq!(s["properties"]["reason"]["pattern"], PLAIN_TEXT);
        assert_eq!(s["properties"]["courts"]["items"]["pattern"], PLAIN_TEXT);
        assert!(s["properties"]["today"].get("pattern").is_none());
        assert!(s["properties"]["state"].get("pattern").is_none());
    }
}
