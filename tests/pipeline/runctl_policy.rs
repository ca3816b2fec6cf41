//! A halted policy on the real database and outbox: its run pauses, offers are refused, its
//! notices are held, and reinstating it sends each of them once.

use docket::store::run_state::{self, Change};

use crate::helpers::TestEnv;

/// Sends every due notice; returns how many were sent.
async fn drain(env: &TestEnv, notify: &docket::notify::settings::NotifySettings) -> usize {
    let channels = docket::notify::Channels::from_settings(notify).unwrap();
    let mut sent = 0;
    loop {
        let o = docket::notify::relay::drain_once(&env.pool, &channels, notify)
            .await
            .unwrap();
        if o.is_empty() {
            return sent;
        }
        sent += o.sent;
    }
}

async fn scalar(env: &TestEnv, sql: &str, run_id: i64) -> i64 {
    sqlx::query_scalar(sql)
        .bind(run_id)
        .fetch_one(&env.pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vacated_policy_pauses_its_run_refuses_offers_and_holds_notices_until_reinstated() {
    // Arrange: a reviewed run with half its recommended offers made (notices pending).
    use docket::domain::Action;
    use docket::offers::{Command, execute};
    let mut env = TestEnv::new().await;
    let mail = tempfile::tempdir().unwrap();
    let print = tempfile::tempdir().unwrap();
    env.settings.notify.smtp.pickup_dir = Some(mail.path().to_path_buf());
    env.settings.notify.print_dir = print.path().to_path_buf();
    let notify = env.settings.notify.clone();
    let rules = include_str!("../../config/rules/morton-2011.toml");
    let run_id = crate::offers::reviewed_run(&env, 400, "pol", rules).await;
    let today = chrono::NaiveDate::from_ymd_opt(2012, 1, 16).unwrap();
    let cmd = |action, ids: Vec<String>| Command {
        run: "pol",
        action,
        case_ids: ids,
        selection: (action != Action::Offer).then(docket::store::offer_queries::Selection::default),
        actor: "attorney-7",
        reason: "test",
        today,
        dry_run: false,
        force: false,
    };
    for action in [Action::Approve, Action::ClearBackground] {
        execute(&env.pool, &cmd(action, Vec::new())).await.unwrap();
    }
    let ready: Vec<String> = sqlx::query_scalar(
        "SELECT case_id FROM offers WHERE run_id = $1 AND state = 'background_cleared' ORDER BY case_id",
    )
    .bind(run_id)
    .fetch_all(&env.pool)
    .await
    .unwrap();
    assert!(ready.len() >= 4, "{} offers ready", ready.len());
    let (first, rest) = ready.split_at(ready.len() / 2);
    execute(&env.pool, &cmd(Action::Offer, first.to_vec()))
        .await
        .unwrap();
    let pending = "SELECT count(*) FROM notifications WHERE run_id = $1 AND status = 'pending'";
    let queued = scalar(&env, pending, run_id).await;
    assert!(queued > 0);
    let rules_name: String = sqlx::query_scalar("SELECT rules_name FROM runs WHERE id = $1")
        .bind(run_id)
        .fetch_one(&env.pool)
        .await
        .unwrap();

    // Act: the court vacates the policy.
    let p = &env.pool;
    let halt = docket::store::policy_status::set(p, &rules_name, "vacated", "ops-1", "court order")
        .await
        .unwrap();
    let refused = execute(p, &cmd(Action::Offer, rest.to_vec()))
        .await
        .unwrap();
    let sent_while_vacated = drain(&env, &notify).await;
    let state: String = sqlx::query_scalar("SELECT state FROM runs WHERE id = $1")
        .bind(run_id)
        .fetch_one(p)
        .await
        .unwrap();
    let resume = Change {
        state: "active",
        rate: None,
        actor: "ops-1",
        reason: "try",
    };
    let resume_refused = run_state::set(p, "pol", &resume).await.is_err();
    let back = docket::store::policy_status::set(p, &rules_name, "active", "ops-1", "reinstated")
        .await
        .unwrap();
    let sent = drain(&env, &notify).await;
    let sent_again = drain(&env, &notify).await;

    // Assert
    assert_eq!((halt.runs_paused, halt.notices_held), (1, queued as u64));
    assert_eq!(state, "paused");
    assert!(
        resume_refused,
        "a run cannot be resumed under a vacated policy"
    );
    assert_eq!(refused.outcome.applied.len(), 0);
    assert_eq!(refused.outcome.refused.len(), rest.len());
    assert!(refused.outcome.refused[0].reason.contains("vacated"));
    assert_eq!(sent_while_vacated, 0, "held, not sent");
    assert_eq!(
        (back.runs_resumed, back.notices_released),
        (1, queued as u64)
    );
    assert_eq!(
        sent as i64, queued,
        "each held notice sent once on reinstatement"
    );
    assert_eq!(sent_again, 0);
    let sent_rows = "SELECT count(*) FROM notifications WHERE run_id = $1 AND status = 'sent'";
    assert_eq!(scalar(&env, sent_rows, run_id).await, queued);
    env.cleanup().await;
}

/// Morton's rule set with offers made by the worker itself (no approval, no background check).
fn auto_offer_rules() -> String {
    include_str!("../../config/rules/morton-2011.toml")
        .replace(
            "requires_attorney_approval = true",
            "requires_attorney_approval = false",
        )
        .replace(
            "requires_background_check = true",
            "requires_background_check = false",
        )
}

/// Imports `n` generated cases and creates `run` with `rules` text; returns (run id, members).
async fn create(env: &TestEnv, n: usize, run: &str, rules: &str) -> (i64, u64) {
    let mut ndjson = Vec::new();
    docket::generate::write_ndjson(&mut ndjson, n, 5).unwrap();
    docket::import::import(&env.pool, std::io::Cursor::new(ndjson), std::io::sink())
        .await
        .unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), rules).unwrap();
    docket::commands::run_create(&env.pool, run, file.path(), &[], None)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_makes_no_offer_under_a_halted_policy_even_for_a_run_left_active() {
    // Arrange: a run whose offers the worker makes itself, its policy vacated, and the run put
    // back to active behind the policy's back (as a run created before new runs started paused).
    use docket::domain::Action;
    use docket::offers::{Command, execute};
    let env = TestEnv::new().await;
    let (run_id, members) = create(&env, 300, "legacy", &auto_offer_rules()).await;
    let p = &env.pool;
    docket::store::policy_status::set(p, "morton-2011", "vacated", "ops-1", "court order")
        .await
        .unwrap();
    sqlx::query("UPDATE runs SET state = 'active', paused_by_policy = false WHERE id = $1")
        .bind(run_id)
        .execute(p)
        .await
        .unwrap();

    // Act: review the whole run.
    let worker = env.start_worker(None);
    env.enqueue("legacy").await.unwrap();
    env.wait_for_outcomes(run_id, members as i64, std::time::Duration::from_secs(60))
        .await;
    worker.stop().await;
    let recommended =
        "SELECT count(*) FROM outcomes WHERE run_id = $1 AND decision = 'offer_recommended'";
    let recommended = scalar(&env, recommended, run_id).await;
    let by_state = "SELECT count(*) FROM offers WHERE run_id = $1 AND state = 'offer_recommended'";
    let left_recommended = scalar(&env, by_state, run_id).await;
    let offered = "SELECT count(*) FROM offers WHERE run_id = $1 AND state = 'offered'";
    let offered_while_vacated = scalar(&env, offered, run_id).await;
    let notices = "SELECT count(*) FROM notifications WHERE run_id = $1";
    let notices = scalar(&env, notices, run_id).await;
    // Reinstated, the offers are made by hand, each once.
    docket::store::policy_status::set(p, "morton-2011", "active", "ops-1", "reinstated")
        .await
        .unwrap();
    let offer_all = Command {
        run: "legacy",
        action: Action::Offer,
        case_ids: Vec::new(),
        selection: Some(docket::store::offer_queries::Selection::default()),
        actor: "attorney-7",
        reason: "policy reinstated",
        today: chrono::NaiveDate::from_ymd_opt(2012, 1, 16).unwrap(),
        dry_run: false,
        force: false,
    };
    let made = execute(p, &offer_all).await.unwrap();

    // Assert
    assert!(recommended > 0);
    assert_eq!(
        offered_while_vacated, 0,
        "no offer made under a vacated policy"
    );
    assert_eq!(left_recommended, recommended, "each recommendation kept");
    assert_eq!(notices, 0, "no notice queued");
    assert_eq!(made.outcome.applied.len() as i64, recommended);
    assert_eq!(scalar(&env, offered, run_id).await, recommended);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_waits_for_a_halt_in_progress_and_is_refused_when_it_commits() {
    // Arrange: a reviewed run whose offers are ready to be made.
    use docket::domain::Action;
    use docket::offers::{Command, execute};
    use docket::store::offer_queries::Selection;
    let env = TestEnv::new().await;
    let rules = include_str!("../../config/rules/morton-2011.toml");
    let run_id = crate::offers::reviewed_run(&env, 300, "race", rules).await;
    let cmd = |action| Command {
        run: "race",
        action,
        case_ids: Vec::new(),
        selection: Some(Selection::default()),
        actor: "attorney-7",
        reason: "test",
        today: chrono::NaiveDate::from_ymd_opt(2012, 1, 16).unwrap(),
        dry_run: false,
        force: false,
    };
    for action in [Action::Approve, Action::ClearBackground] {
        execute(&env.pool, &cmd(action)).await.unwrap();
    }

    // Act: a halt is in progress (not committed) when the offers are made.
    let mut halt = env.pool.begin().await.unwrap();
    docket::store::policy_status::set_in(&mut halt, "morton-2011", "vacated", "ops-1", "order")
        .await
        .unwrap();
    let pool = env.pool.clone();
    let offer = tokio::spawn(async move { execute(&pool, &cmd(Action::Offer)).await.unwrap() });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let finished_before_the_halt = offer.is_finished();
    halt.commit().await.unwrap();
    let report = offer.await.unwrap();

    // Assert: the offers waited for the halt, then saw it.
    let notices = "SELECT count(*) FROM notifications WHERE run_id = $1";
    assert!(!finished_before_the_halt, "the offers wait for the halt");
    assert!(report.selected > 0);
    assert_eq!(report.outcome.applied.len(), 0);
    assert_eq!(report.outcome.refused.len(), report.selected);
    assert!(report.outcome.refused[0].reason.contains("vacated"));
    assert_eq!(scalar(&env, notices, run_id).await, 0);
    env.cleanup().await;
}
