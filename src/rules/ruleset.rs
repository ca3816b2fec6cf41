//! A loaded rule set: its identity, dates, scope, rules, threshold and offer settings.
//!
//! A [`RuleSet`] is immutable once loaded ([`RuleSet::from_toml`]) and cheap to share between
//! workers by reference or `Arc`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::condition::Condition;
use super::examples::Example;
use crate::domain::{CaseType, Custody, Decision, RuleKind};

/// Legal status of a policy (POLICY.md §4: policies were rescinded, enjoined, vacated, reinstated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// In force.
    Active,
    /// Blocked by a court order, possibly temporarily.
    Enjoined,
    /// Set aside by a court.
    Vacated,
    /// Withdrawn by the agency.
    Rescinded,
    /// Replaced by a later policy.
    Superseded,
}

impl Status {
    /// The name used in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Enjoined => "enjoined",
            Status::Vacated => "vacated",
            Status::Rescinded => "rescinded",
            Status::Superseded => "superseded",
        }
    }
}

/// How a case that accepts an offer leaves the active docket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClosureMechanism {
    /// Administrative closure (EOIR motion AC), the 2011 practice.
    AdminClosure,
    /// Dismissal without prejudice.
    DismissalWithoutPrejudice,
    /// Termination of proceedings.
    Termination,
}

/// A stretch of days inside the effective dates when the policy did not apply (a court vacated or
/// enjoined it, and it was later reinstated).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Suspension {
    /// First day it did not apply.
    pub from: NaiveDate,
    /// Last day it did not apply.
    pub to: NaiveDate,
    /// Why, in plain words (e.g. "vacated by the S.D. Tex., reinstated by United States v. Texas").
    pub reason: String,
}

/// The dates a policy applies to: from `from`, up to and including `to` when set, except the days of
/// each suspension. Its windows are the stretches between suspensions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Effective {
    /// First day the policy applies.
    pub from: NaiveDate,
    /// Last day it applies, if it has ended.
    pub to: Option<NaiveDate>,
    /// Days inside `from`..`to` when it did not apply, in order, not overlapping.
    pub suspended: Vec<Suspension>,
}

impl Effective {
    /// Whether `date` falls within the effective dates and outside every suspension.
    pub fn covers(&self, date: NaiveDate) -> bool {
        date >= self.from
            && self.to.is_none_or(|to| date <= to)
            && !self
                .suspended
                .iter()
                .any(|s| s.from <= date && date <= s.to)
    }
}

/// `2011-11-17 to 2015-01-04`, or `from 2021-11-29, no end`, then `, not 2022-06-10 to 2023-06-22`
/// for each suspension.
impl std::fmt::Display for Effective {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.to {
            Some(to) => write!(f, "{} to {to}", self.from)?,
            None => write!(f, "from {}, no end", self.from)?,
        }
        for s in &self.suspended {
            write!(f, ", not {} to {}", s.from, s.to)?;
        }
        Ok(())
    }
}

/// Which cases the policy reviews at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// EOIR case types reviewed.
    pub case_types: Vec<CaseType>,
    /// Custody statuses reviewed.
    pub custody: Vec<Custody>,
    /// Whether cases with a final order are left out.
    pub exclude_final_order: bool,
}

/// What an offer requires and how long the respondent has to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfferSettings {
    /// Days the respondent has to answer an offer.
    pub deadline_days: u32,
    /// Days after the offer when a reminder goes out if it is still unanswered; 0 means none.
    pub reminder_days: u32,
    /// An attorney must approve each recommended offer.
    pub requires_attorney_approval: bool,
    /// A background check must clear before the offer is issued.
    pub requires_background_check: bool,
    /// How an accepted offer closes the case.
    pub closure_mechanism: ClosureMechanism,
}

/// When compelling factors override a gate: the case scores at least `score`, or one of the rules
/// named in `factors` fired. An overridden gate sends the case to an attorney's discretionary review.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Override {
    /// Score at or above which the gate is overridden.
    pub score: Option<i32>,
    /// Ids of qualifying or points rules, any one of which overrides the gate.
    pub factors: Vec<String>,
}

