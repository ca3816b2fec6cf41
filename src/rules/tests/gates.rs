//! Scope, gates, relief and the precedence between them, under morton-2011.

use super::*;
use crate::domain::{CaseType, Custody, Decision, OffenseCategory as Cat, OffenseLevel as Lvl};
use crate::rules::EvalContext;

/// Asserts that `case` is an enforcement priority because of exactly the gates `expected`.
#[track_caller]
fn assert_gates(case: &Case, expected: &[&str]) {
    let evaluation = review(case);
    assert_eq!(evaluation.decision, Decision::EnforcementPriority);
    assert_eq!(fired(&evaluation, RuleKind::Gate), expected);
    assert_eq!(threshold_reason(&evaluation), None);
}

#[test]
fn the_clean_example_has_no_gate_and_is_recommended_for_an_offer() {
    let evaluation = review(&clean());
    assert_eq!(evaluation.decision, Decision::OfferRecommended);
    assert!(fired(&evaluation, RuleKind::Gate).is_empty());
    assert_eq!(evaluation.score, 12);
}

#[test]
fn a_national_security_concern_is_an_enforcement_priority() {
    let mut case = clean();
    case.flags.national_security = true;
    assert_gates(&case, &["G_NATSEC"]);
}

#[test]
fn a_felony_conviction_is_an_enforcement_priority() {
    let mut case = clean();
    case.convictions = vec![conviction(Lvl::Felony, Cat::Theft, "2005-01-01")];
    assert_gates(&case, &["G_FELONY"]);
}

#[test]
fn an_aggravated_felony_conviction_counts_as_a_felony() {
    let mut case = clean();
    case.convictions = vec![conviction(Lvl::AggravatedFelony, Cat::Other, "2005-01-01")];
    assert_gates(&case, &["G_FELONY"]);
}

fn plain_convictions() -> Vec<Conviction> {
    vec![
        conviction(Lvl::Misdemeanor, Cat::Theft, "2004-01-01"),
        conviction(Lvl::Misdemeanor, Cat::Traffic, "2005-01-01"),
    ]
}

#[test]
fn two_misdemeanors_are_an_enforcement_priority_but_one_is_not() {
    let mut case = plain();
    case.convictions = vec![
        conviction(Lvl::Misdemeanor, Cat::Theft, "2004-01-01"),
        conviction(Lvl::Misdemeanor, Cat::Traffic, "2005-01-01"),
    ];
    assert_gates(&case, &["G_MISD_MULTI"]);

    // A Guidance category (here arrival as a child, in school) overrides the gate: an attorney's
    // discretionary review, with the gate still recorded.
    let mut case = clean();
    case.convictions = plain_convictions();
    let evaluation = review(&case);
    assert_eq!(evaluation.decision, Decision::DiscretionaryReview);
    assert_eq!(fired(&evaluation, RuleKind::Gate), ["G_MISD_MULTI"]);

    case.convictions.pop();
    let evaluation = review(&case);
    assert_eq!(evaluation.decision, Decision::OfferRecommended);
    assert_eq!(
        fired(&evaluation, RuleKind::Points).last(),
        Some(&"P_SINGLE_NONVIOLENT_MISD")
    );
    assert_eq!(evaluation.score, 11);
}

#[test]
fn the_contract_example_with_its_dui_is_an_enforcement_priority() {
    assert_gates(&example(), &["G_SIG_MISD"]);
}

#[test]
fn one_misdemeanor_in_each_significant_category_is_an_enforcement_priority() {
    for category in [
        Cat::Violence,
        Cat::Sex,
        Cat::Dui,
        Cat::HitAndRun,
        Cat::DrugDistribution,
    ] {
        let mut case = clean();
        case.convictions = vec![conviction(Lvl::Misdemeanor, category, "2005-01-01")];
        assert_gates(&case, &["G_SIG_MISD"]);
    }
}

#[test]
fn gang_membership_is_an_enforcement_priority() {
    let mut case = clean();
    case.flags.gang = true;
    assert_gates(&case, &["G_GANG"]);
}

#[test]
fn an_outstanding_warrant_is_an_enforcement_priority() {
    let mut case = clean();
    case.flags.outstanding_warrant = true;
    assert_gates(&case, &["G_WARRANT"]);
}

#[test]
fn an_entry_within_three_years_is_an_enforcement_priority() {
    let mut case = clean();
    case.entry_date = Some(date("2010-06-01"));
    assert_gates(&case, &["G_RECENT"]);
}

#[test]
fn a_prior_removal_is_an_enforcement_priority() {
    let mut case = clean();
    case.flags.prior_removal = true;
    assert_gates(&case, &["G_PRIOR_REMOVAL"]);
}

#[test]
fn immigration_fraud_is_an_enforcement_priority() {
    let mut case = clean();
    case.flags.immigration_fraud = true;
    assert_gates(&case, &["G_FRAUD"]);
}

#[test]
fn an_immigration_conviction_is_an_enforcement_priority_as_fraud() {
    let mut case = clean();
    case.convictions = vec![conviction(Lvl::Misdemeanor, Cat::Immigration, "2005-01-01")];
    assert_gates(&case, &["G_FRAUD"]);
}

