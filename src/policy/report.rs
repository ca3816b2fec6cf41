//! Audit report of a run, group by group: cases, reviewed, each decision, and where the offers went
//! (offered, accepted, declined, closed), with rates — the figures TRAC used to audit the 2011–12
//! review (POLICY.md §2.3).
//!
//! Offer figures come from the current `offers.state` and are cumulative along the lifecycle: a case
//! now `closed` was also offered and accepted. So `offered` counts offered, accepted, declined,
//! expired, closed and recalendared; `accepted` counts accepted, closed and recalendared; `closed`
//! counts closed and recalendared; `declined` counts declined. Without offers every figure is 0.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use sqlx::PgPool;

use super::{Dimension, pct, stats};
use crate::domain::Decision;
use crate::store::policy_counts::PAIR;
use crate::store::{self, StoreError};

/// Counts of one group (or of the whole run, for the totals).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Row {
    /// Group value; `total` for the totals row.
    pub group: String,
    /// Cases in the run.
    pub cases: u64,
    /// Cases with an outcome.
    pub reviewed: u64,
    /// Reviewed cases per decision, every decision listed.
    pub decisions: BTreeMap<Decision, u64>,
    /// Offers that reached the respondent.
    pub offered: u64,
    /// Offers accepted.
    pub accepted: u64,
    /// Offers declined.
    pub declined: u64,
    /// Cases closed after accepting.
    pub closed: u64,
    /// Reviewed cases in the run's scope: the denominator of the offer rate.
    pub in_scope: u64,
    /// `offer_recommended` as a percentage of reviewed cases in scope.
    pub offer_rate: f64,
    /// Wilson 95% interval of the offer rate, low end.
    pub offer_low: f64,
    /// Wilson 95% interval of the offer rate, high end.
    pub offer_high: f64,
    /// A group of at least [`stats::MIN_GROUP`] cases in scope whose interval excludes the run's
    /// overall offer rate.
    pub flagged: bool,
    /// Accepted as a percentage of offered.
    pub acceptance_rate: f64,
    /// Closed as a percentage of reviewed.
    pub closure_rate: f64,
}

/// A run's report along one dimension.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Run name.
    pub run: String,
    /// Grouped by.
    pub by: Dimension,
    /// In a two-way breakdown, the second dimension: each group is then `first · second`
    /// (`DEN · pro_se`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub then: Option<Dimension>,
    /// In a two-way breakdown, a chi-square test within each group of the first dimension: do its
    /// subgroups share one offer rate (does representation matter in Denver)?
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub within: Vec<Within>,
    /// One row per group, by group value.
    pub rows: Vec<Row>,
    /// The whole run.
    pub total: Row,
    /// Whether the groups share one offer rate (groups of at least [`stats::MIN_GROUP`] in scope).
    pub chi_square: Option<stats::ChiSquare>,
}

/// One aggregate line from the database: group, decision (None: not reviewed), offer state (None:
/// no offer) and the number of cases.
pub type Count = store::policy_counts::GroupCount;

/// The test of one first-level group's subgroups in a two-way breakdown.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Within {
    /// The first-level group (a court).
    pub group: String,
    /// Whether its subgroups share one offer rate; `None` with fewer than two large enough.
    pub chi_square: Option<stats::ChiSquare>,
}

/// Builds the report from counts. Unknown decision or state names are counted as reviewed only.
pub fn aggregate(run: &str, by: Dimension, counts: &[Count]) -> Report {
    let mut rows: BTreeMap<String, Row> = BTreeMap::new();
    let mut total = empty("total");
    for (group, decision, state, n) in counts {
        let row = rows.entry(group.clone()).or_insert_with(|| empty(group));
        for r in [&mut *row, &mut total] {
            add(
                r,
                decision.as_deref(),
                state.as_deref(),
                u64::try_from(*n).unwrap_or(0),
            );
        }
    }
    let mut rows: Vec<Row> = rows.into_values().collect();
    rows.iter_mut().chain([&mut total]).for_each(rates);
    for r in &mut rows {
        r.flagged = r.in_scope >= stats::MIN_GROUP
            && (total.offer_rate < r.offer_low || total.offer_rate > r.offer_high);
    }
    let groups: Vec<(u64, u64)> = rows.iter().map(|r| (offers(r), r.in_scope)).collect();
    Report {
        run: run.to_string(),
        by,
        then: None,
        within: Vec::new(),
        chi_square: stats::chi_square(&groups),
        rows,
        total,
    }
}