/// One rule of the file: it fires when every `all` condition holds and, if it has `any` conditions,
/// at least one of those holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub(super) id: String,
    pub(super) kind: RuleKind,
    pub(super) reason: String,
    pub(super) points: i32,
    pub(super) all: Vec<Condition>,
    pub(super) any: Vec<Condition>,
    pub(super) overridable: Option<Override>,
}

impl Rule {
    /// Identifier, unique in its rule set.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Stage of the policy.
    pub fn kind(&self) -> RuleKind {
        self.kind
    }

    /// Plain-words reason recorded when it fires.
    pub fn reason(&self) -> &str {
        &self.reason
    }

    /// Points it adds when it fires (0 except for points rules).
    pub fn points(&self) -> i32 {
        self.points
    }

    /// Conditions that must all hold.
    pub fn all(&self) -> &[Condition] {
        &self.all
    }

    /// Conditions of which at least one must hold (empty: no such requirement).
    pub fn any(&self) -> &[Condition] {
        &self.any
    }

    /// For a gate, the compelling factors that override it, if any may.
    pub fn overridable(&self) -> Option<&Override> {
        self.overridable.as_ref()
    }
}

/// A loaded, validated policy. Build one with [`RuleSet::from_toml`].
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet {
    pub(super) name: String,
    pub(super) version: String,
    pub(super) status: Status,
    pub(super) title: String,
    pub(super) sources: Vec<String>,
    pub(super) superseded_by: Option<String>,
    pub(super) effective: Effective,
    /// Line of the `[effective]` table, for errors about dates that overlap another file's.
    pub(super) effective_line: usize,
    pub(super) scope: Scope,
    pub(super) params: BTreeMap<String, i32>,
    pub(super) gates: Vec<Rule>,
    pub(super) relief: Vec<Rule>,
    pub(super) qualifying: Vec<Rule>,
    pub(super) points: Vec<Rule>,
    pub(super) threshold: i32,
    pub(super) otherwise: Decision,
    pub(super) offer: OfferSettings,
    pub(super) examples: Vec<Example>,
    pub(super) content_hash: String,
}

impl RuleSet {
    /// Short name, e.g. `morton-2011`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Version of this rule set, e.g. `1.0.0`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Legal status.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Human title.
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The memos and guidance the rules come from.
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// Name of the rule set that replaced this one, if any.
    pub fn superseded_by(&self) -> Option<&str> {
        self.superseded_by.as_deref()
    }

    /// Effective dates.
    pub fn effective(&self) -> &Effective {
        &self.effective
    }

    /// Which cases are reviewed.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// Named whole-number parameters, as written in `[params]`.
    pub fn params(&self) -> &BTreeMap<String, i32> {
        &self.params
    }

    /// Score at or above which a qualifying case is recommended for an offer.
    pub fn threshold(&self) -> i32 {
        self.threshold
    }

    /// The decision of a case that is not a priority, has no immediate relief and is not
    /// recommended for an offer: [`Decision::NotAmenable`] or [`Decision::DiscretionaryReview`].
    pub fn otherwise(&self) -> Decision {
        self.otherwise
    }

    /// Offer settings.
    pub fn offer(&self) -> OfferSettings {
        self.offer
    }

    /// The example cases the file carries, with their expected outcomes (see [`RuleSet::run_examples`]).
    pub fn examples(&self) -> &[Example] {
        &self.examples
    }

    /// Line of the `[effective]` table in the file.
    pub fn effective_line(&self) -> usize {
        self.effective_line
    }

    /// Lowercase hex SHA-256 of the file text it was loaded from (see [`super::content_hash`]).
    pub fn content_hash(&self) -> &str {
        &self.content_hash
    }

    /// The rules of one stage, in file order. Empty for [`RuleKind::Scope`] and
    /// [`RuleKind::Threshold`], which are built in.
    pub fn rules(&self, kind: RuleKind) -> &[Rule] {
        match kind {
            RuleKind::Gate => &self.gates,
            RuleKind::Relief => &self.relief,
            RuleKind::Qualifying => &self.qualifying,
            RuleKind::Points => &self.points,
            RuleKind::Scope | RuleKind::Threshold | RuleKind::Decision => &[],
        }
    }
}
