//! The outbox relay: claim due rows in small batches, send each, and record the result in the
//! same transaction as the claim. A batch's letters are written together, and so are its
//! emails when they go to a pickup directory (see `print` and `email`).
//!
//! Any number of relays can run side by side: `FOR UPDATE SKIP LOCKED` gives each row to one
//! relay at a time. A relay that dies mid-batch never commits, so its rows stay `pending` and
//! are sent by the next relay. Delivery is therefore at-least-once at the transport and
//! exactly-once in the outbox; see the README ("Notifications") for the one duplicate window.

use std::time::Duration;

use serde::Deserialize;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::metrics::{FailReason, NotifyMetrics, Relayed};
use super::store::{self, Claimed};
use super::{Channels, Job, NotifySettings, SendError};
use crate::domain::{Channel, NoticePayload};
use crate::retry::Backoff;
use crate::store::StoreError;
use crate::store::notice_results::{self, NoticeResult};

/// Why a relay pass failed (the database; sends never fail a pass).
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// Claiming or recording failed; the batch was rolled back and stays pending.
    #[error("notification relay: {0}")]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for RelayError {
    fn from(e: sqlx::Error) -> Self {
        Self::Store(StoreError::Query(e))
    }
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainOutcome {
    /// Rows claimed (0: nothing was due).
    pub claimed: usize,
    /// Rows sent.
    pub sent: usize,
    /// Rows scheduled for another attempt.
    pub retried: usize,
    /// Rows marked failed (permanent or exhausted).
    pub failed: usize,
    /// Rows held for a person (a letter that cannot be printed as written).
    pub held: usize,
}

impl DrainOutcome {
    /// Whether nothing was due.
    pub fn is_empty(&self) -> bool {
        self.claimed == 0
    }

    fn add(&mut self, o: DrainOutcome) {
        self.claimed += o.claimed;
        self.sent += o.sent;
        self.retried += o.retried;
        self.failed += o.failed;
        self.held += o.held;
    }
}

enum Verdict {
    Sent,
    Retry(Duration, String),
    Failed(FailReason, String),
    Held(String),
}

impl Verdict {
    fn result(&self) -> NoticeResult {
        match self {
            Verdict::Sent => NoticeResult::Sent,
            Verdict::Retry(delay, e) => NoticeResult::Retry(*delay, e.clone()),
            Verdict::Failed(reason, e) => NoticeResult::Failed(format!("{}: {e}", reason.as_str())),
            Verdict::Held(e) => NoticeResult::Held(e.clone()),
        }
    }
}

/// A relay: pool, channels, settings and metrics.
#[derive(Clone)]
pub struct Relay {
    pool: PgPool,
    channels: Channels,
    settings: NotifySettings,
    metrics: NotifyMetrics,
}

/// One pass with metrics of its own: the library entry point for the demo and tests.
pub async fn drain_once(
    pool: &PgPool,
    channels: &Channels,
    settings: &NotifySettings,
) -> Result<DrainOutcome, RelayError> {
    Relay::new(
        pool.clone(),
        channels.clone(),
        settings.clone(),
        NotifyMetrics::standalone(),
    )
    .drain_once()
    .await
}

impl Relay {
    /// A relay reporting into `metrics`.
    pub fn new(
        pool: PgPool,
        channels: Channels,
        settings: NotifySettings,
        metrics: NotifyMetrics,
    ) -> Self {
        Self {
            pool,
            channels,
            settings,
            metrics,
        }
    }

    /// The relay's metrics.
    pub fn metrics(&self) -> &NotifyMetrics {
        &self.metrics
    }

