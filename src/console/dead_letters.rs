//! The Dead letters page (operators): the refused messages of the dead-letter queue counted and
//! listed by kind, run and reason (never a case's personal data), and a replay by filter after a
//! dry run that shows the count, recorded under the signed-in person.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, Redirect};
use serde::{Deserialize, Serialize};

use super::pages::{Nav, render, require};
use super::session::Form;
use super::{ConsoleError, ConsoleState, Session};
use crate::identity::Permission;
use crate::queue::dlq::{self, Letter, ReplaySummary};
use crate::store::dead_letters::{self, LetterFilter, Replay};

/// Most letters read from the queue for one page (they all go back).
const READ_MAX: usize = 20_000;
/// Most letters listed on the page.
const LIST_MAX: usize = 200;

/// The filters, as they travel in the URL and the forms.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Params {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    run: String,
    #[serde(default)]
    reason: String,
}

fn field(name: &str, v: &str) -> Result<Option<String>, ConsoleError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if v.len() > 128 || v.chars().any(char::is_control) {
        return Err(ConsoleError::BadRequest(format!(
            "{name}: at most 128 characters, no control characters"
        )));
    }
    Ok(Some(v.to_string()))
}

impl Params {
    fn filter(&self) -> Result<LetterFilter, ConsoleError> {
        Ok(LetterFilter {
            kind: field("kind", &self.kind)?,
            run: field("run", &self.run)?,
            reason: field("reason", &self.reason)?,
        })
    }

    fn query(&self) -> String {
        serde_html_form::to_string(self).unwrap_or_default()
    }
}

/// Whether `l` passes `f`: its kind, its run, and text in its reason.
pub fn matches(f: &LetterFilter, l: &Letter) -> bool {
    f.kind.as_ref().is_none_or(|k| &l.kind == k)
        && f.run.as_ref().is_none_or(|r| l.run.as_ref() == Some(r))
        && f.reason
            .as_ref()
            .is_none_or(|t| l.reason.contains(t.as_str()))
}

/// Letters counted by kind, run and reason, most first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Kind.
    pub kind: String,
    /// Run named by the messages ("—" when none).
    pub run: String,
    /// Reason.
    pub reason: String,
    /// Letters.
    pub count: usize,
}

/// Counts `letters` by kind, run and reason, most first.
pub fn groups<'a>(letters: impl IntoIterator<Item = &'a Letter>) -> Vec<Group> {
    let mut by: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
    for l in letters {
        let run = l.run.as_deref().unwrap_or("—");
        *by.entry((&l.kind, run, &l.reason)).or_default() += 1;
    }
    let mut out: Vec<Group> = by
        .into_iter()
        .map(|((kind, run, reason), count)| Group {
            kind: kind.into(),
            run: run.into(),
            reason: reason.into(),
            count,
        })
        .collect();
    out.sort_by_key(|g| std::cmp::Reverse(g.count));
    out
}

#[derive(Template)]
#[template(path = "console/dead_letters.html")]
struct Page {
    nav: Nav,
    params: Params,
    queue: String,
    total: usize,
    matching: usize,
    groups: Vec<Group>,
    letters: Vec<Letter>,
    kinds: Vec<String>,
    may_replay: bool,
    replays: Vec<Replay>,
}

#[derive(Template)]
#[template(path = "console/dead_letters_confirm.html")]
struct Confirm {
    nav: Nav,
    params: Params,
    back: String,
    dry: ReplaySummary,
}

fn settings(state: &ConsoleState) -> Result<&crate::config::Settings, ConsoleError> {
    state.queue.as_deref().ok_or_else(|| {
        ConsoleError::Conflict("this server was started without broker settings".into())
    })
}

fn queue_failed(e: crate::queue::QueueError) -> ConsoleError {
    tracing::error!(error = %e, "Console could not read the dead-letter queue.");
    ConsoleError::Internal
}

