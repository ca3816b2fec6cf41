//! The Worklist: a run's recommendations awaiting approval and the other queues of the lifecycle,
//! filtered, sorted and paged (from the last row of the page before); bulk actions on the
//! selection are in `worklist_bulk`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Html;
use serde::{Deserialize, Serialize};

use super::pages::{Nav, render, require, run_rules};
use super::{ConsoleError, ConsoleState, Session};
use crate::domain::RuleKind;
use crate::domain::{Action, OfferState, allowed};
use crate::identity::Permission;
use crate::rules::RuleSet;
use crate::store::runs::Run;
use crate::store::worklist::{self, Cursor, Filter, Queue, Row, Sort, Start};

/// Cases per page.
pub const PAGE_SIZE: u32 = 50;

/// The worklist's filters as they travel in the URL and in forms (every field text, so an empty
/// input means "any").
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Params {
    #[serde(default)]
    queue: String,
    #[serde(default)]
    court: String,
    #[serde(default)]
    min_score: String,
    #[serde(default)]
    max_score: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    min_years: String,
    #[serde(default)]
    max_years: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    page: String,
    /// The page starts after this row (a cursor of the sort order; see [`Cursor`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    after: String,
    /// The page ends before this row (the previous page).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    before: String,
    /// After a bulk action: how many were applied (shown once, not carried in links).
    #[serde(default, skip_serializing)]
    applied: String,
    /// After a bulk action: how many were refused.
    #[serde(default, skip_serializing)]
    refused: String,
}

fn number<T: std::str::FromStr>(field: &str, v: &str) -> Result<Option<T>, ConsoleError> {
    match v.trim() {
        "" => Ok(None),
        s => s
            .parse()
            .map(Some)
            .map_err(|_| ConsoleError::BadRequest(format!("{field}: must be a whole number"))),
    }
}

pub(super) fn text(field: &str, v: &str) -> Result<Option<String>, ConsoleError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if v.len() > 64 || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(ConsoleError::BadRequest(format!(
            "{field}: letters, digits and '_' only"
        )));
    }
    Ok(Some(v.to_string()))
}

impl Params {
    /// The store filter these parameters describe, for `run`.
    pub fn filter(&self, run: &Run) -> Result<Filter, ConsoleError> {
        let queue = match self.queue.trim() {
            "" => Queue::Recommended,
            q => Queue::parse(q)
                .ok_or_else(|| ConsoleError::BadRequest("queue: not a worklist queue".into()))?,
        };
        Ok(Filter {
            queue,
            court: text("court", &self.court)?.map(|c| c.to_uppercase()),
            min_score: number("min_score", &self.min_score)?,
            max_score: number("max_score", &self.max_score)?,
            category: text("category", &self.category)?,
            min_years: number("min_years", &self.min_years)?,
            max_years: number("max_years", &self.max_years)?,
            as_of: run.as_of,
            today: chrono::Utc::now().date_naive(),
        })
    }

    fn sort(&self) -> Result<Sort, ConsoleError> {
        match self.sort.trim() {
            "" => Ok(Sort::CaseId),
            s => {
                Sort::parse(s).ok_or_else(|| ConsoleError::BadRequest("sort: unknown order".into()))
            }
        }
    }

    fn page(&self) -> Result<u64, ConsoleError> {
        Ok(number::<u64>("page", &self.page)?.unwrap_or(1).max(1))
    }

    /// Where page `page` of `pages` starts: after or before a row when a link says so (a range
    /// scan of the order's index however deep the page), else by its number.
    fn start(&self, sort: Sort, page: u64, pages: u64) -> Result<Start, ConsoleError> {
        let cursor = |v: &str| {
            Cursor::parse(v.trim(), sort).ok_or_else(|| {
                ConsoleError::BadRequest("after/before: not a place in this order".into())
            })
        };
        Ok(match (self.after.trim(), self.before.trim()) {
            ("", "") => Start::Offset((page.min(pages) - 1) * u64::from(PAGE_SIZE)),
            (a, "") => Start::After(cursor(a)?),
            (_, b) => Start::Before(cursor(b)?),
        })
    }

    /// The filters alone: no order, page or place in the order (what a bulk action takes).
    pub(super) fn filters_only(&self) -> Params {
        Params {
            sort: String::new(),
            page: String::new(),
            after: String::new(),
            before: String::new(),
            ..self.clone()
        }
    }

