//! Example cases carried by a rule-set file (`[[examples]]`), and running them as table tests.
//!
//! An example changes a neutral case (no convictions, no flags, no favourable factors, entered
//! 2000-01-01, born 1980-01-01, court DEN, never detained) with a `case` table that is merged into
//! it: tables merge key by key, any other value replaces. It names the decision the rule set must
//! reach and, optionally, every rule expected to fire (`THRESHOLD` left out) and the score.
//!
//! ```toml
//! [[examples]]
//! name = "a DUI misdemeanor is an enforcement priority"
//! case = { convictions = [{ offense = "DUI", level = "misdemeanor", category = "dui", convicted_on = "2009-05-01" }] }
//! decision = "enforcement_priority"
//! fired = ["G_SIG_MISD", "P_PRESENCE_10Y"]
//! ```

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde_json::Value as Json;

use super::eval::EvalContext;
use super::format::RawExample;
use super::load::Loader;
use super::ruleset::RuleSet;
use super::{RulesError, line_of};
use crate::domain::{Case, Decision, RuleKind};

/// The neutral case examples start from. Synthetic: no real person.
const NEUTRAL: &str = r#"{
  "case_id": "EXAMPLE-1", "a_number": "A000000001",
  "respondent": {"given_name": "Example", "family_name": "Case", "birth_date": "1980-01-01",
    "nationality": "MX", "language": "es",
    "address": {"line1": "1 Example St", "city": "Denver", "state": "CO", "postal_code": "80202"},
    "email": null},
  "court": "DEN", "case_type": "RMV", "custody": "N", "filed_on": "2010-06-01",
  "entry_date": "2000-01-01", "next_hearing": null, "final_order": false, "convictions": [],
  "flags": {"national_security": false, "gang": false, "outstanding_warrant": false,
    "prior_removal": false, "immigration_fraud": false, "fugitive": false},
  "factors": {"arrived_under_16": false, "in_school_or_graduate": false, "military_service": false,
    "military_family": false, "crime_victim_or_witness": false, "serious_health_condition": false,
    "primary_caretaker": false, "pregnant_or_nursing": false, "usc_or_lpr_relatives": 0,
    "lpr_since": null, "cooperating_with_law_enforcement": false, "community_ties": false,
    "pending_petition": null},
  "confidential": {"asylum_claim": false, "vawa_t_u": false},
  "counsel": null
}"#;

/// One example of a rule-set file.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// What the example shows, in words.
    pub name: String,
    /// Line of the example in the file.
    pub line: usize,
    /// Review date.
    pub as_of: NaiveDate,
    /// The case.
    pub case: Case,
    /// The decision the rule set must reach.
    pub decision: Decision,
    /// Every rule expected to fire, if the example says.
    pub fired: Option<BTreeSet<String>>,
    /// The expected score, if the example says.
    pub score: Option<i32>,
}

/// The result of one example: empty `diff` when it passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleResult {
    /// The example's name.
    pub name: String,
    /// Its line in the file.
    pub line: usize,
    /// What differs, one line each: `decision: expected X, got Y`, `- RULE` (expected, did not
    /// fire), `+ RULE` (fired, not expected), `score: expected N, got M`.
    pub diff: Vec<String>,
}

impl ExampleResult {
    /// Whether the rule set reached what the example expects.
    pub fn passed(&self) -> bool {
        self.diff.is_empty()
    }
}

impl RuleSet {
    /// Evaluates every example and compares with what it expects.
    pub fn run_examples(&self) -> Vec<ExampleResult> {
        self.examples
            .iter()
            .map(|ex| self.run_example(ex))
            .collect()
    }

    fn run_example(&self, ex: &Example) -> ExampleResult {
        let got = self.evaluate(&ex.case, &EvalContext::new(ex.as_of));
        let mut diff = Vec::new();
        if got.decision != ex.decision {
            diff.push(format!(
                "decision: expected {}, got {}",
                ex.decision, got.decision
            ));
        }
        if let Some(expected) = &ex.fired {
            let fired: BTreeSet<String> = got
                .fired
                .iter()
                .filter(|r| !matches!(r.kind, RuleKind::Threshold | RuleKind::Decision))
                .map(|r| r.id.clone())
                .collect();
            diff.extend(expected.difference(&fired).map(|id| format!("- {id}")));
            diff.extend(fired.difference(expected).map(|id| format!("+ {id}")));
        }
        if let Some(score) = ex.score.filter(|s| *s != got.score) {
            diff.push(format!("score: expected {score}, got {}", got.score));
        }
        ExampleResult {
            name: ex.name.clone(),
            line: ex.line,
            diff,
        }
    }
}

