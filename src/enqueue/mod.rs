//! `docket enqueue`: publish one job per case of a run, with confirms kept in flight, resumable.
//!
//! Members are read in run order (sequence numbers given in disk order when the run was created),
//! packed `cases_per_message` to a message (the batch form of the contract, or the single form
//! when 1), and published with up to [`EnqueueSettings::in_flight_messages`] confirms outstanding.
//! Confirms move the run's watermark forward, so stopping and running again publishes only what
//! the broker has not confirmed.
//!
//! [`EnqueueSettings::in_flight_messages`]: crate::config::EnqueueSettings::in_flight_messages

mod send;

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::value::RawValue;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::config::Settings;
use crate::domain::{BATCH_SCHEMA, SINGLE_SCHEMA};
use crate::queue::publish::Publisher;
use crate::queue::{self, QueueError, topology};
use crate::retry::Backoff;
use crate::store::publishes::{self, EnqueueLock, Member};
use crate::store::{self, StoreError};
use crate::telemetry::enqueue::EnqueueMetrics;
use send::{InFlight, Session, Settled, StateGate, read_pages, record_confirms};

/// Enqueue errors.
#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    /// Broker failure.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// Database failure.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<lapin::Error> for EnqueueError {
    fn from(e: lapin::Error) -> Self {
        Self::Queue(QueueError::Amqp(e))
    }
}

/// What an enqueue did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct EnqueueSummary {
    /// Cases published and confirmed by this call.
    pub published: u64,
    /// Messages published.
    pub messages: u64,
    /// Cases of the run already published before this call.
    pub already: u64,
    /// Time spent publishing (connect to last confirm).
    pub elapsed: Duration,
    /// The run's state when publishing stopped early because of it (`paused`, `cancelled`).
    pub stopped_by: Option<&'static str>,
}

impl EnqueueSummary {
    /// Cases confirmed per second (0 when nothing was published).
    pub fn cases_per_second(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if self.published == 0 || secs <= 0.0 {
            0.0
        } else {
            self.published as f64 / secs
        }
    }
}

/// The job id of a case in a run: the same on every publish, so duplicates are recognisable.
pub fn job_id(run: &str, case_id: &str) -> Uuid {
    Uuid::new_v5(
        &Uuid::NAMESPACE_OID,
        format!("docket:{run}:{case_id}").as_bytes(),
    )
}

/// Publishes every unpublished case of `run_name`. Stops early (cleanly, progress saved) when
/// `token` is cancelled. `progress` draws a bar on a terminal.
pub async fn enqueue(
    settings: &Settings,
    pool: &PgPool,
    run_name: &str,
    progress: bool,
    token: &CancellationToken,
) -> Result<EnqueueSummary, EnqueueError> {
    let metrics = EnqueueMetrics::new();
    enqueue_with(settings, pool, run_name, progress, token, &metrics).await
}

