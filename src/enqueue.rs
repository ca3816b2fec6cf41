//! `docket enqueue`: publish one job per case of a run, with confirms kept in flight, resumable.
//!
//! Cases are read in case-id order, packed `cases_per_message` to a message (the batch form of the
//! contract, or the single form when 1), and published with up to `max_in_flight` confirms
//! outstanding. When a message is confirmed its cases are marked published, so stopping and running
//! again publishes only what the broker has not confirmed.

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
    let (total, already): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(published_at) FROM run_cases WHERE run_id = $1")
            .bind(run.id)
            .fetch_one(pool)
            .await
            .map_err(StoreError::from)?;
    let conn = queue::connect(&settings.amqp, "enqueue").await?;
    let publisher =
        Publisher::open(&conn, &settings.amqp.exchange, &settings.amqp.routing_key).await?;
    topology::declare(publisher.channel(), &settings.amqp).await?;

    let bar = progress_bar(progress, total as u64, already as u64);
    let per_message = settings.enqueue.cases_per_message;
    let mut summary = EnqueueSummary {
        already: already as u64,
        ..EnqueueSummary::default()
    };
    let mut in_flight: InFlight = VecDeque::new();
    let mut settled = Settled {
        pool,
        run_id: run.id,
        summary: &mut summary,
        bar: &bar,
        metrics,
    };
    // Pages are read ahead by a task of their own, so reading the next page overlaps publishing
    // the current one.
    let (pages_tx, mut pages) = tokio::sync::mpsc::channel(2);
    let reader = tokio::spawn(read_pages(pool.clone(), run.id, pages_tx));
    'pages: while let Some(page) = pages.recv().await {
        let page = page?;
        if token.is_cancelled() {
            break;
        }
        for chunk in page.chunks(per_message) {
            let body = message_body(run_name, chunk);
            let ids: Vec<String> = chunk.iter().map(|(id, _)| id.clone()).collect();
            let message_id = (chunk.len() == 1).then(|| job_id(run_name, &ids[0]).to_string());
            let confirm = publisher
                .send(&body, message_id, FieldTable::default())
                .await?;
            in_flight.push_back((confirm, Instant::now(), ids));
            settled.summary.messages += 1;
            metrics.messages_published.inc();
            metrics.confirms_in_flight.inc();
            while in_flight.len() >= settings.enqueue.max_in_flight {
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
    drop(pages);
    reader.abort();
    while !in_flight.is_empty() {
        settled.settle(&mut in_flight).await?;
    }
    summary.elapsed = started.elapsed();
    bar.finish_and_clear();
    publisher.channel().close(200, "done".into()).await.ok();
    conn.close(200, "done".into()).await.ok();
    Ok(summary)
}

/// Sends the run's unpublished cases, a page at a time in case-id order, until none are left or
/// the receiver is gone.
async fn read_pages(
    pool: PgPool,
    run_id: i64,
    out: tokio::sync::mpsc::Sender<Result<Vec<(String, String)>, StoreError>>,
) {
    let mut after = String::new();
    loop {
        let page = store::runs::unpublished_page(&pool, run_id, &after, 5000).await;
        let last = match &page {
            Ok(p) => match p.last() {
                Some((id, _)) => id.clone(),
                None => return,
            },
            Err(_) => String::new(),
        };
        let failed = page.is_err();
        if out.send(page).await.is_err() || failed {
            return;
        }
        after = last;
    }
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

/// Messages awaiting their confirm: the confirm, when it was published, its cases.
type InFlight = VecDeque<(PublisherConfirm, Instant, Vec<String>)>;

/// Where settled confirms are recorded.
struct Settled<'a> {
    pool: &'a PgPool,
    run_id: i64,
    summary: &'a mut EnqueueSummary,
    bar: &'a ProgressBar,
    metrics: &'a EnqueueMetrics,
}

impl Settled<'_> {
    /// Waits for the oldest confirm and records its cases as published.
    async fn settle(&mut self, in_flight: &mut InFlight) -> Result<(), EnqueueError> {
        let (confirm, sent, ids) = in_flight.pop_front().expect("caller checked");
        let m = self.metrics;
        let result = confirmed(confirm).await;
        m.confirms_in_flight.dec();
        let label = match &result {
            Ok(()) => "ack",
            Err(QueueError::NotConfirmed(_)) => "refused",
            Err(_) => "error",
        };
        m.confirms.with_label_values(&[label]).inc();
        result?;
        m.confirm_seconds.observe(sent.elapsed().as_secs_f64());
        m.last_confirm_timestamp_seconds
            .set(chrono::Utc::now().timestamp());
        store::runs::mark_published(self.pool, self.run_id, &ids).await?;
        m.cases_published.inc_by(ids.len() as u64);
        self.summary.published += ids.len() as u64;
        self.bar.inc(ids.len() as u64);
        Ok(())
    }
}

/// The message for a chunk of `(case_id, record JSON)`: single form for one case, batch form else.
pub fn message_body(run: &str, chunk: &[(String, String)]) -> Vec<u8> {
    let run_json = serde_json::to_string(run).expect("string serializes");
    let mut body =
        String::with_capacity(chunk.iter().map(|(_, r)| r.len() + 64).sum::<usize>() + 96);
    if let [(id, record)] = chunk {
        body.push_str(&format!(
            r#"{{"schema":"{SINGLE_SCHEMA}","job_id":"{}","run_id":{run_json},"case":{record}}}"#,
            job_id(run, id)
        ));
    } else {
        body.push_str(&format!(
            r#"{{"schema":"{BATCH_SCHEMA}","run_id":{run_json},"jobs":["#
        ));
        for (i, (id, record)) in chunk.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            debug_assert!(RawValue::from_string(record.clone()).is_ok());
            body.push_str(&format!(
                r#"{{"job_id":"{}","case":{record}}}"#,
                job_id(run, id)
            ));
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
