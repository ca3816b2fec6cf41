//! The Case page: the file as an attorney needs it, the decision with every fired rule in plain
//! words and the score against the threshold, the offer's timeline, the notices, and the actions
//! the offer's state allows. Names, the A-number and counsel appear only to attorneys; asylum and
//! VAWA/T/U matters only as "confidential matter on file", to attorneys.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::pages::{Nav, render, require, run_rules};
use super::session::Form;
use super::{ConsoleError, ConsoleState, Session};
use crate::domain::{Action, Case, CaseType, FiredRule, OfferState, allowed};
use crate::identity::Permission;
use crate::offers::{self, Command};
use crate::store::offer_queries::{self, OfferHistory};
use crate::store::run_views::{self, NoticeRow};
use crate::store::{cases, outcomes};

/// What every signed-in reader sees of the case file.
struct FileFacts {
    court: String,
    custody: String,
    filed_on: String,
    next_hearing: String,
}

/// What only attorneys see.
struct Personal {
    name: String,
    case_type: String,
    a_number: String,
    counsel: String,
    confidential: bool,
}

#[derive(Template)]
#[template(path = "console/case.html")]
struct CasePage {
    nav: Nav,
    run: String,
    case_id: String,
    file: Option<FileFacts>,
    personal: Option<Personal>,
    decision: String,
    score: i32,
    threshold: i32,
    fired: Vec<FiredRule>,
    why_not: Option<String>,
    offer: Option<OfferHistory>,
    notices: Vec<NoticeRow>,
    actions: Vec<&'static str>,
    attorney: bool,
}

/// Why a case was not recommended for an offer, in words, from its decision.
pub fn why_not(decision: &str, score: i32, threshold: i32) -> Option<String> {
    match decision {
        "offer_recommended" => None,
        "enforcement_priority" => {
            Some("It is an enforcement priority: a gate rule below fired.".into())
        }
        "refer_dismissal" => {
            Some("Relief is immediately available: referred for dismissal instead.".into())
        }
        "out_of_scope" => Some("It is outside the scope of this run's policy.".into()),
        "not_amenable" if score < threshold => Some(format!(
            "Its score, {score}, is below the threshold of {threshold}."
        )),
        _ => Some("No qualifying category applies to it.".into()),
    }
}

