//! Test environment: a fresh database and fresh queue names per test, on the real servers.

use std::path::Path;
use std::time::{Duration, Instant};

use docket::config::Settings;
use docket::store;
use docket::telemetry::metrics::WorkerMetrics;
use docket::worker::{Fault, Worker};
use futures_util::StreamExt;
use lapin::options::{BasicGetOptions, QueueDeleteOptions};
use lapin::types::FieldTable;
use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// One test's private database and queues.
pub struct TestEnv {
    pub settings: Settings,
    pub pool: PgPool,
    pub db_name: String,
}

/// A worker running in the background of a test.
pub struct RunningWorker {
    pub token: CancellationToken,
    pub metrics: WorkerMetrics,
    pub task: JoinHandle<Result<(), docket::worker::WorkerError>>,
}

impl RunningWorker {
    /// Stops the worker and waits for it.
    pub async fn stop(self) {
        self.token.cancel();
        self.task.await.expect("worker task").expect("worker ran");
    }
}

impl TestEnv {
    /// Creates a unique database (migrated) and unique queue names.
    pub async fn new() -> TestEnv {
        let id = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        let mut settings =
            Settings::load(Some(Path::new("config/default.toml"))).expect("settings");
        let base = settings.database.url.expose_secret().to_string();
        let cut = base.rfind('/').expect("database url has a path");
        let db_name = format!("docket_test_{id}");
        settings.database.url = SecretString::from(format!("{}/{db_name}", &base[..cut]));
        settings.database.max_connections = 4;
        let a = &mut settings.amqp;
        a.exchange = format!("test.{id}.jobs");
        a.queue = format!("test.{id}.review");
        a.dead_letter_exchange = format!("test.{id}.dead");
        a.dead_letter_queue = format!("test.{id}.review.dead");
        settings.worker.batch_linger_ms = 10;
        if let Err(e) = store::ensure_database(&settings.database).await {
            panic!("PostgreSQL is needed by this test and is not usable: {e}");
        }
        let pool = store::connect(&settings.database)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store::migrate(&pool).await.expect("migrations apply");
        if let Err(e) = docket::queue::connect(&settings.amqp, "test").await {
            panic!("RabbitMQ is needed by this test and is not usable: {e}");
        }
        TestEnv {
            settings,
            pool,
            db_name,
        }
    }

    /// Starts an in-process worker.
    pub fn start_worker(&self, fault: Option<Fault>) -> RunningWorker {
        let token = CancellationToken::new();
        let worker = Worker::with_fault(
            self.settings.clone(),
            self.pool.clone(),
            format!("test-worker-{}", uuid::Uuid::new_v4().simple()),
            fault,
        );
        let metrics = worker.metrics();
        let t = token.clone();
        let task = tokio::spawn(async move { worker.run(t).await });
        RunningWorker {
            token,
            metrics,
            task,
        }
    }

    /// Outcomes recorded for a run.
    pub async fn outcome_count(&self, run_id: i64) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM outcomes WHERE run_id = $1")
            .bind(run_id)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Waits until `run_id` has `n` outcomes (panics after `limit`).
    pub async fn wait_for_outcomes(&self, run_id: i64, n: i64, limit: Duration) {
        let start = Instant::now();
        loop {
            let have = self.outcome_count(run_id).await;
            if have >= n {
                return;
            }
            assert!(
                start.elapsed() < limit,
                "only {have} of {n} outcomes after {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Drains the dead-letter queue: (body, headers) of each message.
    pub async fn dead_letters(&self) -> Vec<(Vec<u8>, FieldTable)> {
        let conn = docket::queue::connect(&self.settings.amqp, "test")
            .await
            .unwrap();
        let ch = conn.create_channel().await.unwrap();
        let mut out = Vec::new();
        while let Some(msg) = ch
            .basic_get(
                self.settings.amqp.dead_letter_queue.as_str().into(),
                BasicGetOptions { no_ack: true },
            )
            .await
            .unwrap()
        {
            let headers = msg
                .delivery
                .properties
                .headers()
                .clone()
                .unwrap_or_default();
            out.push((msg.delivery.data.clone(), headers));
        }
        conn.close(200, "".into()).await.ok();
        out
    }

    /// Publishes raw bodies to the jobs exchange with confirms.
    pub async fn publish_raw(&self, bodies: &[Vec<u8>]) {
        let conn = docket::queue::connect(&self.settings.amqp, "test")
            .await
            .unwrap();
        let p = docket::queue::publish::Publisher::open(
            &conn,
            &self.settings.amqp.exchange,
            &self.settings.amqp.routing_key,
        )
        .await
        .unwrap();
        docket::queue::topology::declare(p.channel(), &self.settings.amqp)
            .await
            .unwrap();
        let mut pending = Vec::new();
        for b in bodies {
            pending.push(p.send(b, None, FieldTable::default()).await.unwrap());
        }
        futures_util::stream::iter(pending)
            .for_each(|c| async move { docket::queue::publish::confirmed(c).await.unwrap() })
            .await;
        conn.close(200, "".into()).await.ok();
    }

    /// Deletes the queues and exchanges and drops the database.
    pub async fn cleanup(self) {
        let a = &self.settings.amqp;
        if let Ok(conn) = docket::queue::connect(a, "test").await {
            if let Ok(ch) = conn.create_channel().await {
                for q in [&a.queue, &a.dead_letter_queue] {
                    ch.queue_delete(q.as_str().into(), QueueDeleteOptions::default())
                        .await
                        .ok();
                }
                for x in [&a.exchange, &a.dead_letter_exchange] {
                    ch.exchange_delete(x.as_str().into(), Default::default())
                        .await
                        .ok();
                }
            }
            conn.close(200, "".into()).await.ok();
        }
        self.pool.close().await;
        let mut admin = self.settings.clone();
        let base = admin.database.url.expose_secret().to_string();
        let cut = base.rfind('/').unwrap();
        admin.database.url = SecretString::from(format!("{}/postgres", &base[..cut]));
        if let Ok(p) = store::connect(&admin.database).await {
            sqlx::query(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.db_name
            ))
            .execute(&p)
            .await
            .ok();
        }
    }
}

/// A header's string value.
pub fn header(headers: &FieldTable, key: &str) -> Option<String> {
    headers.inner().get(key).and_then(|v| match v {
        lapin::types::AMQPValue::LongString(s) => {
            Some(String::from_utf8_lossy(s.as_bytes()).into_owned())
        }
        _ => None,
    })
}
