//! A worker killed with SIGKILL mid-run, and one stopped with SIGTERM mid-batch.

use std::time::Duration;

use crate::env::{FaultEnv, signal, wait_exit};

/// Notifications queued more than once for the same (case, recipient, channel).
async fn doubled_notices(env: &FaultEnv, run_id: i64) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT 1 FROM notifications WHERE run_id = $1
         GROUP BY case_id, recipient, channel HAVING count(*) > 1) d",
    )
    .bind(run_id)
    .fetch_one(&env.pool)
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_run_then_a_new_worker_leaves_exactly_one_outcome_and_one_set_of_notices_each()
{
    // Arrange: 20,000 cases under a rule set that offers without approval, so the worker itself
    // queues the offer notices in the batch's transaction.
    let env = FaultEnv::new().await;
    let rules = env.rules_without_approval();
    let run_id = env.prepare(20_000, "killed", &rules).await;
    let mut first = env.worker("worker-1.log");

    // Act: SIGKILL once a quarter is recorded, then start another worker.
    env.wait_outcomes(run_id, 5_000, Duration::from_secs(180))
        .await;
    first.kill().unwrap();
    first.wait().unwrap();
    let at_kill = env.outcomes(run_id).await;
    let mut second = env.worker("worker-2.log");
    env.wait_outcomes(run_id, 20_000, Duration::from_secs(300))
        .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    signal(&second, "TERM");
    let (status, _) = wait_exit(&mut second, Duration::from_secs(30)).await;

    // Assert
    eprintln!(
        "outcomes at SIGKILL: {at_kill}; after the second worker: {}",
        env.outcomes(run_id).await
    );
    assert!(
        at_kill < 20_000,
        "the kill came too late to test anything ({at_kill})"
    );
    assert!(status.success());
    assert_eq!(env.outcomes(run_id).await, 20_000);
    let offers: i64 =
        sqlx::query_scalar("SELECT count(*) FROM offers WHERE run_id = $1 AND state = 'offered'")
            .bind(run_id)
            .fetch_one(&env.pool)
            .await
            .unwrap();
    let recommended: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outcomes WHERE run_id = $1 AND decision = 'offer_recommended'",
    )
    .bind(run_id)
    .fetch_one(&env.pool)
    .await
    .unwrap();
    let noticed: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT case_id) FROM notifications WHERE run_id = $1")
            .bind(run_id)
            .fetch_one(&env.pool)
            .await
            .unwrap();
    eprintln!("offers {offers}, recommended {recommended}, cases with notices {noticed}");
    assert!(offers > 0);
    assert_eq!(offers, recommended);
    assert_eq!(noticed, offers, "every offer has its notices");
    assert_eq!(doubled_notices(&env, run_id).await, 0);
    assert_eq!(env.depth(&env.settings.amqp.queue).await, 0);
    assert_eq!(env.depth(&env.settings.amqp.dead_letter_queue).await, 0);
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_mid_batch_exits_zero_within_the_grace_and_loses_nothing() {
    // Arrange: one case per message, so a batch is many messages and the run takes a while.
    let mut env = FaultEnv::new().await;
    env.set("DOCKET_ENQUEUE__CASES_PER_MESSAGE", "1");
    env.set("DOCKET_WORKER__SHUTDOWN_GRACE_SECS", "10");
    env.set("DOCKET_WORKER__BATCH_CASES", "200");
    let rules = env.rules_without_approval();
    let run_id = env.prepare(6_000, "termed", &rules).await;
    let mut worker = env.worker("worker-1.log");

    // Act
    env.wait_outcomes(run_id, 400, Duration::from_secs(120))
        .await;
    signal(&worker, "TERM");
    let (status, took) = wait_exit(&mut worker, Duration::from_secs(30)).await;
    let at_stop = env.outcomes(run_id).await;
    let left = env.depth(&env.settings.amqp.queue).await;
    let mut again = env.worker("worker-2.log");
    env.wait_outcomes(run_id, 6_000, Duration::from_secs(180))
        .await;
    signal(&again, "TERM");
    wait_exit(&mut again, Duration::from_secs(30)).await;

    // Assert
    eprintln!("stopped in {took:?} with {at_stop} outcomes and {left} messages queued");
    assert!(status.success(), "{}", env.log("worker-1.log"));
    assert!(took < Duration::from_secs(10));
    assert!(env.log("worker-1.log").contains("Worker stopped"));
    assert!(
        at_stop < 6_000 && i64::from(left) == 6_000 - at_stop,
        "every job is done once or still queued"
    );
    assert_eq!(env.outcomes(run_id).await, 6_000);
    assert_eq!(doubled_notices(&env, run_id).await, 0);
    env.cleanup().await;
}

