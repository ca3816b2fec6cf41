//! Decisions of an automated review and the rules that produced them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The automated decision of DESIGN.md.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// An enforcement-priority gate fired: proceedings continue, accelerated.
    EnforcementPriority,
    /// Relief is immediately available: refer for dismissal so the petition can be adjudicated.
    ReferDismissal,
    /// Qualifies and scores at or above the threshold: an offer of closure is recommended.
    OfferRecommended,
    /// Not amenable to closure: proceedings continue in the ordinary course.
    NotAmenable,
    /// Not an enforcement priority, or a priority whose gate compelling factors override: an
    /// attorney weighs the case for discretion (Johnson 2014, Mayorkas 2021).
    DiscretionaryReview,
    /// Outside the run's scope (detained, final order, case type or court not covered).
    OutOfScope,
}

impl Decision {
    /// Every decision, in reporting order.
    pub const ALL: [Decision; 6] = [
        Decision::OfferRecommended,
        Decision::DiscretionaryReview,
        Decision::NotAmenable,
        Decision::EnforcementPriority,
        Decision::ReferDismissal,
        Decision::OutOfScope,
    ];

    /// The stored and reported name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EnforcementPriority => "enforcement_priority",
            Self::ReferDismissal => "refer_dismissal",
            Self::OfferRecommended => "offer_recommended",
            Self::NotAmenable => "not_amenable",
            Self::DiscretionaryReview => "discretionary_review",
            Self::OutOfScope => "out_of_scope",
        }
    }

    /// The decision in plain words, for people: pages, letters to staff, reports.
    pub fn label(self) -> &'static str {
        match self {
            Self::EnforcementPriority => "Enforcement priority",
            Self::ReferDismissal => "Refer for dismissal: relief immediately available",
            Self::OfferRecommended => "Offer of closure recommended",
            Self::NotAmenable => "Not amenable to closure",
            Self::DiscretionaryReview => "Non-priority: attorney's discretionary review",
            Self::OutOfScope => "Outside the review's scope",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Decision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Decision::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| format!("unknown decision {s:?}"))
    }
}

/// The stage of the policy a rule belongs to, in evaluation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleKind {
    /// A scope check: the case is outside what the run reviews.
    Scope,
    /// An enforcement-priority gate.
    Gate,
    /// Immediate relief: dismissal rather than closure.
    Relief,
    /// A qualifying favourable category.
    Qualifying,
    /// A scoring factor, positive or negative.
    Points,
    /// The threshold comparison itself.
    Threshold,
    /// The deciding reason: which step decided the case, in plain words.
    Decision,
}

/// One rule that fired, with its plain-words reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FiredRule {
    /// Rule identifier from the rule set (e.g. `G_FELONY`).
    pub id: String,
    /// Stage of the policy.
    pub kind: RuleKind,
    /// Why it fired, in words an attorney can read. Never contains personal data.
    pub reason: String,
    /// Points it contributed (0 for rules that do not score).
    #[serde(default)]
    pub points: i32,
}

/// The result of evaluating one case under one rule set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The decision.
    pub decision: Decision,
    /// Score from the points rules (0 when out of scope).
    pub score: i32,
    /// Every rule that fired, in evaluation order.
    pub fired: Vec<FiredRule>,
}

/// What an outcome stores of an evaluation: the decision, the score and which rules fired, with
/// no reason written out. The reasons follow from these and the run's rule set
/// (`RuleSet::explain`), so every outcome need not repeat them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The decision.
    pub decision: Decision,
    /// Score from the points rules (0 when out of scope).
    pub score: i32,
    /// The ids of the rules that fired, in evaluation order, separated by single spaces; a scope
    /// check carries the value it refused after `=` (`SCOPE_CUSTODY=D`). The threshold
    /// comparison and the deciding reason are not listed: they follow from the rest.
    pub fired_ids: String,
}
