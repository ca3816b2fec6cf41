//! Qualifying categories, the threshold and date boundaries, under morton-2011.

use super::*;
use crate::domain::{Decision, OffenseCategory as Cat, OffenseLevel as Lvl};

/// Asserts that `case` fits exactly the categories `expected`, scores `score` and gets `decision`.
#[track_caller]
fn assert_qualifies(case: &Case, expected: &[&str], score: i32, decision: Decision) {
    let evaluation = review(case);
    assert_eq!(fired(&evaluation, RuleKind::Qualifying), expected);
    assert_eq!(evaluation.score, score);
    assert_eq!(evaluation.decision, decision);
}

#[test]
fn a_case_in_no_qualifying_category_is_not_amenable_whatever_its_score() {
    let evaluation = review(&plain());
    assert_eq!(evaluation.decision, Decision::NotAmenable);
    assert!(fired(&evaluation, RuleKind::Qualifying).is_empty());
    assert_eq!(evaluation.score, 2);
    assert_eq!(threshold_reason(&evaluation), None);
}

#[test]
fn military_service_qualifies() {
    let mut case = plain();
    case.factors.military_service = true;
    assert_qualifies(&case, &["Q_MILITARY"], 7, Decision::OfferRecommended);
}

#[test]
fn a_military_family_qualifies() {
    let mut case = plain();
    case.factors.military_family = true;
    assert_qualifies(&case, &["Q_MILITARY"], 7, Decision::OfferRecommended);
}

#[test]
fn arrival_as_a_child_with_schooling_and_five_years_qualifies() {
    assert_qualifies(
        &clean(),
        &["Q_CHILD_ARRIVAL_EDU"],
        12,
        Decision::OfferRecommended,
    );
}

#[test]
fn arrival_as_a_child_with_only_four_years_present_does_not_qualify() {
    let mut case = clean();
    case.entry_date = Some(date("2007-06-01"));
    assert_qualifies(&case, &[], 5, Decision::NotAmenable);
}

#[test]
fn age_65_with_ten_years_present_qualifies() {
    let mut case = plain();
    case.respondent.birth_date = date("1946-12-31");
    assert_qualifies(&case, &["Q_ELDERLY_10Y"], 5, Decision::OfferRecommended);
}

#[test]
fn a_crime_victim_or_witness_qualifies() {
    let mut case = plain();
    case.factors.crime_victim_or_witness = true;
    assert_qualifies(&case, &["Q_VICTIM_WITNESS"], 7, Decision::OfferRecommended);
}

#[test]
fn a_serious_health_condition_qualifies() {
    let mut case = plain();
    case.factors.serious_health_condition = true;
    assert_qualifies(&case, &["Q_HEALTH"], 7, Decision::OfferRecommended);
}

#[test]
fn a_permanent_resident_of_ten_years_qualifies() {
    let mut case = plain();
    case.factors.lpr_since = Some(date("2000-01-01"));
    assert_qualifies(&case, &["Q_LPR_10Y"], 7, Decision::OfferRecommended);
}

#[test]
fn a_permanent_resident_of_ten_years_with_one_nonviolent_misdemeanor_still_qualifies() {
    let mut case = plain();
    case.factors.lpr_since = Some(date("2000-01-01"));
    case.convictions = vec![conviction(Lvl::Misdemeanor, Cat::Theft, "2003-05-05")];
    assert_qualifies(&case, &["Q_LPR_10Y"], 6, Decision::OfferRecommended);
}

#[test]
fn a_permanent_resident_of_nine_years_does_not_qualify() {
    let mut case = plain();
    case.factors.lpr_since = Some(date("2002-06-01"));
    assert_qualifies(&case, &[], 2, Decision::NotAmenable);
}

#[test]
fn long_presence_with_a_citizen_relative_and_community_ties_qualifies() {
    let mut case = plain();
    case.factors.usc_or_lpr_relatives = 1;
    case.factors.community_ties = true;
    let expected = ["Q_LONG_PRESENCE_USC_TIES"];
    assert_qualifies(&case, &expected, 5, Decision::OfferRecommended);
}

/// A case that qualifies through Q_HEALTH only (5 points) with the given date of entry.
fn health_case(entry: &str) -> Case {
    let mut case = plain();
    case.factors.serious_health_condition = true;
    case.entry_date = Some(date(entry));
    case
}