    /// The filters as hidden form fields: (name, value).
    pub(super) fn hidden(&self) -> Vec<(&'static str, String)> {
        vec![
            ("queue", self.queue.clone()),
            ("court", self.court.clone()),
            ("min_score", self.min_score.clone()),
            ("max_score", self.max_score.clone()),
            ("category", self.category.clone()),
            ("min_years", self.min_years.clone()),
            ("max_years", self.max_years.clone()),
        ]
    }

    /// The query string of these filters on another page (from its first row, by number).
    pub(super) fn link(&self, page: u64) -> String {
        self.link_at(page, None)
    }

    /// The query string of page `page`, starting after or ending before a row.
    fn link_at(&self, page: u64, at: Option<(&str, String)>) -> String {
        let mut p = self.clone();
        p.page = page.to_string();
        p.after.clear();
        p.before.clear();
        match at {
            Some(("after", c)) => p.after = c,
            Some((_, c)) => p.before = c,
            None => {}
        }
        serde_html_form::to_string(&p).unwrap_or_default()
    }
}

/// The human actions on a queue's cases under the run's requirements.
pub(super) fn queue_actions(q: Queue, req: crate::domain::Requirements) -> Vec<Action> {
    let from: OfferState = q.state().parse().unwrap_or(OfferState::OfferRecommended);
    allowed(from, req)
        .into_iter()
        .filter(|a| !matches!(a, Action::Remind | Action::Expire | Action::Offer))
        .collect()
}

#[derive(Template)]
#[template(path = "console/worklist.html")]
struct WorklistPage {
    nav: Nav,
    run: String,
    params: Params,
    queue: Queue,
    queues: Vec<(&'static str, &'static str)>,
    courts: Vec<String>,
    categories: Vec<(String, String)>,
    sorts: Vec<(&'static str, &'static str)>,
    rows: Vec<Row>,
    total: i64,
    page: u64,
    pages: u64,
    prev: Option<String>,
    next: Option<String>,
    actions: Vec<&'static str>,
    can_decide: bool,
    message: Option<String>,
}

/// Qualifying categories of the run's rule set: (id, plain words).
fn categories(rules: &RuleSet) -> Vec<(String, String)> {
    rules
        .rules(RuleKind::Qualifying)
        .iter()
        .map(|q| (q.id().to_string(), q.reason().to_string()))
        .collect()
}

/// `GET /console/runs/{run}/worklist`.
pub async fn page(
    State(state): State<ConsoleState>,
    session: Session,
    Path(run): Path<String>,
    Query(params): Query<Params>,
) -> Result<Html<String>, ConsoleError> {
    require(&session, Permission::Read)?;
    let (r, rules, policy) = run_rules(&state, &run).await?;
    let filter = params.filter(&r)?;
    let sort = params.sort()?;
    let total = worklist::count(&state.pool, r.id, &filter).await?;
    let pages = (total as u64).div_ceil(u64::from(PAGE_SIZE)).max(1);
    let page = params.page()?.min(pages);
    let (start, limit) = match params.start(sort, page, pages)? {
        Start::Offset(skip) => Start::page_at(skip, total as u64, PAGE_SIZE),
        other => (other, PAGE_SIZE),
    };
    let rows = worklist::page(&state.pool, r.id, &filter, sort, limit, &start).await?;
    let prev = (page > 1).then(|| match rows.first() {
        Some(first) if page > 2 => {
            params.link_at(page - 1, Some(("before", Cursor::of(first, sort).text())))
        }
        _ => params.link(page - 1),
    });
    let next = rows
        .last()
        .filter(|_| page < pages)
        .map(|last| params.link_at(page + 1, Some(("after", Cursor::of(last, sort).text()))));
    let message = number::<u64>("applied", &params.applied)?.map(|a| {
        let refused = number::<u64>("refused", &params.refused).ok().flatten();
        format!(
            "{a} applied, {} refused (the list below is up to date).",
            refused.unwrap_or(0)
        )
    });
    render(&WorklistPage {
        nav: Nav::new(&session, Some(&run)),
        run: run.clone(),
        queue: filter.queue,
        queues: Queue::ALL.iter().map(|q| (q.as_str(), q.title())).collect(),
        courts: worklist::courts(&state.pool).await?,
        categories: categories(&rules),
        sorts: Sort::ALL.iter().map(|(_, n, l)| (*n, *l)).collect(),
        rows,
        total,
        page,
        pages,
        prev,
        next,
        actions: queue_actions(filter.queue, policy.requirements)
            .into_iter()
            .map(Action::as_str)
            .collect(),
        can_decide: session.who.can(Permission::Decide),
        message,
        params,
    })
}
