//! The Runs page (every run: state, bars, rate, time left, decision mix; refreshes itself) and
//! the Run page (the funnel, decisions and offers by court, the state history, and run control
//! for operators).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, Redirect};
use serde::Deserialize;

use super::pages::{Nav, render, require};
use super::session::Form;
use super::{ConsoleError, ConsoleState, Session};
use crate::identity::Permission;
use crate::store::progress::{self, RunProgress, pct};
use crate::store::run_views::{self, CourtRow, StateChange};
use crate::store::{run_state, runs};

/// A count with its share of a whole, ready to show as a bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Label.
    pub label: &'static str,
    /// Count.
    pub count: i64,
    /// Percentage of the whole, one decimal.
    pub pct: String,
    /// Bar width in percent (0–100).
    pub width: u32,
}

fn bar(label: &'static str, count: i64, whole: i64) -> Bar {
    let p = pct(count, whole);
    Bar {
        label,
        count,
        pct: format!("{p:.1}"),
        width: p.round().clamp(0.0, 100.0) as u32,
    }
}

/// The funnel of a run, from reviewed to closed, each stage counting every case that reached it
/// (a case now `closed` was also approved, offered and accepted).
pub fn funnel(p: &RunProgress) -> Vec<Bar> {
    let at = |states: &[&str]| -> i64 {
        states
            .iter()
            .map(|s| p.offers.get(*s).copied().unwrap_or(0))
            .sum()
    };
    let after_offer = [
        "offered",
        "accepted",
        "declined",
        "expired",
        "closed",
        "recalendared",
    ];
    let mut cleared = vec!["background_cleared"];
    cleared.extend(after_offer);
    let mut approved = vec!["approved", "background_failed"];
    approved.extend(&cleared);
    let w = p.reviewed;
    vec![
        bar("reviewed", p.reviewed, p.total),
        bar("recommended", p.count("offer_recommended"), w),
        bar("approved", at(&approved), w),
        bar("rejected", at(&["rejected"]), w),
        bar("background cleared", at(&cleared), w),
        bar("background failed", at(&["background_failed"]), w),
        bar("offered", at(&after_offer), w),
        bar("accepted", at(&["accepted", "closed", "recalendared"]), w),
        bar("declined", at(&["declined"]), w),
        bar("expired", at(&["expired"]), w),
        bar("closed", at(&["closed", "recalendared"]), w),
        bar("recalendared", at(&["recalendared"]), w),
    ]
}

struct RunLine {
    p: RunProgress,
    /// Published, reviewed and offered.
    bars: Vec<Bar>,
    rate: String,
    left: String,
    mix: Vec<Bar>,
}

fn line(p: RunProgress, per_minute: i64) -> RunLine {
    let per_sec = per_minute as f64 / 60.0;
    let remaining = (p.total - p.reviewed).max(0);
    let left = match (remaining, per_sec > 0.0) {
        (0, _) => "done".to_string(),
        (_, true) => format!("{:.0} s", remaining as f64 / per_sec),
        (_, false) => "—".to_string(),
    };
    let mix = crate::domain::Decision::ALL
        .iter()
        .map(|d| bar(d.as_str(), p.count(d.as_str()), p.reviewed))
        .collect();
    RunLine {
        bars: vec![
            bar("published", p.published, p.total),
            bar("reviewed", p.reviewed, p.total),
            bar("offered", p.offered(), p.total),
        ],
        rate: format!("{per_sec:.0}/s"),
        left,
        mix,
        p,
    }
}

#[derive(Template)]
#[template(path = "console/runs.html")]
struct RunsPage {
    nav: Nav,
    runs: Vec<RunLine>,
}

/// `GET /console/runs`.
pub async fn list(
    State(state): State<ConsoleState>,
    session: Session,
) -> Result<Html<String>, ConsoleError> {
    require(&session, Permission::Read)?;
    let recent = progress::recent(&state.pool, 60).await?;
    let runs = progress::all(&state.pool)
        .await?
        .into_iter()
        .map(|p| {
            let n = recent.get(&p.run).copied().unwrap_or(0);
            line(p, n)
        })
        .collect();
    render(&RunsPage {
        nav: Nav::new(&session, None),
        runs,
    })
}

