//! The worker's batch step driven directly against the real database, with no broker: what a
//! batch comes to (acknowledge, retry in place) and what must be published after its commit.

use std::io::Cursor;
use std::path::Path;

use docket::config::Settings;
use docket::store::run_state::{self, Change};
use docket::telemetry::metrics::WorkerMetrics;
use docket::worker::review::Received;
use docket::worker::runs::RunCache;
use docket::worker::step::{BatchStep, Disposition, Verdict};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::scratch::Scratch;

/// A database (no queues) with `cases` imported and a run `name` over them; returns the bodies
/// of one single-case job message per case.
async fn setup(name: &str, cases: usize) -> (Scratch, i64, Vec<Vec<u8>>) {
    let scratch = Scratch::new("step", false, |_| {}).await;
    let mut ndjson = Vec::new();
    docket::generate::write_ndjson(&mut ndjson, cases, 5).unwrap();
    docket::import::import(&scratch.pool, Cursor::new(&ndjson), std::io::sink())
        .await
        .unwrap();
    let rules = Path::new("config/rules/morton-2011.toml");
    let (run_id, _) = docket::commands::run_create(&scratch.pool, name, rules, &[], None)
        .await
        .unwrap();
    let bodies = ndjson
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|case| {
            format!(
                r#"{{"schema":"docket.review/v1","job_id":"{}","run_id":"{name}","case":{}}}"#,
                uuid::Uuid::new_v4(),
                String::from_utf8_lossy(case)
            )
            .into_bytes()
        })
        .collect();
    (scratch, run_id, bodies)
}

fn batch(bodies: &[Vec<u8>]) -> Vec<Received> {
    bodies
        .iter()
        .enumerate()
        .map(|(i, b)| Received::decode(i as u64 + 1, b.clone()))
        .collect()
}

async fn step(
    pool: &PgPool,
    settings: &Settings,
    metrics: &WorkerMetrics,
    runs: &mut RunCache,
    batch: &[Received],
) -> Verdict {
    let step = BatchStep {
        pool,
        settings: &settings.worker,
        name: "step-test",
        metrics,
    };
    step.process(runs, batch, &CancellationToken::new()).await
}

