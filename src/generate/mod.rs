//! Synthetic backlog generator: plausible pending immigration court cases as of the start of the
//! November 2011 case-by-case review.
//!
//! Every person, name, address, A-number and email here is synthetic. Shapes follow the public
//! statistics gathered in POLICY.md §2, §5 and §6:
//!
//! - **Courts**: 21 EOIR base cities weighted by the approximate size of their 2011 docket (LOS, NYC
//!   and SFR largest), each with towns and ZIP codes of its area and a local nationality mix.
//! - **People**: Mexico ≈ 37%, then El Salvador, Guatemala, China, Honduras and some 30 others;
//!   Spanish ≈ 70% of best languages; names from small per-tradition pools; ages 16–80, mostly 20–50.
//! - **Case**: `RMV` ≈ 96%, `DEP`/`EXC` ≈ 2.5% (filed before April 1997, when removal replaced them),
//!   `AOC`/`WHO` ≈ 1.5%; filed 2005–2011, most recently; detained ≈ 4%, released ≈ 20%; final order
//!   ≈ 2.5%; a next hearing between December 2011 and 2013 for most.
//! - **Record**: no conviction for ≈ 83%; otherwise 1–3, mostly misdemeanors; rare flags (prior
//!   removal ≈ 5%, gang, warrant, fraud, fugitive ≈ 1% each, national security ≈ 0.1%).
//! - **Favourable factors** correlated the way the memo's factors are in life: arriving as a child
//!   goes with school, long presence with US-citizen relatives and community ties, age with health.
//! - **Counsel**: about half represented, by attorneys drawn from a per-court pool (so one attorney
//!   has many clients); Spanish speakers less often than others (POLICY.md §6).
//!
//! Generation is deterministic: case `i` of seed `s` comes from its own ChaCha8 stream (`s`, stream `i`),
//! so it never depends on the cases before it and can be produced alone with [`case`].

mod courts;
mod crime;
mod factors;
mod names;
mod nations;
mod person;
mod record;
#[cfg(test)]
mod tests;

use std::io::{self, Write};

use chrono::NaiveDate;
use rand::Rng;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::domain::{Case, ShortText};

/// The date the backlog is taken: the start of the 2011 case-by-case review (Vincent memo,
/// 2011-11-17). Every generated date is before it, except `next_hearing`.
pub const REVIEW_START: NaiveDate = NaiveDate::from_ymd_opt(2011, 11, 17).expect("a valid date");

/// The `index`-th case of the backlog generated from `seed`.
///
/// Its case id ends with `index` (zero-padded to six digits), so ids are unique within one seed.
pub fn case(seed: u64, index: u64) -> Case {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    record::build(&mut rng, seed, index)
}

/// `count` synthetic cases from `seed`, in index order. The same seed always gives the same cases.
pub fn cases(count: usize, seed: u64) -> impl Iterator<Item = Case> {
    (0..count as u64).map(move |index| case(seed, index))
}

/// Writes `count` cases from `seed` as NDJSON (one [`Case::to_json`] per line) and returns how many
/// were written. The writer is buffered here; pass it unbuffered.
pub fn write_ndjson<W: Write>(out: W, count: usize, seed: u64) -> io::Result<usize> {
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    let mut written = 0;
    for case in cases(count, seed) {
        out.write_all(case.to_json().as_bytes())?;
        out.write_all(b"\n")?;
        written += 1;
    }
    out.flush()?;
    Ok(written)
}

/// Wraps generated text, which is valid by construction.
fn text(value: impl Into<String>) -> ShortText {
    ShortText::parse(value).expect("generated text is valid")
}

/// A uniformly random day in `[from, to)`; `from` when the range is empty.
fn between(rng: &mut impl Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let days = (to - from).num_days();
    if days <= 0 {
        return from;
    }
    from + chrono::Days::new(rng.random_range(0..days) as u64)
}

/// Picks an index in `0..len` with weight `weight(i)`.
fn pick_index(rng: &mut impl Rng, len: usize, weight: impl Fn(usize) -> f64) -> usize {
    let total: f64 = (0..len).map(&weight).sum();
    let mut x = rng.random::<f64>() * total;
    for i in 0..len {
        let w = weight(i);
        if x < w {
            return i;
        }
        x -= w;
    }
    len - 1
}

/// Picks one item by weight.
fn pick<T: Copy>(rng: &mut impl Rng, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.random::<f64>() * total;
    for (item, weight) in items {
        if x < *weight {
            return *item;
        }
        x -= weight;
    }
    items[items.len() - 1].0
}

/// A 64-bit mix (SplitMix64 finaliser), used to key the A-number permutation and counsel pools.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A 9-digit A-number for case `index`: a keyed permutation of `[0, 10^9)`, so that no two cases of
/// one seed share an A-number while the numbers still look random. Four rounds of a Feistel network
/// over the halves `x / 10^5` (< 10^4) and `x % 10^5`, each round adding a keyed hash of one half to
/// the other: every step is invertible, so the whole is a bijection.
fn a_number_digits(seed: u64, index: u64) -> u64 {
    const LO: u64 = 100_000;
    const HI: u64 = 10_000;
    let key = mix(seed ^ 0xA11E_4E55);
    let mut x = index % (LO * HI);
    for round in 0..4u64 {
        let (mut hi, mut lo) = (x / LO, x % LO);
        hi = (hi + mix(key ^ (round << 48) ^ lo) % HI) % HI;
        lo = (lo + mix(key ^ ((round + 16) << 48) ^ hi) % LO) % LO;
        x = hi * LO + lo;
    }
    x
}
