//! The rules engine: a prosecutorial-discretion policy as a versioned TOML file, loaded once and
//! evaluated, pure and synchronously, against each case.
//!
//! Nothing policy-specific lives in this code. Scope, gates, relief rules, qualifying categories,
//! points, the threshold and the offer settings all come from the file (see `config/rules/`); the
//! code only knows the decision steps of POLICY.md §3.2 and the facts it can read off a case.
//!
//! # Public API
//!
//! ```text
//! RuleSet::from_toml(text: &str) -> Result<RuleSet, RulesError>       the first mistake
//! RuleSet::check(text: &str) -> Result<RuleSet, Vec<RulesError>>     every mistake, in file order
//! RuleSet::run_examples(&self) -> Vec<ExampleResult>                  the file's [[examples]]
//! overlaps(&[&RuleSet]) -> Vec<(usize, RulesError)>                   effective dates that overlap
//! stale_status(&RuleSet, today) -> Option<RulesError>                 `active` after its end date
//! RuleSet::evaluate(&self, case: &Case, ctx: &EvalContext) -> Evaluation
//! RuleSet::decide(&self, case: &impl RuleInput, ctx) -> (Decision, i32)   same, no explanation
//! RuleSet::{name, version, status, title, sources, superseded_by, effective, scope, params,
//!           threshold, offer, content_hash, rules(RuleKind)}
//! content_hash(text: &str) -> String                      lowercase hex SHA-256 of the file text
//! EvalContext { as_of: NaiveDate, courts: Option<Vec<String>> }, EvalContext::new(as_of).with_courts(..)
//! Facts::derive(case: &impl RuleInput, as_of: NaiveDate) -> Facts;  Facts::get(Fact) -> Option<i32>
//! Fact (ALL, name, from_name, kind, about), FactKind    (also at rules::facts, with the fact table)
//! Status, Effective (from, to, covers), Scope, OfferSettings, ClosureMechanism, Rule, Condition, Op
//! RulesError { path, line, message }
//! ```
//!
//! # Decision steps (POLICY.md §3.2 steps 1–5)
//!
//! 1. **Scope.** Custody, final order, case type (from the file) and court (from the run, via
//!    [`EvalContext::courts`]) are checked in that order. The first that fails makes the case
//!    `out_of_scope`, with one [`RuleKind::Scope`](crate::domain::RuleKind::Scope) rule naming the check; nothing else is evaluated
//!    and the score is 0.
//! 2. Every gate, relief, qualifying and points rule is evaluated and every rule that fires is
//!    recorded, in file order, grouped by stage. The score is the sum of the fired points rules.
//! 3. Precedence: any gate → `enforcement_priority` (or `discretionary_review` when every gate that
//!    fired is overridable and its `override_score` or `override_factors` are met); else any relief
//!    rule → `refer_dismissal`; else no qualifying category → the file's `otherwise`
//!    (`not_amenable` by default, or `discretionary_review`); else score ≥ threshold →
//!    `offer_recommended`, otherwise `otherwise`. The last entry of every evaluation is a
//!    [`RuleKind::Decision`](crate::domain::RuleKind::Decision) line: the deciding reason in words. A case that reaches the score comparison also gets a [`RuleKind::Threshold`](crate::domain::RuleKind::Threshold)
//!    entry saying how its score compares. A rule set with no qualifying categories at all (a
//!    Kelly-2017 style policy, POLICY.md §4) skips the qualifying step and goes straight to the score.
//!
//! # File format
//!
//! See `config/rules/morton-2011.toml`, whose comments explain each section. In short: top-level
//! `name`, `version`, `status`, `title`, `sources`, optional `superseded_by`; tables `[effective]`,
//! `[scope]`, `[params]`, `[offer]`; arrays of tables `[[gates]]`, `[[relief]]`, `[[qualifying]]`,
//! `[[points]]` (each with `id`, `reason`, `all` and/or `any`, and `points` for points rules);
//! `threshold`; and `[[examples]]`, table tests run by `docket rules test` (see [`Example`]). Conditions are `"fact op value"` strings, see [`Condition`]; the facts a condition
//! can name are listed, in plain words, in the table of the [`facts`] module.

mod compile;
mod condition;
mod dates;
mod document;
mod eval;
mod examples;
mod explain;
pub mod facts;
mod format;
mod input;
mod load;
mod ruleset;

pub use condition::{Condition, Op};
pub use dates::{overlaps, stale_status};
pub use eval::EvalContext;
pub use examples::{Example, ExampleResult};
pub use facts::{Fact, FactKind, Facts};
pub use input::{ConvictionFacts, FactorFacts, RuleInput};
pub use ruleset::{
    ClosureMechanism, Effective, OfferSettings, Override, Rule, RuleSet, Scope, Status, Suspension,
};

use sha2::{Digest, Sha256};

/// Why a rule-set file was refused: where (a key path such as `gates[3].any[1]`, and the line when
/// known) and what is wrong, in words a policy attorney can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}{}: {message}", line.map(|l| format!(" (line {l})")).unwrap_or_default())]
pub struct RulesError {
    /// Key path in the file, `.` for the document itself.
    pub path: String,
    /// 1-based line number in the file, when it is known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl RulesError {
    /// Builds an error at `path`, with no line.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            line: None,
            message: message.into(),
        }
    }

    /// The same error with the line of byte offset `offset` in `text`.
    pub(crate) fn at(mut self, text: &str, offset: usize) -> Self {
        self.line = Some(line_of(text, offset));
        self
    }
}

/// 1-based line number of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Lowercase hex SHA-256 of a rule-set file's text: what a run stores to prove which policy it applied.
pub fn content_hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

#[cfg(test)]
mod tests;