async fn outcomes(pool: &PgPool, run_id: i64) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outcomes WHERE run_id = $1")
        .bind(run_id)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_recorded_once_and_its_redelivery_only_counts_duplicates() {
    // Arrange
    let (env, run_id, bodies) = setup("step-once", 40).await;
    let metrics = WorkerMetrics::new();
    let mut runs = RunCache::default();

    // Act
    let first = step(
        &env.pool,
        &env.settings,
        &metrics,
        &mut runs,
        &batch(&bodies),
    )
    .await;
    let again = step(
        &env.pool,
        &env.settings,
        &metrics,
        &mut runs,
        &batch(&bodies),
    )
    .await;

    // Assert
    assert!(
        matches!(first.disposition, Disposition::Acknowledge),
        "{:?}",
        first.disposition
    );
    let recorded: u64 = first.after.recorded.completed.iter().map(|(_, n)| n).sum();
    assert_eq!((first.after.recorded.jobs, recorded), (40, 40));
    assert!(first.after.dead_letters.is_empty());
    assert!(matches!(again.disposition, Disposition::Acknowledge));
    assert!(again.after.recorded.completed.is_empty());
    assert_eq!(again.after.recorded.duplicates, 40);
    assert_eq!(outcomes(&env.pool, run_id).await, 40);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_overlapping_recorded_outcomes_records_the_new_ones_and_counts_each_once() {
    // Arrange: the first 20 cases recorded; then a batch of cases 10..40 (a redelivery that
    // overlaps them), whose plain insert fails and is made again skipping the 10 recorded.
    let (env, run_id, bodies) = setup("step-overlap", 40).await;
    let metrics = WorkerMetrics::new();
    let mut runs = RunCache::default();
    let first = step(
        &env.pool,
        &env.settings,
        &metrics,
        &mut runs,
        &batch(&bodies[..20]),
    )
    .await;
    assert!(matches!(first.disposition, Disposition::Acknowledge));

    // Act
    let overlapping = step(
        &env.pool,
        &env.settings,
        &metrics,
        &mut runs,
        &batch(&bodies[10..]),
    )
    .await;

    // Assert
    assert!(
        matches!(overlapping.disposition, Disposition::Acknowledge),
        "{:?}",
        overlapping.disposition
    );
    let recorded: u64 = overlapping
        .after
        .recorded
        .completed
        .iter()
        .map(|(_, n)| n)
        .sum();
    assert_eq!((recorded, overlapping.after.recorded.duplicates), (20, 10));
    assert!(overlapping.after.dead_letters.is_empty());
    assert_eq!(outcomes(&env.pool, run_id).await, 40);
    // The failed first attempt was rolled back whole: the counters hold each outcome once.
    let counted: i64 = sqlx::query_scalar(
        "SELECT sum(n)::bigint FROM run_counts WHERE run_id = $1 AND kind = 'decision'",
    )
    .bind(run_id)
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!(counted, 40);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_unknown_runs_and_paused_runs_come_back_as_publishes_after_the_commit() {
    // Arrange: two good jobs, a body that is not JSON, a job for a run that does not exist, and
    // the jobs of a paused run.
    let (env, run_id, bodies) = setup("step-mixed", 4).await;
    let rules = Path::new("config/rules/morton-2011.toml");
    docket::commands::run_create(&env.pool, "step-paused", rules, &[], None)
        .await
        .unwrap();
    let pause = Change {
        state: "paused",
        rate: None,
        actor: "test",
        reason: "test",
    };
    run_state::set(&env.pool, "step-paused", &pause)
        .await
        .unwrap();
    let paused = String::from_utf8(bodies[2].clone())
        .unwrap()
        .replace("\"run_id\":\"step-mixed\"", "\"run_id\":\"step-paused\"");
    let unknown = String::from_utf8(bodies[3].clone())
        .unwrap()
        .replace("\"run_id\":\"step-mixed\"", "\"run_id\":\"no-such-run\"");
    let mixed = vec![
        bodies[0].clone(),
        bodies[1].clone(),
        b"not json".to_vec(),
        unknown.into_bytes(),
        paused.into_bytes(),
    ];

    // Act
    let metrics = WorkerMetrics::new();
    let v = step(
        &env.pool,
        &env.settings,
        &metrics,
        &mut RunCache::default(),
        &batch(&mixed),
    )
    .await;

    // Assert
    assert!(
        matches!(v.disposition, Disposition::Acknowledge),
        "{:?}",
        v.disposition
    );
    assert_eq!(outcomes(&env.pool, run_id).await, 2);
    let mut kinds: Vec<&str> = v.after.dead_letters.iter().map(|d| d.kind).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["decode", "unknown_run"]);
    assert_eq!(v.after.parked.get("step-paused"), Some(&vec![4]));
    let flagged: bool = sqlx::query_scalar("SELECT parked FROM runs WHERE name = 'step-paused'")
        .fetch_one(&env.pool)
        .await
        .unwrap();
    assert!(flagged, "the run is flagged before its messages are parked");
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_that_cannot_be_reached_keeps_the_batch_for_a_retry_in_place() {
    // Arrange: a pool on a port nothing listens on.
    let (env, _, bodies) = setup("step-down", 2).await;
    let down = sqlx::postgres::PgPoolOptions::new()
        .acquire_timeout(std::time::Duration::from_secs(2))
        .connect_lazy("postgres://postgres@127.0.0.1:1/none")
        .unwrap();

    // Act
    let metrics = WorkerMetrics::new();
    let v = step(
        &down,
        &env.settings,
        &metrics,
        &mut RunCache::default(),
        &batch(&bodies),
    )
    .await;

    // Assert
    assert!(
        matches!(v.disposition, Disposition::RetryInPlace(_)),
        "{:?}",
        v.disposition
    );
    assert!(v.after.dead_letters.is_empty() && v.after.pieces.is_empty());
    env.cleanup().await;
}
