//! A stored verdict put back in words: the reasons of every rule that fired, the threshold
//! comparison and the deciding reason, from the rule ids an outcome keeps and the run's rule set.
//! [`RuleSet::evaluate`] is [`RuleSet::verdict`] followed by this, so the words are the same
//! whether a case was just evaluated or its outcome was read back.

use super::RulesError;
use super::eval::{
    DECISION_ID, EvalContext, Fired, Ground, SCOPE_CASE_TYPE, SCOPE_COURT, SCOPE_CUSTODY,
    SCOPE_FINAL_ORDER, THRESHOLD_ID, Yield, capitalized, codes,
};
use super::ruleset::{Rule, RuleSet};
use crate::domain::{Decision, Evaluation, FiredRule, RuleKind};

impl RuleSet {
    /// The evaluation a verdict of this rule set stands for: `decision`, `score` and `fired_ids`
    /// as [`verdict`](Self::verdict) gave them (see [`crate::domain::Verdict`]), every fired rule
    /// with its reason, under the run's context `ctx`. Refuses ids this rule set does not have,
    /// out of evaluation order, or a decision or score they do not give.
    pub fn explain(
        &self,
        decision: Decision,
        score: i32,
        fired_ids: &str,
        ctx: &EvalContext,
    ) -> Result<Evaluation, RulesError> {
        if decision == Decision::OutOfScope {
            return self.explain_scope(fired_ids, ctx);
        }
        let fired = self.fired_by_id(fired_ids)?;
        let (derived, ground) = self.ground(&fired, fired.score());
        if derived != decision || fired.score() != score {
            return Err(RulesError::new(
                "fired",
                format!(
                    "the rules stored give {derived} with score {}, not the stored {decision} \
                     with score {score}",
                    fired.score()
                ),
            ));
        }
        let mut out: Vec<FiredRule> = fired.rules.iter().map(|r| entry(r)).collect();
        let why = match ground {
            Ground::Gates { firm, yielded } => gate_words(&firm, &yielded, score),
            Ground::Relief => format!(
                "Relief is immediately available ({}): refer for dismissal.",
                ids(fired.relief())
            ),
            Ground::NoCategory => format!(
                "No qualifying category applies: {}.",
                self.otherwise.label().to_lowercase()
            ),
            Ground::Threshold => self.threshold_words(&mut out, fired.qualifying(), score),
        };
        out.push(decided(why));
        Ok(Evaluation {
            decision,
            score,
            fired: out,
        })
    }

    /// The rules named by `fired_ids`, by stage; refuses an unknown id or one out of order.
    fn fired_by_id<'r>(&'r self, fired_ids: &str) -> Result<Fired<'r>, RulesError> {
        let stages = [&self.gates, &self.relief, &self.qualifying, &self.points];
        let mut rules = Vec::new();
        let mut stage_of = Vec::new();
        for id in fired_ids.split_ascii_whitespace() {
            let found = stages
                .iter()
                .enumerate()
                .find_map(|(s, rules)| rules.iter().find(|r| r.id == id).map(|r| (s, r)));
            let Some((stage, rule)) = found else {
                return Err(RulesError::new(
                    "fired",
                    format!("the rule set has no rule `{id}`"),
                ));
            };
            if stage_of.last().is_some_and(|&last| last > stage) {
                return Err(RulesError::new(
                    "fired",
                    format!("rule `{id}` is out of evaluation order"),
                ));
            }
            rules.push(rule);
            stage_of.push(stage);
        }
        let mut ends = [0; 3];
        for (s, end) in ends.iter_mut().enumerate() {
            *end = stage_of.iter().filter(|&&t| t <= s).count();
        }
        Ok(Fired { rules, ends })
    }

    /// The evaluation of a case outside the scope: the scope check it failed, from its stored
    /// token (`SCOPE_CUSTODY=D`), and the deciding reason.
    fn explain_scope(&self, token: &str, ctx: &EvalContext) -> Result<Evaluation, RulesError> {
        let token = token.trim();
        let (id, value) = token.split_once('=').unwrap_or((token, ""));
        let scope = &self.scope;
        let reason = match id {
            SCOPE_CUSTODY => format!(
                "Custody status {value} is not reviewed under this rule set (it covers {}).",
                codes(scope.custody.iter().map(|c| c.code()))
            ),
            SCOPE_FINAL_ORDER => {
                "The case has a final order, and this rule set reviews only cases without one."
                    .to_string()
            }
            SCOPE_CASE_TYPE => format!(
                "Case type {value} is not reviewed under this rule set (it covers {}).",
                codes(scope.case_types.iter().map(|c| c.code()))
            ),
            SCOPE_COURT => format!(
                "Court {value} is not among the courts of this run ({}).",
                codes(ctx.courts.iter().flatten().map(String::as_str))
            ),
            _ => {
                return Err(RulesError::new(
                    "fired",
                    format!("`{id}` is not a scope check"),
                ));
            }
        };
        let out = FiredRule {
            id: id.to_string(),
            kind: RuleKind::Scope,
            reason,
            points: 0,
        };
        let why = format!("Outside the review's scope ({id}).");
        Ok(Evaluation {
            decision: Decision::OutOfScope,
            score: 0,
            fired: vec![out, decided(why)],
        })
    }

    /// The deciding reason of a qualifying case by its score; records the threshold comparison.
    fn threshold_words(
        &self,
        out: &mut Vec<FiredRule>,
        qualifying: &[&Rule],
        score: i32,
    ) -> String {
        let threshold = self.threshold;
        let (decision, comparison) = if score >= threshold {
            (Decision::OfferRecommended, "at or above")
        } else {
            (self.otherwise, "below")
        };
        let categories = if qualifying.is_empty() {
            String::new()
        } else {
            format!("Qualifies ({}); ", ids(qualifying))
        };
        out.push(FiredRule {
            id: THRESHOLD_ID.to_string(),
            kind: RuleKind::Threshold,
            reason: format!("Score {score} is {comparison} the threshold {threshold}."),
            points: 0,
        });
        capitalized(format!(
            "{categories}score {score} is {comparison} the threshold {threshold}: {}.",
            decision.label().to_lowercase()
        ))
    }
}

/// The deciding reason when gates fired: the gates that hold, or why every one yields.
fn gate_words(firm: &[&str], yielded: &[(&str, Yield<'_>)], score: i32) -> String {
    if firm.is_empty() {
        let because: Vec<String> = yielded
            .iter()
            .map(|(gate, why)| match why {
                Yield::Score(at) => format!("{gate}: score {score} at or above {at}"),
                Yield::Factor(factor) => format!("{gate}: {factor}"),
            })
            .collect();
        format!(
            "Compelling factors override the enforcement-priority gate ({}): {}.",
            because.join("; "),
            Decision::DiscretionaryReview.label().to_lowercase()
        )
    } else {
        format!("Enforcement priority: gate {} fired.", firm.join(", "))
    }
}

/// A fired rule's entry, with its reason from the rule set.
fn entry(rule: &Rule) -> FiredRule {
    FiredRule {
        id: rule.id.clone(),
        kind: rule.kind,
        reason: rule.reason.clone(),
        points: rule.points,
    }
}

/// The deciding reason's entry, last of every evaluation.
fn decided(why: String) -> FiredRule {
    FiredRule {
        id: DECISION_ID.to_string(),
        kind: RuleKind::Decision,
        reason: why,
        points: 0,
    }
}

/// The ids of `rules`, joined with ", ".
fn ids(rules: &[&Rule]) -> String {
    codes(rules.iter().map(|r| r.id.as_str()))
}
