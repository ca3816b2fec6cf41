//! The offer lifecycle on the real database: offers opened by the worker, transitions with their
//! notices in the outbox, refusals of illegal transitions, expiry and reminders.

use std::path::Path;
use std::time::Duration;

use chrono::{Days, NaiveDate};
use docket::domain::{Action, OfferState};
use docket::offers::{self, Command};
use docket::store::offer_queries::{self, Selection};

use crate::helpers::TestEnv;

const RULES: &str = include_str!("../../config/rules/morton-2011.toml");

/// Imports `n` generated cases, creates `run` with `rules` text, reviews it; returns the run id.
pub async fn reviewed_run(env: &TestEnv, n: usize, run: &str, rules: &str) -> i64 {
    let mut ndjson = Vec::new();
    docket::generate::write_ndjson(&mut ndjson, n, 5).unwrap();
    docket::import::import(&env.pool, std::io::Cursor::new(ndjson), std::io::sink())
        .await
        .unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), rules).unwrap();
    let (run_id, members) = docket::commands::run_create(&env.pool, run, file.path(), &[], None)
        .await
        .unwrap();
    let worker = env.start_worker(None);
    env.enqueue(run).await.unwrap();
    env.wait_for_outcomes(run_id, members as i64, Duration::from_secs(60))
        .await;
    worker.stop().await;
    run_id
}

fn cmd<'a>(run: &'a str, action: Action, ids: Vec<String>, today: NaiveDate) -> Command<'a> {
    Command {
        run,
        action,
        case_ids: ids,
        selection: None,
        actor: "attorney-7",
        reason: "test",
        today,
        dry_run: false,
        force: false,
    }
}

fn all<'a>(run: &'a str, action: Action, today: NaiveDate) -> Command<'a> {
    Command {
        selection: Some(Selection::default()),
        ..cmd(run, action, Vec::new(), today)
    }
}

