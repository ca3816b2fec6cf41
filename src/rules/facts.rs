//! The facts a rule can test, derived from a case as of a review date.
//!
//! A fact is either a **yes/no** fact (tested bare, `gang`, or with `== true` / `== false`) or a
//! **number** (compared with `==, !=, >=, <=, >, <`). Time facts count *full* years or months: a year
//! or month is complete on the same day of the month as the start date; when that day does not exist
//! in the month (the 31st, or 29 February in a common year) it is complete on the first day of the
//! following month. So a person born on 29 February turns 65 on 1 March in a common year, and someone
//! who entered on 31 January has one full month on 1 March. A time fact is **unknown** when its start
//! date is missing, or is after the review date; every condition on an unknown fact is false.
//!
//! Deliberately **not** facts: nationality, language, representation or counsel, and the confidential
//! asylum and VAWA/T/U flags. They must never decide a case (POLICY.md §5.3: fairness, 8 CFR 208.6,
//! 8 U.S.C. 1367), so a rule cannot name them.
//!
//! | fact | kind | meaning |
//! |---|---|---|
//! | `age` | number | full years since the respondent's birth date |
//! | `years_present` | number | full years since the date of entry; unknown if no entry date |
//! | `months_present` | number | full months since the date of entry; unknown if no entry date |
//! | `lpr_years` | number | full years as a lawful permanent resident; unknown if never an LPR |
//! | `years_since_last_conviction` | number | full years since the latest conviction; unknown if none |
//! | `entry_date` | date | the date of entry; unknown if not recorded |
//! | `entry_date_recorded` | yes/no | the record gives a date of entry |
//! | `lawful_permanent_resident` | yes/no | the record gives a date of lawful permanent residence |
//! | `last_conviction_date` | date | the date of the latest conviction; unknown if none |
//! | `convictions` | number | all convictions on the record |
//! | `felony_convictions` | number | felony and aggravated-felony convictions |
//! | `aggravated_felony_convictions` | number | aggravated-felony convictions (INA 101(a)(43)) |
//! | `misdemeanor_convictions` | number | misdemeanor convictions |
//! | `misdemeanors_traffic` | number | traffic misdemeanors |
//! | `misdemeanors_immigration` | number | immigration-status misdemeanors (e.g. illegal entry) |
//! | `nonviolent_misdemeanors` | number | misdemeanors not for violence, sex, DUI, hit-and-run or drug distribution |
//! | `convictions_violence` | number | convictions for violence, threats or assault (any level) |
//! | `convictions_sex` | number | convictions for sexual abuse or exploitation |
//! | `convictions_dui` | number | convictions for driving under the influence |
//! | `convictions_hit_and_run` | number | convictions for flight from the scene of an accident |
//! | `convictions_drug_distribution` | number | convictions for drug distribution or trafficking |
//! | `convictions_theft` | number | theft convictions |
//! | `convictions_traffic` | number | traffic convictions |
//! | `convictions_immigration` | number | convictions for illegal entry, re-entry or other immigration offenses |
//! | `convictions_other` | number | convictions in no other category |
//! | `national_security` | yes/no | suspected terrorism, espionage or other national-security risk |
//! | `gang` | yes/no | participant in an organized criminal gang |
//! | `outstanding_warrant` | yes/no | subject to an outstanding criminal warrant |
//! | `prior_removal` | yes/no | previously removed |
//! | `immigration_fraud` | yes/no | found to have committed immigration fraud |
//! | `fugitive` | yes/no | final order and absconded, or obstructed immigration controls |
//! | `final_order` | yes/no | a final order of removal exists |
//! | `arrived_under_16` | yes/no | came to the United States under the age of 16 |
//! | `in_school_or_graduate` | yes/no | in school, or a high-school or college graduate |
//! | `military_service` | yes/no | served in the armed forces, reserves or National Guard |
//! | `military_family` | yes/no | spouse, child or parent of a service member or veteran |
//! | `crime_victim_or_witness` | yes/no | victim of, or witness to, a crime |
//! | `serious_health_condition` | yes/no | serious mental or physical condition (self or spouse) |
//! | `primary_caretaker` | yes/no | primary caretaker of a minor, disabled or seriously ill person |
//! | `pregnant_or_nursing` | yes/no | pregnant or nursing (self or spouse) |
//! | `usc_or_lpr_relatives` | number | US-citizen or LPR spouses, children or parents |
//! | `cooperating_with_law_enforcement` | yes/no | cooperating, or has cooperated, with law enforcement |
//! | `community_ties` | yes/no | compelling ties and contributions to the community |
//! | `petition_pending` | yes/no | a petition or application is on file and pending |
//! | `petition_approved` | yes/no | a petition or application is on file and approved |
//! | `relief_immediately_available` | yes/no | the petition makes relief immediately available |

