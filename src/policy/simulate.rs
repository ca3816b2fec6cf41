//! What-if: evaluate a rule set over a whole backlog without writing anything.
//!
//! Input is a list of case records (contract JSON), each with the decision a run recorded for it, if
//! any. The records are parsed and evaluated on every core (parsing dominates: see README), each
//! thread tallying its own contiguous slice; the tallies are then merged. Sample case ids are the
//! smallest of each cell, so the result is the same whatever the input order or number of threads.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use super::{Dimension, pct};
use crate::domain::{Case, Decision};
use crate::rules::{EvalContext, RuleSet};

/// Case ids kept per transition cell.
pub const SAMPLES: usize = 3;

/// One record to evaluate.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The case record, contract JSON.
    pub record: &'a [u8],
    /// What the run recorded for it, when simulating against a run; `None` when not reviewed.
    pub recorded: Option<Decision>,
}

/// Cases in one cell of the transition matrix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// The recorded decision, or `not_reviewed`.
    pub from: String,
    /// The decision under the simulated rule set.
    pub to: Decision,
    /// Number of cases.
    pub count: u64,
    /// Up to [`SAMPLES`] case ids: the smallest, sorted.
    pub samples: Vec<String>,
}

/// Offer rate of one group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupRate {
    /// Group value (court code, country code, language code, `represented`/`pro_se`, custody code).
    pub group: String,
    /// Cases evaluated in the group.
    pub cases: u64,
    /// Of which `offer_recommended`.
    pub offers: u64,
    /// `offers` as a percentage of `cases`.
    pub offer_rate: f64,
}

/// The answer of a simulation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Simulation {
    /// Records evaluated.
    pub cases: u64,
    /// Records that are not valid case records (not evaluated).
    pub rejected: u64,
    /// Cases per decision, every decision listed.
    pub decisions: BTreeMap<Decision, u64>,
    /// The transition matrix against the run's recorded decisions, non-empty cells only, when the
    /// input came from a run.
    pub transitions: Option<Vec<Transition>>,
    /// Offer rates per group, for every dimension; groups by decreasing size.
    pub by: BTreeMap<Dimension, Vec<GroupRate>>,
}

impl Simulation {
    /// Cases whose simulated decision differs from the recorded one (0 without a run).
    pub fn changed(&self) -> u64 {
        self.transitions
            .iter()
            .flatten()
            .filter(|t| t.from != t.to.as_str())
            .map(|t| t.count)
            .sum()
    }
}

/// Per-thread counts.
#[derive(Default)]
struct Tally {
    cases: u64,
    rejected: u64,
    decisions: [u64; Decision::ALL.len()],
    /// (recorded index, [`NOT_REVIEWED`] = not reviewed; simulated index) → (count, samples).
    cells: HashMap<(usize, usize), (u64, Vec<String>)>,
    /// Per dimension: group → (cases, offers).
    groups: [HashMap<String, (u64, u64)>; Dimension::ALL.len()],
}

/// The same acceptance as [`Case::from_json`] (strict decoding, then the consistency checks),
/// without tracking the field path of an error: a simulation only counts rejected records, and
/// path tracking costs about a third of the parse.
fn parse(record: &[u8]) -> Option<Case> {
    let case: Case = serde_json::from_slice(record).ok()?;
    case.check_consistency().ok()?;
    Some(case)
}

/// Recorded index of a case the run has not reviewed.
const NOT_REVIEWED: usize = Decision::ALL.len();

fn index(d: Decision) -> usize {
    Decision::ALL
        .iter()
        .position(|x| *x == d)
        .expect("every decision is listed")
}

impl Tally {
    fn add(&mut self, rules: &RuleSet, ctx: &EvalContext, input: &Input<'_>, matrix: bool) {
        let Some(case) = parse(input.record) else {
            self.rejected += 1;
            return;
        };
        let decision = rules.evaluate(&case, ctx).decision;
        let to = index(decision);
        self.cases += 1;
        self.decisions[to] += 1;
        let offer = u64::from(decision == Decision::OfferRecommended);
        for (slot, dim) in self.groups.iter_mut().zip(Dimension::ALL) {
            let group = dim.of(&case);
            match slot.get_mut(group) {
                Some(counts) => *counts = (counts.0 + 1, counts.1 + offer),
                None => {
                    slot.insert(group.to_string(), (1, offer));
                }
            }
        }
        if matrix {
            let from = input.recorded.map_or(NOT_REVIEWED, index);
            let cell = self.cells.entry((from, to)).or_default();
            cell.0 += 1;
            keep_smallest(&mut cell.1, case.case_id.as_str());
        }
    }