/// A case that qualifies through Q_LONG_PRESENCE_USC_TIES only: 12 years present (2), a US-citizen
/// relative (2), community ties (1).
fn ties_case() -> Case {
    let mut case = plain();
    case.factors.usc_or_lpr_relatives = 1;
    case.factors.community_ties = true;
    case
}

#[test]
fn a_score_exactly_at_the_threshold_is_recommended_for_an_offer() {
    let evaluation = review(&ties_case());
    assert_eq!(evaluation.score, 5);
    assert_eq!(evaluation.decision, Decision::OfferRecommended);
    let reason = threshold_reason(&evaluation);
    assert_eq!(reason, Some("Score 5 is at or above the threshold 5."));
}

#[test]
fn a_score_one_below_the_threshold_is_not_amenable() {
    let mut case = ties_case();
    case.convictions = vec![conviction(Lvl::Misdemeanor, Cat::Theft, "2003-05-05")];
    let evaluation = review(&case);
    assert_eq!(evaluation.score, 4);
    assert_eq!(evaluation.decision, Decision::NotAmenable);
    let reason = threshold_reason(&evaluation);
    assert_eq!(reason, Some("Score 4 is below the threshold 5."));
}

#[test]
fn exactly_36_months_present_on_the_review_date_is_not_a_recent_entry() {
    let evaluation = review(&health_case("2009-01-01"));
    assert!(fired(&evaluation, RuleKind::Gate).is_empty());
    assert_eq!(evaluation.decision, Decision::OfferRecommended);
    assert_eq!(evaluation.score, 5);
}

#[test]
fn one_day_short_of_36_months_present_is_a_recent_entry() {
    let evaluation = review(&health_case("2009-01-02"));
    assert_eq!(fired(&evaluation, RuleKind::Gate), ["G_RECENT"]);
    assert_eq!(evaluation.decision, Decision::EnforcementPriority);
}

#[test]
fn an_unknown_entry_date_fires_no_presence_rule_and_no_recent_entry_gate() {
    let mut case = health_case("2000-01-01");
    case.entry_date = None;
    let evaluation = review(&case);
    assert!(fired(&evaluation, RuleKind::Gate).is_empty());
    assert_eq!(fired(&evaluation, RuleKind::Points), ["P_HEALTH"]);
    assert_eq!(evaluation.decision, Decision::OfferRecommended);
}

/// A case that would qualify as elderly, born on `birth`, present since 1990.
fn elderly_case(birth: &str) -> Case {
    let mut case = plain();
    case.respondent.birth_date = date(birth);
    case.entry_date = Some(date("1990-01-01"));
    case
}

#[test]
fn the_65th_birthday_on_the_review_date_qualifies_as_elderly() {
    let evaluation = review_on(&elderly_case("1947-01-01"), "2012-01-01");
    assert_eq!(fired(&evaluation, RuleKind::Qualifying), ["Q_ELDERLY_10Y"]);
}

#[test]
fn the_day_before_the_65th_birthday_does_not_qualify_as_elderly() {
    let evaluation = review_on(&elderly_case("1947-01-01"), "2011-12-31");
    assert!(fired(&evaluation, RuleKind::Qualifying).is_empty());
}

#[test]
fn a_person_born_on_29_february_turns_65_on_1_march_of_a_common_year() {
    let case = elderly_case("1944-02-29");

    let on_28_february = review_on(&case, "2009-02-28");
    let on_1_march = review_on(&case, "2009-03-01");

    assert!(fired(&on_28_february, RuleKind::Qualifying).is_empty());
    assert_eq!(fired(&on_1_march, RuleKind::Qualifying), ["Q_ELDERLY_10Y"]);
}

#[test]
fn evaluating_the_same_case_10000_times_gives_the_same_evaluation() {
    let mut case = case_firing_every_stage();
    case.flags.gang = true;
    let first = review(&case);

    let all_same = (0..10_000).all(|_| review(&case) == first);

    assert!(all_same);
    assert_eq!(first.decision, Decision::EnforcementPriority);
}

/// The clean example with relief and a victim factor too, so that every stage fires something.
fn case_firing_every_stage() -> Case {
    let mut case = clean();
    case.factors.crime_victim_or_witness = true;
    if let Some(p) = case.factors.pending_petition.as_mut() {
        p.relief_immediately_available = true;
    }
    case
}
