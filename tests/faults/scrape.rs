//! `docket serve`'s /metrics while its database hangs: the scrape answers in time with the last
//! values it read, says it is not ready, and counts the failed refresh.

use std::time::{Duration, Instant};

use crate::env::{FaultEnv, logged_addr, signal, wait_exit};
use crate::proxy::{Mode, Proxy};

/// One scrape of /metrics: its status, body and how long it took (status 0: no answer).
async fn scrape(addr: &str) -> (u16, String, Duration) {
    let started = Instant::now();
    let (status, body) =
        docket::probe::get(&format!("http://{addr}/metrics"), Duration::from_secs(30))
            .await
            .unwrap_or((0, String::new()));
    (status, body, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_database_leaves_serve_metrics_answering_in_time_with_the_last_values() {
    // Arrange: `docket serve` reaches PostgreSQL only through the proxy; a run of 200 cases.
    let mut env = FaultEnv::new().await;
    let rules = env.rules_without_approval();
    env.setup(200, "scrape", &rules).await;
    let proxy = Proxy::start(5432).await;
    env.set(
        "DOCKET_DATABASE__URL",
        env.db_url.replace("127.0.0.1:5432", &proxy.addr()),
    );
    env.set("DOCKET_SERVE__LISTEN", "127.0.0.1:0");
    let mut serve = env.spawn(&["serve"], "serve.log");
    let addr = logged_addr(
        &env,
        "serve.log",
        "Serving run progress and health.",
        "listen",
    )
    .await;
    let total = "docket_run_cases{run=\"scrape\",stage=\"total\"} 200";
    let (status, before, _) = scrape(&addr).await;
    assert_eq!(status, 200);
    assert!(before.contains(total), "{before}");

    // Act: the database stops answering (connections stay open, nothing passes).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    proxy.set(Mode::Stall);
    // Two scrapers at once (a Prometheus pair): the second must not wait out a read of its own
    // after the first one's.
    let ((status, during, took), (status2, _, took2)) = tokio::join!(scrape(&addr), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        scrape(&addr).await
    });
    proxy.set(Mode::Pass);
    let mut after = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline && !after.contains("docket_ready 1") {
        tokio::time::sleep(Duration::from_millis(500)).await;
        after = scrape(&addr).await.1;
    }
    signal(&serve, "TERM");
    let (exit, _) = wait_exit(&mut serve, Duration::from_secs(15)).await;

    // Assert: answered within Prometheus's default 10 s scrape timeout, not ready, the last
    // values kept, the failure counted; fresh and ready again once the database answers.
    eprintln!("scrapes during the hang took {took:?} and {took2:?}");
    assert_eq!((status, status2), (200, 200));
    assert!(took < Duration::from_secs(9), "the scrape took {took:?}");
    assert!(
        took2 < Duration::from_secs(9),
        "the second scrape took {took2:?}"
    );
    assert!(during.contains("docket_ready 0"), "{during}");
    assert!(during.contains(total), "{during}");
    assert!(
        during.contains("docket_progress_refresh_errors_total 1"),
        "{during}"
    );
    assert!(after.contains("docket_ready 1"), "{after}");
    assert!(after.contains(total), "{after}");
    assert!(exit.success());
    env.cleanup().await;
}
