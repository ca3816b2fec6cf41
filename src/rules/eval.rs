//! Evaluating one case under a rule set: pure, synchronous, no I/O, the same answer every time.
//!
//! The steps are those of POLICY.md §3.2 (see the module documentation of [`super`]). Facts are
//! derived once per case; conditions were resolved at load time, so a rule costs a few comparisons.
//! The only allocations are the list of fired rules and their reason strings.

use chrono::NaiveDate;

use super::facts::Facts;
use super::input::RuleInput;
use super::ruleset::{Rule, RuleSet};
use crate::domain::{Case, Decision, Evaluation, FiredRule, RuleKind};

/// What a run supplies to every evaluation: the review date and, optionally, the courts it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalContext {
    /// The review date: ages, years of presence and the like are counted up to this day.
    pub as_of: NaiveDate,
    /// EOIR court codes the run is limited to; `None` means every court. A case of another court is
    /// out of scope.
    pub courts: Option<Vec<String>>,
}

impl EvalContext {
    /// A context for every court, as of `as_of`.
    pub fn new(as_of: NaiveDate) -> Self {
        Self {
            as_of,
            courts: None,
        }
    }

    /// The same context limited to `courts` (EOIR base-city codes such as `DEN`).
    pub fn with_courts<I, S>(mut self, courts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.courts = Some(courts.into_iter().map(Into::into).collect());
        self
    }
}

/// Id of the built-in threshold entry.
const THRESHOLD_ID: &str = "THRESHOLD";
/// Id of the deciding reason, the last entry of every evaluation.
pub const DECISION_ID: &str = "DECISION";

impl RuleSet {
    /// Evaluates `case` as of `ctx.as_of`: scope, then every gate, relief, qualifying and points
    /// rule, then the decision by precedence (gate, relief, qualifying category, score).
    pub fn evaluate(&self, case: &Case, ctx: &EvalContext) -> Evaluation {
        if let Some(out) = self.scope_failure(case, ctx) {
            let why = format!("Outside the review's scope ({}).", out.id);
            let decided = FiredRule {
                id: DECISION_ID.to_string(),
                kind: RuleKind::Decision,
                reason: why,
                points: 0,
            };
            return Evaluation {
                decision: Decision::OutOfScope,
                score: 0,
                fired: vec![out, decided],
            };
        }
        let facts = Facts::derive(case, ctx.as_of);
        let mut fired = Vec::new();
        fire(&self.gates, &facts, &mut fired);
        let gates_end = fired.len();
        let relief_from = fired.len();
        let relief = fire(&self.relief, &facts, &mut fired);
        let qualifying_from = fired.len();
        let qualifies = fire(&self.qualifying, &facts, &mut fired) || self.qualifying.is_empty();
        let before_points = fired.len();
        fire(&self.points, &facts, &mut fired);
        let score = fired[before_points..]
            .iter()
            .fold(0i32, |sum, r| sum.saturating_add(r.points));

        let (decision, why) = if gates_end > 0 {
            self.gate_decision(&fired, gates_end, score)
        } else if relief {
            let ids = ids(&fired[relief_from..qualifying_from]);
            let why = format!("Relief is immediately available ({ids}): refer for dismissal.");
            (Decision::ReferDismissal, why)
        } else if !qualifies {
            let why = format!(
                "No qualifying category applies: {}.",
                self.otherwise.label().to_lowercase()
            );
            (self.otherwise, why)
        } else {
            self.threshold_decision(&mut fired, qualifying_from..before_points, score)
        };
        fired.push(FiredRule {
            id: DECISION_ID.to_string(),
            kind: RuleKind::Decision,
            reason: why,
            points: 0,
        });
        Evaluation {
            decision,
            score,
            fired,
        }
    }

