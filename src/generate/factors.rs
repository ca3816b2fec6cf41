//! Enforcement flags, favourable factors and confidential facts, correlated with the person's history.

use chrono::{Months, NaiveDate};
use rand::Rng;

use super::names::Pool;
use super::nations::Nation;
use super::{REVIEW_START, pick, text};
use crate::domain::{
    CaseType, Confidential, Date, Factors, Flags, PendingPetition, PetitionStatus,
};

/// Chance of documented, compelling community ties after ten years' presence (less before).
const P_TIES_LONG: f64 = 0.045;
/// Chance of a pending or approved petition without US-citizen or LPR relatives.
const P_PETITION_BASE: f64 = 0.05;

/// What the flags and factors depend on.
pub(super) struct Profile {
    pub nation: &'static Nation,
    pub case_type: CaseType,
    pub female: bool,
    pub age: u32,
    pub birth: NaiveDate,
    pub entry: Option<NaiveDate>,
    /// Entered within a year before the case was filed.
    pub recent_entry: bool,
    pub convicted: bool,
    /// A felony immigration conviction (illegal re-entry, smuggling).
    pub reentry: bool,
    pub lpr: bool,
    pub final_order: bool,
    /// The court's practice multiplier on favourable factors ([`super::courts::practice`]).
    pub practice: f64,
}

impl Profile {
    /// Years in the United States at the review date, when the entry date is known.
    fn years_present(&self) -> Option<f64> {
        self.entry
            .map(|e| (REVIEW_START - e).num_days() as f64 / 365.25)
    }

    fn arrived_under_16(&self) -> Option<bool> {
        let sixteen = self.birth.checked_add_months(Months::new(16 * 12))?;
        self.entry.map(|e| e < sixteen)
    }
}

/// Enforcement-priority flags: all rare, more likely with a criminal record.
pub(super) fn flags(p: &Profile, rng: &mut impl Rng) -> Flags {
    let crime = if p.convicted { 1.0 } else { 0.0 };
    let gang_country = matches!(p.nation.code, "SV" | "HN" | "GT");
    let gang = (0.004 + 0.04 * crime) * if gang_country { 2.0 } else { 1.0 };
    let prior_removal = if p.case_type == CaseType::WithholdingOnly {
        1.0
    } else if p.reentry {
        0.8
    } else if p.nation.pool == Pool::Hispanic {
        0.045
    } else {
        0.015
    };
    let fraud = if p.nation.pool == Pool::Hispanic {
        0.005
    } else {
        0.02
    };
    Flags {
        national_security: rng.random_bool(0.001),
        gang: rng.random_bool(gang),
        outstanding_warrant: rng.random_bool(0.006 + 0.025 * crime),
        prior_removal: rng.random_bool(prior_removal),
        immigration_fraud: rng.random_bool(fraud),
        fugitive: rng.random_bool(if p.final_order { 0.35 } else { 0.002 }),
    }
}

/// Number of US-citizen or LPR spouses, children or parents: more with longer presence.
fn relatives(years: Option<f64>, age: u32, rng: &mut impl Rng) -> u16 {
    let table: &[(u16, f64)] = match years {
        Some(y) if y >= 10.0 => &[(0, 25.0), (1, 20.0), (2, 25.0), (3, 17.0), (4, 13.0)],
        Some(y) if y >= 5.0 => &[(0, 45.0), (1, 20.0), (2, 20.0), (3, 10.0), (4, 5.0)],
        _ => &[(0, 70.0), (1, 15.0), (2, 10.0), (3, 3.0), (4, 2.0)],
    };
    let n = pick(rng, table);
    // Teenagers rarely have a citizen spouse or child; a parent at most.
    if age < 20 { n.min(1) } else { n }
}

