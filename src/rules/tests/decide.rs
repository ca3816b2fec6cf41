//! The deciding reason every evaluation ends with, the `otherwise` decision and gates that
//! compelling factors override.

use super::*;
use crate::domain::{Decision, OffenseCategory as Cat, OffenseLevel as Lvl};

/// A small rule set: one firm gate, one gate overridable by a score or by military service, one
/// qualifying category, and non-priority cases sent to discretionary review.
const SMALL: &str = r#"
name = "small"
version = "1"
status = "active"
title = "Small"
sources = ["test"]
threshold = 4
otherwise = "discretionary_review"

[effective]
from = 2011-11-17

[scope]
case_types = ["RMV"]
custody = ["N", "R"]
exclude_final_order = true

[[gates]]
id = "G_FELONY"
reason = "A felony."
all = ["felony_convictions >= 1"]

[[gates]]
id = "G_DUI"
reason = "A DUI."
all = ["convictions_dui >= 1"]
override_score = 6
override_factors = ["P_MILITARY"]

[[qualifying]]
id = "Q_FAMILY"
reason = "A US-citizen or LPR relative."
all = ["usc_or_lpr_relatives >= 1"]

[[points]]
id = "P_PRESENCE_10Y"
points = 2
reason = "Ten years present."
all = ["years_present >= 10"]

[[points]]
id = "P_MILITARY"
points = 1
reason = "Military service."
all = ["military_service"]

[[points]]
id = "P_SCHOOL"
points = 3
reason = "In school."
all = ["in_school_or_graduate"]

[offer]
deadline_days = 30
reminder_days = 0
requires_attorney_approval = true
requires_background_check = true
closure_mechanism = "admin_closure"
"#;

fn small(case: &Case) -> Evaluation {
    let set = RuleSet::from_toml(SMALL).expect("the small rule set loads");
    set.evaluate(case, &EvalContext::new(day(REVIEW_DATE)))
}

/// The deciding reason: the last entry, of kind `Decision`.
#[track_caller]
fn deciding(evaluation: &Evaluation) -> &str {
    let last = evaluation.fired.last().expect("a deciding reason");
    assert_eq!(last.kind, RuleKind::Decision);
    assert_eq!(
        evaluation
            .fired
            .iter()
            .filter(|r| r.kind == RuleKind::Decision)
            .count(),
        1
    );
    &last.reason
}

/// `plain()` with a 2005 DUI, no school; 12 years present: score 2 + 0.
fn dui() -> Case {
    let mut case = plain();
    let dui = conviction(Lvl::Misdemeanor, Cat::Dui, "2005-01-01");
    case.convictions.push(dui);
    case
}

#[test]
fn a_case_in_no_qualifying_category_says_so() {
    let evaluation = review(&plain());
    assert_eq!(
        deciding(&evaluation),
        "No qualifying category applies: not amenable to closure."
    );
}

#[test]
fn a_score_below_the_threshold_says_by_how_much() {
    let mut case = plain();
    case.factors.usc_or_lpr_relatives = 1;
    case.factors.community_ties = true;
    case.convictions = vec![conviction(Lvl::Misdemeanor, Cat::Theft, "2003-05-05")];
    let evaluation = review(&case);
    assert_eq!(evaluation.decision, Decision::NotAmenable);
    let score = evaluation.score;
    assert!(score < MORTON_SET.threshold(), "score {score}");
    assert_eq!(
        deciding(&evaluation),
        format!(
            "Qualifies (Q_LONG_PRESENCE_USC_TIES); score {score} is below the threshold {}: not amenable to closure.",
            MORTON_SET.threshold()
        )
    );
}

#[test]
fn an_offer_names_its_category_and_score() {
    let evaluation = review(&clean());
    assert_eq!(evaluation.decision, Decision::OfferRecommended);
    assert_eq!(
        deciding(&evaluation),
        "Qualifies (Q_CHILD_ARRIVAL_EDU); score 12 is at or above the threshold 5: offer of \
         closure recommended."
    );
}

#[test]
fn relief_names_its_rule() {
    let mut case = plain();
    case.factors.pending_petition = clean().factors.pending_petition;
    if let Some(p) = case.factors.pending_petition.as_mut() {
        p.relief_immediately_available = true;
    }
    let evaluation = review(&case);
    assert_eq!(evaluation.decision, Decision::ReferDismissal);
    assert!(deciding(&evaluation).starts_with("Relief is immediately available (R_"));
}