/// A worker whose database stops answering mid-batch (connections open, nothing passes).
async fn stalled_worker(grace: &str) -> (FaultEnv, crate::proxy::Proxy, crate::env::Worker, i64) {
    let mut env = FaultEnv::new().await;
    let proxy = crate::proxy::Proxy::start(5432).await;
    env.set("DOCKET_WORKER__SHUTDOWN_GRACE_SECS", grace);
    // A pool that waits long for a connection: the batch hangs rather than failing and retrying.
    env.set("DOCKET_DATABASE__CONNECT_TIMEOUT_SECS", "120");
    env.set("DOCKET_ENQUEUE__CASES_PER_MESSAGE", "1");
    let rules = env.rules_without_approval();
    let run_id = env.setup(3_000, "stalled", &rules).await;
    let direct = env.db_url.clone();
    env.set(
        "DOCKET_DATABASE__URL",
        direct.replace("127.0.0.1:5432", &proxy.addr()),
    );
    let worker = env.worker("worker.log");
    let addr = crate::env::metrics_addr(&env, "worker.log").await;
    // The database stops answering before the jobs arrive: the first batch hangs in its commit.
    proxy.set(crate::proxy::Mode::Stall);
    let status = env
        .docket(&["enqueue", "--run", "stalled", "--quiet"], "enqueue")
        .env("DOCKET_DATABASE__URL", direct)
        .status()
        .unwrap();
    assert!(status.success());
    for _ in 0..50 {
        if crate::env::gauge(&addr, "docket_jobs_in_flight").await > Some(0.0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(crate::env::gauge(&addr, "docket_jobs_in_flight").await > Some(0.0));
    (env, proxy, worker, run_id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_stuck_past_the_grace_is_given_up_and_a_second_signal_exits_at_once() {
    // Arrange: two workers whose commits hang.
    let (env, proxy, mut patient, _) = stalled_worker("2").await;
    let (env2, proxy2, mut hurried, run2) = stalled_worker("60").await;

    // Act: one SIGTERM to the first; two SIGINTs to the second.
    let signalled = std::time::Instant::now();
    signal(&patient, "TERM");
    signal(&hurried, "INT");
    tokio::time::sleep(Duration::from_millis(300)).await;
    signal(&hurried, "INT");
    let (hurried_status, hurried_took) = wait_exit(&mut hurried, Duration::from_secs(10)).await;
    let (patient_status, _) = wait_exit(&mut patient, Duration::from_secs(20)).await;
    let patient_took = signalled.elapsed();

    // Assert: the grace is kept (and said), the second signal is obeyed at once, and the jobs of
    // the abandoned batches are still queued for the next worker.
    eprintln!(
        "grace 2 s: exit {patient_status:?} after {patient_took:?}; two signals: {hurried_status:?} after {hurried_took:?}"
    );
    assert_eq!(hurried_status.code(), Some(130));
    assert!(hurried_took < Duration::from_secs(3));
    assert!(!patient_status.success(), "{}", env.log("worker.log"));
    assert!(patient_took >= Duration::from_secs(2) && patient_took < Duration::from_secs(8));
    assert!(env.log("worker.log").contains("shutdown_grace_secs"));
    proxy.refuse(false);
    proxy2.refuse(false);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let recorded = env2.outcomes(run2).await;
    let queued = env2.depth(&env2.settings.amqp.queue).await;
    assert_eq!(recorded + i64::from(queued), 3_000, "nothing lost");
    env.cleanup().await;
    env2.cleanup().await;
}
