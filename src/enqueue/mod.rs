//! `docket enqueue`: publish one job per case of a run, with confirms kept in flight, resumable.
//!
//! Members are read in run order (sequence numbers given in disk order when the run was created),
//! packed `cases_per_message` to a message (the batch form of the contract, or the single form
//! when 1), and published with up to [`EnqueueSettings::in_flight_messages`] confirms outstanding.
//! Confirms move the run's watermark forward, so stopping and running again publishes only what
//! the broker has not confirmed.
//!
//! [`EnqueueSettings::in_flight_messages`]: crate::config::EnqueueSettings::in_flight_messages

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use lapin::PublisherConfirm;
use lapin::types::FieldTable;
use serde_json::value::RawValue;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::config::Settings;
use crate::domain::{BATCH_SCHEMA, SINGLE_SCHEMA};
use crate::queue::publish::{Publisher, confirmed};
use crate::queue::{self, QueueError, topology};
use crate::retry::Backoff;
use crate::store::publishes::{self, Confirmed, EnqueueLock, Member};
use crate::store::{self, StoreError};
use crate::telemetry::enqueue::EnqueueMetrics;

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
        let attempt = publish(
            settings, pool, run.id, run_name, progress, token, metrics, &mut gate,
        )
        .await;
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
#[allow(clippy::too_many_arguments)]
async fn publish(
    settings: &Settings,
    pool: &PgPool,
    run_id: i64,
    run_name: &str,
    progress: bool,
    token: &CancellationToken,
    metrics: &EnqueueMetrics,
    gate: &mut StateGate,
) -> Result<EnqueueSummary, (EnqueueSummary, EnqueueError)> {
    let nothing = |e: EnqueueError| (EnqueueSummary::default(), e);
    let mark = publishes::watermark(pool, run_id)
        .await
        .map_err(|e| nothing(e.into()))?;
    let conn = queue::connect(&settings.amqp, "enqueue")
        .await
        .map_err(|e| nothing(e.into()))?;
    let opened = async {
        let p = Publisher::open(&conn, &settings.amqp.exchange, &settings.amqp.routing_key).await?;
        topology::declare_or_check(&conn, &settings.amqp).await?;
        Ok::<_, QueueError>(p)
    };
    let publisher = match opened.await {
        Ok(p) => p,
        Err(e) => {
            conn.close(200, "failed".into()).await.ok();
            return Err(nothing(e.into()));
        }
    };

    let bar = progress_bar(
        progress,
        mark.total_cases as u64,
        mark.published_cases as u64,
    );
    let per_message = settings.enqueue.cases_per_message;
    let mut summary = EnqueueSummary {
        already: mark.published_cases as u64,
        ..EnqueueSummary::default()
    };
    // Confirms are recorded by a task of their own, a few messages to a statement, so the
    // database round trip never holds up publishing.
    let (confirmed_tx, confirmed_rx) = tokio::sync::mpsc::unbounded_channel();
    let recorder = tokio::spawn(record_confirms(pool.clone(), run_id, confirmed_rx));
    let mut in_flight: InFlight = VecDeque::new();
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
    let outcome: Result<(), EnqueueError> = async {
        'pages: while let Some(page) = pages.recv().await {
            let page = page?;
            if token.is_cancelled() {
                break;
            }
            for chunk in page.chunks(per_message) {
                let body = message_body(run_name, chunk);
                let message_id =
                    (chunk.len() == 1).then(|| job_id(run_name, &chunk[0].case_id).to_string());
                let confirm = publisher
                    .send(&body, message_id, FieldTable::default())
                    .await?;
                in_flight.push_back(Pending {
                    confirm,
                    sent: Instant::now(),
                    first: chunk[0].seq,
                    last: chunk[chunk.len() - 1].seq,
                    cases: chunk.len(),
                });
                settled.summary.messages += 1;
                metrics.messages_published.inc();
                metrics.confirms_in_flight.inc();
                while in_flight.len() >= settings.enqueue.in_flight_messages() {
                    settled.settle(&mut in_flight).await?;
                }
                if token.is_cancelled() {
                    break 'pages;
                }
                if let Some(state) = gate.check(pool).await? {
                    tracing::info!(run = run_name, state, "Run not active: publishing stopped.");
                    settled.summary.stopped_by = Some(state);
                    break 'pages;
                }
            }
        }
        while !in_flight.is_empty() {
            settled.settle(&mut in_flight).await?;
        }
        Ok(())
    }
    .await;
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

