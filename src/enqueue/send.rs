//! Publishing a run's pages: messages out with their confirms kept in flight, confirms recorded
//! by a task of their own, pages read ahead by another, and the run's state checked as it goes.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use lapin::PublisherConfirm;
use lapin::types::FieldTable;
use sqlx::PgPool;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{EnqueueError, EnqueueSummary, job_id, message_body};
use crate::queue::QueueError;
use crate::queue::publish::{Publisher, confirmed};
use crate::store::publishes::{self, Confirmed, Member};
use crate::store::{StoreError, enqueue_feed};
use crate::telemetry::enqueue::{ConfirmResult, EnqueueMetrics};

/// Pages of members as the reader sends them.
pub(super) type Pages = mpsc::Receiver<Result<Vec<Member>, StoreError>>;

/// One connection's publishing: what it sends with, and what tells it to stop.
pub(super) struct Session<'a> {
    pub pool: &'a PgPool,
    pub run_name: &'a str,
    pub token: &'a CancellationToken,
    pub gate: &'a mut StateGate,
    pub publisher: &'a Publisher,
    /// Cases per message.
    pub per_message: usize,
    /// Messages that may await their confirm at once.
    pub window: usize,
    pub in_flight: InFlight,
}

impl Session<'_> {
    /// Publishes the pages as they arrive until none are left, the token is cancelled or the run
    /// is paused or cancelled; then waits for the confirms still outstanding.
    pub async fn send_pages(
        &mut self,
        pages: &mut Pages,
        settled: &mut Settled<'_>,
    ) -> Result<(), EnqueueError> {
        while let Some(page) = pages.recv().await {
            let page = page?;
            if self.token.is_cancelled() || !self.send_page(&page, settled).await? {
                break;
            }
        }
        while !self.in_flight.is_empty() {
            settled.settle(&mut self.in_flight).await?;
        }
        Ok(())
    }

    /// Publishes one page, `per_message` cases to a message; whether to go on with the next.
    async fn send_page(
        &mut self,
        page: &[Member],
        settled: &mut Settled<'_>,
    ) -> Result<bool, EnqueueError> {
        for chunk in page.chunks(self.per_message) {
            let body = message_body(self.run_name, chunk);
            let message_id =
                (chunk.len() == 1).then(|| job_id(self.run_name, &chunk[0].case_id).to_string());
            let confirm = self
                .publisher
                .send(&body, message_id, FieldTable::default())
                .await?;
            self.in_flight.push_back(Pending {
                confirm,
                sent: Instant::now(),
                first: chunk[0].seq,
                last: chunk[chunk.len() - 1].seq,
                cases: chunk.len(),
            });
            settled.summary.messages += 1;
            settled.metrics.published();
            while self.in_flight.len() >= self.window {
                settled.settle(&mut self.in_flight).await?;
            }
            if self.token.is_cancelled() {
                return Ok(false);
            }
            if let Some(state) = self.gate.check(self.pool).await? {
                tracing::info!(
                    run = self.run_name,
                    state,
                    "Run not active: publishing stopped."
                );
                settled.summary.stopped_by = Some(state);
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// Records confirmed messages as they come, coalescing whatever has queued up meanwhile into one
/// statement. Ends when the sender is dropped and everything sent is recorded.
pub(super) async fn record_confirms(
    pool: PgPool,
    run_id: i64,
    mut confirmed: mpsc::UnboundedReceiver<Confirmed>,
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
pub(super) async fn read_pages(
    pool: PgPool,
    run_id: i64,
    mut after: i64,
    out: mpsc::Sender<Result<Vec<Member>, StoreError>>,
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
pub(super) struct StateGate {
    run_id: i64,
    at: Option<Instant>,
}

impl StateGate {
    pub fn new(run_id: i64) -> Self {
        Self { run_id, at: None }
    }

    /// `Some(state)` when the run is paused or cancelled (checked when a second has passed).
    pub async fn check(&mut self, pool: &PgPool) -> Result<Option<&'static str>, StoreError> {
        if self
            .at
            .is_some_and(|t| t.elapsed() < Duration::from_secs(1))
        {
            return Ok(None);
        }
        self.at = Some(Instant::now());
        let state = enqueue_feed::run_state(pool, self.run_id).await?;
        Ok(match state.as_str() {
            "paused" => Some("paused"),
            "cancelled" => Some("cancelled"),
            _ => None,
        })
    }
}

/// A published message awaiting its confirm.
pub(super) struct Pending {
    confirm: PublisherConfirm,
    sent: Instant,
    first: i64,
    last: i64,
    cases: usize,
}

/// Messages awaiting their confirm, oldest first.
pub(super) type InFlight = VecDeque<Pending>;

/// Where settled confirms go.
pub(super) struct Settled<'a> {
    pub recorder: mpsc::UnboundedSender<Confirmed>,
    pub summary: &'a mut EnqueueSummary,
    pub bar: &'a ProgressBar,
    pub metrics: &'a EnqueueMetrics,
}

impl Settled<'_> {
    /// Waits for the oldest confirm and hands its cases to the recorder.
    async fn settle(&mut self, in_flight: &mut InFlight) -> Result<(), EnqueueError> {
        let p = in_flight.pop_front().expect("caller checked");
        let result = confirmed(p.confirm).await;
        self.metrics.confirmed(
            match &result {
                Ok(()) => ConfirmResult::Ack,
                Err(QueueError::NotConfirmed(_)) => ConfirmResult::Refused,
                Err(_) => ConfirmResult::Error,
            },
            p.sent.elapsed(),
        );
        result?;
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
        self.metrics.cases_confirmed(cases as u64);
        self.summary.published += cases as u64;
        self.bar.inc(cases as u64);
        Ok(())
    }
}
