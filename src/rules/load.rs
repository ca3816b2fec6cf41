//! Loading a rule-set file: TOML → [`RawDocument`] → checked, resolved [`RuleSet`].
//!
//! Every error names the key path (`gates[3].any[1]`) and, when the TOML parser or a span knows it,
//! the line. Checking goes on after a mistake, so that [`RuleSet::check`] can report them all. This
//! file checks the header sections; [`super::compile`] compiles the rules and [`super::examples`]
//! the examples.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use toml::Spanned;

use super::format::{RawDocument, RawEffective, RawOffer, RawRuleSet, RawSuspension};
use super::ruleset::{Effective, OfferSettings, RuleSet, Scope, Suspension};
use super::{RulesError, content_hash, document};
use crate::domain::{Date, Decision, RuleKind};

impl RuleSet {
    /// Parses and checks a rule-set file. Unknown keys, unknown facts or parameters, bad operators,
    /// duplicate ids, missing reasons, impossible dates and the like are refused with their key path.
    /// When there are several mistakes this is the first one in the file; [`RuleSet::check`] gives
    /// them all.
    pub fn from_toml(text: &str) -> Result<RuleSet, RulesError> {
        Self::check(text).map_err(|mut errors| errors.swap_remove(0))
    }

    /// Like [`RuleSet::from_toml`], but on failure gives every mistake found, in file order.
    pub fn check(text: &str) -> Result<RuleSet, Vec<RulesError>> {
        let mut errors = Vec::new();
        let doc = document::read(text, &mut errors);
        let mut params = BTreeMap::new();
        let mut starts = BTreeMap::new();
        for (name, value) in &doc.params {
            let start = value.span().start;
            match i32::try_from(*value.get_ref()) {
                Ok(v) => {
                    params.insert(name.clone(), v);
                }
                Err(_) => errors.push(
                    RulesError::new(format!("params.{name}"), "is too large").at(text, start),
                ),
            }
            starts.insert(name.clone(), start);
        }
        let mut loader = Loader {
            text,
            params: &params,
            used: BTreeSet::new(),
            ids: HashMap::new(),
            errors,
            threshold_line: None,
        };
        let set = loader.build(doc);
        for (name, start) in starts.iter().filter(|(n, _)| !loader.used.contains(*n)) {
            let err = RulesError::new(format!("params.{name}"), "is never used by any rule");
            loader.errors.push(err.at(text, *start));
        }
        let mut errors = loader.errors;
        match set {
            Some(mut set) if errors.is_empty() => {
                set.params = params;
                Ok(set)
            }
            _ => {
                if errors.is_empty() {
                    errors.push(RulesError::new(".", "the file does not load"));
                }
                errors.sort_by_key(|e| e.line.unwrap_or(usize::MAX));
                Err(errors)
            }
        }
    }
}

