//! The delivery limit on RabbitMQ 3.10: what the broker does alone, and what the worker does.

use std::time::Duration;

use docket::queue::dead_letter::{DELIVERIES_HEADER, KIND_HEADER, REASON_HEADER};
use lapin::options::{BasicGetOptions, BasicNackOptions};

use crate::env::{FaultEnv, signal, wait_exit};
use crate::poison::{message, text};

/// Takes the message and returns it to the queue (as a crashing consumer would) until the queue
/// no longer hands it out; returns how many times it was delivered and the last x-delivery-count.
async fn bounce(env: &FaultEnv, max: usize) -> (usize, u64) {
    let conn = docket::queue::connect(&env.settings.amqp, "fault-test")
        .await
        .unwrap();
    let ch = conn.create_channel().await.unwrap();
    let (mut deliveries, mut last) = (0, 0);
    while deliveries < max {
        let q = env.settings.amqp.queue.as_str();
        let Some(m) = ch
            .basic_get(q.into(), BasicGetOptions { no_ack: false })
            .await
            .unwrap()
        else {
            break;
        };
        deliveries += 1;
        last = docket::worker::intake::delivery_count(&m.delivery);
        let requeue = BasicNackOptions {
            multiple: false,
            requeue: true,
        };
        m.delivery.acker.nack(requeue).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    conn.close(200, "".into()).await.ok();
    (deliveries, last)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_broker_alone_dead_letters_past_the_limit_without_a_reason_of_ours() {
    // Arrange: delivery limit 3.
    let mut env = FaultEnv::new().await;
    env.settings.amqp.delivery_limit = 3;
    recreate_queue(&env).await;
    env.publish(&[message("any", |_| {})]).await;

    // Act
    let (deliveries, last) = bounce(&env, 20).await;

    // Assert: delivered limit + 1 times (counts 0..=3), then dead-lettered by the broker with an
    // x-death entry and none of our headers.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dead = env.drain_dead().await;
    eprintln!(
        "delivered {deliveries} times, last x-delivery-count {last}, {} dead letters",
        dead.len()
    );
    assert_eq!(deliveries, 4);
    assert_eq!(last, 3);
    assert_eq!(dead.len(), 1);
    assert!(text(&dead[0], REASON_HEADER).is_none());
    let letter = docket::queue::dlq::describe(&dead[0]);
    assert_eq!(letter.kind, "delivery_limit", "x-death reason");
    env.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_dead_letters_a_message_at_the_limit_with_its_reason_and_count() {
    // Arrange: a good job already returned three times (limit 3) by consumers that died on it.
    let mut env = FaultEnv::new().await;
    env.settings.amqp.delivery_limit = 3;
    env.set("DOCKET_AMQP__DELIVERY_LIMIT", "3");
    recreate_queue(&env).await;
    let rules = env.rules_without_approval();
    let run_id = env.prepare(5, "limited", &rules).await;
    // Drain the five enqueued jobs first so only the bounced one remains for the check below.
    let mut worker = env.worker("warmup.log");
    env.wait_outcomes(run_id, 5, Duration::from_secs(60)).await;
    signal(&worker, "TERM");
    wait_exit(&mut worker, Duration::from_secs(30)).await;
    env.publish(&[message("limited", |c| c["case_id"] = "BOUNCED-1".into())])
        .await;
    let (bounced, last) = bounce(&env, 3).await;
    assert_eq!((bounced, last), (3, 2));

    // Act
    let mut worker = env.worker("worker.log");
    let mut dead = Vec::new();
    for _ in 0..100 {
        dead = env.drain_dead().await;
        if !dead.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    signal(&worker, "TERM");
    wait_exit(&mut worker, Duration::from_secs(30)).await;

    // Assert
    assert_eq!(dead.len(), 1);
    assert_eq!(
        text(&dead[0], KIND_HEADER).as_deref(),
        Some("delivery_limit")
    );
    let reason = text(&dead[0], REASON_HEADER).unwrap();
    assert!(reason.contains("delivered 4 times"), "{reason}");
    let letter = docket::queue::dlq::describe(&dead[0]);
    assert_eq!(letter.deliveries, Some(3));
    assert_eq!(letter.case_id.as_deref(), Some("BOUNCED-1"));
    assert!(
        dead[0]
            .properties
            .headers()
            .as_ref()
            .unwrap()
            .inner()
            .contains_key(DELIVERIES_HEADER)
    );
    assert_eq!(
        env.outcomes(run_id).await,
        5,
        "the bounced job was not reviewed"
    );
    env.cleanup().await;
}

/// Declares the test's queues again with `env.settings` (the delivery limit is a queue argument).
async fn recreate_queue(env: &FaultEnv) {
    let conn = docket::queue::connect(&env.settings.amqp, "fault-test")
        .await
        .unwrap();
    let ch = conn.create_channel().await.unwrap();
    ch.queue_delete(env.settings.amqp.queue.as_str().into(), Default::default())
        .await
        .unwrap();
    docket::queue::topology::declare(&ch, &env.settings.amqp)
        .await
        .unwrap();
    conn.close(200, "".into()).await.ok();
}