async fn count(env: &TestEnv, sql: &str, run_id: i64) -> i64 {
    sqlx::query_scalar(sql)
        .bind(run_id)
        .fetch_one(&env.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recommendations_become_offers_answers_and_closures_with_one_notice_set_each() {
    // Arrange
    let env = TestEnv::new().await;
    let run_id = reviewed_run(&env, 400, "life", RULES).await;
    let today = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    let recommended = count(
        &env,
        "SELECT count(*) FROM outcomes WHERE run_id = $1 AND decision = 'offer_recommended'",
        run_id,
    )
    .await;
    assert!(recommended >= 10, "{recommended} recommendations");
    assert_eq!(
        count(
            &env,
            "SELECT count(*) FROM offers WHERE run_id = $1",
            run_id
        )
        .await,
        recommended
    );

    // Act + Assert: an offer cannot skip approval.
    let ids = offer_queries::select(&env.pool, run_id, &Selection::default())
        .await
        .unwrap();
    let skip = offers::execute(
        &env.pool,
        &cmd("life", Action::Offer, vec![ids[0].clone()], today),
    )
    .await
    .unwrap();
    assert_eq!(skip.outcome.applied.len(), 0);
    assert!(
        skip.outcome.refused[0].reason.contains("cannot offer"),
        "{:?}",
        skip.outcome.refused
    );

    // A dry run counts and changes nothing.
    let dry = offers::execute(
        &env.pool,
        &Command {
            dry_run: true,
            force: false,
            ..all("life", Action::Approve, today)
        },
    )
    .await
    .unwrap();
    assert_eq!(dry.selected as i64, recommended);
    assert_eq!(
        count(
            &env,
            "SELECT count(*) FROM offers WHERE run_id = $1 AND state = 'approved'",
            run_id
        )
        .await,
        0
    );

    for action in [Action::Approve, Action::ClearBackground, Action::Offer] {
        let r = offers::execute(&env.pool, &all("life", action, today))
            .await
            .unwrap();
        assert_eq!(r.outcome.applied.len() as i64, recommended, "{action}");
    }
    let notices = count(
        &env,
        "SELECT count(*) FROM notifications WHERE run_id = $1",
        run_id,
    )
    .await;
    let offered_with_counsel = count(
        &env,
        "SELECT count(*) FROM offers o JOIN cases c USING (case_id) WHERE o.run_id = $1 AND c.represented",
        run_id,
    )
    .await;
    assert!(
        notices >= recommended + offered_with_counsel,
        "a letter each, and counsel"
    );
    // Offering again is refused and queues nothing more.
    let again = offers::execute(&env.pool, &cmd("life", Action::Offer, ids.clone(), today))
        .await
        .unwrap();
    assert_eq!(again.outcome.refused.len(), ids.len());
    assert_eq!(
        count(
            &env,
            "SELECT count(*) FROM notifications WHERE run_id = $1",
            run_id
        )
        .await,
        notices
    );
    let deadline: NaiveDate =
        sqlx::query_scalar("SELECT deadline FROM offers WHERE run_id = $1 LIMIT 1")
            .bind(run_id)
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert_eq!(deadline, today.checked_add_days(Days::new(30)).unwrap());

    // Answers, closure, recalendar; a declined offer cannot be accepted afterwards.
    offers::execute(
        &env.pool,
        &cmd("life", Action::Accept, vec![ids[0].clone()], today),
    )
    .await
    .unwrap();
    offers::execute(
        &env.pool,
        &cmd("life", Action::Decline, vec![ids[1].clone()], today),
    )
    .await
    .unwrap();
    let late = offers::execute(
        &env.pool,
        &cmd("life", Action::Accept, vec![ids[1].clone()], today),
    )
    .await
    .unwrap();
    assert!(late.outcome.refused[0].reason.contains("declined"));
    offers::execute(
        &env.pool,
        &cmd("life", Action::Close, vec![ids[0].clone()], today),
    )
    .await
    .unwrap();
    offers::execute(
        &env.pool,
        &cmd("life", Action::Recalendar, vec![ids[0].clone()], today),
    )
    .await
    .unwrap();
    let h = offer_queries::history(&env.pool, run_id, &ids[0])
        .await
        .unwrap()
        .unwrap();
    let states: Vec<&str> = h.transitions.iter().map(|t| t.to_state.as_str()).collect();
    assert_eq!(
        states,
        [
            "offer_recommended",
            "approved",
            "background_cleared",
            "offered",
            "accepted",
            "closed",
            "recalendared"
        ]
    );
    assert!(h.transitions[1..].iter().all(|t| t.actor == "attorney-7"));

    // Reminders after 14 days, once; expiry after the deadline.
    let day15 = today.checked_add_days(Days::new(15)).unwrap();
    let (expired, reminded) = offers::sweep(&env.pool, "life", day15).await.unwrap();
    assert_eq!(expired.applied.len(), 0);
    assert_eq!(reminded.applied.len() as i64, recommended - 2);
    let (_, twice) = offers::sweep(&env.pool, "life", day15).await.unwrap();
    assert_eq!(twice.applied.len(), 0, "one reminder per offer");
    let after = deadline.checked_add_days(Days::new(1)).unwrap();
    let (expired, _) = offers::sweep(&env.pool, "life", after).await.unwrap();
    assert_eq!(expired.applied.len() as i64, recommended - 2);
    let counts = offer_queries::state_counts(&env.pool, run_id)
        .await
        .unwrap();
    assert_eq!(counts[OfferState::Expired.as_str()], recommended - 2);
    assert_eq!(counts[OfferState::Declined.as_str()], 1);
    assert_eq!(counts[OfferState::Recalendared.as_str()], 1);
    let dup_keys = count(
        &env,
        "SELECT count(*) FROM (SELECT idempotency_key FROM notifications WHERE run_id = $1 GROUP BY 1 HAVING count(*) > 1) d",
        run_id,
    )
    .await;
    assert_eq!(dup_keys, 0);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_approval_or_background_check_the_worker_offers_in_its_own_transaction() {
    let env = TestEnv::new().await;
    let rules = RULES
        .replace(
            "requires_attorney_approval = true",
            "requires_attorney_approval = false",
        )
        .replace(
            "requires_background_check = true",
            "requires_background_check = false",
        );
    let run_id = reviewed_run(&env, 300, "auto", &rules).await;
    let recommended = count(
        &env,
        "SELECT count(*) FROM outcomes WHERE run_id = $1 AND decision = 'offer_recommended'",
        run_id,
    )
    .await;
    assert!(recommended > 0);
    let offered = count(
        &env,
        "SELECT count(*) FROM offers WHERE run_id = $1 AND state = 'offered'",
        run_id,
    )
    .await;
    assert_eq!(offered, recommended);
    let letters = count(
        &env,
        "SELECT count(DISTINCT case_id) FROM notifications WHERE run_id = $1 AND recipient = 'respondent' AND channel = 'letter' AND kind = 'offer'",
        run_id,
    )
    .await;
    assert_eq!(letters, recommended);
    let payload: String =
        sqlx::query_scalar("SELECT payload::text FROM notifications WHERE run_id = $1 LIMIT 1")
            .bind(run_id)
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert!(!payload.contains("asylum") && !payload.contains("vawa"));
    let _ = Path::new(".");
    env.cleanup().await;
}
