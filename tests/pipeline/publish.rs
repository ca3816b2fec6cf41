//! Publish progress: the watermark that makes enqueue resumable, and one enqueue per run at a time.

use docket::store::publishes::{self, EnqueueLock};

use super::helpers::TestEnv;
use super::{backlog, create_run, import};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn enqueue_resumes_from_the_watermark_and_republishes_only_when_asked() {
    // Arrange: 1,200 cases in messages of 100.
    let mut env = TestEnv::new().await;
    env.settings.enqueue.cases_per_message = 100;
    import(&env, &backlog(1200, 5)).await;
    let (run_id, _) = create_run(&env, "wm").await;

    // Act: publish everything, then ask again, then start over.
    let first = env.enqueue("wm").await.unwrap();
    let mark = publishes::watermark(&env.pool, run_id).await.unwrap();
    let second = env.enqueue("wm").await.unwrap();
    publishes::reset(&env.pool, run_id).await.unwrap();
    let third = env.enqueue("wm").await.unwrap();

    // Assert: 12 messages the first time, covering every member once; nothing the second time;
    // everything again after the reset.
    assert_eq!(
        (first.published, first.messages, first.already),
        (1200, 12, 0)
    );
    assert_eq!(
        (
            mark.total_cases,
            mark.published_cases,
            mark.published_through
        ),
        (1200, 1200, 1200)
    );
    let (logged, covered): (i64, i64) = sqlx::query_as(
        "SELECT count(*), sum(last_seq - first_seq + 1)::bigint FROM run_publishes WHERE run_id = $1",
    )
    .bind(run_id)
    .fetch_one(&env.pool)
    .await
    .unwrap();
    assert_eq!((logged, covered), (24, 2400));
    assert_eq!(
        (second.published, second.messages, second.already),
        (0, 0, 1200)
    );
    assert_eq!((third.published, third.already), (1200, 0));
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_enqueue_of_the_same_run_is_refused_while_one_publishes() {
    // Arrange: a run whose enqueue lock is held, as by another `docket enqueue`.
    let env = TestEnv::new().await;
    import(&env, &backlog(50, 6)).await;
    let (run_id, _) = create_run(&env, "busy").await;
    let held = EnqueueLock::acquire(&env.pool, run_id, "busy")
        .await
        .unwrap();

    // Act
    let refused = env.enqueue("busy").await;
    held.release().await;
    let after = env.enqueue("busy").await.unwrap();

    // Assert: refused with a reason naming the run, nothing published until the lock was free.
    let message = refused.expect_err("refused").to_string();
    assert!(
        message.contains("another `docket enqueue` of run busy"),
        "{message}"
    );
    assert_eq!(after.published, 50);
    env.cleanup().await;
}
