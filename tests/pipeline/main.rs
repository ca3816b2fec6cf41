//! Integration tests of the core pipeline against the real RabbitMQ and PostgreSQL of the machine.
//! Each test uses its own database and its own queue names.

mod accounts_cli;
mod api;
mod api_doc;
mod api_fuzz;
mod api_input;
mod archive;
mod broker_users;
mod browser;
mod console;
mod console_dead_letters;
mod console_http;
mod console_policies;
mod console_worklist;
mod counters;
mod helpers;
mod import_batches;
mod integrity;
mod offers;
mod policy;
mod prefetch;
mod publish;
mod run_create;
mod runctl;
mod runctl_policy;
mod scans;
#[path = "../common/scratch.rs"]
mod scratch;
mod slim_outcomes;
mod step;

use std::collections::HashMap;
use std::io::Cursor;
use std::path::Path;
use std::time::Duration;

use docket::domain::Case;
use docket::rules::{EvalContext, RuleSet};
use docket::worker::Fault;
use helpers::{TestEnv, header};

const RULES: &str = include_str!("../../config/rules/morton-2011.toml");
const EXAMPLE: &str = include_str!("../fixtures/case.json");

fn backlog(n: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    docket::generate::write_ndjson(&mut out, n, seed).unwrap();
    out
}

async fn import(env: &TestEnv, ndjson: &[u8]) -> (docket::import::ImportSummary, String) {
    let mut rejects = Vec::new();
    let s = docket::import::import(&env.pool, Cursor::new(ndjson), &mut rejects)
        .await
        .unwrap();
    (s, String::from_utf8(rejects).unwrap())
}

async fn create_run(env: &TestEnv, name: &str) -> (i64, u64) {
    docket::commands::run_create(
        &env.pool,
        name,
        Path::new("config/rules/morton-2011.toml"),
        &[],
        None,
    )
    .await
    .unwrap()
}

/// A run that jobs may bring new cases into (`docket run create NAME --open`).
async fn create_open_run(env: &TestEnv, name: &str) -> (i64, u64) {
    docket::commands::run_create_with(
        &env.pool,
        name,
        Path::new("config/rules/morton-2011.toml"),
        &[],
        None,
        true,
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_cases_are_reviewed_once_each_as_the_pure_evaluator_decides() {
    // Arrange
    let env = TestEnv::new().await;
    let ndjson = backlog(2000, 7);
    let (summary, _) = import(&env, &ndjson).await;
    assert_eq!(summary.counts.inserted, 2000);
    let (run_id, members) = create_run(&env, "e2e").await;
    assert_eq!(members, 2000);

    // Act
    let worker = env.start_worker(None);
    let s = env.enqueue("e2e").await.unwrap();
    env.wait_for_outcomes(run_id, 2000, Duration::from_secs(120))
        .await;
    worker.stop().await;

    // Assert
    assert_eq!(s.published, 2000);
    assert_eq!(env.outcome_count(run_id).await, 2000);
    let rules = RuleSet::from_toml(RULES).unwrap();
    let ctx = EvalContext {
        as_of: rules.effective().from,
        courts: None,
    };
    let expected: HashMap<String, String> = ndjson
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let case = Case::from_json(l).unwrap();
            let d = rules.evaluate(&case, &ctx).decision.as_str().to_string();
            (case.case_id.as_str().to_string(), d)
        })
        .collect();
    let recorded = docket::store::outcomes::decisions(&env.pool, run_id)
        .await
        .unwrap();
    assert_eq!(recorded.len(), 2000);
    for (case_id, decision) in recorded {
        assert_eq!(expected[&case_id], decision, "case {case_id}");
    }
    let progress = docket::store::progress::for_run(&env.pool, "e2e")
        .await
        .unwrap();
    assert_eq!(
        (progress.total, progress.published, progress.reviewed),
        (2000, 2000, 2000)
    );
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_publishes_and_a_channel_closed_before_ack_leave_one_outcome_each() {
    // Arrange: 600 cases, every job published twice (once by enqueue, once more after a reset).
    let env = TestEnv::new().await;
    import(&env, &backlog(600, 11)).await;
    let (run_id, _) = create_run(&env, "dup").await;
    env.enqueue("dup").await.unwrap();
    docket::store::publishes::reset(&env.pool, run_id)
        .await
        .unwrap();
    let again = env.enqueue("dup").await.unwrap();
    assert_eq!(again.published, 600);

    // Act: a worker that commits its first batch and loses its channel before the ack, then a
    // healthy worker.
    let faulty = env.start_worker(Some(Fault::CloseChannelBeforeAck));
    env.wait_for_outcomes(run_id, 1, Duration::from_secs(30))
        .await;
    faulty.stop().await;
    let healthy = env.start_worker(None);
    env.wait_for_outcomes(run_id, 600, Duration::from_secs(60))
        .await;
    // Let the redelivered and duplicate jobs drain too.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while healthy.metrics.jobs_received.get() < 1200 - 500 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let metrics = healthy.metrics.clone();
    healthy.stop().await;

    // Assert
    assert_eq!(env.outcome_count(run_id).await, 600);
    let dups: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT case_id FROM outcomes GROUP BY run_id, case_id HAVING count(*) > 1) d",
    )
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(dups, 0);
    assert!(
        metrics.jobs_duplicate.get() > 0,
        "the healthy worker saw the duplicates and redeliveries"
    );
    env.cleanup().await;
}