#[test]
fn otherwise_sends_a_non_priority_case_to_discretionary_review() {
    let evaluation = small(&plain());
    assert_eq!(evaluation.decision, Decision::DiscretionaryReview);
    assert_eq!(
        deciding(&evaluation),
        "No qualifying category applies: non-priority: attorney's discretionary review."
    );
    let mut below = plain();
    below.factors.usc_or_lpr_relatives = 1;
    let evaluation = small(&below);
    assert_eq!(
        (evaluation.decision, evaluation.score),
        (Decision::DiscretionaryReview, 2)
    );
    let mut above = below.clone();
    above.factors.in_school_or_graduate = true;
    assert_eq!(small(&above).decision, Decision::OfferRecommended);
}

#[test]
fn a_firm_gate_is_an_enforcement_priority_whatever_the_factors() {
    let mut case = plain();
    case.factors.military_service = true;
    case.factors.in_school_or_graduate = true;
    case.convictions
        .push(conviction(Lvl::Felony, Cat::Theft, "2004-01-01"));
    let evaluation = small(&case);
    assert_eq!(evaluation.decision, Decision::EnforcementPriority);
    assert_eq!(
        deciding(&evaluation),
        "Enforcement priority: gate G_FELONY fired."
    );
}

#[test]
fn an_overridable_gate_without_compelling_factors_is_an_enforcement_priority() {
    let evaluation = small(&dui());
    assert_eq!(
        (evaluation.decision, evaluation.score),
        (Decision::EnforcementPriority, 2)
    );
    assert_eq!(
        deciding(&evaluation),
        "Enforcement priority: gate G_DUI fired."
    );
}

#[test]
fn a_named_compelling_factor_overrides_the_gate_and_both_are_reasons() {
    let mut case = dui();
    case.factors.military_service = true;
    let evaluation = small(&case);
    assert_eq!(evaluation.decision, Decision::DiscretionaryReview);
    assert_eq!(fired(&evaluation, RuleKind::Gate), ["G_DUI"]);
    assert!(fired(&evaluation, RuleKind::Points).contains(&"P_MILITARY"));
    assert_eq!(
        deciding(&evaluation),
        "Compelling factors override the enforcement-priority gate (G_DUI: P_MILITARY): \
         non-priority: attorney's discretionary review."
    );
}

#[test]
fn a_score_at_the_override_overrides_the_gate_one_below_does_not() {
    let mut case = dui();
    case.factors.in_school_or_graduate = true;
    let below = small(&case);
    assert_eq!(
        (below.decision, below.score),
        (Decision::EnforcementPriority, 5)
    );
    let set = SMALL.replace("override_score = 6", "override_score = 5");
    let set = RuleSet::from_toml(&set).expect("loads");
    let evaluation = set.evaluate(&case, &EvalContext::new(day(REVIEW_DATE)));
    assert_eq!(evaluation.decision, Decision::DiscretionaryReview);
    assert!(
        deciding(&evaluation).contains("(G_DUI: score 5 at or above 5)"),
        "{}",
        deciding(&evaluation)
    );
}

#[test]
fn one_firm_gate_among_overridden_ones_keeps_the_priority() {
    let mut case = dui();
    case.factors.military_service = true;
    case.convictions
        .push(conviction(Lvl::Felony, Cat::Theft, "2004-01-01"));
    let evaluation = small(&case);
    assert_eq!(evaluation.decision, Decision::EnforcementPriority);
    assert_eq!(
        deciding(&evaluation),
        "Enforcement priority: gate G_FELONY fired."
    );
}

#[test]
fn override_keys_are_checked() {
    let unknown = SMALL.replace(r#"["P_MILITARY"]"#, r#"["P_NOPE"]"#);
    let errors = RuleSet::check(&unknown).expect_err("an unknown factor is refused");
    assert!(
        errors
            .iter()
            .any(|e| e.path == "gates.G_DUI.override_factors"
                && e.message.contains("`P_NOPE` is not the id")),
        "{errors:?}"
    );
    let on_points = SMALL.replace(
        "reason = \"In school.\"",
        "reason = \"In school.\"\noverride_score = 3",
    );
    assert!(
        RuleSet::check(&on_points).is_err(),
        "unknown key on a points rule"
    );
    let on_qualifying = SMALL.replace(
        "reason = \"A US-citizen or LPR relative.\"",
        "reason = \"A US-citizen or LPR relative.\"\noverride_score = 3",
    );
    let errors = RuleSet::check(&on_qualifying).expect_err("refused on a qualifying rule");
    assert!(
        errors
            .iter()
            .any(|e| e.path == "qualifying[0].override_score"
                && e.message == "only a gate can be overridden by compelling factors"),
        "{errors:?}"
    );
    let bad = SMALL.replace(
        "otherwise = \"discretionary_review\"",
        "otherwise = \"offer\"",
    );
    let errors = RuleSet::check(&bad).expect_err("a bad otherwise is refused");
    assert!(
        errors.iter().any(|e| e.path == "otherwise"
            && e.message == "must be not_amenable or discretionary_review"
            && e.line == Some(8)),
        "{errors:?}"
    );
}
