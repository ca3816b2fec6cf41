//! Facts derived from a case: counts, full years and months, unknown values, excluded fields.

use super::*;
use crate::domain::{CountryCode, LanguageCode, OffenseCategory as Cat, OffenseLevel as Lvl};
use crate::rules::facts::full_months;
use crate::rules::{Fact, FactKind, Facts};

fn facts_of(case: &Case, as_of: &str) -> Facts {
    Facts::derive(case, day(as_of))
}

#[test]
fn full_months_count_a_month_only_once_its_day_is_reached() {
    assert_eq!(full_months(day("2011-01-15"), day("2011-02-14")), Some(0));
    assert_eq!(full_months(day("2011-01-15"), day("2011-02-15")), Some(1));
    assert_eq!(full_months(day("2011-01-15"), day("2011-01-15")), Some(0));
}

#[test]
fn a_month_from_the_31st_completes_on_the_first_of_the_next_month_when_shorter() {
    assert_eq!(full_months(day("2011-01-31"), day("2011-02-28")), Some(0));
    assert_eq!(full_months(day("2011-01-31"), day("2011-03-01")), Some(1));
    assert_eq!(full_months(day("2012-01-31"), day("2012-02-29")), Some(0));
    assert_eq!(full_months(day("2011-01-31"), day("2011-04-30")), Some(2));
    assert_eq!(full_months(day("2011-01-31"), day("2011-05-31")), Some(4));
}

#[test]
fn a_start_date_after_the_review_date_counts_as_unknown() {
    assert_eq!(full_months(day("2012-01-02"), day("2012-01-01")), None);
}

#[test]
fn age_is_in_full_years_across_a_leap_day_birthday() {
    let mut case = clean();
    case.respondent.birth_date = date("1944-02-29");

    assert_eq!(facts_of(&case, "2008-02-28").get(Fact::Age), Some(63));
    assert_eq!(facts_of(&case, "2008-02-29").get(Fact::Age), Some(64));
    assert_eq!(facts_of(&case, "2009-02-28").get(Fact::Age), Some(64));
    assert_eq!(facts_of(&case, "2009-03-01").get(Fact::Age), Some(65));
}

#[test]
fn the_contract_example_yields_the_expected_facts() {
    let facts = facts_of(&example(), "2012-01-01");

    assert_eq!(facts.get(Fact::Age), Some(26));
    assert_eq!(facts.get(Fact::YearsPresent), Some(12));
    assert_eq!(facts.get(Fact::MonthsPresent), Some(148));
    assert_eq!(facts.get(Fact::LprYears), None);
    assert_eq!(facts.get(Fact::Convictions), Some(1));
    assert_eq!(facts.get(Fact::ConvictionsDui), Some(1));
    assert_eq!(facts.get(Fact::NonviolentMisdemeanors), Some(0));
    assert_eq!(facts.get(Fact::YearsSinceLastConviction), Some(7));
    assert_eq!(facts.get(Fact::UscOrLprRelatives), Some(2));
    assert_eq!(facts.get(Fact::PetitionPending), Some(1));
    assert_eq!(facts.get(Fact::PetitionApproved), Some(0));
    assert_eq!(facts.get(Fact::ReliefImmediatelyAvailable), Some(0));
    assert_eq!(facts.get(Fact::ArrivedUnder16), Some(1));
    assert_eq!(facts.get(Fact::Gang), Some(0));
}