#[derive(Template)]
#[template(path = "console/run.html")]
struct RunPage {
    nav: Nav,
    p: RunProgress,
    as_of: String,
    funnel: Vec<Bar>,
    courts: Vec<(CourtRow, String)>,
    history: Vec<StateChange>,
    can_operate: bool,
}

/// `GET /console/runs/{run}`.
pub async fn one(
    State(state): State<ConsoleState>,
    session: Session,
    Path(run): Path<String>,
) -> Result<Html<String>, ConsoleError> {
    require(&session, Permission::Read)?;
    let r = runs::get(&state.pool, &run).await?;
    let p = progress::for_run(&state.pool, &run).await?;
    let stamp = run_views::stamp(&state.pool, r.id).await?;
    let courts = state
        .memo
        .get_or_compute(
            &format!("courts/{}", r.id),
            stamp,
            run_views::by_court(&state.pool, r.id),
        )
        .await?
        .iter()
        .cloned()
        .map(|c| {
            let rate = format!("{:.1}", pct(c.offered, c.reviewed));
            (c, rate)
        })
        .collect();
    let history = run_views::state_history(&state.pool, r.id, 50).await?;
    render(&RunPage {
        nav: Nav::new(&session, Some(&run)),
        funnel: funnel(&p),
        p,
        as_of: r.as_of.to_string(),
        courts,
        history,
        can_operate: session.who.can(Permission::Operate),
    })
}

/// The run-control form.
#[derive(Deserialize)]
pub struct StateForm {
    state: String,
    #[serde(default)]
    rate: String,
    #[serde(default)]
    reason: String,
}

/// `POST /console/runs/{run}/state`: pause, resume, throttle or cancel, with a reason (operators).
pub async fn set_state(
    State(state): State<ConsoleState>,
    Path(run): Path<String>,
    Form(session, f): Form<StateForm>,
) -> Result<Redirect, ConsoleError> {
    require(&session, Permission::Operate)?;
    if f.reason.trim().is_empty() {
        return Err(ConsoleError::BadRequest("reason: say why".into()));
    }
    let rate = match f.rate.trim() {
        "" => None,
        r => Some(
            r.parse::<f64>()
                .ok()
                .filter(|r| r.is_finite() && *r > 0.0)
                .ok_or_else(|| {
                    ConsoleError::BadRequest("rate: a positive number of cases per second".into())
                })?,
        ),
    };
    let change = run_state::Change {
        state: &f.state,
        rate,
        actor: &session.who.name,
        reason: f.reason.trim(),
    };
    run_state::set(&state.pool, &run, &change).await?;
    Ok(Redirect::to(&format!("/console/runs/{run}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_funnel_counts_every_case_that_reached_a_stage() {
        let mut p = RunProgress {
            run: "r".into(),
            rules: "x@1".into(),
            total: 1000,
            published: 1000,
            reviewed: 1000,
            decisions: [("offer_recommended".to_string(), 100)].into(),
            offers: Default::default(),
            notifications: Default::default(),
            state: "active".into(),
            rate: None,
            state_seconds: 0,
            failed_notices: Vec::new(),
        };
        for (s, n) in [
            ("offer_recommended", 40),
            ("approved", 10),
            ("offered", 20),
            ("closed", 30),
        ] {
            p.offers.insert(s.into(), n);
        }
        let f = funnel(&p);
        let get = |l: &str| f.iter().find(|b| b.label == l).unwrap().count;
        assert_eq!(get("recommended"), 100);
        assert_eq!(get("approved"), 60);
        assert_eq!(get("background cleared"), 50);
        assert_eq!(get("offered"), 50);
        assert_eq!(get("accepted"), 30);
        assert_eq!(get("closed"), 30);
        assert_eq!(f[2].pct, "6.0");
    }
}