use chrono::{Datelike, NaiveDate};

use super::input::{FactorFacts, RuleInput};
use crate::domain::{Date, OffenseCategory, OffenseLevel, PetitionStatus};

/// Whether a fact is a yes/no fact or a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FactKind {
    /// True or false; always known.
    YesNo,
    /// A whole number; time facts may be unknown.
    Number,
    /// A calendar date, compared with dates written `YYYY-MM-DD`; may be unknown.
    Date,
}

/// Declares the [`Fact`] enum with its file name, kind and plain-words meaning.
macro_rules! facts {
    ($($variant:ident = $name:literal, $kind:ident, $about:literal;)+) => {
        /// A fact a rule can test. See the table in the [module documentation](self).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Fact {
            $(#[doc = $about] $variant,)+
        }

        impl Fact {
            /// Every fact, in the order of the table.
            pub const ALL: &'static [Fact] = &[$(Fact::$variant,)+];

            /// The name a rule-set file uses.
            pub fn name(self) -> &'static str {
                match self { $(Fact::$variant => $name,)+ }
            }

            /// Yes/no or number.
            pub fn kind(self) -> FactKind {
                match self { $(Fact::$variant => FactKind::$kind,)+ }
            }

            /// What the fact means, in plain words.
            pub fn about(self) -> &'static str {
                match self { $(Fact::$variant => $about,)+ }
            }
        }
    };
}

facts! {
    Age = "age", Number, "Full years since the respondent's birth date.";
    YearsPresent = "years_present", Number, "Full years since the date of entry.";
    MonthsPresent = "months_present", Number, "Full months since the date of entry.";
    LprYears = "lpr_years", Number, "Full years as a lawful permanent resident.";
    YearsSinceLastConviction = "years_since_last_conviction", Number, "Full years since the latest conviction.";
    EntryDate = "entry_date", Date, "The date of entry.";
    EntryDateRecorded = "entry_date_recorded", YesNo, "The record gives a date of entry.";
    LawfulPermanentResident = "lawful_permanent_resident", YesNo, "A lawful permanent resident.";
    LastConvictionDate = "last_conviction_date", Date, "The date of the latest conviction.";
    Convictions = "convictions", Number, "All convictions on the record.";
    FelonyConvictions = "felony_convictions", Number, "Felony and aggravated-felony convictions.";
    AggravatedFelonyConvictions = "aggravated_felony_convictions", Number, "Aggravated-felony convictions.";
    MisdemeanorConvictions = "misdemeanor_convictions", Number, "Misdemeanor convictions.";
    MisdemeanorsTraffic = "misdemeanors_traffic", Number, "Traffic misdemeanors.";
    MisdemeanorsImmigration = "misdemeanors_immigration", Number, "Immigration-status misdemeanors.";
    NonviolentMisdemeanors = "nonviolent_misdemeanors", Number, "Misdemeanors outside the significant categories.";
    ConvictionsViolence = "convictions_violence", Number, "Convictions for violence, threats or assault.";
    ConvictionsSex = "convictions_sex", Number, "Convictions for sexual abuse or exploitation.";
    ConvictionsDui = "convictions_dui", Number, "Convictions for driving under the influence.";
    ConvictionsHitAndRun = "convictions_hit_and_run", Number, "Convictions for flight from an accident.";
    ConvictionsDrugDistribution = "convictions_drug_distribution", Number, "Convictions for drug distribution.";
    ConvictionsTheft = "convictions_theft", Number, "Theft convictions.";
    ConvictionsTraffic = "convictions_traffic", Number, "Traffic convictions.";
    ConvictionsImmigration = "convictions_immigration", Number, "Immigration-offense convictions.";
    ConvictionsOther = "convictions_other", Number, "Convictions in no other category.";
    NationalSecurity = "national_security", YesNo, "Suspected national-security risk.";
    Gang = "gang", YesNo, "Participant in an organized criminal gang.";
    OutstandingWarrant = "outstanding_warrant", YesNo, "Subject to an outstanding criminal warrant.";
    PriorRemoval = "prior_removal", YesNo, "Previously removed.";
    ImmigrationFraud = "immigration_fraud", YesNo, "Found to have committed immigration fraud.";
    Fugitive = "fugitive", YesNo, "Final order and absconded, or obstruction.";
    FinalOrder = "final_order", YesNo, "A final order of removal exists.";
    ArrivedUnder16 = "arrived_under_16", YesNo, "Came to the United States under 16.";
    InSchoolOrGraduate = "in_school_or_graduate", YesNo, "In school, or a graduate.";
    MilitaryService = "military_service", YesNo, "Served in the armed forces.";
    MilitaryFamily = "military_family", YesNo, "Immediate relative of a service member or veteran.";
    CrimeVictimOrWitness = "crime_victim_or_witness", YesNo, "Victim of, or witness to, a crime.";
    SeriousHealthCondition = "serious_health_condition", YesNo, "Serious mental or physical condition.";
    PrimaryCaretaker = "primary_caretaker", YesNo, "Primary caretaker of a dependent person.";
    PregnantOrNursing = "pregnant_or_nursing", YesNo, "Pregnant or nursing (self or spouse).";
    UscOrLprRelatives = "usc_or_lpr_relatives", Number, "US-citizen or LPR spouses, children or parents.";
    CooperatingWithLawEnforcement = "cooperating_with_law_enforcement", YesNo, "Cooperating with law enforcement.";
    CommunityTies = "community_ties", YesNo, "Compelling community ties and contributions.";
    PetitionPending = "petition_pending", YesNo, "A pending petition or application is on file.";
    PetitionApproved = "petition_approved", YesNo, "An approved petition or application is on file.";
    ReliefImmediatelyAvailable = "relief_immediately_available", YesNo, "Relief is immediately available.";
}

