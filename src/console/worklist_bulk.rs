//! Bulk actions on the worklist: some checked cases, or all that a filter matches, confirmed on
//! a page that shows the count (a dry run) and asks for a reason, then applied as the signed-in
//! attorney.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{Html, Redirect};
use serde::Deserialize;

use super::pages::{Nav, render, require, run_rules};
use super::session::Form;
use super::worklist::{Params, queue_actions, text};
use super::{ConsoleError, ConsoleState};
use crate::domain::Action;
use crate::identity::Permission;
use crate::offers::{self, Command};
use crate::store::runs::{self, Run};
use crate::store::worklist;

/// A bulk action chosen on the worklist (the filters travel along as hidden fields).
#[derive(Debug, Deserialize)]
pub struct BulkForm {
    /// The worklist's filters (sort and page are ignored).
    #[serde(flatten)]
    filters: Params,
    #[serde(default)]
    action: String,
    /// Checked case ids: one (a plain field) or several.
    #[serde(default, deserialize_with = "one_or_many")]
    case: Vec<String>,
    #[serde(default)]
    all: String,
    #[serde(default)]
    reason: String,
}

impl BulkForm {
    /// The filters alone, as the worklist's links carry them.
    fn params(&self) -> Params {
        self.filters.filters_only()
    }
}

/// A form field given once (a string) or repeated (a sequence): through `flatten` a single value
/// arrives as a plain string.
fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(s) => vec![s],
        OneOrMany::Many(v) => v,
    })
}

/// The cases a bulk form names (checked ids, or every case the filters match) and its action.
async fn resolve(
    state: &ConsoleState,
    r: &Run,
    f: &BulkForm,
) -> Result<(Action, Vec<String>), ConsoleError> {
    let filter = f.params().filter(r)?;
    let (_, _, policy) = run_rules(state, &r.name).await?;
    let action = f
        .action
        .parse::<Action>()
        .ok()
        .filter(|a| queue_actions(filter.queue, policy.requirements).contains(a))
        .ok_or_else(|| ConsoleError::BadRequest("action: not an action on this queue".into()))?;
    let ids = if f.all == "1" {
        worklist::ids(&state.pool, r.id, &filter).await?
    } else {
        for id in &f.case {
            text("case", &id.replace('-', "_"))?;
        }
        f.case.clone()
    };
    if ids.is_empty() {
        return Err(ConsoleError::BadRequest(
            "case: select at least one case, or all that match".into(),
        ));
    }
    Ok((action, ids))
}

#[derive(Template)]
#[template(path = "console/confirm.html")]
struct ConfirmPage {
    nav: Nav,
    run: String,
    action: &'static str,
    count: usize,
    all: bool,
    cases: Vec<String>,
    hidden: Vec<(&'static str, String)>,
    back: String,
}

/// `POST /console/runs/{run}/worklist/confirm`: the dry run, with the count, and the reason asked.
pub async fn confirm(
    State(state): State<ConsoleState>,
    Path(run): Path<String>,
    Form(session, f): Form<BulkForm>,
) -> Result<Html<String>, ConsoleError> {
    require(&session, Permission::Decide)?;
    let r = runs::get(&state.pool, &run).await?;
    let (action, ids) = resolve(&state, &r, &f).await?;
    let report = offers::execute(
        &state.pool,
        &command(&run, action, ids.clone(), "", "", true),
    )
    .await?;
    let p = &f.params();
    let hidden = p.hidden();
    render(&ConfirmPage {
        nav: Nav::new(&session, Some(&run)),
        run: run.clone(),
        action: action.as_str(),
        count: report.selected,
        all: f.all == "1",
        cases: if f.all == "1" { Vec::new() } else { ids },
        hidden,
        back: p.link(1),
    })
}

fn command<'a>(
    run: &'a str,
    action: Action,
    case_ids: Vec<String>,
    actor: &'a str,
    reason: &'a str,
    dry_run: bool,
) -> Command<'a> {
    Command {
        run,
        action,
        case_ids,
        selection: None,
        actor,
        reason,
        today: chrono::Utc::now().date_naive(),
        dry_run,
        force: false,
    }
}

/// `POST /console/runs/{run}/worklist/apply`: applies the confirmed action as the signed-in
/// attorney, with the reason, and goes back to the worklist with what happened.
pub async fn apply(
    State(state): State<ConsoleState>,
    Path(run): Path<String>,
    Form(session, f): Form<BulkForm>,
) -> Result<Redirect, ConsoleError> {
    require(&session, Permission::Decide)?;
    let reason = f.reason.trim();
    if reason.is_empty() {
        return Err(ConsoleError::BadRequest("reason: say why".into()));
    }
    let r = runs::get(&state.pool, &run).await?;
    let (action, ids) = resolve(&state, &r, &f).await?;
    let cmd = command(&run, action, ids, &session.who.name, reason, false);
    let report = offers::execute(&state.pool, &cmd).await?;
    let back = f.params().link(1);
    Ok(Redirect::to(&format!(
        "/console/runs/{run}/worklist?{back}&applied={}&refused={}",
        report.outcome.applied.len(),
        report.outcome.refused.len()
    )))
}

#[cfg(test)]
mod tests {
    use super::BulkForm;

    #[test]
    fn a_bulk_form_takes_the_filters_and_one_or_several_cases() {
        let one: BulkForm =
            serde_html_form::from_str("court=den&min_score=3&action=approve&case=A-1").unwrap();
        let hidden = one.params().hidden();
        assert!(hidden.contains(&("court", "den".into())), "{hidden:?}");
        assert!(hidden.contains(&("min_score", "3".into())), "{hidden:?}");
        assert_eq!(one.case, ["A-1"]);
        let two: BulkForm = serde_html_form::from_str("case=A-1&case=B-2&all=").unwrap();
        assert_eq!(two.case, ["A-1", "B-2"]);
        let none: BulkForm =
            serde_html_form::from_str("all=1&sort=score_desc&after=7~A-1").unwrap();
        let link = none.params().link(1);
        assert!(none.case.is_empty());
        assert!(
            !link.contains("sort=score") && !link.contains("after"),
            "{link}"
        );
    }
}
