//! Criminal histories: how many convictions, of what level and category, and when.
//!
//! Most respondents in the 2011 non-detained backlog had no criminal record; among those who did,
//! misdemeanors (traffic, DUI, petty theft) dominate and aggravated felonies are rare.

use chrono::{Months, NaiveDate};
use rand::Rng;

use super::{REVIEW_START, between, pick, text};
use crate::domain::{Conviction, Date, OffenseCategory as Cat, OffenseLevel as Lvl};

/// Weights of the categories for each level.
const MISDEMEANOR: &[(Cat, f64)] = &[
    (Cat::Traffic, 27.0),
    (Cat::Dui, 20.0),
    (Cat::Theft, 15.0),
    (Cat::Other, 17.0),
    (Cat::Violence, 9.0),
    (Cat::Immigration, 5.0),
    (Cat::HitAndRun, 4.0),
    (Cat::DrugDistribution, 1.5),
    (Cat::Sex, 1.5),
];
const FELONY: &[(Cat, f64)] = &[
    (Cat::DrugDistribution, 22.0),
    (Cat::Violence, 20.0),
    (Cat::Theft, 16.0),
    (Cat::Immigration, 15.0),
    (Cat::Other, 13.0),
    (Cat::Dui, 6.0),
    (Cat::Sex, 6.0),
    (Cat::HitAndRun, 2.0),
];
const AGGRAVATED: &[(Cat, f64)] = &[
    (Cat::DrugDistribution, 35.0),
    (Cat::Violence, 30.0),
    (Cat::Sex, 15.0),
    (Cat::Theft, 10.0),
    (Cat::Other, 5.0),
    (Cat::Immigration, 5.0),
];

/// A plausible offense description for a level and category.
fn offense(level: Lvl, category: Cat, rng: &mut impl Rng) -> &'static str {
    let options: &[&str] = match (category, level) {
        (Cat::Traffic, _) => &[
            "Driving without a valid license",
            "Driving on a suspended license",
            "Driving without insurance",
        ],
        (Cat::Dui, Lvl::Misdemeanor) => &["Driving under the influence", "Driving while impaired"],
        (Cat::Dui, _) => &["Felony DUI (third offense)", "DUI causing injury"],
        (Cat::Theft, Lvl::Misdemeanor) => {
            &["Petty theft", "Shoplifting", "Receiving stolen property"]
        }
        (Cat::Theft, Lvl::Felony) => &["Grand theft", "Burglary", "Identity theft"],
        (Cat::Theft, Lvl::AggravatedFelony) => &["Burglary (sentence over one year)", "Robbery"],
        (Cat::Violence, Lvl::Misdemeanor) => {
            &["Simple assault", "Domestic battery", "Criminal threats"]
        }
        (Cat::Violence, Lvl::Felony) => &["Aggravated assault", "Assault with a deadly weapon"],
        (Cat::Violence, Lvl::AggravatedFelony) => {
            &["Crime of violence (sentence over one year)", "Manslaughter"]
        }
        (Cat::Sex, Lvl::Misdemeanor) => &["Indecent exposure", "Solicitation"],
        (Cat::Sex, Lvl::Felony) => &["Sexual assault", "Failure to register as a sex offender"],
        (Cat::Sex, Lvl::AggravatedFelony) => &["Sexual abuse of a minor", "Rape"],
        (Cat::DrugDistribution, Lvl::AggravatedFelony) => {
            &["Drug trafficking", "Conspiracy to distribute cocaine"]
        }
        (Cat::DrugDistribution, _) => &[
            "Possession with intent to distribute",
            "Sale of a controlled substance",
        ],
        (Cat::HitAndRun, _) => &[
            "Leaving the scene of an accident",
            "Hit and run with injury",
        ],
        (Cat::Immigration, Lvl::Misdemeanor) => &["Illegal entry (8 U.S.C. 1325)"],
        (Cat::Immigration, Lvl::Felony) => {
            &["Illegal re-entry (8 U.S.C. 1326)", "Use of false documents"]
        }
        (Cat::Immigration, Lvl::AggravatedFelony) => &[
            "Alien smuggling",
            "Illegal re-entry after an aggravated felony",
        ],
        (Cat::Other, Lvl::Misdemeanor) => &[
            "Disorderly conduct",
            "Trespass",
            "Possession of a controlled substance",
            "Public intoxication",
            "Resisting arrest",
        ],
        (Cat::Other, _) => &[
            "Possession of a controlled substance",
            "Weapons possession",
            "Forgery",
        ],
    };
    options[rng.random_range(0..options.len())]
}

/// Draws a criminal history for someone born on `birth`. `rate` is the chance of any conviction.
/// Convictions fall after the 18th birthday and before [`REVIEW_START`], oldest first.
pub(super) fn history(birth: NaiveDate, rate: f64, rng: &mut impl Rng) -> Vec<Conviction> {
    let Some(adult) = birth.checked_add_months(Months::new(18 * 12)) else {
        return Vec::new();
    };
    // The earliest record kept: 18th birthday, but not before 1985.
    let earliest = adult.max(NaiveDate::from_ymd_opt(1985, 1, 1).expect("valid date"));
    if earliest >= REVIEW_START || !rng.random_bool(rate) {
        return Vec::new();
    }
    let count = pick(rng, &[(1, 66.0), (2, 24.0), (3, 10.0)]);
    let mut out: Vec<Conviction> = (0..count)
        .map(|_| {
            let level = pick(
                rng,
                &[
                    (Lvl::Misdemeanor, 77.0),
                    (Lvl::Felony, 19.0),
                    (Lvl::AggravatedFelony, 4.0),
                ],
            );
            let table = match level {
                Lvl::Misdemeanor => MISDEMEANOR,
                Lvl::Felony => FELONY,
                Lvl::AggravatedFelony => AGGRAVATED,
            };
            let category = pick(rng, table);
            Conviction {
                offense: text(offense(level, category, rng)),
                level,
                category,
                convicted_on: Date::from_naive(between(rng, earliest, REVIEW_START)),
            }
        })
        .collect();
    out.sort_by_key(|c| c.convicted_on);
    out
}
