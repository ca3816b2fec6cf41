//! The counts one simulation thread keeps: decisions, the transition matrix with its sample case
//! ids, and offers per group. Tallies of different threads merge into one; the result does not
//! depend on which thread saw which record, nor on their order.

use std::collections::HashMap;

use rustc_hash::FxBuildHasher;

use super::Dimension;
use super::record::CaseRecord;
use super::simulate::SAMPLES;
use crate::domain::Decision;
use crate::rules::{EvalContext, RuleSet};

/// Recorded index of a case the run has not reviewed.
pub(super) const NOT_REVIEWED: usize = Decision::ALL.len();

/// What the simulated decision is compared with, giving the rows of the transition matrix.
#[derive(Clone, Copy)]
pub(super) enum Baseline<'a> {
    /// No comparison: no matrix.
    Nothing,
    /// The decision the run recorded (each input's `recorded`).
    Recorded,
    /// The decision of a second rule set, with its own context. The first rule set's decision
    /// gives the rows, the second's the columns.
    Rules(&'a RuleSet, &'a EvalContext),
}

/// Per-thread counts.
#[derive(Default)]
pub(super) struct Tally {
    pub(super) cases: u64,
    pub(super) rejected: u64,
    pub(super) decisions: [u64; Decision::ALL.len()],
    /// Decisions of the second rule set, under [`Baseline::Rules`].
    pub(super) against: [u64; Decision::ALL.len()],
    /// (row index, [`NOT_REVIEWED`] = not reviewed; column index) → (count, samples).
    pub(super) cells: HashMap<(usize, usize), (u64, Vec<String>), FxBuildHasher>,
    /// Per dimension: group → (cases, offers, offers under the second rule set). Looked up six
    /// times a record with short keys from our own store, so with a fast hash rather than
    /// SipHash, whose resistance to chosen keys buys nothing here.
    pub(super) groups: [HashMap<String, [u64; 3], FxBuildHasher>; Dimension::ALL.len()],
}

/// The position of `d` in [`Decision::ALL`].
pub(super) fn index(d: Decision) -> usize {
    Decision::ALL
        .iter()
        .position(|x| *x == d)
        .expect("every decision is listed")
}

impl Tally {
    /// Parses and evaluates one record; a record that is not a valid case is counted as rejected.
    pub(super) fn add(
        &mut self,
        rules: &RuleSet,
        ctx: &EvalContext,
        record: &[u8],
        recorded: Option<Decision>,
        baseline: Baseline<'_>,
    ) {
        let Some(case) = CaseRecord::decode(record) else {
            self.rejected += 1;
            return;
        };
        let (decision, _) = rules.decide(&case, ctx);
        let mine = index(decision);
        self.cases += 1;
        self.decisions[mine] += 1;
        let offer = u64::from(decision == Decision::OfferRecommended);
        let (cell, other_offer) = match baseline {
            Baseline::Nothing => (None, 0),
            Baseline::Recorded => (Some((recorded.map_or(NOT_REVIEWED, index), mine)), 0),
            Baseline::Rules(other, other_ctx) => {
                let (theirs, _) = other.decide(&case, other_ctx);
                self.against[index(theirs)] += 1;
                let offered = u64::from(theirs == Decision::OfferRecommended);
                (Some((mine, index(theirs))), offered)
            }
        };
        for (slot, dim) in self.groups.iter_mut().zip(Dimension::ALL) {
            let group = case.group(dim);
            let add = [1, offer, other_offer];
            match slot.get_mut(group) {
                Some(counts) => counts.iter_mut().zip(add).for_each(|(c, a)| *c += a),
                None => {
                    slot.insert(group.to_string(), add);
                }
            }
        }
        if let Some(key) = cell {
            let cell = self.cells.entry(key).or_default();
            cell.0 += 1;
            keep_smallest(&mut cell.1, case.case_id());
        }
    }

    /// The merged tally of the scoped threads `handles`, each joined in turn.
    pub(super) fn joined(handles: Vec<std::thread::ScopedJoinHandle<'_, Tally>>) -> Tally {
        let mut total = Tally::default();
        for h in handles {
            total.merge(h.join().expect("a simulation thread panicked"));
        }
        total
    }

    /// Adds `other`'s counts to these.
    pub(super) fn merge(&mut self, other: Tally) {
        self.cases += other.cases;
        self.rejected += other.rejected;
        for (a, b) in self.decisions.iter_mut().zip(other.decisions) {
            *a += b;
        }
        for (a, b) in self.against.iter_mut().zip(other.against) {
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
            for (group, add) in theirs {
                let counts = mine.entry(group).or_default();
                counts.iter_mut().zip(add).for_each(|(c, a)| *c += a);
            }
        }
    }
}

/// Keeps in `samples` the [`SAMPLES`] smallest case ids seen, sorted: the same samples whatever the
/// order of the input or the number of threads.
pub(super) fn keep_smallest(samples: &mut Vec<String>, id: &str) {
    if samples.len() == SAMPLES && samples.last().is_some_and(|last| id >= last.as_str()) {
        return;
    }
    if let Err(at) = samples.binary_search_by(|s| s.as_str().cmp(id)) {
        samples.insert(at, id.to_string());
        samples.truncate(SAMPLES);
    }
}
