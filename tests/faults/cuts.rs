//! Network faults: the worker's broker connections closed under it, and its database refusing
//! connections for ten seconds.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::env::{FaultEnv, metrics_addr, signal, wait_exit, wait_gauge};
use crate::proxy::Proxy;

/// RabbitMQ connection pids whose client-given name is this worker's ("docket-worker host:pid"),
/// so only this test's connections are ever closed.
fn worker_connections(pid: u32) -> Vec<String> {
    let out = Command::new("rabbitmqctl")
        .args(["-q", "list_connections", "pid", "client_properties"])
        .output()
        .unwrap();
    let name = format!(":{pid}\"}}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains("connection_name\",\"docket-worker ") && l.contains(&name))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

async fn readyz(addr: &str) -> u16 {
    docket::probe::get(&format!("http://{addr}/readyz"), Duration::from_secs(3))
        .await
        .map_or(0, |(s, _)| s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_workers_broker_connections_mid_run_loses_and_doubles_nothing() {
    // Arrange
    let mut env = FaultEnv::new().await;
    env.set("DOCKET_ENQUEUE__CASES_PER_MESSAGE", "5");
    env.set("DOCKET_WORKER__CONSUMERS", "2");
    let rules = env.rules_without_approval();
    let run_id = env.prepare(20_000, "cut-amqp", &rules).await;
    let mut worker = env.worker("worker.log");
    let addr = metrics_addr(&env, "worker.log").await;
    env.wait_outcomes(run_id, 500, Duration::from_secs(120))
        .await;

    // Act: close this worker's connections, twice.
    let mut closed = 0;
    let mut before = 0;
    for _ in 0..2 {
        let conns = worker_connections(worker.id());
        assert!(!conns.is_empty(), "the worker's connections are listed");
        before = env.outcomes(run_id).await;
        for c in &conns {
            let s = Command::new("rabbitmqctl")
                .args(["-q", "close_connection", c, "fault test: cut"])
                .status()
                .unwrap();
            closed += usize::from(s.success());
        }
        // Resumed by itself: more outcomes after the cut.
        env.wait_outcomes(run_id, before + 200, Duration::from_secs(60))
            .await;
    }
    env.wait_outcomes(run_id, 20_000, Duration::from_secs(180))
        .await;
    // A consumer learns of the cut only when it next touches its channel, then waits out a
    // backoff: the other one may finish the queue first. Both must be back within seconds.
    let connected = wait_gauge(
        &addr,
        "docket_consumers_connected",
        2.0,
        Duration::from_secs(15),
    )
    .await;
    signal(&worker, "TERM");
    let (status, _) = wait_exit(&mut worker, Duration::from_secs(30)).await;

    // Assert
    eprintln!(
        "closed {closed} connections; {before} outcomes before the last cut; {} after",
        env.outcomes(run_id).await
    );
    assert!(closed >= 2);
    assert!(before < 20_000, "the second cut came before the end");
    assert!(status.success());
    assert_eq!(connected, Some(2.0), "both consumers reconnected");
    assert!(
        env.log("worker.log")
            .contains("Consumer stopped; restarting.")
    );
    assert_eq!(env.outcomes(run_id).await, 20_000);
    assert_eq!(env.depth(&env.settings.amqp.queue).await, 0);
    assert_eq!(
        env.depth(&env.settings.amqp.dead_letter_queue).await,
        0,
        "nothing dead-lettered by the cuts"
    );
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_refusing_connections_for_ten_seconds_pauses_the_run_and_it_completes() {
    // Arrange: the worker reaches PostgreSQL only through the proxy.
    let mut env = FaultEnv::new().await;
    env.set("DOCKET_ENQUEUE__CASES_PER_MESSAGE", "10");
    env.set("DOCKET_DATABASE__CONNECT_TIMEOUT_SECS", "2");
    let rules = env.rules_without_approval();
    let run_id = env.prepare(8_000, "cut-pg", &rules).await;
    let proxy = Proxy::start(5432).await;
    env.set(
        "DOCKET_DATABASE__URL",
        env.db_url.replace("127.0.0.1:5432", &proxy.addr()),
    );
    let mut worker = env.worker("worker.log");
    let addr = metrics_addr(&env, "worker.log").await;
    env.wait_outcomes(run_id, 1_000, Duration::from_secs(120))
        .await;
    assert_eq!(readyz(&addr).await, 200);

    // Act: refuse for ten seconds.
    proxy.refuse(true);
    let cut = Instant::now();
    let at_cut = env.outcomes(run_id).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let ready_during = readyz(&addr).await;
    let during = env.outcomes(run_id).await;
    tokio::time::sleep(Duration::from_secs(10).saturating_sub(cut.elapsed())).await;
    let at_restore = env.outcomes(run_id).await;
    proxy.refuse(false);
    env.wait_outcomes(run_id, 8_000, Duration::from_secs(180))
        .await;
    let ready_after = readyz(&addr).await;
    signal(&worker, "TERM");
    let (status, _) = wait_exit(&mut worker, Duration::from_secs(30)).await;

    // Assert: not ready and not writing while the database was away; then everything once.
    eprintln!(
        "outcomes at the cut {at_cut}, 3 s in {during}, at restore {at_restore}, after {}",
        env.outcomes(run_id).await
    );
    assert_eq!(ready_during, 503);
    assert_eq!(
        during, at_restore,
        "nothing was recorded while the database refused"
    );
    assert_eq!(ready_after, 200);
    assert!(status.success());
    let log = env.log("worker.log");
    assert!(
        log.contains("Database unavailable; retrying the batch."),
        "{log}"
    );
    assert_eq!(env.outcomes(run_id).await, 8_000);
    assert_eq!(env.depth(&env.settings.amqp.queue).await, 0);
    assert_eq!(
        env.depth(&env.settings.amqp.dead_letter_queue).await,
        0,
        "no job reached the delivery limit"
    );
    env.cleanup().await;
}