    /// Claims one batch of due rows, sends them concurrently, records every result, commits.
    #[tracing::instrument(
        name = "relay_batch",
        skip_all,
        fields(claimed = tracing::field::Empty, runs = tracing::field::Empty)
    )]
    pub async fn drain_once(&self) -> Result<DrainOutcome, RelayError> {
        let mut tx = self.pool.begin().await?;
        let rows = store::claim(&mut tx, self.settings.batch_size).await?;
        let span = tracing::Span::current();
        span.record("claimed", rows.len());
        // Keys start with the run id (`run/case/transition/recipient/channel`): the batch's runs.
        let mut runs: Vec<&str> = rows
            .iter()
            .filter_map(|r| r.idempotency_key.split('/').next())
            .collect();
        runs.sort_unstable();
        runs.dedup();
        span.record("runs", runs.join(","));
        if rows.is_empty() {
            tx.commit().await?;
            return Ok(DrainOutcome::default());
        }
        let verdicts = self.send_all(&rows).await;
        let mut out = DrainOutcome {
            claimed: rows.len(),
            ..DrainOutcome::default()
        };
        // One statement for the whole batch: a round trip per row was seconds of a demo.
        let results: Vec<_> = rows
            .iter()
            .zip(&verdicts)
            .map(|(row, verdict)| (row.id, verdict.result()))
            .collect();
        notice_results::record(&mut tx, &results).await?;
        tx.commit().await?;
        // Counted after the commit, so a rolled-back batch is not reported as sent.
        for (row, verdict) in rows.iter().zip(&verdicts) {
            self.count(&mut out, row, verdict);
        }
        // One line a batch, and at debug: at info a line a notice was 88,000 lines for a
        // 300,000-case run. Metrics count every notice; retries and failures are warnings.
        tracing::debug!(
            sent = out.sent,
            retried = out.retried,
            failed = out.failed,
            held = out.held,
            "Notices relayed."
        );
        Ok(out)
    }

    /// Counts one relayed notice in `out` and the metrics, and logs it.
    fn count(&self, out: &mut DrainOutcome, row: &Claimed, verdict: &Verdict) {
        let ch = row.channel.as_str();
        let (case_id, key) = (&row.case_id, &row.idempotency_key);
        let relayed = match verdict {
            Verdict::Sent => {
                out.sent += 1;
                tracing::debug!(case_id, key, channel = ch, "Notice sent.");
                Relayed::Sent
            }
            Verdict::Retry(delay, error) => {
                out.retried += 1;
                tracing::warn!(case_id, key, channel = ch, error, retry_in = ?delay, "Notice not sent; will retry.");
                Relayed::Retried
            }
            Verdict::Failed(reason, error) => {
                out.failed += 1;
                let label = reason.as_str();
                tracing::error!(
                    case_id,
                    key,
                    channel = ch,
                    reason = label,
                    error,
                    "Notice failed."
                );
                Relayed::Failed(*reason)
            }
            Verdict::Held(error) => {
                out.held += 1;
                tracing::warn!(case_id, key, channel = ch, error, "Notice held.");
                Relayed::Held
            }
        };
        // The outbox admits only these channels (a CHECK constraint).
        if let Some(channel) = channel_of(ch) {
            self.metrics.relayed(channel, relayed);
        }
    }

    /// Passes until nothing is due (rows waiting for a later retry stay pending).
    pub async fn drain_all(&self) -> Result<DrainOutcome, RelayError> {
        let mut total = DrainOutcome::default();
        loop {
            let o = self.drain_once().await?;
            if o.is_empty() {
                return Ok(total);
            }
            total.add(o);
        }
    }

    /// Relays until `token` is cancelled; a batch in progress is finished first.
    pub async fn run(&self, token: CancellationToken) {
        let idle = Duration::from_millis(self.settings.poll_interval_ms);
        let mut db_backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(10));
        while !token.is_cancelled() {
            let wait = match self.drain_once().await {
                Ok(o) if o.is_empty() => idle,
                Ok(_) => {
                    db_backoff.reset();
                    continue;
                }
                Err(e) => {
                    tracing::error!(error = %e, "Outbox pass failed; retrying.");
                    db_backoff.next_delay()
                }
            };
            tokio::select! {
                _ = token.cancelled() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Refreshes the pending gauge every `pending_refresh_secs` until `token` is cancelled.
    pub async fn refresh_pending(&self, token: CancellationToken) {
        let every = Duration::from_secs(self.settings.pending_refresh_secs.max(1));
        loop {
            match store::pending_by_channel(&self.pool).await {
                Ok(rows) => {
                    for ch in [Channel::Email, Channel::Letter] {
                        let n = rows
                            .iter()
                            .find(|(c, _)| c == ch.as_str())
                            .map_or(0, |(_, n)| *n);
                        self.metrics.set_pending(ch, n);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "Cannot count pending notices."),
            }
            tokio::select! {
                _ = token.cancelled() => return,
                _ = tokio::time::sleep(every) => {}
            }
        }
    }

    /// Sends the claimed rows: the letters as one batch and the emails as another, side by
    /// side; one verdict per row, in order.
    async fn send_all(&self, rows: &[Claimed]) -> Vec<Verdict> {
        let mut results: Vec<Option<Result<(), SendError>>> = vec![None; rows.len()];
        let (mut letters, mut emails) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
        for (i, row) in rows.iter().enumerate() {
            let (indices, jobs) = match channel_of(&row.channel) {
                Some(Channel::Letter) => (&mut letters.0, &mut letters.1),
                Some(Channel::Email) => (&mut emails.0, &mut emails.1),
                None => {
                    results[i] = Some(Err(SendError::Permanent("unknown channel".into())));
                    continue;
                }
            };
            match NoticePayload::deserialize(&row.payload) {
                Ok(payload) => {
                    indices.push(i);
                    jobs.push(Job {
                        key: row.idempotency_key.clone(),
                        payload,
                    });
                }
                Err(_) => {
                    let e = SendError::Permanent("payload does not decode".into());
                    results[i] = Some(Err(e));
                }
            }
        }
        let limit = Duration::from_secs(self.settings.send_timeout_secs);
        let (sent_letters, sent_emails) = tokio::join!(
            self.channels.send_batch(Channel::Letter, letters.1, limit),
            self.channels.send_batch(Channel::Email, emails.1, limit),
        );
        for (channel, indices, sent) in [
            (Channel::Letter, letters.0, sent_letters),
            (Channel::Email, emails.0, sent_emails),
        ] {
            for (i, (result, took)) in indices.into_iter().zip(sent) {
                self.metrics.send_took(channel, took);
                results[i] = Some(result);
            }
        }
        rows.iter()
            .zip(results)
            .map(|(row, r)| {
                let r = r.unwrap_or_else(|| Err(SendError::Transient("not sent".into())));
                self.verdict(row, r)
            })
            .collect()
    }

    /// The verdict on one row's send.
    fn verdict(&self, row: &Claimed, result: Result<(), SendError>) -> Verdict {
        match result {
            Ok(()) => Verdict::Sent,
            Err(SendError::Permanent(e)) => Verdict::Failed(FailReason::Permanent, e),
            Err(SendError::Held(e)) => Verdict::Held(e),
            Err(SendError::Transient(e)) => {
                let attempts = u32::try_from(row.attempts).unwrap_or(0) + 1;
                if attempts >= self.settings.max_attempts {
                    Verdict::Failed(FailReason::Exhausted, e)
                } else {
                    Verdict::Retry(self.delay(attempts), e)
                }
            }
        }
    }

    /// Delay before attempt `attempts + 1`: exponential from `backoff_base_ms`, full jitter, capped.
    fn delay(&self, attempts: u32) -> Duration {
        let mut b = Backoff::new(
            Duration::from_millis(self.settings.backoff_base_ms),
            Duration::from_secs(self.settings.backoff_max_secs),
        );
        for _ in 1..attempts.min(32) {
            b.next_delay();
        }
        b.next_delay()
    }
}

/// The channel an outbox row names.
fn channel_of(name: &str) -> Option<Channel> {
    match name {
        "email" => Some(Channel::Email),
        "letter" => Some(Channel::Letter),
        _ => None,
    }
}
