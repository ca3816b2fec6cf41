//! Loading a rule-set file: TOML → [`RawRuleSet`] → checked, resolved [`RuleSet`].
//!
//! Every error names the key path (`gates[3].any[1]`) and, when the TOML parser or a span knows it,
//! the line. This file checks the header sections; [`super::compile`] compiles the rules.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use toml::Spanned;

use super::format::RawRuleSet;
use super::ruleset::{Effective, OfferSettings, RuleSet, Scope};
use super::{RulesError, content_hash};
use crate::domain::{Date, RuleKind};

/// The segment serde uses inside [`Spanned`]; it means nothing to a reader of the file.
const SPANNED_SEGMENT: &str = "$__serde_spanned_private_value";

impl RuleSet {
    /// Parses and checks a rule-set file. Unknown keys, unknown facts or parameters, bad operators,
    /// duplicate ids, missing reasons, impossible dates and the like are refused with their key path.
    pub fn from_toml(text: &str) -> Result<RuleSet, RulesError> {
        let raw = parse(text)?;
        let mut params = BTreeMap::new();
        let mut starts = BTreeMap::new();
        for (name, value) in &raw.params {
            let start = value.span().start;
            let value = i32::try_from(*value.get_ref()).map_err(|_| {
                RulesError::new(format!("params.{name}"), "is too large").at(text, start)
            })?;
            params.insert(name.clone(), value);
            starts.insert(name.clone(), start);
        }
        let mut loader = Loader {
            text,
            params: &params,
            used: BTreeSet::new(),
            ids: HashMap::new(),
        };
        let mut set = loader.build(raw)?;
        if let Some((name, start)) = starts.iter().find(|(n, _)| !loader.used.contains(*n)) {
            let err = RulesError::new(format!("params.{name}"), "is never used by any rule");
            return Err(err.at(text, *start));
        }
        set.params = params;
        Ok(set)
    }
}

/// Deserializes the file strictly, turning TOML and serde errors into [`RulesError`].
fn parse(text: &str) -> Result<RawRuleSet, RulesError> {
    let de = toml::Deserializer::parse(text).map_err(|e| from_toml_error(text, ".", &e))?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e
            .path()
            .to_string()
            .replace(&format!(".{SPANNED_SEGMENT}"), "");
        from_toml_error(text, &path, e.inner())
    })
}

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
        Some(field) if path == "." => RulesError::new(field, "is required"),
        Some(field) => RulesError::new(format!("{path}.{field}"), "is required"),
        None => RulesError::new(path, message),
    };
    match e.span() {
        Some(span) if span.end > 0 => err.at(text, span.start),
        _ => err,
    }
}

/// State of one load: the file text, the parameters, which of them rules use, and the ids seen so far
/// (with the key path of their first use).
pub(super) struct Loader<'a> {
    pub(super) text: &'a str,
    pub(super) params: &'a BTreeMap<String, i32>,
    pub(super) used: BTreeSet<String>,
    pub(super) ids: HashMap<String, String>,
}