#[test]
fn a_fugitive_is_an_enforcement_priority() {
    let mut case = clean();
    case.flags.fugitive = true;
    assert_gates(&case, &["G_FUGITIVE"]);
}

#[test]
fn every_gate_that_fires_is_recorded_in_file_order() {
    let mut case = clean();
    case.flags.fugitive = true;
    case.flags.gang = true;
    case.flags.national_security = true;
    assert_gates(&case, &["G_NATSEC", "G_GANG", "G_FUGITIVE"]);
}

#[test]
fn relief_immediately_available_refers_the_case_for_dismissal() {
    let mut case = plain();
    case.factors.pending_petition = clean().factors.pending_petition;
    if let Some(p) = case.factors.pending_petition.as_mut() {
        p.relief_immediately_available = true;
    }
    let evaluation = review(&case);
    assert_eq!(evaluation.decision, Decision::ReferDismissal);
    assert_eq!(fired(&evaluation, RuleKind::Relief), ["R_IMMEDIATE_RELIEF"]);
    assert_eq!(threshold_reason(&evaluation), None);
}

/// The clean example (which qualifies) with relief immediately available.
fn clean_with_relief() -> Case {
    let mut case = clean();
    if let Some(p) = case.factors.pending_petition.as_mut() {
        p.relief_immediately_available = true;
    }
    case
}

#[test]
fn relief_takes_precedence_over_a_qualifying_category() {
    let evaluation = review(&clean_with_relief());
    assert_eq!(evaluation.decision, Decision::ReferDismissal);
    assert_eq!(
        fired(&evaluation, RuleKind::Qualifying),
        ["Q_CHILD_ARRIVAL_EDU"]
    );
    assert_eq!(evaluation.score, 12);
}

#[test]
fn a_gate_takes_precedence_over_relief_and_qualification_and_all_are_recorded() {
    let mut case = clean_with_relief();
    case.flags.gang = true;
    let evaluation = review(&case);
    assert_eq!(evaluation.decision, Decision::EnforcementPriority);
    let kinds: Vec<RuleKind> = evaluation.fired.iter().map(|r| r.kind).collect();
    assert_eq!(
        &kinds[..3],
        [RuleKind::Gate, RuleKind::Relief, RuleKind::Qualifying]
    );
    let (last, points) = kinds[3..].split_last().expect("a deciding reason");
    assert!(points.iter().all(|k| *k == RuleKind::Points));
    assert_eq!(*last, RuleKind::Decision);
    assert_eq!(
        evaluation.fired.last().map(|r| r.reason.as_str()),
        Some("Enforcement priority: gate G_GANG fired.")
    );
    assert_eq!(evaluation.score, 12);
}

/// Asserts that `evaluation` is out of scope because of `check` alone.
#[track_caller]
fn assert_out_of_scope(evaluation: &Evaluation, check: &str) {
    assert_eq!(evaluation.decision, Decision::OutOfScope);
    assert_eq!(evaluation.score, 0);
    assert_eq!(
        evaluation.fired.len(),
        2,
        "the scope check and the deciding reason"
    );
    assert_eq!(evaluation.fired[0].kind, RuleKind::Scope);
    assert_eq!(evaluation.fired[0].id, check);
    assert_eq!(evaluation.fired[1].kind, RuleKind::Decision);
    assert_eq!(
        evaluation.fired[1].reason,
        format!("Outside the review's scope ({check}).")
    );
}

#[test]
fn a_detained_case_is_out_of_scope_and_nothing_else_is_evaluated() {
    let mut case = clean();
    case.custody = Custody::Detained;
    case.flags.gang = true;
    let evaluation = review(&case);
    assert_out_of_scope(&evaluation, "SCOPE_CUSTODY");
    assert_eq!(
        evaluation.fired[0].reason,
        "Custody status D is not reviewed under this rule set (it covers N, R)."
    );
}

#[test]
fn a_released_case_is_in_scope() {
    let mut case = clean();
    case.custody = Custody::Released;
    assert_eq!(review(&case).decision, Decision::OfferRecommended);
}

#[test]
fn a_case_with_a_final_order_is_out_of_scope() {
    let mut case = clean();
    case.final_order = true;
    assert_out_of_scope(&review(&case), "SCOPE_FINAL_ORDER");
}

#[test]
fn an_asylum_only_case_is_out_of_scope() {
    let mut case = clean();
    case.case_type = CaseType::AsylumOnly;
    assert_out_of_scope(&review(&case), "SCOPE_CASE_TYPE");
}

#[test]
fn a_case_of_a_court_outside_the_run_is_out_of_scope() {
    let case = clean();
    let ctx = EvalContext::new(day(REVIEW_DATE)).with_courts(["BAL", "NYC"]);
    let evaluation = MORTON_SET.evaluate(&case, &ctx);
    assert_out_of_scope(&evaluation, "SCOPE_COURT");
    assert_eq!(
        evaluation.fired[0].reason,
        "Court DEN is not among the courts of this run (BAL, NYC)."
    );
}

#[test]
fn a_case_of_a_court_within_the_run_is_reviewed() {
    let ctx = EvalContext::new(day(REVIEW_DATE)).with_courts(["BAL", "DEN"]);
    let evaluation = MORTON_SET.evaluate(&clean(), &ctx);
    assert_eq!(evaluation.decision, Decision::OfferRecommended);
}
