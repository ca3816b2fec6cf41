//! The outbox relay against PostgreSQL and the SMTP sink.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use docket::notify::metrics::NotifyMetrics;
use docket::notify::relay::{Relay, drain_once};
use docket::notify::store::{StatusCount, counts};
use tokio_util::sync::CancellationToken;

use crate::env::{NotifyEnv, case, offer_notices};
use crate::smtp_sink::Sink;

/// `n` cases with an offer each (respondent letter + email, counsel email); returns email keys.
async fn seed(env: &NotifyEnv, run: &str, n: usize) -> (i64, Vec<String>) {
    let run_id = env.run(run).await;
    let mut emails = Vec::new();
    for i in 0..n {
        let c = case(
            &format!("DEN-2011-{i:06}"),
            if i % 2 == 0 { "es" } else { "en" },
        );
        let keys = env.enqueue(run_id, &c, &offer_notices(&c)).await;
        emails.extend(keys.into_iter().filter(|k| k.ends_with("/email")));
    }
    (run_id, emails)
}

fn relay(env: &NotifyEnv) -> Relay {
    Relay::new(
        env.pool.clone(),
        env.channels(),
        env.notify().clone(),
        NotifyMetrics::standalone(),
    )
}

fn spawn(r: Relay) -> (CancellationToken, tokio::task::JoinHandle<()>) {
    let token = CancellationToken::new();
    let t = token.clone();
    (token, tokio::spawn(async move { r.run(t).await }))
}

