//! Strict decoding of case records and review-job messages, with errors that are safe to log.

use serde::Deserialize;

use super::case::Case;
use super::fields::Date;

/// Why a case record or message was refused: the field (a JSON path) and the reason.
///
/// Neither part ever contains a value taken from the input, so the error can be logged, stored in a
/// rejects file and carried in a dead-letter header without leaking personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    /// JSON path of the offending field, `.` for the document itself.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

impl FieldError {
    /// Builds an error for `field`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The same error with `prefix.` put in front of its field.
    pub fn within(mut self, prefix: &str) -> Self {
        self.field = if self.field == "." {
            prefix.to_string()
        } else {
            format!("{prefix}.{}", self.field)
        };
        self
    }
}

/// Deserializes `T` from JSON bytes, turning any failure into a sanitised [`FieldError`].
///
/// Valid input, the common case, is decoded once without tracking paths; only a failure is decoded
/// again with path tracking, to name the field.
pub fn decode_json<'a, T: Deserialize<'a>>(bytes: &'a [u8]) -> Result<T, FieldError> {
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let (field, reason) = describe(&path, &inner);
        FieldError { field, reason }
    })?;
    de.end()
        .map_err(|_| FieldError::new(".", "trailing characters after the JSON document"))?;
    Ok(value)
}

/// Turns a serde_json error into (field, reason) with every input value removed.
fn describe(path: &str, err: &serde_json::Error) -> (String, String) {
    let field = if path.is_empty() { "." } else { path }.to_string();
    if err.is_syntax() || err.is_eof() {
        let what = if err.is_eof() {
            "unexpected end of input"
        } else {
            "is not valid JSON"
        };
        return (field, format!("{what} (column {})", err.column()));
    }
    let msg = err.to_string();
    let msg = strip_position(&msg);
    if let Some(rest) = msg.strip_prefix("unknown field ") {
        return unknown_field(&field, first_quoted(rest).unwrap_or_default());
    }
    if let Some(rest) = msg.strip_prefix("missing field ") {
        let name = first_quoted(rest).unwrap_or("?");
        let field = if field == "." {
            name.to_string()
        } else {
            format!("{field}.{name}")
        };
        return (field, "is required".to_string());
    }
    (field, redact_values(msg))
}

/// An unknown key is named only when it looks like a field name: a producer that uses a value as
/// a key (`"A012345678": …`) must not see it echoed into errors, headers, logs or rejects files.
/// `path` ends with the key itself.
fn unknown_field(path: &str, name: &str) -> (String, String) {
    let parent = match path.strip_suffix(name) {
        Some(p) if !name.is_empty() => p.strip_suffix('.').unwrap_or(p),
        _ => "",
    };
    if looks_like_field_name(name) {
        let field = if parent.is_empty() {
            name.to_string()
        } else {
            format!("{parent}.{name}")
        };
        return (field, "unknown field".to_string());
    }
    let field = if parent.is_empty() { "." } else { parent };
    (field.to_string(), "has an unknown field".to_string())
}

/// 1–32 of lower-case letters, digits and underscores, starting with a letter.
pub fn looks_like_field_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn strip_position(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    }
}

fn first_quoted(s: &str) -> Option<&str> {
    let start = s.find('`')? + 1;
    let len = s[start..].find('`')?;
    Some(&s[start..start + len])
}

/// Removes quoted values from the part of a serde message that describes the input, keeping the
/// part after "expected", which only describes the schema.
fn redact_values(msg: &str) -> String {
    let (head, tail) = match msg.find(", expected") {
        Some(i) => msg.split_at(i),
        None => (msg, ""),
    };
    let mut out = String::with_capacity(msg.len());
    let mut quote: Option<char> = None;
    for c in head.chars() {
        match (quote, c) {
            (None, '`' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, c) => out.push(c),
        }
    }
    let out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("{out}{tail}")
}

impl Case {
    /// Parses one case record from JSON and checks the rules that span several fields.
    pub fn from_json(bytes: &[u8]) -> Result<Case, FieldError> {
        let case: Case = decode_json(bytes)?;
        case.check_consistency()?;
        Ok(case)
    }

    /// Checks rules between fields: no event before birth, no conviction before birth.
    pub fn check_consistency(&self) -> Result<(), FieldError> {
        check_dates(CaseDates {
            born: self.respondent.birth_date,
            entry: self.entry_date,
            filed_on: self.filed_on,
            convicted_on: self.convictions.iter().map(|c| c.convicted_on),
            lpr_since: self.factors.lpr_since,
        })
    }

    /// The case as canonical JSON (normalised A-number, contract field order).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a Case always serializes")
    }
}

/// The dates of a case record that must not come before the birth date.
pub struct CaseDates<I> {
    /// Date of birth.
    pub born: Date,
    /// Date of entry, when known.
    pub entry: Option<Date>,
    /// Date the charging document was filed.
    pub filed_on: Date,
    /// Each conviction's date, in record order.
    pub convicted_on: I,
    /// Date of lawful permanent residence, if ever.
    pub lpr_since: Option<Date>,
}

/// The checks of [`Case::check_consistency`] on the dates alone, for decoders that do not build a
/// [`Case`]: no event before birth, no conviction before birth.
pub fn check_dates<I: Iterator<Item = Date>>(dates: CaseDates<I>) -> Result<(), FieldError> {
    let born = dates.born;
    if let Some(entry) = dates.entry
        && entry < born
    {
        return Err(FieldError::new("entry_date", "is before the birth date"));
    }
    if dates.filed_on < born {
        return Err(FieldError::new("filed_on", "is before the birth date"));
    }
    for (i, on) in dates.convicted_on.enumerate() {
        if on < born {
            return Err(FieldError::new(
                format!("convictions[{i}].convicted_on"),
                "is before the birth date",
            ));
        }
    }
    if let Some(lpr) = dates.lpr_since
        && lpr < born
    {
        return Err(FieldError::new(
            "factors.lpr_since",
            "is before the birth date",
        ));
    }
    Ok(())
}
