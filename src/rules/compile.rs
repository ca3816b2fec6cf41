//! Compiling the rules of a file: ids, reasons, points and conditions, with fact names and
//! `params.NAME` references resolved once so that evaluation never looks a name up.

use toml::Spanned;

use super::RulesError;
use super::condition::{Condition, Value};
use super::format::{RawPointsRule, RawRule};
use super::load::Loader;
use super::ruleset::Rule;
use crate::domain::RuleKind;

/// Largest number of points one rule may add or take away.
const MAX_POINTS: i32 = 1000;

impl Loader<'_> {
    /// The gate, relief or qualifying rules of `section`.
    pub(super) fn stage(
        &mut self,
        raw: Vec<RawRule>,
        section: &str,
        kind: RuleKind,
    ) -> Result<Vec<Rule>, RulesError> {
        raw.into_iter()
            .enumerate()
            .map(|(i, r)| self.rule(r, &format!("{section}[{i}]"), kind))
            .collect()
    }

    /// The points rules.
    pub(super) fn points(&mut self, raw: Vec<RawPointsRule>) -> Result<Vec<Rule>, RulesError> {
        let mut rules = Vec::with_capacity(raw.len());
        for (i, raw_rule) in raw.into_iter().enumerate() {
            let path = format!("points[{i}]");
            let (rule, value) = raw_rule.split();
            let mut rule = self.rule(rule, &path, RuleKind::Points)?;
            let points = i32::try_from(*value.get_ref()).unwrap_or(i32::MAX);
            let path = format!("{path}.points");
            self.ensure(points != 0, &path, &value, "must not be 0")?;
            let ok = points.abs() <= MAX_POINTS;
            self.ensure(ok, &path, &value, "must be between -1000 and 1000")?;
            rule.points = points;
            rules.push(rule);
        }
        Ok(rules)
    }

    fn rule(&mut self, raw: RawRule, path: &str, kind: RuleKind) -> Result<Rule, RulesError> {
        let id = raw.id.get_ref().trim();
        let id_path = format!("{path}.id");
        let well_formed = id.len() <= 64
            && id.starts_with(|c: char| c.is_ascii_uppercase())
            && id
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        let msg = "must be 1 to 64 capital letters, digits or '_', starting with a letter (e.g. G_FELONY)";
        self.ensure(well_formed, &id_path, &raw.id, msg)?;
        if let Some(first) = self.ids.get(id) {
            let msg = format!("duplicate id `{id}` (first used at {first})");
            return Err(self.err(id_path, &raw.id, msg));
        }
        self.ids.insert(id.to_string(), id_path);

        let reason = self.words(&raw.reason, &format!("{path}.reason"))?;
        let all = self.conditions(&raw.all, &format!("{path}.all"))?;
        let any = match &raw.any {
            Some(list) => {
                let any_path = format!("{path}.any");
                let msg = "must list at least one condition, or be left out";
                self.ensure(!list.get_ref().is_empty(), &any_path, list, msg)?;
                self.conditions(list.get_ref(), &any_path)?
            }
            None => Vec::new(),
        };
        let msg = "needs at least one condition in `all` or `any`";
        self.ensure(!all.is_empty() || !any.is_empty(), path, &raw.id, msg)?;
        Ok(Rule {
            id: id.to_string(),
            kind,
            reason,
            points: 0,
            all,
            any,
        })
    }

    fn conditions(
        &mut self,
        raw: &[Spanned<String>],
        path: &str,
    ) -> Result<Vec<Condition>, RulesError> {
        let mut out = Vec::with_capacity(raw.len());
        for (i, text) in raw.iter().enumerate() {
            let (params, used) = (self.params, &mut self.used);
            let lookup = |name: &str| {
                let value = *params.get(name)?;
                used.insert(name.to_string());
                Some(Value::Number(value))
            };
            let condition = Condition::parse(text.get_ref(), lookup)
                .map_err(|msg| self.err(format!("{path}[{i}]"), text, msg))?;
            out.push(condition);
        }
        Ok(out)
    }
}