impl Loader<'_> {
    /// An error at `path`, with the line of `span`.
    pub(super) fn err<T>(
        &self,
        path: impl Into<String>,
        span: &Spanned<T>,
        msg: impl Into<String>,
    ) -> RulesError {
        RulesError::new(path, msg).at(self.text, span.span().start)
    }

    /// `Err` at `path` (with the line of `span`) unless `ok`.
    pub(super) fn ensure<T>(
        &self,
        ok: bool,
        path: &str,
        span: &Spanned<T>,
        msg: &str,
    ) -> Result<(), RulesError> {
        if ok {
            Ok(())
        } else {
            Err(self.err(path, span, msg))
        }
    }

    fn build(&mut self, raw: RawRuleSet) -> Result<RuleSet, RulesError> {
        let name = self.token(&raw.name, "name")?;
        let version = self.token(&raw.version, "version")?;
        let title = self.words(&raw.title, "title")?;
        let sources = raw.sources.get_ref();
        let sources_ok = !sources.is_empty() && sources.iter().all(|s| !s.trim().is_empty());
        self.ensure(
            sources_ok,
            "sources",
            &raw.sources,
            "must list at least one source, none empty",
        )?;

        let effective = &raw.effective;
        let from = self.date(&effective.from, "effective.from")?;
        let from =
            from.ok_or_else(|| self.err("effective.from", &effective.from, "is required"))?;
        let mut to = None;
        if let Some(span) = &effective.to {
            to = self.date(span, "effective.to")?;
            let ok = to.is_none_or(|to| to >= from);
            self.ensure(ok, "effective.to", span, "is before effective.from")?;
        }

        let scope = &raw.scope;
        let (types, custody) = (&scope.case_types, &scope.custody);
        self.ensure(
            !types.get_ref().is_empty(),
            "scope.case_types",
            types,
            "must list at least one case type",
        )?;
        self.ensure(
            !custody.get_ref().is_empty(),
            "scope.custody",
            custody,
            "must list at least one custody status",
        )?;

        let threshold = i32::try_from(*raw.threshold.get_ref())
            .map_err(|_| self.err("threshold", &raw.threshold, "is too large"))?;

        let offer = &raw.offer;
        let (deadline, reminder) = (&offer.deadline_days, &offer.reminder_days);
        let (deadline_days, reminder_days) = (*deadline.get_ref(), *reminder.get_ref());
        self.ensure(
            deadline_days >= 1,
            "offer.deadline_days",
            deadline,
            "must be at least 1",
        )?;
        let ok = reminder_days < deadline_days;
        self.ensure(
            ok,
            "offer.reminder_days",
            reminder,
            "must be less than offer.deadline_days",
        )?;
        let offer = OfferSettings {
            deadline_days,
            reminder_days,
            requires_attorney_approval: offer.requires_attorney_approval,
            requires_background_check: offer.requires_background_check,
            closure_mechanism: offer.closure_mechanism,
        };

        Ok(RuleSet {
            name,
            version,
            status: raw.status,
            title,
            sources: sources.iter().map(|s| s.trim().to_string()).collect(),
            superseded_by: raw.superseded_by.filter(|s| !s.trim().is_empty()),
            effective: Effective { from, to },
            scope: Scope {
                case_types: raw.scope.case_types.into_inner(),
                custody: raw.scope.custody.into_inner(),
                exclude_final_order: raw.scope.exclude_final_order,
            },
            params: BTreeMap::new(),
            gates: self.stage(raw.gates, "gates", RuleKind::Gate)?,
            relief: self.stage(raw.relief, "relief", RuleKind::Relief)?,
            qualifying: self.stage(raw.qualifying, "qualifying", RuleKind::Qualifying)?,
            points: self.points(raw.points)?,
            threshold,
            offer,
            content_hash: content_hash(self.text),
        })
    }

    /// A short name or version: 1–64 of letters, digits, `.`, `_`, `-`.
    fn token(&self, value: &Spanned<String>, path: &str) -> Result<String, RulesError> {
        let v = value.get_ref();
        let ok = (1..=64).contains(&v.len())
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if ok {
            Ok(v.clone())
        } else {
            Err(self.err(
                path,
                value,
                "must be 1 to 64 letters, digits, '.', '_' or '-'",
            ))
        }
    }

    /// Plain words that must not be empty.
    pub(super) fn words(&self, value: &Spanned<String>, path: &str) -> Result<String, RulesError> {
        let v = value.get_ref().trim();
        if v.is_empty() {
            return Err(self.err(path, value, "must not be empty"));
        }
        Ok(v.to_string())
    }

    /// A TOML date or a `YYYY-MM-DD` string; `""` is no date.
    fn date(
        &self,
        value: &Spanned<toml::Value>,
        path: &str,
    ) -> Result<Option<NaiveDate>, RulesError> {
        let text = match value.get_ref() {
            toml::Value::String(s) if s.is_empty() => return Ok(None),
            toml::Value::String(s) => s.clone(),
            toml::Value::Datetime(dt) if dt.time.is_none() && dt.offset.is_none() => dt.to_string(),
            _ => return Err(self.err(path, value, "must be a date such as 2011-11-17")),
        };
        Date::parse(&text)
            .map(|d| Some(d.naive()))
            .map_err(|msg| self.err(path, value, msg))
    }
}
