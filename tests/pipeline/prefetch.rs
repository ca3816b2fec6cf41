//! Prefetch: a consumer learns how many cases messages carry and subscribes again with a prefetch
//! to match, so producers that send one case per message still get full batches.

use std::time::Duration;

use super::helpers::TestEnv;
use super::{backlog, create_run, import};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_case_messages_are_reviewed_in_full_batches() {
    // Arrange: 1,000 cases published one to a message before any worker runs.
    let mut env = TestEnv::new().await;
    env.settings.enqueue.cases_per_message = 1;
    env.settings.worker.consumers = 1;
    env.settings.worker.batch_cases = 100;
    // A long linger, so a loaded machine's slow deliveries still fill batches.
    env.settings.worker.batch_linger_ms = 250;
    import(&env, &backlog(1000, 11)).await;
    let (run_id, _) = create_run(&env, "single").await;
    let published = env.enqueue("single").await.unwrap();
    assert_eq!((published.published, published.messages), (1000, 1000));

    // Act
    let worker = env.start_worker(None);
    env.wait_for_outcomes(run_id, 1000, Duration::from_secs(120))
        .await;
    // Read after the stop: a batch's metrics are recorded just after its commit.
    let metrics = worker.metrics.clone();
    worker.stop().await;
    let batches = metrics.batch_jobs.get_sample_count();
    let jobs = metrics.batch_jobs.get_sample_sum();

    // Assert: the first batch is the one message the consumer starts with; after it the prefetch
    // covers whole batches of 100 (11 batches when nothing is slow). A prefetch stuck at one
    // message makes a batch of every message: 1,000.
    assert_eq!(jobs as u64, 1000);
    assert!(
        batches <= 50,
        "1,000 single-case messages took {batches} batches of at most 100"
    );
    assert_eq!(env.outcome_count(run_id).await, 1000);
    env.cleanup().await;
}
