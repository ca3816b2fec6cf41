//! Evaluating one case under a rule set: pure, synchronous, no I/O, the same answer every time.
//!
//! The steps are those of POLICY.md §3.2 (see the module documentation of [`super`]). Facts are
//! derived once per case; conditions were resolved at load time, so a rule costs a few comparisons.

use chrono::NaiveDate;

use super::facts::Facts;
use super::input::RuleInput;
use super::ruleset::{Rule, RuleSet};
use crate::domain::{Case, Decision, Evaluation, Verdict};

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
pub(super) const THRESHOLD_ID: &str = "THRESHOLD";
/// Id of the deciding reason, the last entry of every evaluation.
pub const DECISION_ID: &str = "DECISION";

impl RuleSet {
    /// Evaluates `case` as of `ctx.as_of`: scope, then every gate, relief, qualifying and points
    /// rule, then the decision by precedence (gate, relief, qualifying category, score), with
    /// every fired rule's reason. It is [`verdict`](Self::verdict) put in words by
    /// [`explain`](Self::explain), so a stored verdict reads exactly as the evaluation did.
    pub fn evaluate(&self, case: &Case, ctx: &EvalContext) -> Evaluation {
        let v = self.verdict(case, ctx);
        self.explain(v.decision, v.score, &v.fired_ids, ctx)
            .expect("a rule set explains its own verdicts")
    }

    /// The decision, the score and the ids of the rules that fired for `case` (see [`Verdict`]):
    /// what an outcome stores. No reason is written out; [`explain`](Self::explain) does that
    /// from these and the rule set.
    pub fn verdict(&self, case: &Case, ctx: &EvalContext) -> Verdict {
        if let Some(miss) = self.scope_miss(case, ctx) {
            return Verdict {
                decision: Decision::OutOfScope,
                score: 0,
                fired_ids: miss.token(case),
            };
        }
        let facts = Facts::derive(case, ctx.as_of);
        let fired = self.fired(&facts);
        let score = fired.score();
        let (decision, _) = self.ground(&fired, score);
        let mut fired_ids = String::with_capacity(fired.rules.len() * 12);
        for (i, rule) in fired.rules.iter().enumerate() {
            if i > 0 {
                fired_ids.push(' ');
            }
            fired_ids.push_str(&rule.id);
        }
        Verdict {
            decision,
            score,
            fired_ids,
        }
    }

    /// Every gate, relief, qualifying and points rule that fires for `facts`, by stage.
    fn fired(&self, facts: &Facts) -> Fired<'_> {
        let mut rules = Vec::with_capacity(16);
        let mut ends = [0; 3];
        for (end, stage) in ends
            .iter_mut()
            .zip([&self.gates, &self.relief, &self.qualifying])
        {
            rules.extend(stage.iter().filter(|r| r.fires(facts)));
            *end = rules.len();
        }
        rules.extend(self.points.iter().filter(|r| r.fires(facts)));
        Fired { rules, ends }
    }

    /// The decision for the rules that `fired` (a case in scope scoring `score`), by precedence,
    /// and what it rests on.
    pub(super) fn ground<'r>(&'r self, fired: &Fired<'r>, score: i32) -> (Decision, Ground<'r>) {
        if !fired.gates().is_empty() {
            let has_fired = |id: &str| fired.rules.iter().any(|r| r.id == id);
            let (mut firm, mut yielded) = (Vec::new(), Vec::new());
            for gate in fired.gates() {
                match yields(gate, score, has_fired) {
                    Some(why) => yielded.push((gate.id.as_str(), why)),
                    None => firm.push(gate.id.as_str()),
                }
            }
            let decision = if firm.is_empty() {
                Decision::DiscretionaryReview
            } else {
                Decision::EnforcementPriority
            };
            (decision, Ground::Gates { firm, yielded })
        } else if !fired.relief().is_empty() {
            (Decision::ReferDismissal, Ground::Relief)
        } else if !self.qualifying.is_empty() && fired.qualifying().is_empty() {
            (self.otherwise, Ground::NoCategory)
        } else if score >= self.threshold {
            (Decision::OfferRecommended, Ground::Threshold)
        } else {
            (self.otherwise, Ground::Threshold)
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
}

/// The scope check a case fails.
enum ScopeMiss {
    Custody,
    FinalOrder,
    CaseType,
    Court,
}

impl ScopeMiss {
    /// The stored form: the scope check's id, and the value of `case` it refused after `=`.
    fn token(&self, case: &Case) -> String {
        match self {
            Self::Custody => format!("{SCOPE_CUSTODY}={}", case.custody.code()),
            Self::FinalOrder => SCOPE_FINAL_ORDER.to_string(),
            Self::CaseType => format!("{SCOPE_CASE_TYPE}={}", case.case_type.code()),
            Self::Court => format!("{SCOPE_COURT}={}", case.court.as_str()),
        }
    }
}

/// Ids of the scope checks.
pub(super) const SCOPE_CUSTODY: &str = "SCOPE_CUSTODY";
pub(super) const SCOPE_FINAL_ORDER: &str = "SCOPE_FINAL_ORDER";
pub(super) const SCOPE_CASE_TYPE: &str = "SCOPE_CASE_TYPE";
pub(super) const SCOPE_COURT: &str = "SCOPE_COURT";

/// The rules that fired for one case in scope, in evaluation order: gates, relief, qualifying,
/// points.
pub(super) struct Fired<'r> {
    pub(super) rules: Vec<&'r Rule>,
    /// Where the gate, relief and qualifying stages end in `rules` (the points rules follow).
    pub(super) ends: [usize; 3],
}

impl<'r> Fired<'r> {
    /// The gates that fired.
    pub(super) fn gates(&self) -> &[&'r Rule] {
        &self.rules[..self.ends[0]]
    }

    /// The relief rules that fired.
    pub(super) fn relief(&self) -> &[&'r Rule] {
        &self.rules[self.ends[0]..self.ends[1]]
    }

    /// The qualifying rules that fired.
    pub(super) fn qualifying(&self) -> &[&'r Rule] {
        &self.rules[self.ends[1]..self.ends[2]]
    }

    /// The score: the points of the points rules that fired.
    pub(super) fn score(&self) -> i32 {
        self.rules[self.ends[2]..]
            .iter()
            .fold(0i32, |sum, r| sum.saturating_add(r.points))
    }
}

/// What a decision rests on, before it is put in words.
pub(super) enum Ground<'r> {
    /// Gates fired: those that hold, and those that yield to compelling factors (with why).
    Gates {
        firm: Vec<&'r str>,
        yielded: Vec<(&'r str, Yield<'r>)>,
    },
    /// Relief is immediately available.
    Relief,
    /// The rule set has qualifying categories and none applies.
    NoCategory,
    /// The score against the threshold.
    Threshold,
}

/// Why a fired gate yields to compelling factors.
pub(super) enum Yield<'r> {
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

/// `s` with its first letter in capitals.
pub(super) fn capitalized(s: String) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => s,
    }
}

/// Codes joined with ", ", for a reason.
pub(super) fn codes<'a>(codes: impl Iterator<Item = &'a str>) -> String {
    codes.collect::<Vec<_>>().join(", ")
}