fn single(run: &str, case: &str) -> Vec<u8> {
    format!(
        r#"{{"schema":"docket.review/v1","job_id":"{}","run_id":"{run}","case":{case}}}"#,
        uuid::Uuid::new_v4()
    )
    .into_bytes()
}

fn edited(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut v: serde_json::Value = serde_json::from_str(EXAMPLE).unwrap();
    edit(&mut v);
    v.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_messages_are_dead_lettered_with_reasons_and_good_ones_reviewed() {
    // Arrange
    let env = TestEnv::new().await;
    let (run_id, _) = create_open_run(&env, "poison").await;
    let good = |i: usize| {
        single(
            "poison",
            &edited(|v| v["case_id"] = format!("GOOD-{i}").into()),
        )
    };
    let poison: Vec<(Vec<u8>, &str)> = vec![
        (b"this is not json".to_vec(), "."),
        (
            single("poison", &edited(|v| v["nickname"] = "x".into())),
            "case.nickname",
        ),
        (
            single("poison", &edited(|v| v["a_number"] = "A12".into())),
            "case.a_number",
        ),
        (
            single("poison", &edited(|v| v["filed_on"] = "2010-02-30".into())),
            "case.filed_on",
        ),
        (single("no-such-run", EXAMPLE), "run_id"),
        (
            String::from_utf8(single("poison", EXAMPLE))
                .unwrap()
                .replace("docket.review/v1", "docket.review/v0")
                .into_bytes(),
            "schema",
        ),
    ];
    let mut bodies = Vec::new();
    for i in 0..10 {
        bodies.push(good(i));
        if let Some((p, _)) = poison.get(i) {
            bodies.push(p.clone());
        }
    }

    // Act
    env.publish_raw(&bodies).await;
    let worker = env.start_worker(None);
    env.wait_for_outcomes(run_id, 10, Duration::from_secs(30))
        .await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while worker.metrics.dead_lettered() < 6 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    worker.stop().await;

    // Assert
    assert_eq!(env.outcome_count(run_id).await, 10);
    let dead = env.dead_letters().await;
    assert_eq!(dead.len(), 6);
    let mut fields: Vec<String> = dead
        .iter()
        .map(|(_, h)| header(h, "x-docket-field").unwrap())
        .collect();
    fields.sort();
    let mut want: Vec<String> = poison.iter().map(|(_, f)| f.to_string()).collect();
    want.sort();
    assert_eq!(fields, want);
    for (body, h) in &dead {
        let reason = header(h, "x-docket-reason").unwrap();
        assert!(!reason.is_empty());
        assert!(
            poison.iter().any(|(p, _)| p == body),
            "the original body is kept"
        );
    }
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_job_inside_a_batch_message_is_dead_lettered_alone() {
    let env = TestEnv::new().await;
    let (run_id, _) = create_open_run(&env, "batch").await;
    let job = |case: String| format!(r#"{{"job_id":"{}","case":{case}}}"#, uuid::Uuid::new_v4());
    let jobs = [
        job(edited(|v| v["case_id"] = "B-1".into())),
        job(edited(|v| {
            v["case_id"] = "B-2".into();
            v["custody"] = "X".into();
        })),
        job(edited(|v| v["case_id"] = "B-3".into())),
    ];
    let body = format!(
        r#"{{"schema":"docket.review.batch/v1","run_id":"batch","jobs":[{}]}}"#,
        jobs.join(",")
    );
    env.publish_raw(&[body.into_bytes()]).await;
    let worker = env.start_worker(None);
    env.wait_for_outcomes(run_id, 2, Duration::from_secs(30))
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    worker.stop().await;

    assert_eq!(env.outcome_count(run_id).await, 2);
    let dead = env.dead_letters().await;
    assert_eq!(dead.len(), 1);
    let (body, headers) = &dead[0];
    assert_eq!(header(headers, "x-docket-field").unwrap(), "case.custody");
    let v: serde_json::Value = serde_json::from_slice(body).unwrap();
    assert_eq!(v["schema"], "docket.review/v1");
    assert_eq!(v["case"]["case_id"], "B-2");
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_keeps_good_lines_and_reports_bad_ones_by_line_number() {
    let env = TestEnv::new().await;
    let mut lines: Vec<String> = String::from_utf8(backlog(5, 3))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines.insert(1, "{not json".into());
    lines.insert(3, edited(|v| v["a_number"] = "X1".into()));
    lines.push(lines[0].clone());
    let file = lines.join("\n");
    let case_indexes = || {
        sqlx::query_scalar::<_, String>(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'cases' ORDER BY indexname",
        )
        .fetch_all(&env.pool)
    };
    let migrated = case_indexes().await.unwrap();

    // The first import loads the empty table directly and builds its indexes again.
    let (s, rejects) = import(&env, file.as_bytes()).await;
    assert_eq!(case_indexes().await.unwrap(), migrated);
    assert_eq!((s.lines, s.counts.inserted, s.rejected), (8, 5, 3));
    let r: Vec<&str> = rejects.lines().collect();
    assert_eq!(r.len(), 3);
    assert!(r[0].starts_with("line 2: "), "{}", r[0]);
    assert!(r[1].starts_with("line 4: a_number: "), "{}", r[1]);
    assert_eq!(r[2], "line 8: case_id: duplicate of line 1");
    assert!(!rejects.contains("X1"), "rejects never echo values");

    let (again, rejects_again) = import(&env, file.as_bytes()).await;
    assert_eq!(
        rejects_again, rejects,
        "the staged merge rejects the same lines"
    );
    assert_eq!(
        (
            again.counts.inserted,
            again.counts.updated,
            again.counts.unchanged
        ),
        (0, 0, 5)
    );

    let mut changed: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    changed["next_hearing"] = "2013-01-02".into();
    let (upd, _) = import(&env, changed.to_string().as_bytes()).await;
    assert_eq!((upd.counts.inserted, upd.counts.updated), (0, 1));
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_published_by_hand_per_the_contract_is_reviewed_and_shown() {
    let env = TestEnv::new().await;
    let (run_id, _) = create_open_run(&env, "by-hand").await;
    env.publish_raw(&[single("by-hand", EXAMPLE)]).await;
    let worker = env.start_worker(None);
    env.wait_for_outcomes(run_id, 1, Duration::from_secs(30))
        .await;
    worker.stop().await;

    let o = docket::store::outcomes::find(&env.pool, run_id, "DEN-2011-000123")
        .await
        .unwrap()
        .expect("an outcome");
    let rules = RuleSet::from_toml(RULES).unwrap();
    let case = Case::from_json(EXAMPLE.as_bytes()).unwrap();
    let eval = rules.evaluate(
        &case,
        &EvalContext {
            as_of: rules.effective().from,
            courts: None,
        },
    );
    assert_eq!(o.decision, eval.decision.as_str());
    assert_eq!(o.score, eval.score);
    assert_eq!(o.rules_hash, docket::rules::content_hash(RULES));
    assert_eq!(o.fired, serde_json::to_value(&eval.fired).unwrap());
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrating_twice_changes_nothing() {
    let env = TestEnv::new().await;
    docket::store::migrate(&env.pool).await.unwrap();
    docket::store::migrate(&env.pool).await.unwrap();
    env.cleanup().await;
}