    /// The decision and score [`evaluate`](Self::evaluate) gives `case`, without the explanation:
    /// the same steps with nothing allocated, so that a simulation can decide a whole backlog twice
    /// over. A test holds the two to the same answers on every shipped rule set.
    pub fn decide(&self, case: &impl RuleInput, ctx: &EvalContext) -> (Decision, i32) {
        if self.scope_miss(case, ctx).is_some() {
            return (Decision::OutOfScope, 0);
        }
        let facts = Facts::derive(case, ctx.as_of);
        let score = self
            .points
            .iter()
            .filter(|r| r.fires(&facts))
            .fold(0i32, |sum, r| sum.saturating_add(r.points));
        let any_fires = |rules: &[Rule]| rules.iter().any(|r| r.fires(&facts));
        let decision = if any_fires(&self.gates) {
            let has_fired = |id: &str| {
                [&self.gates, &self.relief, &self.qualifying, &self.points]
                    .into_iter()
                    .flatten()
                    .any(|r| r.id == id && r.fires(&facts))
            };
            let firm = self
                .gates
                .iter()
                .any(|g| g.fires(&facts) && yields(g, score, has_fired).is_none());
            if firm {
                Decision::EnforcementPriority
            } else {
                Decision::DiscretionaryReview
            }
        } else if any_fires(&self.relief) {
            Decision::ReferDismissal
        } else if !(self.qualifying.is_empty() || any_fires(&self.qualifying)) {
            self.otherwise
        } else if score >= self.threshold {
            Decision::OfferRecommended
        } else {
            self.otherwise
        };
        (decision, score)
    }

    /// The decision when gates fired (`fired[..gates_end]`): an enforcement priority, unless every
    /// gate that fired is overridable and compelling factors override it.
    fn gate_decision(
        &self,
        fired: &[FiredRule],
        gates_end: usize,
        score: i32,
    ) -> (Decision, String) {
        let mut firm = Vec::new();
        let mut because = Vec::new();
        let has_fired = |id: &str| fired.iter().any(|r| r.id == id);
        for gate in &fired[..gates_end] {
            let rule = self.gates.iter().find(|r| r.id == gate.id);
            match rule.and_then(|r| yields(r, score, has_fired)) {
                Some(Yield::Score(at)) => {
                    because.push(format!("{}: score {score} at or above {at}", gate.id));
                }
                Some(Yield::Factor(factor)) => because.push(format!("{}: {factor}", gate.id)),
                None => firm.push(gate.id.as_str()),
            }
        }
        if firm.is_empty() {
            let why = format!(
                "Compelling factors override the enforcement-priority gate ({}): {}.",
                because.join("; "),
                Decision::DiscretionaryReview.label().to_lowercase()
            );
            (Decision::DiscretionaryReview, why)
        } else {
            let why = format!("Enforcement priority: gate {} fired.", firm.join(", "));
            (Decision::EnforcementPriority, why)
        }
    }

    /// The decision of a qualifying case by its score; records the threshold comparison.
    fn threshold_decision(
        &self,
        fired: &mut Vec<FiredRule>,
        qualifying: std::ops::Range<usize>,
        score: i32,
    ) -> (Decision, String) {
        let threshold = self.threshold;
        let (decision, comparison) = if score >= threshold {
            (Decision::OfferRecommended, "at or above")
        } else {
            (self.otherwise, "below")
        };
        let categories = if qualifying.is_empty() {
            String::new()
        } else {
            format!("Qualifies ({}); ", ids(&fired[qualifying]))
        };
        fired.push(FiredRule {
            id: THRESHOLD_ID.to_string(),
            kind: RuleKind::Threshold,
            reason: format!("Score {score} is {comparison} the threshold {threshold}."),
            points: 0,
        });
        let why = format!(
            "{categories}score {score} is {comparison} the threshold {threshold}: {}.",
            decision.label().to_lowercase()
        );
        (decision, capitalized(why))
    }

    /// The first scope check `case` fails, in the order custody, final order, case type, court.
    fn scope_miss(&self, case: &impl RuleInput, ctx: &EvalContext) -> Option<ScopeMiss> {
        let scope = &self.scope;
        Some(if !scope.custody.contains(&case.custody()) {
            ScopeMiss::Custody
        } else if scope.exclude_final_order && case.final_order() {
            ScopeMiss::FinalOrder
        } else if !scope.case_types.contains(&case.case_type()) {
            ScopeMiss::CaseType
        } else if ctx
            .courts
            .as_ref()
            .is_some_and(|courts| !courts.iter().any(|c| c == case.court()))
        {
            ScopeMiss::Court
        } else {
            return None;
        })
    }

