//! Assembles one case: court, person, timeline, custody, record, factors and counsel.

use chrono::{Datelike, Days, Months, NaiveDate};
use rand::Rng;

use super::courts::{self, COURTS, Court, bias};
use super::factors::{self, Profile};
use super::nations::{NATIONS, Nation};
use super::{REVIEW_START, a_number_digits, between, crime, person, pick, pick_index, text};
use crate::domain::{
    ANumber, Case, CaseId, CaseType, Conviction, CountryCode, CourtCode, Custody, Date, Flags,
    LanguageCode, OffenseCategory, OffenseLevel, Respondent,
};

/// Share of respondents whose entry date is not known.
const P_ENTRY_UNKNOWN: f64 = 0.07;
/// Share of cases charged soon after an entry (border or recent arrivals): entry within a year
/// before filing.
const P_RECENT_ENTRY: f64 = 0.18;
/// Share of the others who arrived as children (under 16).
const P_CHILD_ARRIVAL: f64 = 0.085;
/// Share with at least one criminal conviction.
const P_CONVICTED: f64 = 0.17;
/// Share with a final order of removal.
const P_FINAL_ORDER: f64 = 0.02;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("a valid date")
}

fn years_after(date: NaiveDate, years: u32) -> NaiveDate {
    date.checked_add_months(Months::new(years * 12))
        .expect("in range")
}

/// Age at [`REVIEW_START`]: 16–80, mostly 20–50.
fn age(rng: &mut impl Rng) -> u32 {
    let u: f64 = rng.random();
    if u < 0.05 {
        rng.random_range(16..20)
    } else if u < 0.86 {
        // Triangular over 20..50, peaking in the mid thirties.
        let t = (rng.random::<f64>() + rng.random::<f64>()) / 2.0;
        20 + (t * 30.0) as u32
    } else if u < 0.985 {
        rng.random_range(50..65)
    } else {
        rng.random_range(65..81)
    }
}

/// Filing date of a case still pending in November 2011: the backlog skews recent.
fn filed_on(old: bool, rng: &mut impl Rng) -> NaiveDate {
    if old {
        // Deportation and exclusion proceedings ended on 1997-04-01 (IIRIRA); still-pending ones
        // are old cases reopened or remanded.
        return between(rng, d(1992, 1, 1), d(1997, 4, 1));
    }
    let year = pick(
        rng,
        &[
            (2005, 3.0),
            (2006, 5.0),
            (2007, 7.0),
            (2008, 11.0),
            (2009, 17.0),
            (2010, 27.0),
            (2011, 30.0),
        ],
    );
    between(rng, d(year, 1, 1), d(year + 1, 1, 1).min(REVIEW_START))
}

/// Entry date, before filing and not before birth; `None` when unknown.
fn entry_date(
    birth: NaiveDate,
    filed: NaiveDate,
    old: bool,
    rng: &mut impl Rng,
) -> Option<NaiveDate> {
    if rng.random_bool(P_ENTRY_UNKNOWN) {
        return None;
    }
    if !old && rng.random_bool(P_RECENT_ENTRY) {
        let back = Days::new(rng.random_range(1..366));
        return Some(filed.checked_sub_days(back).unwrap_or(filed).max(birth));
    }
    let age_days = if rng.random_bool(P_CHILD_ARRIVAL) {
        rng.random_range(0..16 * 365)
    } else {
        16 * 365 + (24.0 * 365.0 * rng.random::<f64>().powf(1.5)) as u64
    };
    let entry = birth + Days::new(age_days);
    let latest = filed - Days::new(30);
    if entry < latest {
        Some(entry)
    } else {
        // Too late for this filing: arrived some time in the ten years before it.
        let earliest = (filed - Days::new(3650)).max(birth);
        Some(between(rng, earliest, latest.max(earliest)))
    }
}

/// The kinds of proceedings in the backlog, weighted.
const CASE_TYPES: [(CaseType, f64); 5] = [
    (CaseType::Removal, 96.3),
    (CaseType::Deportation, 1.6),
    (CaseType::Exclusion, 0.9),
    (CaseType::AsylumOnly, 0.7),
    (CaseType::WithholdingOnly, 0.5),
];

