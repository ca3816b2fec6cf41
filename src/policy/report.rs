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

use super::{Dimension, pct};
use crate::domain::Decision;
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
    /// `offer_recommended` as a percentage of reviewed.
    pub offer_rate: f64,
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
    /// One row per group, by group value.
    pub rows: Vec<Row>,
    /// The whole run.
    pub total: Row,
}

/// One aggregate line from the database: group, decision (None: not reviewed), offer state (None:
/// no offer) and the number of cases.
pub type Count = (String, Option<String>, Option<String>, i64);

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
    Report {
        run: run.to_string(),
        by,
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

fn rates(r: &mut Row) {
    let offers = r
        .decisions
        .get(&Decision::OfferRecommended)
        .copied()
        .unwrap_or(0);
    r.offer_rate = pct(offers, r.reviewed);
    r.acceptance_rate = pct(r.accepted, r.offered);
    r.closure_rate = pct(r.closed, r.reviewed);
}

/// Loads the counts of run `run` grouped by `by` and builds the report.
pub async fn load(pool: &PgPool, run: &str, by: Dimension) -> Result<Report, StoreError> {
    let r = store::runs::get(pool, run).await?;
    let sql = format!(
        "SELECT {} AS grp, o.decision, f.state, count(*)
         FROM run_cases rc
         JOIN cases c USING (case_id)
         LEFT JOIN outcomes o ON o.run_id = rc.run_id AND o.case_id = rc.case_id
         LEFT JOIN offers f ON f.run_id = rc.run_id AND f.case_id = rc.case_id
         WHERE rc.run_id = $1
         GROUP BY 1, 2, 3",
        by.sql()
    );
    let counts: Vec<Count> = sqlx::query_as(&sql).bind(r.id).fetch_all(pool).await?;
    Ok(aggregate(run, by, &counts))
}

const COLUMNS: [&str; 10] = [
    "cases",
    "reviewed",
    "offer",
    "not_amen",
    "enforce",
    "dismiss",
    "out_scope",
    "offered",
    "accepted",
    "declined",
];

fn numbers(r: &Row) -> [u64; 11] {
    let d = |x| r.decisions.get(&x).copied().unwrap_or(0);
    [
        r.cases,
        r.reviewed,
        d(Decision::OfferRecommended),
        d(Decision::NotAmenable),
        d(Decision::EnforcementPriority),
        d(Decision::ReferDismissal),
        d(Decision::OutOfScope),
        r.offered,
        r.accepted,
        r.declined,
        r.closed,
    ]
}

/// The report as an aligned table.
pub fn table(rep: &Report) -> String {
    let mut s = format!(
        "run {} by {}\n{:<14}",
        rep.run,
        rep.by.as_str(),
        rep.by.as_str()
    );
    for c in COLUMNS.iter().chain(&["closed"]) {
        let _ = write!(s, "{c:>10}");
    }
    let _ = writeln!(s, "{:>8}{:>8}{:>8}", "offer%", "accept%", "close%");
    for r in rep.rows.iter().chain([&rep.total]) {
        let _ = write!(s, "{:<14}", r.group);
        for n in numbers(r) {
            let _ = write!(s, "{n:>10}");
        }
        let _ = writeln!(
            s,
            "{:>7.1}%{:>7.1}%{:>7.1}%",
            r.offer_rate, r.acceptance_rate, r.closure_rate
        );
    }
    s
}

/// The report as CSV, header first, totals last.
pub fn csv(rep: &Report) -> String {
    let mut s = format!("{},{}", rep.by.as_str(), "cases,reviewed");
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
