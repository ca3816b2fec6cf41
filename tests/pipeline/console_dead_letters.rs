//! The Dead letters page in a real browser: an operator sees the refused messages counted by
//! kind, run and reason, filters them, replays the ones that validate again after a dry run
//! that shows the count, and the replay is recorded under their name.

use std::time::{Duration, Instant};

use docket::identity::{Role, hash_password, store as accounts};

use crate::browser::{Browser, Server};
use crate::helpers::TestEnv;

const PASSWORD: &str = "a long enough password";
const EXAMPLE: &str = include_str!("../fixtures/case.json");

/// Waits until the dead-letter queue holds `n` letters (they stay in the queue).
async fn wait_for_letters(env: &TestEnv, n: usize) {
    let start = Instant::now();
    loop {
        let have = docket::queue::dlq::list(&env.settings, 100)
            .await
            .unwrap()
            .len();
        if have >= n {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "only {have} of {n} dead letters"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_replays_dead_letters_by_filter_after_a_dry_run_and_it_is_audited() {
    // Arrange: a job for a run that does not exist yet, and a body that is not JSON, both
    // dead-lettered by a worker; then the run is created, so the first validates again.
    let env = TestEnv::new().await;
    let case: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap();
    let job = serde_json::json!({"schema": "docket.review/v1", "job_id": uuid::Uuid::new_v4(),
        "run_id": "later", "case": case});
    let worker = env.start_worker(None);
    env.publish_raw(&[job.to_string().into_bytes(), b"not json at all".to_vec()])
        .await;
    wait_for_letters(&env, 2).await;
    worker.stop().await;
    docket::commands::run_create(
        &env.pool,
        "later",
        std::path::Path::new("config/rules/morton-2011.toml"),
        &[],
        None,
    )
    .await
    .unwrap();
    let hash = hash_password(PASSWORD).unwrap();
    accounts::add(&env.pool, "ops.olga", Role::Operator, Some(&hash), "test")
        .await
        .unwrap();
    let server = Server::start_with(&env.pool, Some(&env.settings)).await;
    let b = Browser::start().await;
    let base = &server.base;

    // Act and assert: the page counts them by kind, run and reason.
    b.sign_in(base, "ops.olga", PASSWORD).await;
    b.goto(&format!("{base}/console/dead-letters")).await;
    let page = b.wait_for("2 refused messages").await;
    assert!(
        page.contains("unknown_run") && page.contains("decode"),
        "{page}"
    );
    b.shot("dead-letters").await;

    // Filtered to the unknown run's letters, the dry run shows the count and changes nothing.
    b.choose("#kind", "unknown_run").await;
    b.submit("form[aria-label=Filters] button").await;
    b.wait_for("1 match the filters").await;
    b.submit("form[action='/console/dead-letters/confirm'] button")
        .await;
    let confirm = b.wait_for("This is a dry run").await;
    assert_eq!(b.text("#count").await, "1", "{confirm}");
    b.shot("dead-letters-confirm").await;
    assert_eq!(
        docket::queue::dlq::list(&env.settings, 100)
            .await
            .unwrap()
            .len(),
        2
    );

    // Replayed with a reason: the letter leaves the queue and the replay is recorded.
    b.fill("#why", "run created after the jobs").await;
    b.submit("form[action='/console/dead-letters/replay'] button")
        .await;
    let after = b.wait_for("Recent replays").await;
    assert!(after.contains("ops.olga"), "{after}");
    let left = docket::queue::dlq::list(&env.settings, 100).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].kind, "decode");
    let (actor, replayed): (String, i64) =
        sqlx::query_as("SELECT actor, replayed FROM dead_letter_replays")
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert_eq!((actor.as_str(), replayed), ("ops.olga", 1));
    b.goto(&format!("{base}/console/audit?action=replayed"))
        .await;
    b.wait_for("run created after the jobs").await;
    b.stop().await;
    drop(server);
    env.cleanup().await;
}
