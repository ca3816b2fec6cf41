//! The rule-set file as written: serde structures that mirror the TOML one to one.
//!
//! Unknown keys are rejected everywhere. Values that need checks beyond their type (dates, conditions,
//! ids, parameters) keep their source span so [`super::load`] can report the line of a mistake.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

use super::ruleset::{ClosureMechanism, Status};
use crate::domain::{CaseType, Custody};

/// The sections read one element at a time, so that a mistake in one rule does not hide the others.
pub(super) const RULE_SECTIONS: [&str; 5] = ["gates", "relief", "qualifying", "points", "examples"];

/// The file, section by section: the header (`None` when it did not deserialize), the parameters,
/// and each element of each rule section (`None` for one that did not deserialize).
#[derive(Debug, Default)]
pub(super) struct RawDocument {
    pub header: Option<RawRuleSet>,
    pub params: BTreeMap<String, Spanned<i64>>,
    pub gates: Vec<Option<RawRule>>,
    pub relief: Vec<Option<RawRule>>,
    pub qualifying: Vec<Option<RawRule>>,
    pub points: Vec<Option<RawPointsRule>>,
    pub examples: Vec<Option<RawExample>>,
}

/// An example case with the decision the rule set must reach (`[[examples]]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExample {
    pub name: Spanned<String>,
    /// Review date; default: `effective.from`.
    #[serde(default)]
    pub as_of: Option<Spanned<toml::Value>>,
    /// Changes to the neutral example case, merged into it (tables merge, other values replace).
    #[serde(default)]
    pub case: Option<Spanned<toml::Value>>,
    pub decision: Spanned<String>,
    /// Ids of every rule expected to fire (order does not matter; `THRESHOLD` is left out).
    #[serde(default)]
    pub fired: Option<Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub score: Option<Spanned<i64>>,
}

/// The header of the file: everything but the parameters and the rule sections.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRuleSet {
    pub name: Spanned<String>,
    pub version: Spanned<String>,
    pub status: Status,
    pub title: Spanned<String>,
    pub sources: Spanned<Vec<String>>,
    #[serde(default)]
    pub superseded_by: Option<String>,
    pub effective: Spanned<RawEffective>,
    pub scope: RawScope,
    pub threshold: Spanned<i64>,
    /// The decision of a case that is not a priority, has no relief and is not recommended:
    /// `not_amenable` (the default) or `discretionary_review`.
    #[serde(default)]
    pub otherwise: Option<Spanned<String>>,
    pub offer: RawOffer,
}

/// `[effective]`: a TOML date or a `"YYYY-MM-DD"` string; `to` may be absent or `""`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawEffective {
    pub from: Spanned<toml::Value>,
    #[serde(default)]
    pub to: Option<Spanned<toml::Value>>,
    /// Stretches inside the dates when the policy did not apply.
    #[serde(default)]
    pub suspended: Vec<Spanned<RawSuspension>>,
}

/// One `[[effective.suspended]]` stretch.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSuspension {
    pub from: Spanned<toml::Value>,
    pub to: Spanned<toml::Value>,
    pub reason: Spanned<String>,
}

/// `[scope]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScope {
    pub case_types: Spanned<Vec<CaseType>>,
    pub custody: Spanned<Vec<Custody>>,
    pub exclude_final_order: bool,
}

/// A gate, relief or qualifying rule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub id: Spanned<String>,
    pub reason: Spanned<String>,
    #[serde(default)]
    pub all: Vec<Spanned<String>>,
    #[serde(default)]
    pub any: Option<Spanned<Vec<Spanned<String>>>>,
    /// Gates only: a score at which compelling factors override the gate.
    #[serde(default)]
    pub override_score: Option<Spanned<i64>>,
    /// Gates only: ids of qualifying or points rules, any one of which overrides the gate.
    #[serde(default)]
    pub override_factors: Option<Spanned<Vec<Spanned<String>>>>,
}

/// A points rule: a rule with the points it adds (or, when negative, takes away).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPointsRule {
    pub id: Spanned<String>,
    pub points: Spanned<i64>,
    pub reason: Spanned<String>,
    #[serde(default)]
    pub all: Vec<Spanned<String>>,
    #[serde(default)]
    pub any: Option<Spanned<Vec<Spanned<String>>>>,
}

impl RawPointsRule {
    /// The rule without its points.
    pub fn split(self) -> (RawRule, Spanned<i64>) {
        let rule = RawRule {
            id: self.id,
            reason: self.reason,
            all: self.all,
            any: self.any,
            override_score: None,
            override_factors: None,
        };
        (rule, self.points)
    }
}

/// `[offer]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOffer {
    pub deadline_days: Spanned<u32>,
    pub reminder_days: Spanned<u32>,
    pub requires_attorney_approval: bool,
    pub requires_background_check: bool,
    pub closure_mechanism: ClosureMechanism,
}
