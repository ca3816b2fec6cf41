//! The what-if page: a rule set that some run uses, evaluated again over another run's cases,
//! beside the decisions that run recorded (the transition matrix), with sample case ids that open
//! the case pages. Reads only; any signed-in account may look.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use serde::Deserialize;

use super::pages::{Nav, render, require};
use super::{ConsoleError, ConsoleState, Session};
use crate::domain::Decision;
use crate::identity::Permission;
use crate::policy::{simulate, what_if};
use crate::rules::RuleSet;
use crate::store::policies;

/// The rule set to try, from the URL.
#[derive(Debug, Deserialize)]
pub struct Params {
    #[serde(default)]
    rules: String,
}

/// One row of the matrix: the recorded decision and its cases under each simulated decision.
#[derive(Debug, Clone)]
pub struct MatrixRow {
    /// Recorded decision (or `not_reviewed`).
    pub from: String,
    /// Cases per simulated decision, in [`Decision::ALL`] order.
    pub counts: Vec<u64>,
    /// Up to three case ids per changed cell: (to, ids).
    pub samples: Vec<(String, Vec<String>)>,
}

#[derive(Template)]
#[template(path = "console/what_if.html")]
struct Page {
    nav: Nav,
    run: String,
    choices: Vec<String>,
    chosen: String,
    source: String,
    note: String,
    decisions: Vec<&'static str>,
    rows: Vec<MatrixRow>,
    cases: u64,
    changed: u64,
    /// The evaluation is still running in the background (the page refreshes itself).
    computing: bool,
}

/// What the page shows of one evaluation, kept while the run is unchanged.
struct Evaluated {
    source: String,
    note: String,
    cases: u64,
    changed: u64,
    rows: Vec<MatrixRow>,
}

/// Evaluates `rules` (named `name`) over every case of `run`, on the blocking pool.
async fn evaluate(
    pool: sqlx::PgPool,
    rules: RuleSet,
    name: String,
    run: String,
) -> Result<Evaluated, crate::store::StoreError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (sim, ctx, source) = what_if::against_run(&pool, &rules, &run, None, threads).await?;
    Ok(Evaluated {
        note: simulate::outside_effective_dates(&rules, ctx.as_of).unwrap_or_default(),
        source: format!("{name} over {source}, as of {}", ctx.as_of),
        cases: sim.cases,
        changed: sim.changed(),
        rows: matrix(sim.transitions.unwrap_or_default()),
    })
}

/// `GET /console/runs/{run}/what-if?rules=NAME`.
pub async fn page(
    State(state): State<ConsoleState>,
    session: Session,
    Path(run): Path<String>,
    Query(p): Query<Params>,
) -> Result<Html<String>, ConsoleError> {
    require(&session, Permission::Read)?;
    let stored = policies::rule_sets(&state.pool).await?;
    let mut page = Page {
        nav: Nav::new(&session, Some(&run)),
        choices: stored.iter().map(|s| s.rules_name.clone()).collect(),
        chosen: p.rules.clone(),
        source: String::new(),
        note: String::new(),
        decisions: Decision::ALL.iter().map(|d| d.as_str()).collect(),
        rows: Vec::new(),
        cases: 0,
        changed: 0,
        computing: false,
        run,
    };
    if p.rules.is_empty() {
        return render(&page);
    }
    let text = stored
        .iter()
        .find(|s| s.rules_name == p.rules)
        .map(|s| s.rules_text.as_str())
        .ok_or_else(|| ConsoleError::BadRequest("rules: not a rule set any run uses".into()))?;
    let rules = RuleSet::from_toml(text)
        .map_err(|_| ConsoleError::BadRequest("rules: its stored text no longer loads".into()))?;
    let r = crate::store::runs::get(&state.pool, &page.run).await?;
    let stamp = crate::store::run_views::stamp(&state.pool, r.id).await?;
    let key = format!(
        "what-if/{}/{}/{}",
        r.id,
        p.rules,
        crate::rules::content_hash(text)
    );
    let job = evaluate(state.pool.clone(), rules, p.rules.clone(), page.run.clone());
    match state.memo.in_background(&key, stamp, job) {
        Some(done) => {
            page.note = done.note.clone();
            page.source = done.source.clone();
            page.cases = done.cases;
            page.changed = done.changed;
            page.rows = done.rows.clone();
        }
        None => page.computing = true,
    }
    render(&page)
}

/// The matrix's rows, recorded decisions in [`Decision::ALL`] order, `not_reviewed` last.
fn matrix(cells: Vec<simulate::Transition>) -> Vec<MatrixRow> {
    let mut rows: BTreeMap<usize, MatrixRow> = BTreeMap::new();
    for t in cells {
        let rank = Decision::ALL
            .iter()
            .position(|d| d.as_str() == t.from)
            .unwrap_or(Decision::ALL.len());
        let row = rows.entry(rank).or_insert_with(|| MatrixRow {
            from: t.from.clone(),
            counts: vec![0; Decision::ALL.len()],
            samples: Vec::new(),
        });
        let col = Decision::ALL.iter().position(|d| *d == t.to).unwrap_or(0);
        row.counts[col] += t.count;
        if t.from != t.to.as_str() {
            row.samples.push((t.to.as_str().to_string(), t.samples));
        }
    }
    rows.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(from: &str, to: Decision, count: u64) -> simulate::Transition {
        simulate::Transition {
            from: from.into(),
            to,
            count,
            samples: vec![format!("{from}-1")],
        }
    }

    #[test]
    fn rows_follow_the_decision_order_and_only_changed_cells_give_samples() {
        let rows = matrix(vec![
            cell("not_reviewed", Decision::OfferRecommended, 2),
            cell("offer_recommended", Decision::OfferRecommended, 5),
            cell("enforcement_priority", Decision::OfferRecommended, 1),
        ]);
        let from: Vec<&str> = rows.iter().map(|r| r.from.as_str()).collect();
        assert_eq!(
            from,
            ["offer_recommended", "enforcement_priority", "not_reviewed"],
            "Decision::ALL order, not_reviewed last"
        );
        let offer = Decision::ALL
            .iter()
            .position(|d| *d == Decision::OfferRecommended)
            .unwrap();
        assert_eq!(rows[0].counts[offer], 5);
        assert!(
            rows[0].samples.is_empty(),
            "an unchanged cell has no samples"
        );
        assert_eq!(rows[1].samples.len(), 1);
    }
}
