//! Reading a rule-set file into its raw sections, keeping every mistake rather than the first.
//!
//! The TOML is parsed once into a spanned tree. The header, the `[params]` table and each element of
//! each rule section (`[[gates]]`, `[[points]]`, `[[examples]]`, …) are then deserialized on their
//! own, so an unknown key in one gate does not hide an unknown fact in another. Spans are those of
//! the whole file, so every error keeps its line.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, Deserializer, ValueDeserializer};

use super::RulesError;
use super::format::{RULE_SECTIONS, RawDocument};

/// The segment serde uses inside [`Spanned`]; it means nothing to a reader of the file.
const SPANNED_SEGMENT: &str = "$__serde_spanned_private_value";

/// Reads `text` into its sections; `errors` receives every syntax and shape mistake found.
pub(super) fn read(text: &str, errors: &mut Vec<RulesError>) -> RawDocument {
    let (root, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        errors.extend(syntax.iter().map(|e| from_toml_error(text, ".", e)));
        return RawDocument::default();
    }
    let span = root.span();
    let mut table = root.into_inner();
    let mut doc = RawDocument::default();
    let mut sections: BTreeMap<&str, Vec<Spanned<DeValue<'_>>>> = BTreeMap::new();
    for name in RULE_SECTIONS {
        let Some(value) = table.remove(name) else {
            continue;
        };
        match value.into_inner() {
            DeValue::Array(items) => {
                sections.insert(name, items.into_iter().collect());
            }
            _ => errors.push(RulesError::new(
                name,
                format!("must be a list of tables, written [[{name}]]"),
            )),
        }
    }
    if let Some(params) = table.remove("params") {
        doc.params = element(text, "params", params, errors).unwrap_or_default();
    }
    let header = Deserializer::from(Spanned::new(span, table));
    doc.header = deserialize(text, "", header, errors);
    let mut take = |name: &str| sections.remove(name).unwrap_or_default().into_iter();
    let path = |name: &str, i: usize| format!("{name}[{i}]");
    for (i, v) in take("gates").enumerate() {
        doc.gates.push(element(text, &path("gates", i), v, errors));
    }
    for (i, v) in take("relief").enumerate() {
        doc.relief
            .push(element(text, &path("relief", i), v, errors));
    }
    for (i, v) in take("qualifying").enumerate() {
        doc.qualifying
            .push(element(text, &path("qualifying", i), v, errors));
    }
    for (i, v) in take("points").enumerate() {
        doc.points
            .push(element(text, &path("points", i), v, errors));
    }
    for (i, v) in take("examples").enumerate() {
        doc.examples
            .push(element(text, &path("examples", i), v, errors));
    }
    doc
}

/// Deserializes one element at `path`.
fn element<T: DeserializeOwned>(
    text: &str,
    path: &str,
    value: Spanned<DeValue<'_>>,
    errors: &mut Vec<RulesError>,
) -> Option<T> {
    let start = value.span().start;
    let mut value = value;
    value.get_mut().make_owned();
    match deserialize(text, path, ValueDeserializer::from(value), errors) {
        Some(v) => Some(v),
        None => {
            // A shape error without a span of its own still points at the element.
            if let Some(last) = errors.last_mut()
                && last.line.is_none()
            {
                last.line = Some(super::line_of(text, start));
            }
            None
        }
    }
}

/// Deserializes with `serde_path_to_error`, recording the error with its key path under `prefix`.
fn deserialize<'de, T, D>(
    text: &str,
    prefix: &str,
    de: D,
    errors: &mut Vec<RulesError>,
) -> Option<T>
where
    T: serde::Deserialize<'de>,
    D: serde::Deserializer<'de, Error = toml::de::Error>,
{
    match serde_path_to_error::deserialize(de) {
        Ok(v) => Some(v),
        Err(e) => {
            let inner = e
                .path()
                .to_string()
                .replace(&format!(".{SPANNED_SEGMENT}"), "")
                .replace(SPANNED_SEGMENT, "");
            let path = match (prefix, inner.as_str()) {
                ("", p) => p.to_string(),
                (pre, "." | "") => pre.to_string(),
                (pre, p) if p.starts_with('[') => format!("{pre}{p}"),
                (pre, p) => format!("{pre}.{p}"),
            };
            errors.push(from_toml_error(text, &path, e.inner()));
            None
        }
    }
}

/// A TOML or serde error as a [`RulesError`] with plain-words wording.
fn from_toml_error(text: &str, path: &str, e: &toml::de::Error) -> RulesError {
    let message = e
        .message()
        .trim()
        .replace("expected i64", "expected a whole number")
        .replace("expected u32", "expected a whole number of 0 or more");
    let err = match message
        .strip_prefix("missing field `")
        .and_then(|m| m.strip_suffix('`'))
    {
        Some(field) if path == "." || path.is_empty() => RulesError::new(field, "is required"),
        Some(field) => RulesError::new(format!("{path}.{field}"), "is required"),
        None => RulesError::new(if path.is_empty() { "." } else { path }, message),
    };
    match e.span() {
        Some(span) if span.end > 0 => err.at(text, span.start),
        _ => err,
    }
}