    fn merge(&mut self, other: Tally) {
        self.cases += other.cases;
        self.rejected += other.rejected;
        for (a, b) in self.decisions.iter_mut().zip(other.decisions) {
            *a += b;
        }
        for (key, (n, samples)) in other.cells {
            let cell = self.cells.entry(key).or_default();
            cell.0 += n;
            for id in &samples {
                keep_smallest(&mut cell.1, id);
            }
        }
        for (mine, theirs) in self.groups.iter_mut().zip(other.groups) {
            for (group, (n, offers)) in theirs {
                let counts = mine.entry(group).or_default();
                *counts = (counts.0 + n, counts.1 + offers);
            }
        }
    }
}

/// Keeps in `samples` the [`SAMPLES`] smallest case ids seen, sorted: the same samples whatever the
/// order of the input or the number of threads.
fn keep_smallest(samples: &mut Vec<String>, id: &str) {
    if samples.len() == SAMPLES && samples.last().is_some_and(|last| id >= last.as_str()) {
        return;
    }
    if let Err(at) = samples.binary_search_by(|s| s.as_str().cmp(id)) {
        samples.insert(at, id.to_string());
        samples.truncate(SAMPLES);
    }
}

/// Evaluates every input under `rules` on `threads` threads (at least 1). With `matrix`, builds the
/// transition matrix against each input's recorded decision.
pub fn simulate(
    rules: &RuleSet,
    ctx: &EvalContext,
    inputs: &[Input<'_>],
    matrix: bool,
    threads: usize,
) -> Simulation {
    let chunk = inputs.len().div_ceil(threads.max(1)).max(1);
    let tallies: Vec<Tally> = std::thread::scope(|s| {
        let handles: Vec<_> = inputs
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    let mut t = Tally::default();
                    part.iter().for_each(|i| t.add(rules, ctx, i, matrix));
                    t
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a simulation thread panicked"))
            .collect()
    });
    let mut total = Tally::default();
    for t in tallies {
        total.merge(t);
    }
    finish(total, matrix)
}

fn finish(t: Tally, matrix: bool) -> Simulation {
    let decisions = Decision::ALL
        .iter()
        .map(|d| (*d, t.decisions[index(*d)]))
        .collect();
    let transitions = matrix.then(|| {
        let mut cells: Vec<Transition> = t
            .cells
            .into_iter()
            .map(|((from, to), (count, samples))| Transition {
                from: Decision::ALL
                    .get(from)
                    .map_or("not_reviewed", |d| d.as_str())
                    .to_string(),
                to: Decision::ALL[to],
                count,
                samples,
            })
            .collect();
        cells.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then_with(|| (&a.from, a.to).cmp(&(&b.from, b.to)))
        });
        cells
    });
    let by = Dimension::ALL
        .iter()
        .zip(t.groups)
        .map(|(dim, groups)| {
            let mut rates: Vec<GroupRate> = groups
                .into_iter()
                .map(|(group, (cases, offers))| GroupRate {
                    group,
                    cases,
                    offers,
                    offer_rate: pct(offers, cases),
                })
                .collect();
            rates.sort_by(|a, b| b.cases.cmp(&a.cases).then_with(|| a.group.cmp(&b.group)));
            (*dim, rates)
        })
        .collect();
    Simulation {
        cases: t.cases,
        rejected: t.rejected,
        decisions,
        transitions,
        by,
    }
}

/// Splits NDJSON into records, skipping blank lines.
pub fn ndjson_inputs(bytes: &[u8]) -> Vec<Input<'_>> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace))
        .map(|record| Input {
            record,
            recorded: None,
        })
        .collect()
}

/// Describes what was simulated, for the first line of the text output, with
/// [`outside_effective_dates`]'s note on a line of its own when there is one.
pub fn heading(rules: &RuleSet, as_of: NaiveDate, source: &str) -> String {
    let mut s = format!(
        "simulate {}@{} ({}) as of {as_of} over {source}",
        rules.name(),
        rules.version(),
        rules.status().as_str()
    );
    if let Some(note) = outside_effective_dates(rules, as_of) {
        s.push('\n');
        s.push_str(&note);
    }
    s
}

/// A note when `as_of` is outside the rule set's effective dates. Such a day is simulated all
/// the same (to ask what the policy would have decided then), but no run could review as of it.
pub fn outside_effective_dates(rules: &RuleSet, as_of: NaiveDate) -> Option<String> {
    (!rules.effective().covers(as_of)).then(|| {
        format!(
            "note: {as_of} is outside {}@{}'s effective dates ({}): no run may review cases as \
             of that day under it",
            rules.name(),
            rules.version(),
            rules.effective()
        )
    })
}
