//! `docket notify retry`: failed notices of a run made pending again and sent once, the others
//! left alone; `docket status` shows failed notices with their reason class.

use docket::domain::{Channel, NoticeKind};
use docket::notify::metrics::NotifyMetrics;
use docket::notify::relay::Relay;
use docket::notify::retry::{FailedGroup, RetryFilter, retry_failed};

use crate::env::{NotifyEnv, case, offer_notices};
use crate::smtp_sink::Sink;

async fn seed(env: &NotifyEnv, run: &str, cases: usize) {
    let run_id = env.run(run).await;
    for i in 0..cases {
        let c = case(&format!("DEN-2011-{run}-{i:04}"), "en");
        env.enqueue(run_id, &c, &offer_notices(&c)).await;
    }
}

fn filter(run: &str, kind: Option<NoticeKind>, channel: Option<Channel>) -> RetryFilter {
    RetryFilter {
        run: run.into(),
        kind,
        channel,
    }
}

async fn failed_in(env: &NotifyEnv, run: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM notifications n JOIN runs r ON r.id = n.run_id \
         WHERE r.name = $1 AND n.status = 'failed'",
    )
    .bind(run)
    .fetch_one(&env.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn failed_notices_of_one_run_are_sent_again_once_and_shown_in_status() {
    // Arrange: the SMTP relay is down and one attempt is all a notice gets, so every email of
    // two runs fails for good; letters need no server and are sent.
    let sink = Sink::start_down().await;
    let mut env = NotifyEnv::new(sink.port()).await;
    env.settings.notify.max_attempts = 1;
    seed(&env, "spring", 2).await;
    seed(&env, "autumn", 1).await;
    let relay = Relay::new(
        env.pool.clone(),
        env.channels(),
        env.notify().clone(),
        NotifyMetrics::standalone(),
    );
    let first = relay.drain_all().await.unwrap();
    assert_eq!(
        (first.sent, first.failed),
        (3, 6),
        "letters sent, emails failed"
    );

    // Status: the failed notices with their reason class.
    let progress = docket::store::progress::all(&env.pool).await.unwrap();
    let spring = progress.iter().find(|p| p.run == "spring").unwrap();
    let exhausted = FailedGroup {
        channel: "email".into(),
        reason: "exhausted: smtp connection failed".into(),
        count: 4,
    };
    assert_eq!(spring.failed_notices, vec![exhausted.clone()]);

    // Act 1: a dry run and a filter that matches nothing change nothing.
    let dry = retry_failed(&env.pool, &filter("spring", None, None), "ops", true)
        .await
        .unwrap();
    assert_eq!((dry.failed, dry.requeued), (vec![exhausted.clone()], 0));
    let letters = filter("spring", None, Some(Channel::Letter));
    let none = retry_failed(&env.pool, &letters, "ops", false)
        .await
        .unwrap();
    assert_eq!((none.failed.len(), none.requeued), (0, 0));
    assert_eq!(failed_in(&env, "spring").await, 4);

    // Act 2: the relay is back; the spring run's failed offer emails are retried.
    sink.come_up().await;
    let emails = filter("spring", Some(NoticeKind::Offer), Some(Channel::Email));
    let done = retry_failed(&env.pool, &emails, "ops-lead", false)
        .await
        .unwrap();
    let second = relay.drain_all().await.unwrap();

    // Assert: four emails sent once each; autumn's stay failed; the retry is recorded.
    assert_eq!(done.requeued, 4);
    assert_eq!((second.sent, second.failed), (4, 0));
    let mut ids: Vec<String> = sink.received().into_iter().map(|m| m.message_id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "one copy of each email");
    assert_eq!(sink.received().len(), 4);
    assert_eq!(failed_in(&env, "spring").await, 0);
    assert_eq!(
        failed_in(&env, "autumn").await,
        2,
        "another run is untouched"
    );
    let (actor, notices, kind, channel): (String, i64, Option<String>, Option<String>) =
        sqlx::query_as("SELECT actor, notices, kind, channel FROM notification_retries")
            .fetch_one(&env.pool)
            .await
            .unwrap();
    assert_eq!(actor, "ops-lead");
    assert_eq!(notices, 4);
    assert_eq!(
        (kind.as_deref(), channel.as_deref()),
        (Some("offer"), Some("email"))
    );
    let progress = docket::store::progress::all(&env.pool).await.unwrap();
    let spring = progress.iter().find(|p| p.run == "spring").unwrap();
    assert!(spring.failed_notices.is_empty());
    env.cleanup().await;
}

#[tokio::test]
async fn retrying_an_unknown_run_is_refused_by_name() {
    let env = NotifyEnv::new(2525).await;
    let err = retry_failed(&env.pool, &filter("no-such-run", None, None), "ops", false)
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("no-such-run"), "{err}");
    env.cleanup().await;
}
