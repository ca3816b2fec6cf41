//! A test that panics (fails) still removes its database, queues and exchanges: the scratch
//! world's drop guard does it during unwinding, whether the test ran in a spawned task of a
//! multi-threaded runtime or straight on a current-thread runtime like `#[tokio::test]`'s.

use std::path::Path;

use docket::config::Settings;
use lapin::options::{ExchangeDeclareOptions, QueueDeclareOptions};

use crate::env::FaultEnv;
use crate::scratch::{Scratch, admin};

/// A run `a` and its parking queue, as a paused run has.
async fn paused_run(env: &FaultEnv) {
    docket::commands::run_create(
        &env.pool,
        "a",
        Path::new("config/rules/morton-2011.toml"),
        &[],
        None,
    )
    .await
    .unwrap();
    let conn = docket::queue::connect(&env.settings.amqp, "fault-test")
        .await
        .unwrap();
    let ch = conn.create_channel().await.unwrap();
    docket::queue::parking::declare(&ch, &env.settings.amqp, "a")
        .await
        .unwrap();
    conn.close(200, "".into()).await.ok();
}

/// The names of a scratch world that still exist: the database, the queues (run `a`'s parking
/// queue too) and the exchanges.
async fn still_there(settings: &Settings, db_name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let pool = docket::store::connect(&admin(&settings.database))
        .await
        .unwrap();
    let db: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(db_name)
            .fetch_one(&pool)
            .await
            .unwrap();
    pool.close().await;
    if db {
        out.push(db_name.to_string());
    }
    let a = &settings.amqp;
    let conn = docket::queue::connect(a, "fault-test").await.unwrap();
    // A passive declare of something missing closes its channel: one channel per question.
    let parked = docket::queue::parking::queue_name(a, "a");
    for q in [&a.queue, &a.dead_letter_queue, &parked] {
        let ch = conn.create_channel().await.unwrap();
        let passive = QueueDeclareOptions {
            passive: true,
            ..Default::default()
        };
        if ch
            .queue_declare(q.as_str().into(), passive, Default::default())
            .await
            .is_ok()
        {
            out.push(q.clone());
        }
    }
    for x in [&a.exchange, &a.dead_letter_exchange] {
        let ch = conn.create_channel().await.unwrap();
        let passive = ExchangeDeclareOptions {
            passive: true,
            ..Default::default()
        };
        if ch
            .exchange_declare(
                x.as_str().into(),
                lapin::ExchangeKind::Direct,
                passive,
                Default::default(),
            )
            .await
            .is_ok()
        {
            out.push(x.clone());
        }
    }
    conn.close(200, "".into()).await.ok();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_test_task_that_panics_leaves_no_database_queues_or_exchanges() {
    // Arrange: a fault environment (database, queues and exchanges made) in a task that fails.
    let (tx, rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        let env = FaultEnv::new().await;
        paused_run(&env).await;
        let made = still_there(&env.settings, &env.db_name).await;
        tx.send((env.settings.clone(), env.db_name.clone(), made))
            .unwrap();
        panic!("a failing test, before its cleanup");
    });

    // Act
    let failed = task.await.unwrap_err();
    let (settings, db_name, made) = rx.await.unwrap();

    // Assert: all six existed, and none is left.
    assert!(failed.is_panic());
    assert_eq!(made.len(), 6, "made: {made:?}");
    assert_eq!(still_there(&settings, &db_name).await, Vec::<String>::new());
}

#[test]
fn a_test_that_panics_on_a_current_thread_runtime_leaves_nothing_behind() {
    // Arrange: what `#[tokio::test]` does — a current-thread runtime — with a test that fails
    // after making its database, queues and exchanges.
    let made = std::sync::Mutex::new(None);
    let rt = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    };

    // Act
    let failed = std::panic::catch_unwind(|| {
        rt().block_on(async {
            let scratch = Scratch::new("fault", true, |_| {}).await;
            let conn = docket::queue::connect(&scratch.settings.amqp, "fault-test")
                .await
                .unwrap();
            let ch = conn.create_channel().await.unwrap();
            docket::queue::topology::declare(&ch, &scratch.settings.amqp)
                .await
                .unwrap();
            conn.close(200, "".into()).await.ok();
            let there = still_there(&scratch.settings, &scratch.db_name).await;
            *made.lock().unwrap() =
                Some((scratch.settings.clone(), scratch.db_name.clone(), there));
            panic!("a failing test, before its cleanup");
        })
    });

    // Assert
    assert!(failed.is_err());
    let (settings, db_name, there) = made.lock().unwrap().take().unwrap();
    assert_eq!(there.len(), 5, "made: {there:?}");
    let left = rt().block_on(still_there(&settings, &db_name));
    assert_eq!(left, Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cleanup_at_the_end_of_a_passing_test_removes_everything() {
    // Arrange
    let env = FaultEnv::new().await;
    paused_run(&env).await;
    let (settings, db_name) = (env.settings.clone(), env.db_name.clone());
    assert_eq!(still_there(&settings, &db_name).await.len(), 6);

    // Act
    env.cleanup().await;

    // Assert
    assert_eq!(still_there(&settings, &db_name).await, Vec::<String>::new());
}