#[test]
fn convictions_are_counted_by_level_and_category() {
    let mut case = clean();
    case.convictions = vec![
        conviction(Lvl::AggravatedFelony, Cat::DrugDistribution, "2001-01-01"),
        conviction(Lvl::Felony, Cat::Theft, "2002-01-01"),
        conviction(Lvl::Misdemeanor, Cat::Theft, "2003-01-01"),
        conviction(Lvl::Misdemeanor, Cat::Violence, "2009-06-30"),
        conviction(Lvl::Misdemeanor, Cat::Traffic, "2004-01-01"),
    ];

    let facts = facts_of(&case, "2012-01-01");

    assert_eq!(facts.get(Fact::Convictions), Some(5));
    assert_eq!(facts.get(Fact::FelonyConvictions), Some(2));
    assert_eq!(facts.get(Fact::AggravatedFelonyConvictions), Some(1));
    assert_eq!(facts.get(Fact::MisdemeanorConvictions), Some(3));
    assert_eq!(facts.get(Fact::NonviolentMisdemeanors), Some(2));
    assert_eq!(facts.get(Fact::ConvictionsTheft), Some(2));
    assert_eq!(facts.get(Fact::ConvictionsViolence), Some(1));
    assert_eq!(facts.get(Fact::ConvictionsDrugDistribution), Some(1));
    assert_eq!(facts.get(Fact::ConvictionsSex), Some(0));
    assert_eq!(facts.get(Fact::YearsSinceLastConviction), Some(2));
}

#[test]
fn missing_dates_make_their_time_facts_unknown() {
    let mut case = clean();
    case.entry_date = None;

    let facts = facts_of(&case, "2012-01-01");

    assert_eq!(facts.get(Fact::YearsPresent), None);
    assert_eq!(facts.get(Fact::MonthsPresent), None);
    assert_eq!(facts.get(Fact::LprYears), None);
    assert_eq!(facts.get(Fact::YearsSinceLastConviction), None);
    assert_eq!(facts.get(Fact::Convictions), Some(0));
}

#[test]
fn an_approved_petition_with_relief_available_is_read_as_such() {
    let mut case = clean();
    if let Some(p) = case.factors.pending_petition.as_mut() {
        p.status = crate::domain::PetitionStatus::Approved;
        p.relief_immediately_available = true;
    }

    let facts = facts_of(&case, "2012-01-01");

    assert_eq!(facts.get(Fact::PetitionPending), Some(0));
    assert_eq!(facts.get(Fact::PetitionApproved), Some(1));
    assert_eq!(facts.get(Fact::ReliefImmediatelyAvailable), Some(1));
}

#[test]
fn nationality_language_counsel_and_confidential_flags_do_not_change_the_facts() {
    let case = clean();
    let mut other = clean();
    other.respondent.nationality = CountryCode::parse("CN").expect("valid code");
    other.respondent.language = LanguageCode::parse("zh").expect("valid code");
    other.counsel = None;
    other.confidential.asylum_claim = true;
    other.confidential.vawa_t_u = true;

    assert_eq!(
        facts_of(&case, "2012-01-01"),
        facts_of(&other, "2012-01-01")
    );
    assert_eq!(review(&case), review(&other));
}

#[test]
fn every_fact_has_a_unique_name_and_a_row_in_the_documented_table() {
    let source = include_str!("../facts.rs");
    for fact in Fact::ALL {
        let row = format!("//! | `{}` | ", fact.name());
        let kind = match fact.kind() {
            FactKind::YesNo => "yes/no",
            FactKind::Number => "number",
            FactKind::Date => "date",
        };
        assert!(source.contains(&format!("{row}{kind} |")), "{row}");
        assert_eq!(Fact::from_name(fact.name()), Some(*fact));
    }
    let rows = source.lines().filter(|l| l.starts_with("//! | `")).count();
    assert_eq!(rows, Fact::ALL.len());
}

#[test]
fn a_recorded_entry_date_and_permanent_residence_are_yes_no_facts() {
    let mut case = clean();
    let facts = facts_of(&case, "2012-01-01");
    assert_eq!(facts.get(Fact::EntryDateRecorded), Some(1));
    assert_eq!(facts.get(Fact::LawfulPermanentResident), Some(0));
    case.entry_date = None;
    case.factors.lpr_since = Some(date("2005-01-01"));
    let facts = facts_of(&case, "2012-01-01");
    assert_eq!(facts.get(Fact::EntryDateRecorded), Some(0));
    assert_eq!(facts.get(Fact::LawfulPermanentResident), Some(1));
}