/// Number of facts.
const COUNT: usize = Fact::ALL.len();

impl Fact {
    /// The fact of a name used in a rule-set file.
    pub fn from_name(name: &str) -> Option<Fact> {
        Fact::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// The per-category conviction count of `category`.
    fn of_category(category: OffenseCategory) -> Fact {
        match category {
            OffenseCategory::Violence => Fact::ConvictionsViolence,
            OffenseCategory::Sex => Fact::ConvictionsSex,
            OffenseCategory::Dui => Fact::ConvictionsDui,
            OffenseCategory::HitAndRun => Fact::ConvictionsHitAndRun,
            OffenseCategory::DrugDistribution => Fact::ConvictionsDrugDistribution,
            OffenseCategory::Theft => Fact::ConvictionsTheft,
            OffenseCategory::Traffic => Fact::ConvictionsTraffic,
            OffenseCategory::Immigration => Fact::ConvictionsImmigration,
            OffenseCategory::Other => Fact::ConvictionsOther,
        }
    }
}

/// Every fact of one case as of one review date. Yes/no facts are 0 or 1; `None` is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    values: [Option<i32>; COUNT],
}

impl Facts {
    /// Derives the facts of `case` (a [`Case`](crate::domain::Case) or any other [`RuleInput`])
    /// as of `as_of`. Reads no nationality, language, counsel or confidential field.
    pub fn derive(case: &impl RuleInput, as_of: NaiveDate) -> Facts {
        let mut facts = Facts {
            values: [Some(0); COUNT],
        };
        let factors = case.factors();
        facts.timeline(case, &factors, as_of);
        facts.record(case);
        facts.flags(case);
        facts.factors(&factors);
        facts
    }

    /// The time facts: age, presence, residence and the latest conviction.
    fn timeline(&mut self, case: &impl RuleInput, f: &FactorFacts, as_of: NaiveDate) {
        let years = |d: Option<Date>| {
            d.and_then(|d| full_months(d.naive(), as_of))
                .map(|m| m / 12)
        };
        let months_present = case
            .entry_date()
            .and_then(|d| full_months(d.naive(), as_of));
        self.set(Fact::Age, years(Some(case.birth_date())));
        self.set(Fact::YearsPresent, months_present.map(|m| m / 12));
        self.set(Fact::MonthsPresent, months_present);
        self.set(Fact::LprYears, years(f.lpr_since));
        let last = case.convictions().map(|(_, _, on)| on).max();
        self.set(Fact::YearsSinceLastConviction, years(last));
        self.set(
            Fact::EntryDate,
            case.entry_date().map(|d| day_number(d.naive())),
        );
        self.flag(Fact::EntryDateRecorded, case.entry_date().is_some());
        self.flag(Fact::LawfulPermanentResident, f.lpr_since.is_some());
        self.set(
            Fact::LastConvictionDate,
            last.map(|d| day_number(d.naive())),
        );
    }

