//! Effective dates across rule-set files: two policies must not claim the same day.
//!
//! POLICY.md §4: policies replace one another on a date (Morton 2011 → Johnson 2015-01-05 → …). When
//! two files are checked together and their effective dates overlap, a run on a day in the overlap
//! could not say which policy applied, so [`overlaps`] reports it on the later file's `[effective]`.

use chrono::NaiveDate;

use super::RulesError;
use super::ruleset::RuleSet;

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
                span(first.effective().from, first.effective().to),
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

fn span(from: NaiveDate, to: Option<NaiveDate>) -> String {
    match to {
        Some(to) => format!("{from} to {to}"),
        None => format!("from {from}, no end"),
    }
}
