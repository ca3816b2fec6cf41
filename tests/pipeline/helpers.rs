//! Test environment: a fresh database and fresh queue names per test, on the real servers.

use std::time::{Duration, Instant};

use docket::config::Settings;
use docket::telemetry::metrics::WorkerMetrics;
use docket::worker::{Fault, Worker};
use futures_util::StreamExt;
use lapin::options::BasicGetOptions;
use lapin::types::FieldTable;
use sqlx::PgPool;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::scratch::Scratch;

/// One test's private database and queues.
pub struct TestEnv {
    pub settings: Settings,
    pub pool: PgPool,
    scratch: Scratch,
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
        let scratch = Scratch::new("test", true, |s| {
            s.database.max_connections = 4;
            s.worker.batch_linger_ms = 10;
        })
        .await;
        TestEnv {
            settings: scratch.settings.clone(),
            pool: scratch.pool.clone(),
            scratch,
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

    /// Publishes every unpublished case of `run` (`docket enqueue`), never cancelled.
    pub async fn enqueue(
        &self,
        run: &str,
    ) -> Result<docket::enqueue::EnqueueSummary, docket::enqueue::EnqueueError> {
        docket::enqueue::enqueue(
            &self.settings,
            &self.pool,
            run,
            false,
            &CancellationToken::new(),
        )
        .await
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
        self.publish_with_headers(bodies, FieldTable::default())
            .await;
    }

    /// Publishes raw bodies with `headers` to the jobs exchange with confirms.
    pub async fn publish_with_headers(&self, bodies: &[Vec<u8>], headers: FieldTable) {
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
            pending.push(p.send(b, None, headers.clone()).await.unwrap());
        }
        futures_util::stream::iter(pending)
            .for_each(|c| async move { docket::queue::publish::confirmed(c).await.unwrap() })
            .await;
        conn.close(200, "".into()).await.ok();
    }

    /// Deletes the queues and exchanges and drops the database (a test that panics before
    /// getting here has them removed when the environment is dropped).
    pub async fn cleanup(self) {
        self.scratch.cleanup().await;
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