/// Builds case `index` from its own random stream.
///
/// The order of the draws is the generator's contract: a seed gives the same backlog on every
/// version, so the helpers below are called in the order the draws were always made.
pub(super) fn build(rng: &mut impl Rng, seed: u64, index: u64) -> Case {
    let court_index = pick_index(rng, COURTS.len(), |i| COURTS[i].weight);
    let court = &COURTS[court_index];
    let nation = &NATIONS[pick_index(rng, NATIONS.len(), |i| {
        NATIONS[i].weight * bias(court, NATIONS[i].code)
    })];
    let language = pick(rng, nation.languages);
    let female = rng.random_bool(0.42);
    let case_type = pick(rng, &CASE_TYPES);
    let life = life(rng, court, nation, case_type, female);
    let profile = &life.profile;
    let flags = factors::flags(profile, rng);
    let (custody, next_hearing) = custody(rng, profile, &flags, life.felon);
    let mut factors = factors::factors(profile, life.lpr_since, rng);
    let confidential = factors::confidential(profile, &factors, rng);
    factors::victim_consistency(&mut factors, confidential, rng);

    let p_counsel: f64 = (if language == "es" { 0.43 } else { 0.63 })
        + if confidential.asylum_claim { 0.12 } else { 0.0 }
        + if life.lpr_since.is_some() { 0.15 } else { 0.0 }
        + if factors.pending_petition.is_some() {
            0.12
        } else {
            0.0
        }
        - if custody == Custody::Detained {
            0.2
        } else {
            0.0
        };
    let counsel = rng.random_bool(p_counsel.clamp(0.05, 0.95)).then(|| {
        let k = rng.random_range(0..person::counsel_pool_size(court));
        person::counsel(seed, court_index, court, k)
    });
    let respondent = respondent(rng, &life, language, counsel.is_some());

    Case {
        case_id: CaseId::parse(format!("{}-{}-{index:06}", court.code, life.filed.year()))
            .expect("generated case ids are valid"),
        a_number: ANumber::parse(&format!("A{:09}", a_number_digits(seed, index)))
            .expect("generated A-numbers are valid"),
        respondent,
        court: CourtCode::parse(court.code).expect("court codes are valid"),
        case_type,
        custody,
        filed_on: Date::from_naive(life.filed),
        entry_date: life.profile.entry.map(Date::from_naive),
        next_hearing: next_hearing.map(Date::from_naive),
        final_order: life.profile.final_order,
        convictions: life.convictions,
        flags,
        factors,
        confidential,
        counsel,
    }
}

/// A respondent's life up to the review: timeline, record, residence, and the profile the
/// factors are drawn from.
struct Life {
    profile: Profile,
    court: &'static Court,
    filed: NaiveDate,
    convictions: Vec<Conviction>,
    /// A conviction above a misdemeanor.
    felon: bool,
    /// Lawful permanent resident since.
    lpr_since: Option<NaiveDate>,
}

/// Draws the timeline (age, birth, filing, entry), the criminal record, lawful residence and a
/// final order.
fn life(
    rng: &mut impl Rng,
    court: &'static Court,
    nation: &'static Nation,
    case_type: CaseType,
    female: bool,
) -> Life {
    let old = matches!(case_type, CaseType::Deportation | CaseType::Exclusion);
    let age = if old {
        rng.random_range(35..76)
    } else {
        age(rng)
    };
    let birth = REVIEW_START
        .checked_sub_months(Months::new(age * 12))
        .expect("in range")
        - Days::new(rng.random_range(1..365));
    let filed = filed_on(old, rng)
        .max(years_after(birth, 2))
        .min(REVIEW_START - Days::new(1));
    let mut entry = entry_date(birth, filed, old, rng);
    let recent_entry = entry.is_some_and(|e| (filed - e).num_days() < 366);

    let convictions = crime::history(birth, P_CONVICTED, rng);
    let felon = convictions
        .iter()
        .any(|c| c.level != OffenseLevel::Misdemeanor);
    let reentry = convictions.iter().any(|c| {
        c.category == OffenseCategory::Immigration && c.level != OffenseLevel::Misdemeanor
    });
    let practice = courts::practice(court.code);
    let lpr_since = lawful_residence(rng, &convictions, practice, (birth, filed), &mut entry);
    let final_order = rng.random_bool(P_FINAL_ORDER);
    Life {
        profile: Profile {
            nation,
            case_type,
            female,
            age,
            birth,
            entry,
            recent_entry,
            convicted: !convictions.is_empty(),
            reentry,
            lpr: lpr_since.is_some(),
            final_order,
            practice,
        },
        court,
        filed,
        convictions,
        felon,
        lpr_since,
    }
}

