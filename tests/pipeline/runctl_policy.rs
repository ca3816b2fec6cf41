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