/// [`enqueue`], counting publishes and confirms in `metrics`.
pub async fn enqueue_with(
    settings: &Settings,
    pool: &PgPool,
    run_name: &str,
    progress: bool,
    token: &CancellationToken,
    metrics: &EnqueueMetrics,
) -> Result<EnqueueSummary, EnqueueError> {
    let started = Instant::now();
    let run = store::runs::get(pool, run_name).await?;
    let mut gate = StateGate::new(run.id);
    if let Some(state) = gate.check(pool).await? {
        return Ok(EnqueueSummary {
            stopped_by: Some(state),
            ..EnqueueSummary::default()
        });
    }
    let lock = EnqueueLock::acquire(pool, run.id, run_name).await?;
    let mut summary = EnqueueSummary::default();
    let mut backoff = Backoff::new(Duration::from_millis(250), Duration::from_secs(5));
    let limit = Duration::from_secs(settings.amqp.reconnect_limit_secs);
    let mut lost_at: Option<Instant> = None;
    // A lost broker connection is not the end: what was confirmed is recorded, so publishing
    // starts again from there on whichever node answers (a message sent but not confirmed may go
    // twice; the worker records a case once).
    let result = loop {
        let target = (run.id, run_name);
        let attempt = publish(settings, pool, target, progress, token, metrics, &mut gate).await;
        let (done, err) = match attempt {
            Ok(done) => (done, None),
            Err((done, e)) => (done, Some(e)),
        };
        if summary.messages == 0 {
            summary.already = done.already;
        }
        summary.published += done.published;
        summary.messages += done.messages;
        summary.stopped_by = done.stopped_by;
        if done.published > 0 {
            lost_at = None;
            backoff.reset();
        }
        match err {
            None => break Ok(()),
            Some(EnqueueError::Queue(e)) if e.is_connection_loss() && !token.is_cancelled() => {
                let since = *lost_at.get_or_insert_with(Instant::now);
                if since.elapsed() >= limit {
                    break Err(EnqueueError::Queue(e));
                }
                let wait = backoff.next_delay();
                tracing::warn!(run = run_name, error = %e, retry_in_ms = wait.as_millis() as u64,
                    "Broker connection lost; publishing again from the last confirmed case.");
                tokio::time::sleep(wait).await;
            }
            Some(e) => break Err(e),
        }
    };
    lock.release().await;
    result?;
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// Publishes from the run's watermark on, holding the run's enqueue lock. On an error, returns
/// what was confirmed and recorded before it too.
#[tracing::instrument(skip_all, fields(run = run_name))]
async fn publish(
    settings: &Settings,
    pool: &PgPool,
    (run_id, run_name): (i64, &str),
    progress: bool,
    token: &CancellationToken,
    metrics: &EnqueueMetrics,
    gate: &mut StateGate,
) -> Result<EnqueueSummary, (EnqueueSummary, EnqueueError)> {
    let nothing = |e: EnqueueError| (EnqueueSummary::default(), e);
    let mark = publishes::watermark(pool, run_id)
        .await
        .map_err(|e| nothing(e.into()))?;
    let (conn, publisher) = open(settings).await.map_err(nothing)?;
    let bar = progress_bar(
        progress,
        mark.total_cases as u64,
        mark.published_cases as u64,
    );
    let mut summary = EnqueueSummary {
        already: mark.published_cases as u64,
        ..EnqueueSummary::default()
    };
    // Confirms are recorded by a task of their own, a few messages to a statement, so the
    // database round trip never holds up publishing.
    let (confirmed_tx, confirmed_rx) = tokio::sync::mpsc::unbounded_channel();
    let recorder = tokio::spawn(record_confirms(pool.clone(), run_id, confirmed_rx));
    let mut settled = Settled {
        recorder: confirmed_tx,
        summary: &mut summary,
        bar: &bar,
        metrics,
    };
    // Pages are read ahead by a task of their own, so reading the next page overlaps publishing
    // the current one.
    let (pages_tx, mut pages) = tokio::sync::mpsc::channel(2);
    let reader = tokio::spawn(read_pages(
        pool.clone(),
        run_id,
        mark.published_through,
        pages_tx,
    ));
    let mut session = Session {
        pool,
        run_name,
        token,
        gate,
        publisher: &publisher,
        per_message: settings.enqueue.cases_per_message,
        window: settings.enqueue.in_flight_messages(),
        in_flight: InFlight::new(),
    };
    let outcome = session.send_pages(&mut pages, &mut settled).await;
    drop(pages);
    reader.abort();
    drop(settled);
    // Whatever stopped publishing, what was confirmed is recorded before returning; a failure to
    // record it is the error to report.
    let recorded = recorder
        .await
        .map_err(|e| StoreError::Refused(format!("recording publish progress failed: {e}")));
    bar.finish_and_clear();
    publisher.channel().close(200, "done".into()).await.ok();
    conn.close(200, "done".into()).await.ok();
    match recorded.and_then(|r| r) {
        Err(e) => Err((summary, e.into())),
        Ok(()) => match outcome {
            Err(e) => Err((summary, e)),
            Ok(()) => Ok(summary),
        },
    }
}

/// Connects and opens a confirming publisher on the jobs exchange, declaring or checking the
/// topology; closes the connection again when that fails.
async fn open(settings: &Settings) -> Result<(lapin::Connection, Publisher), EnqueueError> {
    let conn = queue::connect(&settings.amqp, "enqueue").await?;
    let opened = async {
        let p = Publisher::open(&conn, &settings.amqp.exchange, &settings.amqp.routing_key).await?;
        topology::declare_or_check(&conn, &settings.amqp).await?;
        Ok::<_, QueueError>(p)
    };
    match opened.await {
        Ok(p) => Ok((conn, p)),
        Err(e) => {
            conn.close(200, "failed".into()).await.ok();
            Err(e.into())
        }
    }
}

/// The message for a chunk of members: the single form for one case, the batch form else.
pub fn message_body(run: &str, chunk: &[Member]) -> Vec<u8> {
    use std::fmt::Write;
    let run_json = serde_json::to_string(run).expect("string serializes");
    let mut body =
        String::with_capacity(chunk.iter().map(|m| m.record.len() + 64).sum::<usize>() + 96);
    // Writing to a String cannot fail.
    if let [m] = chunk {
        let _ = write!(
            body,
            r#"{{"schema":"{SINGLE_SCHEMA}","job_id":"{}","run_id":{run_json},"case":{}}}"#,
            job_id(run, &m.case_id),
            m.record
        );
    } else {
        let _ = write!(
            body,
            r#"{{"schema":"{BATCH_SCHEMA}","run_id":{run_json},"jobs":["#
        );
        for (i, m) in chunk.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            debug_assert!(RawValue::from_string(m.record.clone()).is_ok());
            let _ = write!(
                body,
                r#"{{"job_id":"{}","case":{}}}"#,
                job_id(run, &m.case_id),
                m.record
            );
        }
        body.push_str("]}");
    }
    body.into_bytes()
}

fn progress_bar(visible: bool, total: u64, done: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        Some(total),
        if visible {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        },
    );
    bar.set_style(
        ProgressStyle::with_template(
            "publishing {bar:40} {pos}/{len} cases ({per_sec}, eta {eta})",
        )
        .expect("static template"),
    );
    bar.set_position(done);
    bar
}