fn empty(group: &str) -> Row {
    Row {
        group: group.to_string(),
        decisions: Decision::ALL.iter().map(|d| (*d, 0)).collect(),
        ..Row::default()
    }
}

fn add(r: &mut Row, decision: Option<&str>, state: Option<&str>, n: u64) {
    r.cases += n;
    let Some(decision) = decision else { return };
    r.reviewed += n;
    if let Ok(d) = decision.parse::<Decision>() {
        *r.decisions.entry(d).or_default() += n;
    }
    let state = state.unwrap_or("");
    if matches!(
        state,
        "offered" | "accepted" | "declined" | "expired" | "closed" | "recalendared"
    ) {
        r.offered += n;
    }
    if matches!(state, "accepted" | "closed" | "recalendared") {
        r.accepted += n;
    }
    if state == "declined" {
        r.declined += n;
    }
    if matches!(state, "closed" | "recalendared") {
        r.closed += n;
    }
}

fn offers(r: &Row) -> u64 {
    r.decisions
        .get(&Decision::OfferRecommended)
        .copied()
        .unwrap_or(0)
}

fn rates(r: &mut Row) {
    let out = r.decisions.get(&Decision::OutOfScope).copied().unwrap_or(0);
    r.in_scope = r.reviewed.saturating_sub(out);
    r.offer_rate = pct(offers(r), r.in_scope);
    (r.offer_low, r.offer_high) = stats::wilson(offers(r), r.in_scope);
    r.acceptance_rate = pct(r.accepted, r.offered);
    r.closure_rate = pct(r.closed, r.reviewed);
}

/// Builds a two-way report (`by` × `then`) from counts whose groups are `first · second`: the
/// rows as [`aggregate`] gives them, and a chi-square test within each first-level group.
pub fn aggregate_two_way(run: &str, by: Dimension, then: Dimension, counts: &[Count]) -> Report {
    let mut rep = aggregate(run, by, counts);
    rep.then = Some(then);
    let mut firsts: BTreeMap<&str, Vec<(u64, u64)>> = BTreeMap::new();
    for r in &rep.rows {
        let first = r.group.split(PAIR).next().unwrap_or(&r.group);
        firsts
            .entry(first)
            .or_default()
            .push((offers(r), r.in_scope));
    }
    rep.within = firsts
        .into_iter()
        .map(|(group, subgroups)| Within {
            group: group.to_string(),
            chi_square: stats::chi_square(&subgroups),
        })
        .collect();
    rep
}

/// Loads the counts of run `run` grouped by `by` and builds the report.
pub async fn load(pool: &PgPool, run: &str, by: Dimension) -> Result<Report, StoreError> {
    let r = store::runs::get(pool, run).await?;
    let counts = store::policy_counts::group_counts(pool, r.id, by, None).await?;
    Ok(aggregate(run, by, &counts))
}

/// Loads the counts of run `run` grouped by `by` and then `then` (court × representation) and
/// builds the two-way report.
pub async fn load_two_way(
    pool: &PgPool,
    run: &str,
    by: Dimension,
    then: Dimension,
) -> Result<Report, StoreError> {
    let r = store::runs::get(pool, run).await?;
    let counts = store::policy_counts::group_counts(pool, r.id, by, Some(then)).await?;
    Ok(aggregate_two_way(run, by, then, &counts))
}

/// The name of what the report groups by: `court` or `court · representation`.
pub fn grouping(rep: &Report) -> String {
    match rep.then {
        Some(then) => format!("{}{PAIR}{}", rep.by.as_str(), then.as_str()),
        None => rep.by.as_str().to_string(),
    }
}

