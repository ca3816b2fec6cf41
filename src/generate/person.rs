//! Respondents and counsel: names, postal addresses, emails.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::courts::Court;
use super::names::{Pool, STREETS, SUFFIXES, email_part};
use super::{mix, pick, text};
use crate::domain::{Address, Counsel, EoirId, StateCode};

const EMAIL_DOMAINS: &[&str] = &["example.org", "example.com", "example.net"];

/// A synthetic name from a pool: (given, family).
pub(super) fn name(pool: Pool, female: bool, rng: &mut impl Rng) -> (String, String) {
    let names = pool.names();
    let given_names = if female { &names.female } else { &names.male };
    let given = &given_names[rng.random_range(0..given_names.len())];
    let mut family = names.family[rng.random_range(0..names.family.len())].as_str();
    // Kaur is a woman's name; a Sikh man's is Singh.
    if family == "Kaur" && !female {
        family = "Singh";
    }
    // Many Hispanic respondents are recorded with both family names.
    if pool == Pool::Hispanic && rng.random_bool(0.4) {
        let second = &names.family[rng.random_range(0..names.family.len())];
        if second != family {
            return (given.to_string(), format!("{family} {second}"));
        }
    }
    (given.to_string(), family.to_string())
}

/// A synthetic street line: number, street, suffix, sometimes an apartment.
fn street(rng: &mut impl Rng) -> String {
    let number = rng.random_range(100..10_000);
    let street = STREETS[rng.random_range(0..STREETS.len())];
    let suffix = SUFFIXES[rng.random_range(0..SUFFIXES.len())];
    if rng.random_bool(0.35) {
        let apt = rng.random_range(1..40);
        let letter = char::from(b'A' + rng.random_range(0..6u8));
        format!("{number} {street} {suffix} Apt {apt}{letter}")
    } else {
        format!("{number} {street} {suffix}")
    }
}

/// A synthetic address in one of the court's towns (the court's own city twice as likely).
pub(super) fn address(court: &Court, rng: &mut impl Rng) -> Address {
    let weights: Vec<(usize, f64)> = (0..court.towns.len())
        .map(|i| (i, if i == 0 { 2.0 } else { 1.0 }))
        .collect();
    let town = &court.towns[pick(rng, &weights)];
    Address {
        line1: text(street(rng)),
        city: text(town.city),
        state: StateCode::parse(town.state).expect("state codes are valid"),
        postal_code: text(town.zips[rng.random_range(0..town.zips.len())]),
    }
}

/// A synthetic personal email, `given.family42@example.org`.
pub(super) fn email(given: &str, family: &str, rng: &mut impl Rng) -> String {
    let first = given.split([' ', '-']).next().unwrap_or(given);
    let last = family.split(' ').next().unwrap_or(family);
    let domain = EMAIL_DOMAINS[rng.random_range(0..EMAIL_DOMAINS.len())];
    format!(
        "{}.{}{}@{domain}",
        email_part(first),
        email_part(last),
        rng.random_range(1..100)
    )
}

/// Counsel number `k` of the court's pool of attorneys. The attorney depends only on
/// (seed, court, k), so the same attorney, with the same id and office, represents many respondents.
pub(super) fn counsel(seed: u64, court_index: usize, court: &Court, k: u64) -> Counsel {
    let mut rng = ChaCha8Rng::seed_from_u64(mix(seed ^ 0xC0_0115E1));
    rng.set_stream(((court_index as u64) << 32) | k);
    let pool = if rng.random_bool(0.75) {
        Pool::American
    } else {
        Pool::Hispanic
    };
    let female = rng.random_bool(0.5);
    let (given, family) = name(pool, female, &mut rng);
    let letters: String = (0..2)
        .map(|_| char::from(b'A' + rng.random_range(0..26u8)))
        .collect();
    let eoir_id = format!("{letters}{:06}", rng.random_range(0..1_000_000));
    let email = rng.random_bool(0.92).then(|| {
        let domain = EMAIL_DOMAINS[rng.random_range(0..EMAIL_DOMAINS.len())];
        let family_part: String = email_part(&family);
        super::email(format!("{}.{family_part}@{domain}", email_part(&given)))
    });
    let address = rng.random_bool(0.97).then(|| {
        let town = &court.towns[0];
        let street = street_office(&mut rng);
        Address {
            line1: text(street),
            city: text(town.city),
            state: StateCode::parse(town.state).expect("state codes are valid"),
            postal_code: text(town.zips[rng.random_range(0..town.zips.len())]),
        }
    });
    Counsel {
        name: text(format!("{given} {family}")),
        eoir_id: EoirId::parse(eoir_id).expect("generated EOIR ids are valid"),
        email,
        address,
    }
}

/// An office address line: number, street, suffix and suite.
fn street_office(rng: &mut impl Rng) -> String {
    let number = rng.random_range(1..2_000);
    let street = STREETS[rng.random_range(0..STREETS.len())];
    let suffix = SUFFIXES[rng.random_range(0..SUFFIXES.len())];
    let suite = rng.random_range(1..20) * 100 + rng.random_range(0..20);
    format!("{number} {street} {suffix} Suite {suite}")
}

/// How many attorneys practise before a court: about twelve per thousand pending cases.
pub(super) fn counsel_pool_size(court: &Court) -> u64 {
    (court.weight * 12.0).ceil() as u64
}
