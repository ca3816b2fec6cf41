//! The Audit page: every offer transition and run-state change, filtered by person, run, action
//! and date, 100 a page, and the same as CSV.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{Html, IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::pages::{Nav, render, require};
use super::{ConsoleError, ConsoleState, Session};
use crate::identity::Permission;
use crate::store::audit::{self, AuditFilter, AuditRow};

/// Changes per page.
const PAGE: i64 = 100;
/// Most rows in one CSV export.
const CSV_MAX: i64 = 100_000;

/// The filters as they travel in the URL.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct Params {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    run: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    page: String,
}

fn opt(field: &str, v: &str) -> Result<Option<String>, ConsoleError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    if v.len() > 128 || v.chars().any(char::is_control) {
        return Err(ConsoleError::BadRequest(format!(
            "{field}: at most 128 characters, no control characters"
        )));
    }
    Ok(Some(v.to_string()))
}

fn day(field: &str, v: &str) -> Result<Option<chrono::NaiveDate>, ConsoleError> {
    opt(field, v)?
        .map(|d| {
            d.parse()
                .map_err(|_| ConsoleError::BadRequest(format!("{field}: a date, YYYY-MM-DD")))
        })
        .transpose()
}

impl Params {
    fn filter(&self) -> Result<AuditFilter, ConsoleError> {
        Ok(AuditFilter {
            actor: opt("actor", &self.actor)?,
            run: opt("run", &self.run)?,
            to_state: opt("action", &self.action)?,
            from: day("from", &self.from)?,
            to: day("to", &self.to)?,
        })
    }

    fn page(&self) -> Result<i64, ConsoleError> {
        match self.page.trim() {
            "" => Ok(1),
            p => p
                .parse::<i64>()
                .ok()
                .filter(|p| (1..=100_000).contains(p))
                .ok_or_else(|| ConsoleError::BadRequest("page: a page number".into())),
        }
    }

    fn link(&self, page: i64) -> String {
        let mut p = self.clone();
        p.page = page.to_string();
        serde_html_form::to_string(&p).unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    nav: Nav,
    params: Params,
    rows: Vec<AuditRow>,
    page: i64,
    prev: Option<String>,
    next: Option<String>,
    csv: String,
}

/// `GET /console/audit`.
pub async fn page(
    State(state): State<ConsoleState>,
    session: Session,
    Query(params): Query<Params>,
) -> Result<Html<String>, ConsoleError> {
    require(&session, Permission::Read)?;
    let filter = params.filter()?;
    let page = params.page()?;
    // One row more than a page tells whether there is a next page.
    let mut rows = audit::page(&state.pool, &filter, PAGE + 1, (page - 1) * PAGE).await?;
    let more = rows.len() as i64 > PAGE;
    rows.truncate(PAGE as usize);
    render(&AuditPage {
        nav: Nav::new(&session, None),
        prev: (page > 1).then(|| params.link(page - 1)),
        next: more.then(|| params.link(page + 1)),
        csv: params.link(1),
        rows,
        page,
        params,
    })
}

/// A CSV field: quoted, quotes doubled, and a leading `=+-@` defused so a spreadsheet does not
/// run it as a formula.
fn field(v: &str) -> String {
    let v = if v.starts_with(['=', '+', '-', '@']) {
        format!("'{v}")
    } else {
        v.to_string()
    };
    format!("\"{}\"", v.replace('"', "\"\""))
}

/// The rows as CSV, with a header line.
pub fn to_csv(rows: &[AuditRow]) -> String {
    let mut out = String::from("at,actor,run,subject,case_id,from_state,to_state,reason\n");
    for r in rows {
        let cells = [
            r.at.to_rfc3339(),
            r.actor.clone(),
            r.run.clone(),
            r.subject.clone(),
            r.case_id.clone().unwrap_or_default(),
            r.from_state.clone().unwrap_or_default(),
            r.to_state.clone(),
            r.reason.clone(),
        ];
        let line: Vec<String> = cells.iter().map(|c| field(c)).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

/// `GET /console/audit.csv`: the filtered changes as CSV (at most 100,000 rows).
pub async fn csv(
    State(state): State<ConsoleState>,
    session: Session,
    Query(params): Query<Params>,
) -> Result<Response, ConsoleError> {
    require(&session, Permission::Read)?;
    let rows = audit::page(&state.pool, &params.filter()?, CSV_MAX, 0).await?;
    Ok((
        [
            (CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                CONTENT_DISPOSITION,
                "attachment; filename=\"docket-audit.csv\"",
            ),
        ],
        to_csv(&rows),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_fields_and_defuses_formulas() {
        let row = AuditRow {
            at: chrono::DateTime::from_timestamp(0, 0).unwrap(),
            actor: "lee".into(),
            run: "r".into(),
            subject: "offer".into(),
            case_id: Some("DEN-1".into()),
            from_state: None,
            to_state: "approved".into(),
            reason: "=HYPERLINK(\"x\")".into(),
        };
        let csv = to_csv(&[row]);
        let line = csv.lines().nth(1).unwrap();
        assert!(
            line.starts_with("\"1970-01-01T00:00:00+00:00\",\"lee\""),
            "{line}"
        );
        assert!(line.ends_with("\"'=HYPERLINK(\"\"x\"\")\""), "{line}");
    }
}