/// Short column names of the decisions, in [`Decision::ALL`] order.
fn short(d: Decision) -> &'static str {
    match d {
        Decision::OfferRecommended => "offer",
        Decision::DiscretionaryReview => "review",
        Decision::NotAmenable => "not_amen",
        Decision::EnforcementPriority => "enforce",
        Decision::ReferDismissal => "dismiss",
        Decision::OutOfScope => "out_scope",
    }
}

/// Column names of [`numbers`]: cases, reviewed, each decision, then the offers.
fn columns() -> Vec<&'static str> {
    let mut c = vec!["cases", "reviewed"];
    c.extend(Decision::ALL.map(short));
    c.extend(["offered", "accepted", "declined", "closed"]);
    c
}

/// The counts of a row in [`columns`] order.
fn numbers(r: &Row) -> Vec<u64> {
    let d = |x| r.decisions.get(&x).copied().unwrap_or(0);
    let mut n = vec![r.cases, r.reviewed];
    n.extend(Decision::ALL.map(d));
    n.extend([r.offered, r.accepted, r.declined, r.closed]);
    n
}

/// The report as an aligned table.
pub fn table(rep: &Report) -> String {
    let grouping = grouping(rep);
    let w = rep
        .rows
        .iter()
        .map(|r| r.group.chars().count())
        .chain([grouping.chars().count()])
        .max()
        .unwrap_or(0)
        + 2;
    let mut s = format!("run {} by {grouping}\n{grouping:<w$}", rep.run);
    for c in columns() {
        let _ = write!(s, "{c:>10}");
    }
    let _ = writeln!(
        s,
        "{:>8}{:>16}{:>8}{:>8}",
        "offer%", "95% interval", "accept%", "close%"
    );
    for r in rep.rows.iter().chain([&rep.total]) {
        let _ = write!(s, "{:<w$}", r.group);
        for n in numbers(r) {
            let _ = write!(s, "{n:>10}");
        }
        let interval = format!("{:.1}–{:.1}", r.offer_low, r.offer_high);
        let flag = if r.flagged { " *" } else { "" };
        let _ = writeln!(
            s,
            "{:>7.1}%{interval:>16}{:>7.1}%{:>7.1}%{flag}",
            r.offer_rate, r.acceptance_rate, r.closure_rate
        );
    }
    let _ = writeln!(
        s,
        "offer% counts reviewed cases in scope; * the 95% interval excludes the overall rate \
         (groups of {} or more)",
        stats::MIN_GROUP
    );
    match rep.chi_square {
        Some(t) => {
            let _ = writeln!(
                s,
                "chi-square across {} groups: {:.1} on {} df, p = {:.3e}",
                t.groups, t.statistic, t.df, t.p_value
            );
        }
        None => s.push_str("chi-square: fewer than two groups large enough to compare\n"),
    }
    for w in &rep.within {
        let _ = match w.chi_square {
            Some(t) => writeln!(
                s,
                "  within {}: chi-square {:.1} on {} df, p = {:.3e}",
                w.group, t.statistic, t.df, t.p_value
            ),
            None => writeln!(s, "  within {}: too few cases to compare", w.group),
        };
    }
    s
}

/// The report as CSV, header first, totals last.
pub fn csv(rep: &Report) -> String {
    let mut s = format!("{},{}", grouping(rep), "cases,reviewed");
    for d in Decision::ALL {
        let _ = write!(s, ",{}", d.as_str());
    }
    s.push_str(",offered,accepted,declined,closed,offer_rate,acceptance_rate,closure_rate\n");
    for r in rep.rows.iter().chain([&rep.total]) {
        let group = if r.group.contains([',', '"']) {
            format!("\"{}\"", r.group.replace('"', "\"\""))
        } else {
            r.group.clone()
        };
        let _ = write!(s, "{group}");
        for n in numbers(r) {
            let _ = write!(s, ",{n}");
        }
        let _ = writeln!(
            s,
            ",{:.2},{:.2},{:.2}",
            r.offer_rate, r.acceptance_rate, r.closure_rate
        );
    }
    s
}
