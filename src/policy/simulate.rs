//! What-if: evaluate a rule set over a whole backlog without writing anything.
//!
//! Input is a list of case records (contract JSON), each with the decision a run recorded for it, if
//! any. The records are parsed and evaluated on every core (parsing dominates: see README), each
//! thread tallying its own contiguous slice; the tallies are then merged. Sample case ids are the
//! smallest of each cell, so the result is the same whatever the input order or number of threads.
//! A backlog file is streamed instead ([`super::stream`]), and may be compared with a second rule
//! set: the same answer with an [`Against`] part.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::tally::{Baseline, Tally, index};
use super::{Dimension, pct};
use crate::domain::Decision;
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
    /// Of which `offer_recommended` under the second rule set (`--against`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub against_offers: Option<u64>,
    /// `against_offers` as a percentage of `cases`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub against_rate: Option<f64>,
}

/// The second rule set of a comparison (`--against`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Against {
    /// `name@version` of the second rule set.
    pub rules: String,
    /// Its review date.
    pub as_of: NaiveDate,
    /// Cases per decision under it, every decision listed.
    pub decisions: BTreeMap<Decision, u64>,
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
    /// The transition matrix, non-empty cells only: from the run's recorded decisions to the
    /// simulated ones when the input came from a run; from the simulated decisions to the second
    /// rule set's in a comparison.
    pub transitions: Option<Vec<Transition>>,
    /// The second rule set of a comparison.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub against: Option<Against>,
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

/// Evaluates every input under `rules` on `threads` threads (at least 1). With `matrix`, builds the
/// transition matrix against each input's recorded decision.
pub fn simulate(
    rules: &RuleSet,
    ctx: &EvalContext,
    inputs: &[Input<'_>],
    matrix: bool,
    threads: usize,
) -> Simulation {
    finish(tally(rules, ctx, inputs, matrix, threads), matrix, None)
}

/// The merged tally of `inputs` under `rules` on `threads` threads; tallies of successive parts
/// of a backlog merge into the tally of the whole.
pub(super) fn tally(
    rules: &RuleSet,
    ctx: &EvalContext,
    inputs: &[Input<'_>],
    matrix: bool,
    threads: usize,
) -> Tally {
    let chunk = inputs.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = inputs
            .chunks(chunk)
            .map(|part| {
                s.spawn(move || {
                    let mut t = Tally::default();
                    let baseline = if matrix {
                        Baseline::Recorded
                    } else {
                        Baseline::Nothing
                    };
                    for i in part {
                        t.add(rules, ctx, i.record, i.recorded, baseline);
                    }
                    t
                })
            })
            .collect();
        Tally::joined(handles)
    })
}

/// Builds the answer from the merged tally; `against` names the second rule set of a comparison
/// and its review date.
pub(super) fn finish(t: Tally, matrix: bool, against: Option<(String, NaiveDate)>) -> Simulation {
    let decisions = Decision::ALL
        .iter()
        .map(|d| (*d, t.decisions[index(*d)]))
        .collect();
    let compared = against.is_some();
    let against = against.map(|(rules, as_of)| Against {
        rules,
        as_of,
        decisions: Decision::ALL
            .iter()
            .map(|d| (*d, t.against[index(*d)]))
            .collect(),
    });
    let transitions = matrix.then(|| {
        let mut cells: Vec<Transition> = t
            .cells
            .into_iter()
            .map(|((from, to), (count, samples))| Transition {
                from: Decision::ALL
                    .get(from)
                    .map_or(NOT_REVIEWED_NAME, |d| d.as_str())
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
                .map(|(group, [cases, offers, theirs])| GroupRate {
                    group,
                    cases,
                    offers,
                    offer_rate: pct(offers, cases),
                    against_offers: compared.then_some(theirs),
                    against_rate: compared.then(|| pct(theirs, cases)),
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
        against,
        by,
    }
}

/// The row name of cases a run has not reviewed.
const NOT_REVIEWED_NAME: &str = "not_reviewed";

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
