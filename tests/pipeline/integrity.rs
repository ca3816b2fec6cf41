//! The imported record is the truth: a job that carries other facts for an imported case, or a
//! case that is not in its run, is dead-lettered, never recorded.

use std::time::{Duration, Instant};

use docket::domain::{Case, Decision};
use docket::rules::{EvalContext, RuleSet};

use crate::helpers::{RunningWorker, TestEnv, header};
use crate::{RULES, create_open_run, create_run, edited, import, single};

/// The fixture case as `id`, with an aggravated felony on its record (an enforcement priority).
fn felon(id: &str) -> String {
    edited(|v| {
        v["case_id"] = id.into();
        v["convictions"] = serde_json::json!([{"offense": "Assault", "level": "aggravated_felony",
            "category": "violence", "convicted_on": "2005-01-01"}]);
    })
}

/// The same case with its convictions removed and another address: what a forger would send.
fn forged(id: &str) -> String {
    edited(|v| {
        v["case_id"] = id.into();
        v["convictions"] = serde_json::json!([]);
        v["respondent"]["address"]["line1"] = "1 Forger Way".into();
    })
}

fn decide(record: &str) -> Decision {
    let rules = RuleSet::from_toml(RULES).unwrap();
    let ctx = EvalContext {
        as_of: rules.effective().from,
        courts: None,
    };
    rules
        .evaluate(&Case::from_json(record.as_bytes()).unwrap(), &ctx)
        .decision
}

async fn wait_dead(worker: &RunningWorker, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while worker.metrics.dead_lettered() < n && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Dead letters as (kind, field, body).
async fn dead(env: &TestEnv) -> Vec<(String, String, Vec<u8>)> {
    let mut out: Vec<_> = env
        .dead_letters()
        .await
        .into_iter()
        .map(|(body, h)| {
            (
                header(&h, "x-docket-kind").unwrap(),
                header(&h, "x-docket-field").unwrap(),
                body,
            )
        })
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_with_other_facts_than_the_imported_case_is_dead_lettered_and_the_import_decides() {
    // Arrange: an imported enforcement priority, and a forged job for it published first.
    let env = TestEnv::new().await;
    let (truth, lie) = (felon("DEN-1"), forged("DEN-1"));
    assert_eq!(decide(&truth), Decision::EnforcementPriority);
    assert_eq!(decide(&lie), Decision::OfferRecommended);
    import(&env, truth.as_bytes()).await;
    let (run_id, _) = create_run(&env, "truth").await;
    let forged_job = single("truth", &lie);
    env.publish_raw(std::slice::from_ref(&forged_job)).await;

    // Act
    env.enqueue("truth").await.unwrap();
    let worker = env.start_worker(None);
    env.wait_for_outcomes(run_id, 1, Duration::from_secs(30))
        .await;
    wait_dead(&worker, 1).await;
    let mismatches = worker
        .metrics
        .jobs_dead_lettered
        .with_label_values(&["facts_mismatch"])
        .get();
    worker.stop().await;

    // Assert
    let o = docket::store::outcomes::find(&env.pool, run_id, "DEN-1")
        .await
        .unwrap()
        .expect("an outcome");
    assert_eq!(o.decision, "enforcement_priority");
    let imported: String =
        sqlx::query_scalar("SELECT facts_hash FROM cases WHERE case_id = 'DEN-1'")
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert_eq!(o.facts_hash, imported);
    let offers: i64 = sqlx::query_scalar("SELECT count(*) FROM offers")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert_eq!(offers, 0);
    assert_eq!(mismatches, 1);
    assert_eq!(
        dead(&env).await,
        vec![("facts_mismatch".into(), "case".into(), forged_job)]
    );
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_for_cases_outside_the_run_are_dead_lettered_and_progress_stays_at_100_percent() {
    // Arrange: two members; a case imported after the run was created; one never imported.
    let env = TestEnv::new().await;
    let members = [felon("DEN-1"), forged("DEN-2")];
    import(&env, members.join("\n").as_bytes()).await;
    let (run_id, _) = create_run(&env, "closed").await;
    let late = forged("DEN-3");
    import(&env, late.as_bytes()).await;
    let strangers = vec![single("closed", &late), single("closed", &forged("NEW-1"))];
    env.publish_raw(&strangers).await;

    // Act
    env.enqueue("closed").await.unwrap();
    let worker = env.start_worker(None);
    env.wait_for_outcomes(run_id, 2, Duration::from_secs(30))
        .await;
    wait_dead(&worker, 2).await;
    worker.stop().await;

    // Assert
    let progress = docket::store::progress::for_run(&env.pool, "closed")
        .await
        .unwrap();
    assert_eq!((progress.reviewed, progress.total), (2, 2));
    assert_eq!(env.outcome_count(run_id).await, 2);
    let letters = dead(&env).await;
    assert_eq!(letters.len(), 2);
    assert!(letters.iter().all(|(kind, _, _)| kind == "not_in_run"));
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM cases WHERE case_id = 'NEW-1'")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0, "a refused job stores nothing");
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_run_takes_new_cases_by_message_but_not_other_facts_for_imported_ones() {
    // Arrange: one imported member; a new case and a forged member arrive by message.
    let env = TestEnv::new().await;
    import(&env, felon("DEN-1").as_bytes()).await;
    let (run_id, members) = create_open_run(&env, "open").await;
    assert_eq!(members, 1);
    let forged_job = single("open", &forged("DEN-1"));
    let bodies = vec![forged_job.clone(), single("open", &forged("NEW-1"))];
    env.publish_raw(&bodies).await;

    // Act
    env.enqueue("open").await.unwrap();
    let worker = env.start_worker(None);
    env.wait_for_outcomes(run_id, 2, Duration::from_secs(30))
        .await;
    wait_dead(&worker, 1).await;
    worker.stop().await;

    // Assert
    let progress = docket::store::progress::for_run(&env.pool, "open")
        .await
        .unwrap();
    assert_eq!((progress.reviewed, progress.total), (2, 2));
    let new = docket::store::outcomes::find(&env.pool, run_id, "NEW-1")
        .await
        .unwrap()
        .expect("the new case joined the run");
    assert_eq!(new.decision, "offer_recommended");
    let old = docket::store::outcomes::find(&env.pool, run_id, "DEN-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old.decision, "enforcement_priority");
    assert_eq!(
        dead(&env).await,
        vec![("facts_mismatch".into(), "case".into(), forged_job)]
    );
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_count_set_by_the_producer_is_not_trusted_on_a_first_delivery() {
    // Arrange: a valid job that claims 50 earlier deliveries (the limit is 10).
    let env = TestEnv::new().await;
    import(&env, felon("DEN-1").as_bytes()).await;
    let (run_id, _) = create_run(&env, "counted").await;
    let mut headers = lapin::types::FieldTable::default();
    headers.insert(
        "x-delivery-count".into(),
        lapin::types::AMQPValue::LongLongInt(50),
    );
    let job = single("counted", &felon("DEN-1"));
    env.publish_with_headers(&[job], headers).await;

    // Act
    let worker = env.start_worker(None);
    env.wait_for_outcomes(run_id, 1, Duration::from_secs(30))
        .await;
    worker.stop().await;

    // Assert
    assert_eq!(env.outcome_count(run_id).await, 1);
    assert!(dead(&env).await.is_empty());
    env.cleanup().await;
}