/// `GET /console/dead-letters`.
pub async fn page(
    State(state): State<ConsoleState>,
    session: Session,
    Query(params): Query<Params>,
) -> Result<Html<String>, ConsoleError> {
    require(&session, Permission::Read)?;
    let f = params.filter()?;
    let s = settings(&state)?;
    let all = dlq::list(s, READ_MAX).await.map_err(queue_failed)?;
    let mut kinds: Vec<String> = all.iter().map(|l| l.kind.clone()).collect();
    kinds.sort();
    kinds.dedup();
    let shown: Vec<&Letter> = all.iter().filter(|l| matches(&f, l)).collect();
    render(&Page {
        nav: Nav::new(&session, None),
        queue: s.amqp.dead_letter_queue.clone(),
        total: all.len(),
        matching: shown.len(),
        groups: groups(shown.iter().copied()),
        letters: shown.iter().take(LIST_MAX).map(|l| (*l).clone()).collect(),
        kinds,
        may_replay: session.who.can(Permission::Operate),
        replays: dead_letters::recent(&state.pool, 10).await?,
        params,
    })
}

async fn replay(
    state: &ConsoleState,
    f: &LetterFilter,
    dry_run: bool,
) -> Result<ReplaySummary, ConsoleError> {
    let runs: std::collections::HashSet<String> = crate::store::runs::names(&state.pool)
        .await?
        .into_iter()
        .collect();
    let exists = |run: &str| runs.contains(run);
    let pick = |l: &Letter| matches(f, l);
    dlq::replay_where(settings(state)?, pick, dry_run, READ_MAX, exists)
        .await
        .map_err(queue_failed)
}

/// `POST /console/dead-letters/confirm`: the dry run, and the form that replays.
pub async fn confirm(
    State(state): State<ConsoleState>,
    Form(session, params): Form<Params>,
) -> Result<Html<String>, ConsoleError> {
    require(&session, Permission::Operate)?;
    let dry = replay(&state, &params.filter()?, true).await?;
    render(&Confirm {
        nav: Nav::new(&session, None),
        back: params.query(),
        params,
        dry,
    })
}

/// The replay form: the filters and why.
#[derive(Debug, Deserialize)]
pub struct ReplayForm {
    #[serde(flatten)]
    params: Params,
    #[serde(default)]
    why: String,
}

/// `POST /console/dead-letters/replay`: replays and records who, when, why and what.
pub async fn apply(
    State(state): State<ConsoleState>,
    Form(session, form): Form<ReplayForm>,
) -> Result<Redirect, ConsoleError> {
    require(&session, Permission::Operate)?;
    let why = form.why.trim();
    if why.is_empty() || why.len() > 500 || why.chars().any(char::is_control) {
        return Err(ConsoleError::BadRequest(
            "why: say why, at most 500 characters, no control characters".into(),
        ));
    }
    let f = form.params.filter()?;
    let done = replay(&state, &f, false).await?;
    dead_letters::record(&state.pool, &session.who.name, &f, why, &done).await?;
    Ok(Redirect::to(&format!(
        "/console/dead-letters?{}",
        form.params.query()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(kind: &str, run: Option<&str>, reason: &str) -> Letter {
        Letter {
            kind: kind.into(),
            field: ".".into(),
            reason: reason.into(),
            run: run.map(str::to_string),
            case_id: None,
            deliveries: None,
            bytes: 10,
        }
    }

    #[test]
    fn a_filter_takes_kind_run_and_reason_text_together() {
        let l = letter("unknown_run", Some("r1"), "no run named r1");
        let f = |k: Option<&str>, r: Option<&str>, t: Option<&str>| LetterFilter {
            kind: k.map(Into::into),
            run: r.map(Into::into),
            reason: t.map(Into::into),
        };
        assert!(matches(&f(None, None, None), &l));
        assert!(matches(
            &f(Some("unknown_run"), Some("r1"), Some("no run")),
            &l
        ));
        assert!(!matches(&f(Some("decode"), None, None), &l));
        assert!(!matches(&f(None, Some("r2"), None), &l));
        assert!(!matches(&f(None, None, Some("absent")), &l));
    }

    #[test]
    fn letters_are_counted_by_kind_run_and_reason_most_first() {
        let ls = [
            letter("decode", None, "bad json"),
            letter("unknown_run", Some("r1"), "no run"),
            letter("unknown_run", Some("r1"), "no run"),
        ];
        let g = groups(&ls);
        assert_eq!(g.len(), 2);
        assert_eq!(
            (g[0].kind.as_str(), g[0].run.as_str(), g[0].count),
            ("unknown_run", "r1", 2)
        );
        assert_eq!((g[1].run.as_str(), g[1].count), ("—", 1));
    }
}