    /// The scope check `case` fails, if any, as the recorded entry with its reason.
    fn scope_failure(&self, case: &Case, ctx: &EvalContext) -> Option<FiredRule> {
        let scope = &self.scope;
        let (id, reason) = match self.scope_miss(case, ctx)? {
            ScopeMiss::Custody => {
                let listed = codes(scope.custody.iter().map(|c| c.code()));
                (
                    "SCOPE_CUSTODY",
                    format!(
                        "Custody status {} is not reviewed under this rule set (it covers {listed}).",
                        case.custody.code()
                    ),
                )
            }
            ScopeMiss::FinalOrder => (
                "SCOPE_FINAL_ORDER",
                "The case has a final order, and this rule set reviews only cases without one."
                    .to_string(),
            ),
            ScopeMiss::CaseType => {
                let listed = codes(scope.case_types.iter().map(|c| c.code()));
                (
                    "SCOPE_CASE_TYPE",
                    format!(
                        "Case type {} is not reviewed under this rule set (it covers {listed}).",
                        case.case_type.code()
                    ),
                )
            }
            ScopeMiss::Court => {
                let courts = ctx.courts.iter().flatten().map(String::as_str);
                (
                    "SCOPE_COURT",
                    format!(
                        "Court {} is not among the courts of this run ({}).",
                        case.court.as_str(),
                        codes(courts)
                    ),
                )
            }
        };
        Some(FiredRule {
            id: id.to_string(),
            kind: RuleKind::Scope,
            reason,
            points: 0,
        })
    }
}

/// The scope check a case fails.
enum ScopeMiss {
    Custody,
    FinalOrder,
    CaseType,
    Court,
}

/// Why a fired gate yields to compelling factors.
enum Yield<'r> {
    /// The score reached the gate's override score.
    Score(i32),
    /// This rule, one of the gate's override factors, fired.
    Factor(&'r str),
}

/// Whether `gate` yields to the compelling factors of a case of `score` in which the rules
/// `has_fired` tells fired.
fn yields<'r>(gate: &'r Rule, score: i32, has_fired: impl Fn(&str) -> bool) -> Option<Yield<'r>> {
    let o = gate.overridable.as_ref()?;
    match o.score {
        Some(at) if score >= at => Some(Yield::Score(at)),
        _ => o
            .factors
            .iter()
            .find(|f| has_fired(f))
            .map(|f| Yield::Factor(f)),
    }
}

impl Rule {
    /// Whether the rule fires for `facts`.
    #[inline]
    fn fires(&self, facts: &Facts) -> bool {
        self.all.iter().all(|c| c.holds(facts))
            && (self.any.is_empty() || self.any.iter().any(|c| c.holds(facts)))
    }
}

/// Records every rule of `rules` that fires for `facts`; returns whether any did.
fn fire(rules: &[Rule], facts: &Facts, fired: &mut Vec<FiredRule>) -> bool {
    let mut any_fired = false;
    for rule in rules {
        if rule.fires(facts) {
            any_fired = true;
            fired.push(FiredRule {
                id: rule.id.clone(),
                kind: rule.kind,
                reason: rule.reason.clone(),
                points: rule.points,
            });
        }
    }
    any_fired
}

/// The ids of `rules`, joined with ", ".
fn ids(rules: &[FiredRule]) -> String {
    codes(rules.iter().map(|r| r.id.as_str()))
}

/// `s` with its first letter in capitals.
fn capitalized(s: String) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => s,
    }
}

/// Codes joined with ", ", for a reason.
fn codes<'a>(codes: impl Iterator<Item = &'a str>) -> String {
    codes.collect::<Vec<_>>().join(", ")
}