/// A pending or approved petition, if any.
fn petition(p: &Profile, relatives: u16, rng: &mut impl Rng) -> Option<PendingPetition> {
    let rate =
        P_PETITION_BASE + 0.035 * f64::from(relatives.min(3)) + if p.lpr { 0.05 } else { 0.0 };
    if !rng.random_bool(rate) {
        return None;
    }
    let mut forms: Vec<(&str, f64)> = vec![("I-485", 10.0), ("I-140", 4.0), ("I-360", 3.0)];
    if relatives > 0 {
        forms.push(("I-130", 70.0));
    }
    if p.lpr {
        forms.push(("I-751", 15.0));
    }
    if p.nation.tps {
        forms.push(("I-821", 20.0));
    }
    let form = pick(rng, &forms);
    // An approved I-485 would have made the person a resident: adjustment is only ever pending.
    let approved = form != "I-485" && rng.random_bool(0.33);
    let immediate = rng.random_bool(if approved { 0.25 } else { 0.02 });
    Some(PendingPetition {
        form: text(form),
        status: if approved {
            PetitionStatus::Approved
        } else {
            PetitionStatus::Pending
        },
        relief_immediately_available: immediate,
    })
}

/// Favourable factors of the June 2011 memo; the court's practice scales the chance of each.
pub(super) fn factors(p: &Profile, lpr_since: Option<NaiveDate>, rng: &mut impl Rng) -> Factors {
    let m = p.practice;
    let years = p.years_present();
    let under_16 = p
        .arrived_under_16()
        .unwrap_or_else(|| rng.random_bool(0.05));
    let school = match (under_16, p.age < 30) {
        (true, true) => 0.42,
        (true, false) => 0.25,
        (false, true) => 0.06,
        (false, false) => 0.02,
    };
    let relatives = relatives(years, p.age, rng);
    let ties = match years {
        Some(y) if y >= 10.0 => P_TIES_LONG,
        Some(y) if y >= 5.0 => P_TIES_LONG / 2.0,
        _ => 0.02,
    } * if relatives > 0 { 1.2 } else { 0.6 };
    let caretaker = if relatives > 0 && (20..60).contains(&p.age) {
        0.12
    } else {
        0.03
    };
    let pregnant = match (p.female, p.age) {
        (true, 18..=44) => 0.07,
        (false, 18..=49) => 0.02,
        _ => 0.0,
    };
    let health = 0.008 + if p.age >= 55 { 0.04 } else { 0.0 };
    Factors {
        arrived_under_16: under_16,
        in_school_or_graduate: chance(rng, school, m),
        military_service: chance(rng, if p.lpr { 0.03 } else { 0.0015 }, m),
        military_family: chance(rng, if relatives > 0 { 0.004 } else { 0.001 }, m),
        crime_victim_or_witness: chance(rng, 0.006, m),
        serious_health_condition: chance(rng, health, m),
        primary_caretaker: chance(rng, caretaker, m),
        pregnant_or_nursing: rng.random_bool(pregnant),
        usc_or_lpr_relatives: relatives,
        lpr_since: lpr_since.map(Date::from_naive),
        cooperating_with_law_enforcement: rng.random_bool(0.008),
        community_ties: chance(rng, ties, m),
        pending_petition: petition(p, relatives, rng),
    }
}

/// A draw with chance `base` scaled by the court's practice `m`, at most 95%.
fn chance(rng: &mut impl Rng, base: f64, m: f64) -> bool {
    rng.random_bool((base * m).min(0.95))
}

/// Restricted facts. Asylum claims depend on nationality (China, Central America, Africa more);
/// recent arrivals claim more often; asylum-only and withholding-only cases always have one. A VAWA, T or U matter makes the person a
/// crime victim too, most of the time.
pub(super) fn confidential(p: &Profile, factors: &Factors, rng: &mut impl Rng) -> Confidential {
    let asylum = matches!(
        p.case_type,
        CaseType::AsylumOnly | CaseType::WithholdingOnly
    ) || rng
        .random_bool((p.nation.asylum * if p.recent_entry { 1.3 } else { 1.0 }).min(0.95));
    let vawa_t_u = rng.random_bool(if p.female { 0.025 } else { 0.005 })
        || factors
            .pending_petition
            .as_ref()
            .is_some_and(|x| x.form.as_str() == "I-360");
    Confidential {
        asylum_claim: asylum,
        vawa_t_u,
    }
}

/// Marks a victim of a VAWA, T or U matter as a crime victim, as such cases usually are.
pub(super) fn victim_consistency(
    factors: &mut Factors,
    confidential: Confidential,
    rng: &mut impl Rng,
) {
    if confidential.vawa_t_u && rng.random_bool(0.6) {
        factors.crime_victim_or_witness = true;
    }
}
