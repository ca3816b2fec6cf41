//! The Policies page: each rule set runs use, with its title, version, effective dates, legal
//! status and the history of that status, and the status change with a reason (operators); and a
//! run's report by court, representation, nationality or language, with its plot.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Redirect};
use serde::Deserialize;

use super::pages::{Nav, render, require};
use super::session::Form;
use super::{ConsoleError, ConsoleState, Session};
use crate::identity::Permission;
use crate::policy::{Dimension, plot, report};
use crate::rules::RuleSet;
use crate::store::policies::{self, StatusChange};
use crate::store::policy_status::{self, POLICY_STATUSES};

/// The dimensions the report page offers.
const DIMENSIONS: [Dimension; 4] = [
    Dimension::Court,
    Dimension::Representation,
    Dimension::Nationality,
    Dimension::Language,
];

/// One rule set as the page shows it.
#[derive(Debug, Clone)]
pub struct PolicyView {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// Title.
    pub title: String,
    /// Effective dates in words.
    pub effective: String,
    /// Legal status now.
    pub status: String,
    /// Whether an operator set it (otherwise it is the file's).
    pub recorded: bool,
    /// Runs under it.
    pub runs: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/policies.html")]
struct Page {
    nav: Nav,
    policies: Vec<PolicyView>,
    history: Vec<StatusChange>,
    statuses: &'static [&'static str],
    may_operate: bool,
}

/// `GET /console/policies`.
pub async fn page(
    State(state): State<ConsoleState>,
    session: Session,
) -> Result<Html<String>, ConsoleError> {
    require(&session, Permission::Read)?;
    let mut views = Vec::new();
    for s in policies::rule_sets(&state.pool).await? {
        // The text was checked when its run was created; a copy that no longer parses is shown
        // by name only.
        let parsed = RuleSet::from_toml(&s.rules_text).ok();
        views.push(PolicyView {
            title: parsed
                .as_ref()
                .map(|r| r.title().to_string())
                .unwrap_or_default(),
            effective: parsed
                .as_ref()
                .map(|r| r.effective().to_string())
                .unwrap_or_default(),
            recorded: s.status.is_some(),
            status: s
                .status
                .or_else(|| parsed.as_ref().map(|r| r.status().as_str().to_string()))
                .unwrap_or_else(|| "unknown".into()),
            name: s.rules_name,
            version: s.rules_version,
            runs: s.runs,
        });
    }
    render(&Page {
        nav: Nav::new(&session, None),
        policies: views,
        history: policies::history(&state.pool, 100).await?,
        statuses: &POLICY_STATUSES,
        may_operate: session.who.can(Permission::Operate),
    })
}

/// The status form.
#[derive(Debug, Deserialize)]
pub struct StatusForm {
    status: String,
    #[serde(default)]
    reason: String,
}

/// `POST /console/policies/{rules}/status` (operators): halting pauses the policy's runs and
/// holds its notices; active resumes and releases them.
pub async fn set_status(
    State(state): State<ConsoleState>,
    Path(rules): Path<String>,
    Form(session, f): Form<StatusForm>,
) -> Result<Redirect, ConsoleError> {
    require(&session, Permission::Operate)?;
    let reason = f.reason.trim();
    if reason.is_empty() || reason.len() > 500 || reason.chars().any(char::is_control) {
        return Err(ConsoleError::BadRequest(
            "reason: say why, at most 500 characters, no control characters".into(),
        ));
    }
    policy_status::set(&state.pool, &rules, &f.status, &session.who.name, reason).await?;
    Ok(Redirect::to("/console/policies"))
}

/// The report's dimension, from the URL.
#[derive(Debug, Deserialize)]
pub struct ReportParams {
    #[serde(default)]
    by: String,
}

/// One row of the report as shown.
#[derive(Debug, Clone)]
pub struct ReportRow {
    /// Group.
    pub group: String,
    /// Cases.
    pub cases: u64,
    /// Reviewed.
    pub reviewed: u64,
    /// Offer rate, percent, one decimal, with its 95% interval.
    pub offer_rate: String,
    /// Offered, accepted, declined, closed.
    pub offers: [u64; 4],
    /// Outside the run's rate by its interval.
    pub flagged: bool,
}

#[derive(Template)]
#[template(path = "console/report.html")]
struct ReportPage {
    nav: Nav,
    run: String,
    by: &'static str,
    dimensions: Vec<&'static str>,
    rows: Vec<ReportRow>,
    total: ReportRow,
    svg: String,
}

fn row(r: &report::Row) -> ReportRow {
    ReportRow {
        group: r.group.clone(),
        cases: r.cases,
        reviewed: r.reviewed,
        offer_rate: format!(
            "{:.1}% ({:.1}–{:.1})",
            r.offer_rate, r.offer_low, r.offer_high
        ),
        offers: [r.offered, r.accepted, r.declined, r.closed],
        flagged: r.flagged,
    }
}

/// `GET /console/runs/{run}/report?by=court`.
pub async fn report_page(
    State(state): State<ConsoleState>,
    session: Session,
    Path(run): Path<String>,
    Query(p): Query<ReportParams>,
) -> Result<Html<String>, ConsoleError> {
    require(&session, Permission::Read)?;
    let by = match p.by.as_str() {
        "" => Dimension::Court,
        s => DIMENSIONS
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| {
                ConsoleError::BadRequest(
                    "by: one of court, representation, nationality, language".into(),
                )
            })?,
    };
    let r = crate::store::runs::get(&state.pool, &run).await?;
    let stamp = crate::store::run_views::stamp(&state.pool, r.id).await?;
    let key = format!("report/{}/{}", r.id, by.as_str());
    let rep = state
        .memo
        .get_or_compute(&key, stamp, report::load(&state.pool, &run, by))
        .await?;
    let bars: Vec<plot::Bar> = rep
        .rows
        .iter()
        .map(|r| (r.group.clone(), r.offer_rate))
        .collect();
    let title = format!("Offer rate by {} — run {}", by.as_str(), rep.run);
    render(&ReportPage {
        nav: Nav::new(&session, Some(&run)),
        svg: plot::svg(&title, by.as_str(), &bars, rep.total.offer_rate),
        by: by.as_str(),
        dimensions: DIMENSIONS.iter().map(|d| d.as_str()).collect(),
        rows: rep.rows.iter().map(row).collect(),
        total: row(&rep.total),
        run,
    })
}