/// `NeverDetained` as "never detained".
fn words(camel: &str) -> String {
    let mut out = String::new();
    for (i, c) in camel.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

fn facts(case: &Case, attorney: bool) -> (FileFacts, Option<Personal>) {
    let file = FileFacts {
        court: case.court.as_str().to_string(),
        custody: words(&format!("{:?}", case.custody)),
        filed_on: case.filed_on.to_string(),
        next_hearing: case
            .next_hearing
            .map(|d| d.to_string())
            .unwrap_or_else(|| "none set".into()),
    };
    let personal = attorney.then(|| Personal {
        name: format!(
            "{} {}",
            case.respondent.given_name.as_str(),
            case.respondent.family_name.as_str()
        ),
        a_number: case.a_number.as_str().to_string(),
        // An asylum-only case type would tell of an asylum claim: it stays confidential.
        case_type: match case.case_type {
            CaseType::AsylumOnly => "confidential matter on file".into(),
            t => words(&format!("{t:?}")),
        },
        counsel: case
            .counsel
            .as_ref()
            .map(|c| format!("{} ({})", c.name.as_str(), c.eoir_id.as_str()))
            .unwrap_or_else(|| "unrepresented".into()),
        confidential: case.confidential.asylum_claim || case.confidential.vawa_t_u,
    });
    (file, personal)
}

/// `GET /console/runs/{run}/cases/{case_id}`.
pub async fn page(
    State(state): State<ConsoleState>,
    session: Session,
    Path((run, case_id)): Path<(String, String)>,
) -> Result<Html<String>, ConsoleError> {
    require(&session, Permission::Read)?;
    let (r, rules, policy) = run_rules(&state, &run).await?;
    let outcome = outcomes::find(&state.pool, r.id, &case_id)
        .await?
        .ok_or_else(|| ConsoleError::NotFound("this case has no outcome in this run".into()))?;
    let attorney = session.who.can(Permission::Decide);
    let record = cases::records(&state.pool, std::slice::from_ref(&case_id)).await?;
    let (file, personal) = match record
        .first()
        .map(|(_, json)| Case::from_json(json.as_bytes()))
    {
        Some(Ok(case)) => {
            let (f, p) = facts(&case, attorney);
            (Some(f), p)
        }
        _ => (None, None),
    };
    let threshold = rules.threshold();
    let fired: Vec<FiredRule> = serde_json::from_value(outcome.fired.clone()).unwrap_or_default();
    let offer = offer_queries::history(&state.pool, r.id, &case_id).await?;
    let actions = match (&offer, attorney) {
        (Some(o), true) => o
            .state
            .parse::<OfferState>()
            .map(|s| allowed(s, policy.requirements))
            .unwrap_or_default()
            .into_iter()
            .filter(|a| !matches!(a, Action::Remind | Action::Expire))
            .map(Action::as_str)
            .collect(),
        _ => Vec::new(),
    };
    render(&CasePage {
        nav: Nav::new(&session, Some(&run)),
        why_not: why_not(&outcome.decision, outcome.score, threshold),
        run,
        case_id,
        file,
        personal,
        decision: outcome.decision.clone(),
        score: outcome.score,
        threshold,
        fired,
        offer,
        notices: run_views::notices(&state.pool, r.id, &outcome.case_id).await?,
        actions,
        attorney,
    })
}

/// `GET /console/runs/{run}/cases/{case_id}/letters/{id}`: the printed letter, to attorneys only.
pub async fn letter(
    State(state): State<ConsoleState>,
    session: Session,
    Path((run, case_id, id)): Path<(String, String, i64)>,
) -> Result<Response, ConsoleError> {
    require(&session, Permission::Decide)?;
    let r = crate::store::runs::get(&state.pool, &run).await?;
    let missing = || ConsoleError::NotFound("no printed letter here".into());
    let (key, issued_on) = run_views::letter(&state.pool, r.id, &case_id, id)
        .await?
        .ok_or_else(missing)?;
    let dir = state.print_dir.as_ref().ok_or_else(missing)?;
    let path = dir
        .join(issued_on.format("%Y-%m-%d").to_string())
        .join(crate::notify::print::file_name(&key));
    let pdf = tokio::fs::read(&path).await.map_err(|_| missing())?;
    Ok((
        [
            (CONTENT_TYPE, "application/pdf".to_string()),
            (
                CONTENT_DISPOSITION,
                format!("inline; filename=\"letter-{id}.pdf\""),
            ),
            (CACHE_CONTROL, "no-store".to_string()),
        ],
        pdf,
    )
        .into_response())
}

/// An action on one case.
#[derive(Deserialize)]
pub struct ActionForm {
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}

/// `POST /console/runs/{run}/cases/{case_id}/action`: one lifecycle action, as the signed-in
/// attorney, with a reason.
pub async fn action(
    State(state): State<ConsoleState>,
    Path((run, case_id)): Path<(String, String)>,
    Form(session, f): Form<ActionForm>,
) -> Result<Redirect, ConsoleError> {
    require(&session, Permission::Decide)?;
    let action: Action = f
        .action
        .parse()
        .map_err(|_| ConsoleError::BadRequest("action: not a lifecycle action".into()))?;
    if matches!(action, Action::Remind | Action::Expire) {
        return Err(ConsoleError::BadRequest(
            "action: only the system does this".into(),
        ));
    }
    let reason = f.reason.trim();
    if reason.is_empty() {
        return Err(ConsoleError::BadRequest("reason: say why".into()));
    }
    let cmd = Command {
        run: &run,
        action,
        case_ids: vec![case_id.clone()],
        selection: None,
        actor: &session.who.name,
        reason,
        today: chrono::Utc::now().date_naive(),
        dry_run: false,
        force: false,
    };
    let report = offers::execute(&state.pool, &cmd).await?;
    if let Some(refused) = report.outcome.refused.first() {
        return Err(ConsoleError::Conflict(refused.reason.clone()));
    }
    Ok(Redirect::to(&format!(
        "/console/runs/{run}/cases/{case_id}"
    )))
}

#[cfg(test)]
mod tests {
    use super::{why_not, words};

    #[test]
    fn enum_names_read_as_words() {
        assert_eq!(words("NeverDetained"), "never detained");
        assert_eq!(words("Removal"), "removal");
    }

    #[test]
    fn a_case_not_recommended_says_why_in_words() {
        assert_eq!(why_not("offer_recommended", 9, 5), None);
        assert!(
            why_not("not_amenable", 3, 5)
                .unwrap()
                .contains("3, is below the threshold of 5")
        );
        assert!(
            why_not("enforcement_priority", 0, 5)
                .unwrap()
                .contains("gate")
        );
        assert!(
            why_not("not_amenable", 7, 5)
                .unwrap()
                .contains("qualifying")
        );
    }
}