/// Records confirmed messages as they come, coalescing whatever has queued up meanwhile into one
/// statement. Ends when the sender is dropped and everything sent is recorded.
async fn record_confirms(
    pool: PgPool,
    run_id: i64,
    mut confirmed: tokio::sync::mpsc::UnboundedReceiver<Confirmed>,
) -> Result<(), StoreError> {
    let mut batch = Vec::new();
    while let Some(c) = confirmed.recv().await {
        batch.push(c);
        while let Ok(c) = confirmed.try_recv() {
            batch.push(c);
        }
        publishes::record(&pool, run_id, &batch).await?;
        batch.clear();
    }
    Ok(())
}

/// Sends the run's members after sequence number `after`, a page at a time in order, until none
/// are left or the receiver is gone.
async fn read_pages(
    pool: PgPool,
    run_id: i64,
    mut after: i64,
    out: tokio::sync::mpsc::Sender<Result<Vec<Member>, StoreError>>,
) {
    const PAGE: i64 = 5000;
    let mut conn = match publishes::reader(&pool).await {
        Ok(conn) => conn,
        Err(e) => {
            out.send(Err(e)).await.ok();
            return;
        }
    };
    let last = match publishes::last_seq(&pool, run_id).await {
        Ok(last) => last,
        Err(e) => {
            out.send(Err(e)).await.ok();
            return;
        }
    };
    while after < last {
        let page = publishes::page(&mut conn, run_id, after, PAGE).await;
        let failed = page.is_err();
        if out.send(page).await.is_err() || failed {
            break;
        }
        after += PAGE;
    }
    sqlx::Connection::close(conn).await.ok();
}

/// The run's state, read at most once a second while publishing: paused or cancelled stops it.
struct StateGate {
    run_id: i64,
    at: Option<Instant>,
}

impl StateGate {
    fn new(run_id: i64) -> Self {
        Self { run_id, at: None }
    }

    /// `Some(state)` when the run is paused or cancelled (checked when a second has passed).
    async fn check(&mut self, pool: &PgPool) -> Result<Option<&'static str>, StoreError> {
        if self
            .at
            .is_some_and(|t| t.elapsed() < Duration::from_secs(1))
        {
            return Ok(None);
        }
        self.at = Some(Instant::now());
        let state: String = sqlx::query_scalar("SELECT state FROM runs WHERE id = $1")
            .bind(self.run_id)
            .fetch_one(pool)
            .await?;
        Ok(match state.as_str() {
            "paused" => Some("paused"),
            "cancelled" => Some("cancelled"),
            _ => None,
        })
    }
}

/// A published message awaiting its confirm.
struct Pending {
    confirm: PublisherConfirm,
    sent: Instant,
    first: i64,
    last: i64,
    cases: usize,
}

/// Messages awaiting their confirm, oldest first.
type InFlight = VecDeque<Pending>;

/// Where settled confirms go.
struct Settled<'a> {
    recorder: tokio::sync::mpsc::UnboundedSender<Confirmed>,
    summary: &'a mut EnqueueSummary,
    bar: &'a ProgressBar,
    metrics: &'a EnqueueMetrics,
}

impl Settled<'_> {
    /// Waits for the oldest confirm and hands its cases to the recorder.
    async fn settle(&mut self, in_flight: &mut InFlight) -> Result<(), EnqueueError> {
        let p = in_flight.pop_front().expect("caller checked");
        let m = self.metrics;
        let result = confirmed(p.confirm).await;
        m.confirms_in_flight.dec();
        let label = match &result {
            Ok(()) => "ack",
            Err(QueueError::NotConfirmed(_)) => "refused",
            Err(_) => "error",
        };
        m.confirms.with_label_values(&[label]).inc();
        result?;
        m.confirm_seconds.observe(p.sent.elapsed().as_secs_f64());
        m.last_confirm_timestamp_seconds
            .set(chrono::Utc::now().timestamp());
        let cases = p.cases;
        let sent = self.recorder.send(Confirmed {
            first: p.first,
            last: p.last,
            cases: cases as i32,
        });
        if sent.is_err() {
            // The recorder stopped on an error: stop publishing; the caller reports that error.
            return Err(
                StoreError::Refused("publish progress is not being recorded".into()).into(),
            );
        }
        m.cases_published.inc_by(cases as u64);
        self.summary.published += cases as u64;
        self.bar.inc(cases as u64);
        Ok(())
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
