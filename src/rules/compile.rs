//! Compiling the rules of a file: ids, reasons, points and conditions, with fact names and
//! `params.NAME` references resolved once so that evaluation never looks a name up.

use toml::Spanned;

use super::RulesError;
use super::condition::{Condition, Value};
use super::format::{RawPointsRule, RawRule};
use super::load::Loader;
use super::ruleset::{Override, Rule};
use crate::domain::RuleKind;

/// Largest number of points one rule may add or take away.
const MAX_POINTS: i32 = 1000;

impl Loader<'_> {
    /// The gate, relief or qualifying rules of `section`.
    /// Rules that did not deserialize (`None`) or do not compile are left out, their errors recorded.
    pub(super) fn stage(
        &mut self,
        raw: Vec<Option<RawRule>>,
        section: &str,
        kind: RuleKind,
    ) -> Vec<Rule> {
        let mut rules = Vec::with_capacity(raw.len());
        for (i, r) in raw.into_iter().enumerate() {
            if let Some(rule) = r.and_then(|r| self.rule(r, &format!("{section}[{i}]"), kind)) {
                rules.push(rule);
            }
        }
        rules
    }

    /// The points rules.
    pub(super) fn points(&mut self, raw: Vec<Option<RawPointsRule>>) -> Vec<Rule> {
        let mut rules = Vec::with_capacity(raw.len());
        for (i, raw_rule) in raw.into_iter().enumerate() {
            let Some(raw_rule) = raw_rule else { continue };
            let path = format!("points[{i}]");
            let (rule, value) = raw_rule.split();
            let rule = self.rule(rule, &path, RuleKind::Points);
            let points = i32::try_from(*value.get_ref()).unwrap_or(i32::MAX);
            let path = format!("{path}.points");
            let ok = self.ensure(points != 0, &path, &value, "must not be 0")
                && self.ensure(
                    points.abs() <= MAX_POINTS,
                    &path,
                    &value,
                    "must be between -1000 and 1000",
                );
            if let (Some(mut rule), true) = (rule, ok) {
                rule.points = points;
                rules.push(rule);
            }
        }
        rules
    }

    fn rule(&mut self, raw: RawRule, path: &str, kind: RuleKind) -> Option<Rule> {
        let before = self.errors.len();
        let id = raw.id.get_ref().trim();
        let id_path = format!("{path}.id");
        let well_formed = id.len() <= 64
            && id.starts_with(|c: char| c.is_ascii_uppercase())
            && id
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        let msg = "must be 1 to 64 capital letters, digits or '_', starting with a letter (e.g. G_FELONY)";
        self.ensure(well_formed, &id_path, &raw.id, msg);
        if let Some(first) = self.ids.get(id) {
            let msg = format!("duplicate id `{id}` (first used at {first})");
            let err = self.err(id_path, &raw.id, msg);
            self.errors.push(err);
        } else {
            self.ids.insert(id.to_string(), id_path);
        }

        let reason = self.words(&raw.reason, &format!("{path}.reason"));
        let all = self.conditions(&raw.all, &format!("{path}.all"));
        let any = match &raw.any {
            Some(list) => {
                let any_path = format!("{path}.any");
                let msg = "must list at least one condition, or be left out";
                self.ensure(!list.get_ref().is_empty(), &any_path, list, msg);
                self.conditions(list.get_ref(), &any_path)
            }
            None => Vec::new(),
        };
        let written = !raw.all.is_empty() || raw.any.is_some();
        let msg = "needs at least one condition in `all` or `any`";
        self.ensure(written, path, &raw.id, msg);
        let overridable = self.overridable(&raw, path, kind);
        let reason = reason.ok()?;
        if self.errors.len() > before {
            return None;
        }
        Some(Rule {
            id: id.to_string(),
            kind,
            reason,
            points: 0,
            all,
            any,
            overridable,
        })
    }

    /// The `override_score` and `override_factors` of a gate (refused on other rules). The factor
    /// ids are checked once every rule is known ([`Loader::check_overrides`]).
    fn overridable(&mut self, raw: &RawRule, path: &str, kind: RuleKind) -> Option<Override> {
        if raw.override_score.is_none() && raw.override_factors.is_none() {
            return None;
        }
        let msg = "only a gate can be overridden by compelling factors";
        if let Some(span) = &raw.override_score {
            let ok = self.ensure(
                kind == RuleKind::Gate,
                &format!("{path}.override_score"),
                span,
                msg,
            );
            if !ok {
                return None;
            }
        }
        if let Some(span) = &raw.override_factors {
            let p = format!("{path}.override_factors");
            if !self.ensure(kind == RuleKind::Gate, &p, span, msg) {
                return None;
            }
            let msg = "must list at least one rule id, or be left out";
            self.ensure(!span.get_ref().is_empty(), &p, span, msg);
        }
        let score = raw.override_score.as_ref().map(|span| {
            let v = i32::try_from(*span.get_ref()).unwrap_or(i32::MAX);
            let p = format!("{path}.override_score");
            self.ensure(v.abs() <= MAX_POINTS * 100, &p, span, "is too large");
            v
        });
        let factors = raw.override_factors.as_ref().map_or_else(Vec::new, |list| {
            list.get_ref()
                .iter()
                .map(|f| f.get_ref().trim().to_string())
                .collect()
        });
        Some(Override { score, factors })
    }

    /// Records an error for every `override_factors` id that names no qualifying or points rule.
    pub(super) fn check_overrides(&mut self, gates: &[Rule], factors: &[&Rule]) {
        for gate in gates {
            let Some(o) = &gate.overridable else { continue };
            for id in &o.factors {
                if !factors.iter().any(|r| r.id == *id) {
                    self.errors.push(RulesError::new(
                        format!("gates.{}.override_factors", gate.id),
                        format!("`{id}` is not the id of a qualifying or points rule"),
                    ));
                }
            }
        }
    }

    fn conditions(&mut self, raw: &[Spanned<String>], path: &str) -> Vec<Condition> {
        let mut out = Vec::with_capacity(raw.len());
        for (i, text) in raw.iter().enumerate() {
            let (params, used) = (self.params, &mut self.used);
            let lookup = |name: &str| {
                let value = *params.get(name)?;
                used.insert(name.to_string());
                Some(Value::Number(value))
            };
            match Condition::parse(text.get_ref(), lookup) {
                Ok(condition) => out.push(condition),
                Err(msg) => {
                    let err = self.err(format!("{path}[{i}]"), text, msg);
                    self.errors.push(err);
                }
            }
        }
        out
    }
}