impl Loader<'_> {
    /// Compiles the examples; rule ids they name must exist. Runs after the rules are compiled.
    pub(super) fn examples(
        &mut self,
        raw: Vec<Option<RawExample>>,
        from: NaiveDate,
    ) -> Vec<Example> {
        let mut out = Vec::with_capacity(raw.len());
        for (i, ex) in raw.into_iter().enumerate() {
            if let Some(ex) = ex.and_then(|ex| self.example(ex, &format!("examples[{i}]"), from)) {
                out.push(ex);
            }
        }
        out
    }

    fn example(&mut self, raw: RawExample, path: &str, from: NaiveDate) -> Option<Example> {
        let before = self.errors.len();
        let line = line_of(self.text, raw.name.span().start);
        let name = self.words(&raw.name, &format!("{path}.name")).ok();
        let as_of = match &raw.as_of {
            Some(v) => self.keep(self.date(v, &format!("{path}.as_of"))).flatten(),
            None => Some(from),
        };
        let decision = raw.decision.get_ref().parse::<Decision>().ok();
        let names = Decision::ALL.map(Decision::as_str).join(", ");
        let msg = format!("must be one of {names}");
        self.ensure(
            decision.is_some(),
            &format!("{path}.decision"),
            &raw.decision,
            &msg,
        );
        let mut patch_line = line;
        let mut json: Json = serde_json::from_str(NEUTRAL).expect("the neutral case is JSON");
        if let Some(patch) = &raw.case {
            patch_line = line_of(self.text, patch.span().start);
            merge(&mut json, to_json(patch.get_ref()));
        }
        let case = match Case::from_json(json.to_string().as_bytes()) {
            Ok(case) => Some(case),
            Err(e) => {
                let err = RulesError::new(format!("{path}.case.{}", e.field), e.reason);
                self.errors.push(RulesError {
                    line: Some(patch_line),
                    ..err
                });
                None
            }
        };
        // A rule that did not load has no id: saying so again for each example would be noise.
        let check_ids = self.rules_loaded();
        let fired = raw.fired.as_ref().map(|list| {
            let mut ids = BTreeSet::new();
            for (j, id) in list.get_ref().iter().enumerate() {
                let known = !check_ids
                    || self.ids.contains_key(id.get_ref())
                    || id.get_ref().starts_with("SCOPE_");
                let msg = format!("`{}` is not a rule of this file", id.get_ref());
                self.ensure(known, &format!("{path}.fired[{j}]"), id, &msg);
                ids.insert(id.get_ref().clone());
            }
            ids
        });
        let score = raw
            .score
            .map(|s| i32::try_from(*s.get_ref()).unwrap_or(i32::MAX));
        if self.errors.len() > before {
            return None;
        }
        Some(Example {
            name: name?,
            line,
            as_of: as_of?,
            case: case?,
            decision: decision?,
            fired,
            score,
        })
    }
}

/// TOML to JSON; dates become `YYYY-MM-DD` strings.
fn to_json(value: &toml::Value) -> Json {
    match value {
        toml::Value::String(s) => Json::String(s.clone()),
        toml::Value::Integer(i) => Json::from(*i),
        toml::Value::Float(f) => Json::from(*f),
        toml::Value::Boolean(b) => Json::Bool(*b),
        toml::Value::Datetime(d) => Json::String(d.to_string()),
        toml::Value::Array(a) => Json::Array(a.iter().map(to_json).collect()),
        toml::Value::Table(t) => {
            Json::Object(t.iter().map(|(k, v)| (k.clone(), to_json(v))).collect())
        }
    }
}

/// Merges `patch` into `base`: objects key by key, anything else replaced.
fn merge(base: &mut Json, patch: Json) {
    match (base, patch) {
        (Json::Object(base), Json::Object(patch)) => {
            for (k, v) in patch {
                merge(base.entry(k).or_insert(Json::Null), v);
            }
        }
        (base, patch) => *base = patch,
    }
}
