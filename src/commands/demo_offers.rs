//! The demo's second half: carry the run's recommendations through the offer lifecycle with the
//! published proportions (POLICY.md §2.1): about 52% of answered offers accepted, the rest declined,
//! some left unanswered until they expire; accepted cases closed.

use anyhow::Result;
use chrono::{Days, NaiveDate};
use sha2::{Digest, Sha256};
use sqlx::PgPool;

use crate::domain::{Action, OfferState};
use crate::offers::{self, Command};
use crate::store::offer_queries::{self, Selection};

/// A stable number in 0..100 for a case, so the demo's choices are the same on every machine.
fn bucket(case_id: &str, salt: &str) -> u8 {
    let h = Sha256::digest(format!("{salt}:{case_id}").as_bytes());
    (u16::from_be_bytes([h[0], h[1]]) % 100) as u8
}

async fn all(
    pool: &PgPool,
    run: &str,
    action: Action,
    actor: &str,
    today: NaiveDate,
) -> Result<usize> {
    let cmd = Command {
        run,
        action,
        case_ids: Vec::new(),
        selection: Some(Selection::default()),
        actor,
        reason: "",
        today,
        dry_run: false,
        force: false,
    };
    let r = offers::execute(
        pool,
        &Command {
            reason: &reason(action),
            ..cmd
        },
    )
    .await?;
    Ok(r.outcome.applied.len())
}

async fn some(
    pool: &PgPool,
    run: &str,
    action: Action,
    ids: Vec<String>,
    actor: &str,
    today: NaiveDate,
) -> Result<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    let reason = reason(action);
    let cmd = Command {
        run,
        action,
        case_ids: ids,
        selection: None,
        actor,
        reason: &reason,
        today,
        dry_run: false,
        force: false,
    };
    Ok(offers::execute(pool, &cmd).await?.outcome.applied.len())
}

fn reason(action: Action) -> String {
    format!("demo: {action}")
}

/// Days between the review date and the demo's offers (the first offers of the 2011 review went
/// out within weeks of it).
const OFFER_AFTER_DAYS: u64 = 14;

/// Runs the lifecycle over the run's recommendations and prints one line per step. The demo's
/// clock is the run's: offers are made two weeks after its review date, so the letters' dates
/// and deadlines sit before the generated cases' next hearings, as they would have then.
pub async fn carry_offers(pool: &PgPool, run: &str) -> Result<()> {
    let (r, policy) = offers::run_policy(pool, run).await?;
    let today = r.as_of + chrono::Days::new(OFFER_AFTER_DAYS);
    let req = policy.requirements;
    if req.attorney_approval {
        let n = all(pool, run, Action::Approve, "demo-attorney", today).await?;
        println!("    approved {n} recommendations (attorney review)");
    }
    if req.background_check {
        let state = offers::source_state(Action::ClearBackground, req);
        background_checks(pool, run, r.id, state, today).await?;
    }
    let offered = all(pool, run, Action::Offer, "demo-attorney", today).await?;
    println!(
        "    offered {offered} (deadline {} days)",
        policy.deadline_days
    );
    answer_and_close(pool, run, r.id, policy.deadline_days, today).await
}

/// Clears or fails the background checks of the recommendations waiting in `state` (one in
/// twenty fails).
async fn background_checks(
    pool: &PgPool,
    run: &str,
    run_id: i64,
    state: Option<OfferState>,
    today: NaiveDate,
) -> Result<()> {
    let ids = offer_queries::select(
        pool,
        run_id,
        &Selection {
            state,
            ..Selection::default()
        },
    )
    .await?;
    let (fail, clear): (Vec<String>, Vec<String>) =
        ids.into_iter().partition(|id| bucket(id, "background") < 5);
    let cleared = some(
        pool,
        run,
        Action::ClearBackground,
        clear,
        "demo-background",
        today,
    )
    .await?;
    let failed = some(
        pool,
        run,
        Action::FailBackground,
        fail,
        "demo-background",
        today,
    )
    .await?;
    println!("    background checks: {cleared} cleared, {failed} failed");
    Ok(())
}

/// The respondents answer their offers (about half of the answers accept, some never answer),
/// the unanswered expire after the deadline, and the court closes the accepted cases.
async fn answer_and_close(
    pool: &PgPool,
    run: &str,
    run_id: i64,
    deadline_days: u32,
    today: NaiveDate,
) -> Result<()> {
    let ids = offer_queries::select(
        pool,
        run_id,
        &Selection {
            state: Some(OfferState::Offered),
            ..Selection::default()
        },
    )
    .await?;
    let (mut accept, mut decline, mut silent) = (Vec::new(), Vec::new(), Vec::new());
    for id in ids {
        match bucket(&id, "answer") {
            0..=9 => silent.push(id),
            b if (b - 10) < 47 => accept.push(id),
            _ => decline.push(id),
        }
    }
    let accepted = some(pool, run, Action::Accept, accept, "demo-respondent", today).await?;
    let declined = some(
        pool,
        run,
        Action::Decline,
        decline,
        "demo-respondent",
        today,
    )
    .await?;
    let after_deadline = today
        .checked_add_days(Days::new(u64::from(deadline_days) + 1))
        .unwrap_or(today);
    let (expired, _) = offers::sweep(pool, run, after_deadline).await?;
    let share = if accepted + declined > 0 {
        accepted as f64 * 100.0 / (accepted + declined) as f64
    } else {
        0.0
    };
    println!(
        "    answers: {accepted} accepted, {declined} declined ({share:.0}% of answers accepted); {} expired unanswered",
        expired.applied.len()
    );
    let closed = all(pool, run, Action::Close, "demo-court", today).await?;
    println!("    closed {closed} accepted cases (administrative closure granted)");
    let _ = silent;
    Ok(())
}
