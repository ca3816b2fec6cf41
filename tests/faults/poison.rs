//! A flood of poison messages mixed with good ones.

use std::collections::BTreeMap;
use std::time::Duration;

use docket::queue::dead_letter::{KIND_HEADER, REASON_HEADER};

use crate::env::{FaultEnv, peak_rss_kib, signal, wait_exit};

/// The fixture case as a single-case message of `run`, with `edit` applied to the case.
pub fn message(run: &str, edit: impl FnOnce(&mut serde_json::Value)) -> Vec<u8> {
    let mut case: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/case.json")).unwrap();
    edit(&mut case);
    serde_json::json!({
        "schema": "docket.review/v1",
        "job_id": uuid::Uuid::new_v4().to_string(),
        "run_id": run,
        "case": case,
    })
    .to_string()
    .into_bytes()
}

/// A header's text.
pub fn text(d: &lapin::message::Delivery, key: &str) -> Option<String> {
    match d.properties.headers().as_ref()?.inner().get(key)? {
        lapin::types::AMQPValue::LongString(s) => {
            Some(String::from_utf8_lossy(s.as_bytes()).into_owned())
        }
        _ => None,
    }
}

/// 3,000 poison messages of five kinds.
fn poison(run: &str) -> Vec<Vec<u8>> {
    (0..3_000)
        .map(|i| match i % 5 {
            0 => b"{\"schema\": not json".to_vec(),
            1 => message(run, |c| c["a_number"] = "X-not-a-number".into()),
            2 => message("no-such-run", |c| c["case_id"] = format!("NSR-{i}").into()),
            3 => br#"{"schema":"docket.review/v9","run_id":"x"}"#.to_vec(),
            _ => {
                let mut big = message(run, |_| {});
                big.extend(std::iter::repeat_n(b' ', 80 * 1024));
                big
            }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_flood_is_all_dead_lettered_with_reasons_and_every_good_job_is_reviewed_in_bounded_memory()
 {
    // Arrange: 3,000 good single-case jobs between two halves of 3,000 poison messages.
    let mut env = FaultEnv::new().await;
    env.set("DOCKET_ENQUEUE__CASES_PER_MESSAGE", "1");
    env.set("DOCKET_WORKER__MAX_MESSAGE_BYTES", (64 * 1024).to_string());
    let rules = env.rules_without_approval();
    let bad = poison("flood");
    env.publish(&bad[..1_500]).await;
    let run_id = env.prepare(3_000, "flood", &rules).await;
    env.publish(&bad[1_500..]).await;

    // Act
    let mut worker = env.worker("worker.log");
    env.wait_outcomes(run_id, 3_000, Duration::from_secs(240))
        .await;
    for _ in 0..200 {
        if env.depth(&env.settings.amqp.dead_letter_queue).await >= 3_000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let peak = peak_rss_kib(worker.id());
    signal(&worker, "TERM");
    let (status, _) = wait_exit(&mut worker, Duration::from_secs(30)).await;

    // Assert
    let dead = env.drain_dead().await;
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for d in &dead {
        assert!(text(d, REASON_HEADER).is_some_and(|r| !r.is_empty()));
        *kinds.entry(text(d, KIND_HEADER).unwrap()).or_default() += 1;
    }
    eprintln!(
        "dead letters by kind {kinds:?}; worker peak RSS {} MiB",
        peak / 1024
    );
    assert!(status.success());
    assert_eq!(dead.len(), 3_000);
    // Broken JSON is refused at the field where parsing stopped, so it counts as validation too.
    assert_eq!(
        kinds["validation"], 1_800,
        "not JSON, bad A-number, unknown schema"
    );
    assert_eq!(kinds["unknown_run"], 600);
    assert_eq!(kinds["too_large"], 600);
    assert_eq!(env.outcomes(run_id).await, 3_000);
    assert!(peak < 300 * 1024, "peak RSS {peak} KiB");
    env.cleanup().await;
}
