//! Policy tools: what a rule change does to a whole backlog before anything is published
//! ([`simulate`]), and how a run went, group by group, afterwards ([`report`], [`plot`]).
//!
//! Nothing here writes to the database. Output holds counts, rates, decision names, group values
//! (court, nationality, language, representation, custody) and case ids — never a name, an A-number,
//! an address or a confidential flag.

pub mod copy_rows;
pub mod plot;
mod record;
pub mod render;
pub mod report;
mod run_scan;
pub mod simulate;
pub mod stats;
pub mod stream;
mod tally;
pub mod what_if;

use serde::Serialize;

use crate::domain::Case;

/// A way of grouping cases for audit metrics (POLICY.md §5.3: offer rates by court,
/// representation, nationality and language; custody because detained cases were rarely offered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// EOIR base-city code.
    Court,
    /// Nationality (ISO 3166-1 alpha-2).
    Nationality,
    /// Best language (ISO 639-1).
    Language,
    /// `represented` or `pro_se`.
    Representation,
    /// Custody code: D, N or R.
    Custody,
    /// `petition` when the record shows a pending or approved petition (relief likely available),
    /// else `no_petition`: the advocates' complaint that offers went to those who would win anyway.
    Relief,
}

impl Dimension {
    /// Every dimension, in reporting order.
    pub const ALL: [Dimension; 6] = [
        Dimension::Court,
        Dimension::Nationality,
        Dimension::Language,
        Dimension::Representation,
        Dimension::Custody,
        Dimension::Relief,
    ];

    /// The name used on the command line and in output.
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Court => "court",
            Dimension::Nationality => "nationality",
            Dimension::Language => "language",
            Dimension::Representation => "representation",
            Dimension::Custody => "custody",
            Dimension::Relief => "relief",
        }
    }

    /// The group of `case` along this dimension.
    pub fn of(self, case: &Case) -> &str {
        match self {
            Dimension::Court => case.court.as_str(),
            Dimension::Nationality => case.respondent.nationality.as_str(),
            Dimension::Language => case.respondent.language.as_str(),
            Dimension::Representation => representation(case.counsel.is_some()),
            Dimension::Custody => case.custody.code(),
            Dimension::Relief => relief(case.factors.pending_petition.is_some()),
        }
    }
}

/// The group name of representation.
pub fn representation(represented: bool) -> &'static str {
    if represented { "represented" } else { "pro_se" }
}

/// The group name of the relief facts: a petition on record or not.
pub fn relief(petition: bool) -> &'static str {
    if petition { "petition" } else { "no_petition" }
}

/// `part` as a percentage of `whole` (0 when `whole` is 0).
pub fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

#[cfg(test)]
mod tests;