    /// The conviction counts, by level and category.
    fn record(&mut self, case: &impl RuleInput) {
        for (level, category, _) in case.convictions() {
            self.add(Fact::Convictions);
            self.add(Fact::of_category(category));
            match level {
                OffenseLevel::AggravatedFelony => {
                    self.add(Fact::AggravatedFelonyConvictions);
                    self.add(Fact::FelonyConvictions);
                }
                OffenseLevel::Felony => self.add(Fact::FelonyConvictions),
                OffenseLevel::Misdemeanor => {
                    self.add(Fact::MisdemeanorConvictions);
                    match category {
                        OffenseCategory::Traffic => self.add(Fact::MisdemeanorsTraffic),
                        OffenseCategory::Immigration => self.add(Fact::MisdemeanorsImmigration),
                        _ => {}
                    }
                    if !is_significant(category) {
                        self.add(Fact::NonviolentMisdemeanors);
                    }
                }
            }
        }
    }

    /// The enforcement flags and a final order.
    fn flags(&mut self, case: &impl RuleInput) {
        let flags = case.flags();
        self.flag(Fact::NationalSecurity, flags.national_security);
        self.flag(Fact::Gang, flags.gang);
        self.flag(Fact::OutstandingWarrant, flags.outstanding_warrant);
        self.flag(Fact::PriorRemoval, flags.prior_removal);
        self.flag(Fact::ImmigrationFraud, flags.immigration_fraud);
        self.flag(Fact::Fugitive, flags.fugitive);
        self.flag(Fact::FinalOrder, case.final_order());
    }

    /// The favourable factors and a pending petition.
    fn factors(&mut self, f: &FactorFacts) {
        self.flag(Fact::ArrivedUnder16, f.arrived_under_16);
        self.flag(Fact::InSchoolOrGraduate, f.in_school_or_graduate);
        self.flag(Fact::MilitaryService, f.military_service);
        self.flag(Fact::MilitaryFamily, f.military_family);
        self.flag(Fact::CrimeVictimOrWitness, f.crime_victim_or_witness);
        self.flag(Fact::SeriousHealthCondition, f.serious_health_condition);
        self.flag(Fact::PrimaryCaretaker, f.primary_caretaker);
        self.flag(Fact::PregnantOrNursing, f.pregnant_or_nursing);
        self.set(
            Fact::UscOrLprRelatives,
            Some(i32::from(f.usc_or_lpr_relatives)),
        );
        self.flag(
            Fact::CooperatingWithLawEnforcement,
            f.cooperating_with_law_enforcement,
        );
        self.flag(Fact::CommunityTies, f.community_ties);
        let status = f.petition.map(|(status, _)| status);
        self.flag(
            Fact::PetitionPending,
            status == Some(PetitionStatus::Pending),
        );
        self.flag(
            Fact::PetitionApproved,
            status == Some(PetitionStatus::Approved),
        );
        self.flag(
            Fact::ReliefImmediatelyAvailable,
            f.petition.is_some_and(|(_, available)| available),
        );
    }

    /// The value of `fact`: 0 or 1 for yes/no facts, `None` when unknown.
    pub fn get(&self, fact: Fact) -> Option<i32> {
        self.values[fact as usize]
    }

    fn set(&mut self, fact: Fact, value: Option<i32>) {
        self.values[fact as usize] = value;
    }

    fn flag(&mut self, fact: Fact, value: bool) {
        self.set(fact, Some(i32::from(value)));
    }

    fn add(&mut self, fact: Fact) {
        let slot = &mut self.values[fact as usize];
        *slot = Some(slot.unwrap_or(0).saturating_add(1));
    }
}

/// The number a date fact holds: days since 1 January of year 1 (chrono's `num_days_from_ce`).
pub fn day_number(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
}

/// Categories whose misdemeanors are "significant" (Nov-2011 Guidance §II), hence not non-violent.
fn is_significant(category: OffenseCategory) -> bool {
    matches!(
        category,
        OffenseCategory::Violence
            | OffenseCategory::Sex
            | OffenseCategory::Dui
            | OffenseCategory::HitAndRun
            | OffenseCategory::DrugDistribution
    )
}

/// Full calendar months from `start` to `as_of` (see the module documentation for month ends and
/// 29 February), or `None` when `start` is after `as_of`.
pub(crate) fn full_months(start: NaiveDate, as_of: NaiveDate) -> Option<i32> {
    if start > as_of {
        return None;
    }
    let months = (as_of.year() - start.year()) * 12 + as_of.month() as i32 - start.month() as i32;
    Some(if as_of.day() < start.day() {
        months - 1
    } else {
        months
    })
}
