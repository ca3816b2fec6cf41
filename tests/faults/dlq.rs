//! `docket dlq list` and `docket dlq replay` as processes: nothing lost, nothing replayed twice.

use std::time::Duration;

use crate::env::{FaultEnv, signal, wait_exit};
use crate::poison::message;

fn json_lines(env: &FaultEnv, log: &str) -> Vec<serde_json::Value> {
    env.log(&format!("{log}.out"))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_letters_are_listed_without_loss_and_replayed_once_when_they_validate() {
    // Arrange: six jobs for a run that does not exist yet, four that never validate.
    let env = FaultEnv::new().await;
    let rules = env.rules_without_approval();
    env.prepare(5, "first", &rules).await;
    let mut bodies: Vec<Vec<u8>> = (1..=6)
        .map(|i| message("later", |c| c["case_id"] = format!("REPLAY-{i}").into()))
        .collect();
    bodies.extend((1..=4).map(|_| message("first", |c| c["a_number"] = "X".into())));
    let mut worker = env.worker("worker-1.log");
    env.publish(&bodies).await;
    for _ in 0..100 {
        if env.depth(&env.settings.amqp.dead_letter_queue).await == 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    signal(&worker, "TERM");
    wait_exit(&mut worker, Duration::from_secs(30)).await;

    // Act and assert: listing twice loses nothing and shows no personal data.
    env.run(&["dlq", "list", "--json"], "list-1");
    env.run(&["dlq", "list", "--json"], "list-2");
    env.run(
        &["dlq", "list", "--reason", "unknown_run", "--json"],
        "list-3",
    );
    env.run(&["dlq", "list"], "list-4");
    let listed = json_lines(&env, "list-1");
    assert_eq!(listed.len(), 10);
    assert_eq!(json_lines(&env, "list-2").len(), 10);
    let unknown = json_lines(&env, "list-3");
    assert_eq!(unknown.len(), 6);
    assert!(
        unknown
            .iter()
            .all(|l| l["case_id"].as_str().unwrap().starts_with("REPLAY-"))
    );
    assert!(unknown.iter().all(|l| l["run"] == "later"));
    let table = env.log("list-4.out");
    assert!(
        table.contains("10 dead letters of 10")
            && table.contains("unknown_run 6")
            && table.contains("validation 4"),
        "{table}"
    );
    assert!(!table.contains("A012345678") && !table.contains("Lopez"));
    assert_eq!(env.depth(&env.settings.amqp.dead_letter_queue).await, 10);

    // Replay: nothing while the run is missing; a dry run changes nothing; then exactly once.
    env.run(&["dlq", "replay", "--json"], "replay-0");
    let none: serde_json::Value = json_lines(&env, "replay-0")[0].clone();
    assert_eq!(none["replayed"], 0);
    assert_eq!(none["still_invalid"], 10);
    env.run(
        &[
            "run",
            "create",
            "later",
            "--rules",
            &rules.display().to_string(),
            "--open",
        ],
        "create",
    );
    env.run(&["dlq", "replay", "--dry-run", "--json"], "replay-1");
    assert_eq!(json_lines(&env, "replay-1")[0]["replayed"], 6);
    assert_eq!(env.depth(&env.settings.amqp.dead_letter_queue).await, 10);
    assert_eq!(env.depth(&env.settings.amqp.queue).await, 0);
    env.run(
        &["dlq", "replay", "--filter", "unknown_run", "--json"],
        "replay-2",
    );
    env.run(
        &["dlq", "replay", "--filter", "unknown_run", "--json"],
        "replay-3",
    );
    assert_eq!(json_lines(&env, "replay-2")[0]["replayed"], 6);
    assert_eq!(
        json_lines(&env, "replay-3")[0]["replayed"],
        0,
        "nothing replayed twice"
    );
    assert_eq!(env.depth(&env.settings.amqp.dead_letter_queue).await, 4);
    assert_eq!(env.depth(&env.settings.amqp.queue).await, 6);

    // The replayed jobs are reviewed.
    let later: i64 = sqlx::query_scalar("SELECT id FROM runs WHERE name = 'later'")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    let mut worker = env.worker("worker-2.log");
    env.wait_outcomes(later, 6, Duration::from_secs(60)).await;
    signal(&worker, "TERM");
    wait_exit(&mut worker, Duration::from_secs(30)).await;
    assert_eq!(env.outcomes(later).await, 6);
    env.cleanup().await;
}
