//! Synthetic backlog generator: plausible pending immigration court cases as of the start of the
//! November 2011 case-by-case review.
//!
//! Every person, name, address, A-number and email here is synthetic (emails use the reserved
//! `example.*` domains; A-numbers are a keyed permutation, unique within a seed). Shapes follow the
//! public statistics gathered in POLICY.md §2, §5 and §6 (shares measured over 100,000 cases):
//!
//! - **Courts**: 21 EOIR base cities weighted by the approximate size of their 2011 docket (LOS 19%,
//!   NYC 16%, SFR 9%, MIA 7% …), each with real towns and ZIP codes of its area and a local
//!   nationality mix (Chinese in New York, Haitians and Cubans in Miami, Brazilians in Boston …).
//! - **People**: Mexico 36%, El Salvador 9%, China 9%, Guatemala 8.5%, Honduras 5.5%, then some 30
//!   others; Spanish 72% of best languages, Chinese 9%; names from small per-tradition pools; ages
//!   16–80, mostly 20–50; entry date unknown for 7%, within three years of the review for 15%.
//! - **Case**: `RMV` 96.3%, `DEP`/`EXC` 2.5% (filed before April 1997, when removal proceedings
//!   replaced them), `AOC`/`WHO` 1.2%; filed 2005–2011, most recently; detained 4%, released 20%;
//!   final order 2%; a next hearing between December 2011 and 2013 for most.
//! - **Record**: no conviction for 83.5%; otherwise 1–3, mostly misdemeanors (traffic, DUI, theft),
//!   felonies some, aggravated felonies rare; flags rare (prior removal 5%, gang 1.3%, fugitive 0.9%
//!   and mostly with a final order, warrant, fraud, national security 0.1%).
//! - **Favourable factors** correlated as in life: arriving as a child (12.6%) goes with school, long
//!   presence with US-citizen or LPR relatives and community ties, age with health; a petition for 9%.
//! - **Confidential**: asylum claims 20% (more for China, Central America, Africa), VAWA/T/U 1.8%.
//! - **Counsel**: 51% represented, by attorneys drawn from a per-court pool (one attorney has many
//!   clients); Spanish speakers less often than others (POLICY.md §6).
//!
//! **Calibration.** Evaluated with `config/rules/morton-2011.toml` as of [`REVIEW_START`], the
//! seed's 300,000 cases give offer_recommended 7.7%, not_amenable 59.0%, enforcement_priority 25.7%,
//! out_of_scope 6.7%, refer_dismissal 0.5%, discretionary_review 0.4% — against the ≈7.2–7.5%
//! identified in the 2011–12 review (POLICY.md §2.1).
//!
//! **Courts differ** by local practice ([`courts`]'s `PRACTICE`: a per-court multiplier on the
//! chance of each favourable factor, and on charging residents without a record), calibrated so
//! that the same rules give Denver about 16% and Baltimore about 10% (the 2011–12 pilots, POLICY.md
//! §2.2) and the other courts the order and spread of TRAC's 2011–13 PD closures: Houston 2.3%, New
//! York 3.5%, Chicago 5.0% … Phoenix 19.6%, Omaha 21.4%, Tucson 25.8%, Seattle 29.7%, the large
//! dockets near the national rate (Los Angeles 8.6%, San Francisco 8.5%).
//!
//! Generation is deterministic: case `i` of seed `s` comes from its own ChaCha8 stream (seed `s`,
//! stream `i`), so it never depends on the cases before it and can be produced alone with [`case`].

#[cfg(test)]
mod calibration;
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

/// The codes of the courts the generator assigns cases to.
pub fn court_codes() -> impl Iterator<Item = &'static str> {
    courts::COURTS.iter().map(|c| c.code)
}

/// `count` synthetic cases from `seed`, in index order. The same seed always gives the same cases.
pub fn cases(count: usize, seed: u64) -> impl Iterator<Item = Case> {
    (0..count as u64).map(move |index| case(seed, index))
}

/// Cases generated per piece of [`write_ndjson`]: about 10 MB of text.
const PIECE: u64 = 8_192;

/// Writes `count` cases from `seed` as NDJSON (one [`Case::to_json`] per line) and returns how many
/// were written. The writer is buffered here; pass it unbuffered.
///
/// Cases are generated on every core: thread `t` of `n` renders pieces `t`, `t + n`, … of
/// [`PIECE`] cases each into buffers, up to two ahead of the writer, and the writer takes the
/// pieces from the threads in turn, so the output is the same bytes whatever the number of cores,
/// no thread waits for another's piece but the writer, and memory stays a few pieces a thread.
pub fn write_ndjson<W: Write>(out: W, count: usize, seed: u64) -> io::Result<usize> {
    let mut out = io::BufWriter::with_capacity(1 << 16, out);
    let count = count as u64;
    let pieces = count.div_ceil(PIECE);
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get() as u64)
        .clamp(1, pieces.max(1));
    std::thread::scope(|s| {
        let receivers: Vec<_> = (0..threads)
            .map(|t| {
                let (send, recv) = std::sync::mpsc::sync_channel::<Vec<u8>>(2);
                s.spawn(move || {
                    for k in (t..pieces).step_by(threads as usize) {
                        let from = k * PIECE;
                        // The writer stopped (a write failed): nothing more to do.
                        if send
                            .send(piece(seed, from..(from + PIECE).min(count)))
                            .is_err()
                        {
                            return;
                        }
                    }
                });
                recv
            })
            .collect();
        for k in 0..pieces {
            let piece = receivers[(k % threads) as usize]
                .recv()
                .expect("a generating thread sends each of its pieces");
            out.write_all(&piece)?;
        }
        out.flush()
    })?;
    Ok(count as usize)
}

/// The NDJSON lines of cases `range` of `seed`.
fn piece(seed: u64, range: std::ops::Range<u64>) -> Vec<u8> {
    let mut buf = Vec::with_capacity((range.end - range.start) as usize * 1_300);
    for index in range {
        buf.extend_from_slice(case(seed, index).to_json().as_bytes());
        buf.push(b'\n');
    }
    buf
}

/// Wraps generated text, which is valid by construction.
fn text(value: impl Into<String>) -> ShortText {
    ShortText::parse(value).expect("generated text is valid")
}

fn email(value: impl Into<String>) -> crate::domain::EmailAddress {
    crate::domain::EmailAddress::parse(value).expect("generated emails are valid")
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