async fn wait_until(limit: Duration, mut done: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !done().await {
        assert!(start.elapsed() < limit, "condition not met after {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Message-ID → copies received.
fn copies(sink: &Sink) -> HashMap<String, usize> {
    let mut m = HashMap::new();
    for r in sink.received() {
        *m.entry(r.message_id).or_default() += 1;
    }
    m
}

#[tokio::test]
async fn one_email_per_key_with_two_relays_and_one_killed_mid_send() {
    let sink = Sink::start().await;
    let env = NotifyEnv::new(sink.port()).await;
    let (_, emails) = seed(&env, "kill", 8).await;
    assert_eq!(emails.len(), 16);

    // A relay whose batch hangs in DATA, killed while the server has not answered.
    sink.set_data_delay(Duration::from_secs(30));
    let (_, doomed) = spawn(relay(&env));
    wait_until(Duration::from_secs(10), async || sink.in_data() >= 1).await;
    doomed.abort();
    let _ = doomed.await;
    wait_until(Duration::from_secs(5), async || sink.in_data() == 0).await;
    assert!(sink.aborted() >= 1, "the kill happened mid-DATA");
    assert!(sink.received().is_empty());
    assert_eq!(
        env.count("sent").await,
        0,
        "nothing committed by the killed relay"
    );

    // Two relays side by side finish the work.
    sink.set_data_delay(Duration::from_millis(20));
    let (a, b) = (relay(&env), relay(&env));
    let (ta, ha) = spawn(a.clone());
    let (tb, hb) = spawn(b.clone());
    wait_until(Duration::from_secs(30), async || {
        env.count("pending").await == 0
    })
    .await;
    ta.cancel();
    tb.cancel();
    ha.await.unwrap();
    hb.await.unwrap();

    assert_eq!(env.count("sent").await, 24, "16 emails and 8 letters");
    let got = copies(&sink);
    assert_eq!(
        got.len(),
        emails.len(),
        "one distinct Message-ID per email key"
    );
    assert!(got.values().all(|n| *n == 1), "duplicates: {got:?}");
    let expected: std::collections::HashSet<String> = emails
        .iter()
        .map(|k| docket::notify::email::message_id(k, &env.notify().smtp.message_id_domain))
        .collect();
    assert_eq!(
        got.keys()
            .cloned()
            .collect::<std::collections::HashSet<_>>(),
        expected
    );
    let sent_by = |r: &Relay, ch: &str| r.metrics().sent.with_label_values(&[ch]).get();
    assert_eq!(sent_by(&a, "email") + sent_by(&b, "email"), 16);
    assert!(
        sent_by(&a, "email") > 0 && sent_by(&b, "email") > 0,
        "both relays worked"
    );
    env.cleanup().await;
}

#[tokio::test]
async fn a_server_down_for_a_while_is_retried_with_backoff_then_delivered() {
    let sink = Sink::start_down().await;
    let env = NotifyEnv::new(sink.port()).await;
    let (_, emails) = seed(&env, "down", 2).await;
    let r = relay(&env);
    let (token, handle) = spawn(r.clone());
    wait_until(Duration::from_secs(10), async || {
        r.metrics().retried.with_label_values(&["email"]).get() >= 8
    })
    .await;
    let (status, attempts, error) = env.row(&emails[0]).await;
    assert_eq!(status, "pending");
    assert!(attempts >= 1);
    assert_eq!(error.as_deref(), Some("smtp connection failed"));
    sink.come_up().await;
    wait_until(Duration::from_secs(15), async || {
        env.count("pending").await == 0
    })
    .await;
    token.cancel();
    handle.await.unwrap();
    assert_eq!(env.count("sent").await, 6);
    assert_eq!(copies(&sink).len(), 4);
    assert!(copies(&sink).values().all(|n| *n == 1));
    let received = sink.received();
    let to_counsel = received
        .iter()
        .filter(|m| m.rcpt == ["ana@example.org"])
        .count();
    assert_eq!(to_counsel, 2, "one counsel email per case");
    assert!(received.iter().all(|m| m.data.contains("text/plain")));
    assert_eq!(
        r.metrics()
            .failed
            .with_label_values(&["email", "exhausted"])
            .get(),
        0
    );
    env.cleanup().await;
}

#[tokio::test]
async fn a_5xx_rejection_is_a_permanent_failure_counted_without_the_address() {
    let sink = Sink::start().await;
    sink.reject("ana@example.org");
    let env = NotifyEnv::new(sink.port()).await;
    let (run_id, emails) = seed(&env, "reject", 1).await;
    let r = relay(&env);
    let o = r.drain_all().await.unwrap();
    assert_eq!((o.sent, o.failed, o.retried), (2, 1, 0));
    let counsel = emails.iter().find(|k| k.contains("/counsel/")).unwrap();
    let (status, attempts, error) = env.row(counsel).await;
    assert_eq!((status.as_str(), attempts), ("failed", 1));
    assert_eq!(error.as_deref(), Some("permanent: smtp 550"));
    assert_eq!(
        r.metrics()
            .failed
            .with_label_values(&["email", "permanent"])
            .get(),
        1
    );
    let text = docket::telemetry::metrics::render(&prometheus_registry(&r));
    assert!(text.contains("docket_notifications_failed_total"));
    let c = counts(&env.pool, run_id).await.unwrap();
    let row = |ch: &str, st: &str, n| StatusCount {
        channel: ch.into(),
        status: st.into(),
        count: n,
    };
    assert_eq!(
        c,
        vec![
            row("email", "failed", 1),
            row("email", "sent", 1),
            row("letter", "sent", 1)
        ]
    );
    env.cleanup().await;
}

fn prometheus_registry(r: &Relay) -> prometheus::Registry {
    let reg = prometheus::Registry::new();
    reg.register(Box::new(r.metrics().failed.clone())).unwrap();
    reg
}

#[tokio::test]
async fn transient_failures_end_as_exhausted_after_max_attempts() {
    let sink = Sink::start_down().await;
    let mut env = NotifyEnv::new(sink.port()).await;
    env.settings.notify.max_attempts = 2;
    env.settings.notify.backoff_base_ms = 10;
    let (_, emails) = seed(&env, "exhaust", 1).await;
    let r = relay(&env);
    let first = r.drain_once().await.unwrap();
    assert_eq!(
        (first.retried, first.sent),
        (2, 1),
        "the letter needs no server"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    let second = r.drain_once().await.unwrap();
    assert_eq!(second.failed, 2);
    for k in &emails {
        let (status, attempts, error) = env.row(k).await;
        assert_eq!((status.as_str(), attempts), ("failed", 2));
        assert_eq!(error.as_deref(), Some("exhausted: smtp connection failed"));
    }
    assert_eq!(
        r.metrics()
            .failed
            .with_label_values(&["email", "exhausted"])
            .get(),
        2
    );
    env.cleanup().await;
}

#[tokio::test]
async fn held_rows_are_skipped_and_a_relayed_letter_is_written_once() {
    let sink = Sink::start().await;
    let env = NotifyEnv::new(sink.port()).await;
    let (_, _) = seed(&env, "held", 2).await;
    sqlx::query("UPDATE notifications SET status = 'held' WHERE case_id = 'DEN-2011-000001'")
        .execute(&env.pool)
        .await
        .unwrap();
    let o = drain_once(&env.pool, &env.channels(), env.notify())
        .await
        .unwrap();
    assert_eq!((o.claimed, o.sent), (3, 3));
    assert_eq!(env.count("held").await, 3);
    // A relay that wrote the letter but died before its commit: the row is pending again.
    sqlx::query(
        "UPDATE notifications SET status = 'pending' WHERE channel = 'letter' AND status = 'sent'",
    )
    .execute(&env.pool)
    .await
    .unwrap();
    let o = drain_once(&env.pool, &env.channels(), env.notify())
        .await
        .unwrap();
    assert_eq!(o.sent, 1);
    let day = env.print_dir.path().join("2012-01-16");
    let manifest = docket::notify::print::read_manifest(&day).unwrap();
    assert_eq!(manifest.len(), 1, "one line per key");
    assert_eq!(manifest[0].language, "es");
    let pdfs = std::fs::read_dir(&day)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "pdf")
        })
        .count();
    assert_eq!(pdfs, 1);
    env.cleanup().await;
}