/// State of one load: the file text, the parameters, which of them rules use, the ids seen so far
/// (with the key path of their first use) and the mistakes found.
pub(super) struct Loader<'a> {
    pub(super) text: &'a str,
    pub(super) params: &'a BTreeMap<String, i32>,
    pub(super) used: BTreeSet<String>,
    pub(super) ids: HashMap<String, String>,
    pub(super) errors: Vec<RulesError>,
    pub(super) threshold_line: Option<usize>,
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

    /// Records an error at `path` (with the line of `span`) unless `ok`; returns `ok`.
    pub(super) fn ensure<T>(&mut self, ok: bool, path: &str, span: &Spanned<T>, msg: &str) -> bool {
        if !ok {
            let err = self.err(path, span, msg);
            self.errors.push(err);
        }
        ok
    }

    /// The value of `result`, or `None` with its error recorded.
    pub(super) fn keep<T>(&mut self, result: Result<T, RulesError>) -> Option<T> {
        result.map_err(|e| self.errors.push(e)).ok()
    }

    fn build(&mut self, doc: RawDocument) -> Option<RuleSet> {
        let gates = self.stage(doc.gates, "gates", RuleKind::Gate);
        let relief = self.stage(doc.relief, "relief", RuleKind::Relief);
        let qualifying = self.stage(doc.qualifying, "qualifying", RuleKind::Qualifying);
        let points = self.points(doc.points);
        let raw = doc.header?;
        let mut set = self.header(raw)?;
        set.gates = gates;
        set.relief = relief;
        set.qualifying = qualifying;
        set.points = points;
        let factors: Vec<&_> = set.qualifying.iter().chain(&set.points).collect();
        self.check_overrides(&set.gates, &factors);
        self.reachable(&set);
        set.examples = self.examples(doc.examples, set.effective.from);
        Some(set)
    }

    /// Whether every rule compiled (so that checks over all of them mean something).
    pub(super) fn rules_loaded(&self) -> bool {
        let sections = ["gates", "relief", "qualifying", "points"];
        !self
            .errors
            .iter()
            .any(|e| sections.iter().any(|s| e.path.starts_with(s)))
    }

    /// Records an error when the file scores cases but no case could ever reach the threshold. (A
    /// file with no points rules at all, e.g. gates only, may keep every case below it on purpose.)
    fn reachable(&mut self, set: &RuleSet) {
        let best: i64 = set.points.iter().map(|r| i64::from(r.points.max(0))).sum();
        let scores = !set.points.is_empty();
        if scores && i64::from(set.threshold) > best && self.rules_loaded() {
            let err = RulesError::new(
                "threshold",
                format!(
                    "{} can never be reached: the positive points add up to at most {best}, so \
                     no case could be recommended for an offer",
                    set.threshold
                ),
            );
            self.errors.push(match self.threshold_line {
                Some(line) => RulesError {
                    line: Some(line),
                    ..err
                },
                None => err,
            });
        }
    }

    fn header(&mut self, raw: RawRuleSet) -> Option<RuleSet> {
        let before = self.errors.len();
        let name = self.token(&raw.name, "name");
        let version = self.token(&raw.version, "version");
        let title = self.words(&raw.title, "title");
        let sources = raw.sources.get_ref();
        let sources_ok = !sources.is_empty() && sources.iter().all(|s| !s.trim().is_empty());
        let msg = "must list at least one source, none empty";
        self.ensure(sources_ok, "sources", &raw.sources, msg);

        let effective = raw.effective.get_ref();
        let (from, to) = self.effective_range(effective);
        let suspended = self.suspensions(&effective.suspended, from, to);

        let scope = &raw.scope;
        let (types, custody) = (&scope.case_types, &scope.custody);
        let msg = "must list at least one case type";
        self.ensure(!types.get_ref().is_empty(), "scope.case_types", types, msg);
        let msg = "must list at least one custody status";
        self.ensure(!custody.get_ref().is_empty(), "scope.custody", custody, msg);

        self.threshold_line = Some(super::line_of(self.text, raw.threshold.span().start));
        let threshold = self.threshold(&raw.threshold);
        let otherwise = self.otherwise(raw.otherwise.as_ref());
        let offer = self.offer(&raw.offer);
        let (name, version, title, from) = (name.ok()?, version.ok()?, title.ok()?, from?);
        if self.errors.len() > before {
            return None;
        }
        Some(RuleSet {
            name,
            version,
            status: raw.status,
            title,
            sources: sources.iter().map(|s| s.trim().to_string()).collect(),
            superseded_by: raw.superseded_by.filter(|s| !s.trim().is_empty()),
            effective: Effective {
                from,
                to,
                suspended,
            },
            effective_line: super::line_of(self.text, raw.effective.span().start),
            scope: Scope {
                case_types: raw.scope.case_types.into_inner(),
                custody: raw.scope.custody.into_inner(),
                exclude_final_order: raw.scope.exclude_final_order,
            },
            params: BTreeMap::new(),
            gates: Vec::new(),
            relief: Vec::new(),
            qualifying: Vec::new(),
            points: Vec::new(),
            threshold,
            otherwise,
            offer,
            examples: Vec::new(),
            content_hash: content_hash(self.text),
        })
    }

    /// `effective.from` (required) and `effective.to` (not before it).
    fn effective_range(
        &mut self,
        effective: &RawEffective,
    ) -> (Option<NaiveDate>, Option<NaiveDate>) {
        let from = self.date(&effective.from, "effective.from");
        let from = match from {
            Ok(Some(from)) => Some(from),
            Ok(None) => {
                let err = self.err("effective.from", &effective.from, "is required");
                self.errors.push(err);
                None
            }
            Err(e) => {
                self.errors.push(e);
                None
            }
        };
        let mut to = None;
        if let Some(span) = &effective.to {
            to = self.keep(self.date(span, "effective.to")).flatten();
            let ok = to.is_none_or(|to| from.is_none_or(|from| to >= from));
            self.ensure(ok, "effective.to", span, "is before effective.from");
        }
        (from, to)
    }

    /// The threshold, which must fit the points' type (0 after an error).
    fn threshold(&mut self, raw: &Spanned<i64>) -> i32 {
        match i32::try_from(*raw.get_ref()) {
            Ok(t) => t,
            Err(_) => {
                let err = self.err("threshold", raw, "is too large");
                self.errors.push(err);
                0
            }
        }
    }

    /// The decision for a case in scope that does not qualify (not amenable when not given).
    fn otherwise(&mut self, raw: Option<&Spanned<String>>) -> Decision {
        let Some(span) = raw else {
            return Decision::NotAmenable;
        };
        match span.get_ref().as_str() {
            "not_amenable" => Decision::NotAmenable,
            "discretionary_review" => Decision::DiscretionaryReview,
            _ => {
                let msg = "must be not_amenable or discretionary_review";
                let err = self.err("otherwise", span, msg);
                self.errors.push(err);
                Decision::NotAmenable
            }
        }
    }

    /// `[offer]`: a deadline of a day or more, and a reminder before it.
    fn offer(&mut self, offer: &RawOffer) -> OfferSettings {
        let (deadline, reminder) = (&offer.deadline_days, &offer.reminder_days);
        let (deadline_days, reminder_days) = (*deadline.get_ref(), *reminder.get_ref());
        let msg = "must be at least 1";
        self.ensure(deadline_days >= 1, "offer.deadline_days", deadline, msg);
        let msg = "must be less than offer.deadline_days";
        self.ensure(
            reminder_days < deadline_days,
            "offer.reminder_days",
            reminder,
            msg,
        );
        OfferSettings {
            deadline_days,
            reminder_days,
            requires_attorney_approval: offer.requires_attorney_approval,
            requires_background_check: offer.requires_background_check,
            closure_mechanism: offer.closure_mechanism,
        }
    }

    /// The suspensions of `[effective]`: each a real stretch inside `from`..`to`, in order.
    fn suspensions(
        &mut self,
        raw: &[Spanned<RawSuspension>],
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Vec<Suspension> {
        let mut out: Vec<Suspension> = Vec::with_capacity(raw.len());
        for (i, span) in raw.iter().enumerate() {
            let path = format!("effective.suspended[{i}]");
            let r = span.get_ref();
            let start = self
                .keep(self.date(&r.from, &format!("{path}.from")))
                .flatten();
            let end = self.keep(self.date(&r.to, &format!("{path}.to"))).flatten();
            let reason = self.words(&r.reason, &format!("{path}.reason"));
            let (Some(start), Some(end), Ok(reason)) = (start, end, reason) else {
                let msg = "needs a from date, a to date and a reason";
                let err = self.err(path, span, msg);
                self.errors.push(err);
                continue;
            };
            let inside = from.is_some_and(|f| start > f) && to.is_none_or(|t| end < t);
            let msg = "must lie inside the effective dates, after from and before to";
            let ok = self.ensure(start <= end, &format!("{path}.to"), &r.to, "is before from")
                && self.ensure(inside, &path, span, msg)
                && self.ensure(
                    out.last().is_none_or(|prev| prev.to < start),
                    &path,
                    span,
                    "must come after the previous suspension, without overlapping it",
                );
            if ok {
                out.push(Suspension {
                    from: start,
                    to: end,
                    reason,
                });
            }
        }
        out
    }

    /// A short name or version: 1–64 of letters, digits, `.`, `_`, `-`.
    fn token(&mut self, value: &Spanned<String>, path: &str) -> Result<String, ()> {
        let v = value.get_ref();
        let ok = (1..=64).contains(&v.len())
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        let msg = "must be 1 to 64 letters, digits, '.', '_' or '-'";
        if self.ensure(ok, path, value, msg) {
            Ok(v.clone())
        } else {
            Err(())
        }
    }

    /// Plain words that must not be empty.
    pub(super) fn words(&mut self, value: &Spanned<String>, path: &str) -> Result<String, ()> {
        let v = value.get_ref().trim();
        if self.ensure(!v.is_empty(), path, value, "must not be empty") {
            Ok(v.to_string())
        } else {
            Err(())
        }
    }

    /// A TOML date or a `YYYY-MM-DD` string; `""` is no date.
    pub(super) fn date(
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