/// Lawful permanent residence: since when, if at all; an unknown `entry` becomes known (before
/// residence began).
fn lawful_residence(
    rng: &mut impl Rng,
    convictions: &[Conviction],
    practice: f64,
    (birth, filed): (NaiveDate, NaiveDate),
    entry: &mut Option<NaiveDate>,
) -> Option<NaiveDate> {
    // Lawful permanent residents in proceedings are mostly there because of a conviction.
    // Where local practice leans away from low-priority cases, fewer residents without a record
    // are charged at all.
    let lpr_rate = if convictions.is_empty() {
        0.012 * practice.min(1.0)
    } else {
        0.10
    };
    if !rng.random_bool(lpr_rate) {
        return None;
    }
    let from = entry.unwrap_or(birth).max(years_after(birth, 1));
    let to = filed - Days::new(365);
    if from >= to {
        return None;
    }
    let since = between(rng, from, to);
    *entry = Some(entry.unwrap_or_else(|| between(rng, birth, since)));
    Some(since)
}

/// Custody, and the next hearing (sooner for the detained).
fn custody(
    rng: &mut impl Rng,
    profile: &Profile,
    flags: &Flags,
    felon: bool,
) -> (Custody, Option<NaiveDate>) {
    let danger =
        flags.national_security || flags.gang || flags.outstanding_warrant || flags.fugitive;
    let p_detained = match () {
        _ if profile.case_type == CaseType::WithholdingOnly => 0.6,
        _ if danger => 0.35,
        _ if felon => 0.25,
        _ if profile.convicted => 0.07,
        _ => 0.010,
    };
    let custody = if rng.random_bool(p_detained) {
        Custody::Detained
    } else if rng.random_bool(if profile.recent_entry { 0.35 } else { 0.18 }) {
        Custody::Released
    } else {
        Custody::NeverDetained
    };
    let next_hearing = if custody == Custody::Detained {
        Some(between(rng, d(2011, 12, 1), d(2012, 3, 1)))
    } else if rng.random_bool(if profile.final_order { 0.2 } else { 0.93 }) {
        Some(between(rng, d(2011, 12, 1), d(2014, 1, 1)))
    } else {
        None
    };
    (custody, next_hearing)
}

/// The respondent's identity and contact details: name, birth date, nationality, language,
/// address and (for some) an email.
fn respondent(rng: &mut impl Rng, life: &Life, language: &str, counsel: bool) -> Respondent {
    let p = &life.profile;
    let (given, family) = person::name(p.nation.pool, p.female, rng);
    let p_email = 0.07 + if p.age < 35 { 0.05 } else { 0.0 } + if counsel { 0.03 } else { 0.0 };
    let email = rng
        .random_bool(p_email)
        .then(|| super::email(person::email(&given, &family, rng)));
    let address = person::address(life.court, rng);
    Respondent {
        given_name: text(given),
        family_name: text(family),
        birth_date: Date::from_naive(p.birth),
        nationality: CountryCode::parse(p.nation.code).expect("nationality codes are valid"),
        language: LanguageCode::parse(language).expect("language codes are valid"),
        address,
        email,
    }
}
