//! Effective dates across rule-set files: two policies must not claim the same day.
//!
//! POLICY.md §4: policies replace one another on a date (Morton 2011 → Johnson 2015-01-05 → …). When
//! two files are checked together and their effective dates overlap, a run on a day in the overlap
//! could not say which policy applied, so [`overlaps`] reports it on the later file's `[effective]`.
//!
//! The effective dates, not `status`, say whether a run may review cases as of a day; `status` is
//! the policy's standing now, so a policy whose end date has passed cannot still be `active`
//! ([`stale_status`]).

use chrono::NaiveDate;

use super::RulesError;
use super::ruleset::{RuleSet, Status};

/// For each pair of `sets` whose effective dates overlap: the index of the later-starting one and
/// the error to report in it.
pub fn overlaps(sets: &[&RuleSet]) -> Vec<(usize, RulesError)> {
    let mut out = Vec::new();
    for (i, a) in sets.iter().enumerate() {
        for (j, b) in sets.iter().enumerate().skip(i + 1) {
            let (first, later, at) = if a.effective().from <= b.effective().from {
                (a, b, j)
            } else {
                (b, a, i)
            };
            let start = later.effective().from;
            let end = match (first.effective().to, later.effective().to) {
                (Some(x), Some(y)) => Some(x.min(y)),
                (x, y) => x.or(y),
            };
            if first.effective().to.is_some_and(|to| to < start) {
                continue;
            }
            let message = format!(
                "dates overlap {}@{} ({}) from {start} to {}: set `to` in [effective] of \
                 the earlier policy, or `superseded_by`, so that one policy applies on each day",
                first.name(),
                first.version(),
                first.effective(),
                end.map_or_else(|| "open-ended".to_string(), |d| d.to_string()),
            );
            let err = RulesError {
                path: "effective".to_string(),
                line: Some(later.effective_line()),
                message,
            };
            out.push((at, err));
        }
    }
    out
}

/// The mistake of a rule set whose effective dates ended before `today` but whose `status` still
/// says `active`: an ended policy was superseded, rescinded or vacated. (Not a load error: the
/// stored copies of existing runs must keep loading.)
pub fn stale_status(set: &RuleSet, today: NaiveDate) -> Option<RulesError> {
    let to = set.effective().to.filter(|to| *to < today)?;
    (set.status() == Status::Active).then(|| RulesError {
        path: "status".to_string(),
        line: None,
        message: format!(
            "is \"active\" but the policy ended on {to} (effective.to): set how it ended \
             (superseded, rescinded or vacated); runs are judged by the effective dates, not by status"
        ),
    })
}
