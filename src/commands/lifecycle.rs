//! approve, background, offer, respond, close, recalendar, expire.

use anyhow::{Result, bail};
use sqlx::PgPool;

use crate::cli::Target;
use crate::domain::Action;
use crate::offers::{self, Command, Report};
use crate::store::offer_queries::Selection;

/// Applies `action` to the target cases and prints what happened.
pub async fn act(pool: &PgPool, action: Action, t: &Target) -> Result<Report> {
    if t.case_ids.is_empty() && !t.all {
        bail!("name the cases, or pass --all to select every case the action applies to");
    }
    let actor = crate::identity::command_line_actor(t.by.as_deref());
    let reason = if t.reason.is_empty() {
        default_reason(action)
    } else {
        t.reason.clone()
    };
    let cmd = Command {
        run: &t.run,
        action,
        case_ids: t.case_ids.clone(),
        selection: t.all.then(|| Selection {
            state: None,
            courts: t.courts.iter().map(|c| c.to_uppercase()).collect(),
            min_score: t.min_score,
        }),
        actor: &actor,
        reason: &reason,
        today: t.today.unwrap_or_else(|| chrono::Utc::now().date_naive()),
        dry_run: t.dry_run,
        force: false,
    };
    let report = offers::execute(pool, &cmd).await?;
    if t.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(action, &report);
    }
    Ok(report)
}

fn default_reason(action: Action) -> String {
    match action {
        Action::Approve => "approved by attorney review",
        Action::Reject => "rejected by attorney review",
        Action::ClearBackground => "background check cleared",
        Action::FailBackground => "background check failed",
        Action::Offer => "offer of administrative closure issued",
        Action::Accept => "respondent accepted",
        Action::Decline => "respondent declined",
        Action::Close => "closure granted",
        Action::Recalendar => "case recalendared",
        Action::Expire => "no answer by the deadline",
        Action::Remind => "reminder before the deadline",
    }
    .to_string()
}

/// Prints a command's report: counts, then each refusal with its reason.
pub fn print_report(action: Action, r: &Report) {
    if r.dry_run {
        println!("dry run: {action} would apply to {} cases", r.selected);
        return;
    }
    let notices: u64 = r.outcome.applied.iter().map(|a| a.notices).sum();
    println!(
        "{action}: {} applied, {} refused, {} notices queued",
        r.outcome.applied.len(),
        r.outcome.refused.len(),
        notices
    );
    for x in r.outcome.refused.iter().take(20) {
        println!("  refused {}: {}", x.case_id, x.reason);
    }
    if r.outcome.refused.len() > 20 {
        println!("  … and {} more refusals", r.outcome.refused.len() - 20);
    }
}

/// Expires overdue offers and sends due reminders.
pub async fn expire(pool: &PgPool, run: &str, today: Option<chrono::NaiveDate>) -> Result<()> {
    let today = today.unwrap_or_else(|| chrono::Utc::now().date_naive());
    let (expired, reminded) = offers::sweep(pool, run, today).await?;
    println!(
        "run {run} as of {today}: {} offers expired, {} reminders sent",
        expired.applied.len(),
        reminded.applied.len()
    );
    Ok(())
}
