//! One consumer: a short loop that gathers deliveries into a batch, hands the batch to the batch
//! step ([`super::step`]), and settles it as the step says: acknowledge after the commit and the
//! publishes that must follow it, return it to the queue, retry it in place, or stop.

use std::time::{Duration, Instant};

use lapin::options::{BasicAckOptions, BasicNackOptions};
use lapin::{Channel, Connection};
use tokio::time::sleep_until;
use tokio_util::sync::CancellationToken;

use super::control;
use super::feed::{Feed, prefetch_for, throttled_cases};
use super::intake::receive;
use super::outlet::Outlet;
use super::review::Received;
use super::runs::{Gate, RunCache};
use super::step::{BatchStep, Disposition, Verdict};
use super::{Fault, Shared, WorkerError};
use crate::retry::Backoff;
use crate::telemetry::batch::FailedAt;

/// Messages gathered for one step, and when each arrived with how many jobs it carries (for the
/// job latency histogram).
struct Gathered {
    batch: Vec<Received>,
    started: Instant,
    arrivals: Vec<(Instant, usize)>,
    jobs: usize,
}

/// A consumer's connection-scoped parts.
struct Consumer<'a> {
    shared: &'a Shared,
    channel: Channel,
    feed: Feed,
    outlet: Outlet<'a>,
    runs: RunCache,
    db_backoff: Backoff,
}

/// Consumes until cancelled (returns `Ok`) or until the channel or connection fails (`Err`).
/// Sets `connected` once the broker has accepted the consumer.
pub async fn consume(
    shared: &Shared,
    conn: &Connection,
    index: usize,
    token: &CancellationToken,
    connected: &mut bool,
) -> Result<(), WorkerError> {
    let amqp = &shared.settings.amqp;
    let channel = conn.create_channel().await?;
    let outlet = Outlet::open(conn, amqp, &shared.metrics).await?;
    let tag = format!("{}-{index}", shared.name);
    // Start with one message to learn how many cases messages carry; after each batch the
    // prefetch follows to about `prefetch_cases` cases (see `prefetch_for`).
    let feed = Feed::open(&channel, &amqp.queue, &tag, 1).await?;
    tracing::info!(consumer = %tag, queue = %amqp.queue, "Consuming.");
    *connected = true;
    let _connected = shared.metrics.consumer_connected();
    let mut c = Consumer {
        shared,
        channel,
        feed,
        outlet,
        runs: RunCache::default(),
        db_backoff: Backoff::new(Duration::from_millis(200), Duration::from_secs(30)),
    };
    let result = c.run(token).await;
    // Unacknowledged deliveries go back to the queue when the channel closes.
    c.channel.close(200, "shutting down".into()).await.ok();
    c.outlet.close().await;
    result
}

impl Consumer<'_> {
    /// Gather, hand off, settle, until cancelled or the broker fails.
    async fn run(&mut self, token: &CancellationToken) -> Result<(), WorkerError> {
        while let Some(g) = self.gather(token).await? {
            let jobs = g.jobs;
            self.shared.metrics.in_flight(jobs as i64);
            let verdict = self.hand_off(&g.batch, token).await;
            self.shared.metrics.in_flight(-(jobs as i64));
            let settled = match verdict {
                Ok(v) => self.settle(g, v, token).await,
                Err(e) => Err(e),
            };
            match settled {
                Ok(true) => {}
                Ok(false) | Err(WorkerError::Interrupted) => break,
                Err(e) => {
                    self.shared
                        .metrics
                        .batch_failed(FailedAt::Broker, Some(jobs));
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Waits for a first delivery (refreshing run states while idle, so parked jobs of a resumed
    /// run are released), then gathers until the batch is full or its linger has passed. `None`
    /// when cancelled.
    async fn gather(&mut self, token: &CancellationToken) -> Result<Option<Gathered>, WorkerError> {
        let ws = &self.shared.settings.worker;
        let first = loop {
            tokio::select! {
                biased;
                _ = token.cancelled() => return Ok(None),
                d = self.feed.next() => break d.ok_or(WorkerError::ConsumerCancelled)??,
                _ = tokio::time::sleep(super::runs::STATE_TTL) => self.idle_refresh().await?,
            }
        };
        let started = Instant::now();
        let first = receive(first, &self.shared.settings);
        let mut g = Gathered {
            jobs: first.job_count(),
            arrivals: vec![(started, first.job_count())],
            batch: vec![first],
            started,
        };
        let deadline = tokio::time::Instant::now() + Duration::from_millis(ws.batch_linger_ms);
        while g.jobs < ws.batch_cases {
            tokio::select! {
                biased;
                _ = token.cancelled() => break,
                _ = sleep_until(deadline) => break,
                d = self.feed.next() => match d {
                    Some(d) => {
                        let r = receive(d?, &self.shared.settings);
                        g.jobs += r.job_count();
                        g.arrivals.push((Instant::now(), r.job_count()));
                        g.batch.push(r);
                    }
                    None => break,
                },
            }
        }
        Ok(Some(g))
    }

    /// Idle: keep run states fresh and release what resumed runs had parked.
    async fn idle_refresh(&mut self) -> Result<(), WorkerError> {
        match control::refresh(&self.shared.pool, &mut self.runs).await {
            Ok(releases) => self.outlet.release(&releases).await,
            Err(e) => {
                tracing::warn!(error = %e, "Run states not refreshed.");
                Ok(())
            }
        }
    }

    /// Runs the batch step, again and again while the database is unavailable (the batch stays
    /// unacknowledged, so a return does not count towards the delivery limit).
    async fn hand_off(
        &mut self,
        batch: &[Received],
        token: &CancellationToken,
    ) -> Result<Verdict, WorkerError> {
        let s = self.shared;
        let step = BatchStep {
            pool: &s.pool,
            settings: &s.settings.worker,
            name: &s.name,
            metrics: &s.metrics,
        };
        loop {
            let verdict = step.process(&mut self.runs, batch, token).await;
            self.outlet.release(&verdict.releases).await?;
            let Disposition::RetryInPlace(e) = &verdict.disposition else {
                return Ok(verdict);
            };
            s.metrics.batch_failed(FailedAt::Database, None);
            let wait = self.db_backoff.next_delay();
            tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "Database unavailable; retrying the batch.");
            tokio::select! {
                _ = token.cancelled() => return Err(WorkerError::Interrupted),
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Does what the verdict says. `Ok(true)`: go on consuming; `Ok(false)`: stop.
    async fn settle(
        &mut self,
        g: Gathered,
        verdict: Verdict,
        token: &CancellationToken,
    ) -> Result<bool, WorkerError> {
        let last_tag = g.batch.iter().map(|r| r.tag).max().expect("never empty");
        let m = &self.shared.metrics;
        match verdict.disposition {
            Disposition::Acknowledge => {
                self.outlet.publish(&g.batch, &verdict.after).await?;
                let after = &verdict.after;
                let recorded: u64 = after.recorded.completed.iter().map(|(_, n)| n).sum();
                tracing::debug!(
                    jobs = g.jobs,
                    recorded,
                    dead_letters = after.dead_letters.len(),
                    commit_ms = (after.recorded.commit_seconds * 1000.0) as u64,
                    "Batch committed."
                );
                if let Some(Fault::CloseChannelBeforeAck) = self.shared.fault {
                    self.channel.close(200, "fault injection".into()).await.ok();
                    return Err(WorkerError::ConsumerCancelled);
                }
                let multiple = BasicAckOptions { multiple: true };
                self.channel.basic_ack(last_tag, multiple).await?;
                // Resize only after a recorded batch and while consuming goes on: a new
                // subscription on the way out would only take deliveries that the closing
                // channel then returns, each return counting towards the delivery limit.
                if !token.is_cancelled() {
                    self.resize(&g.batch, g.jobs).await?;
                }
                self.db_backoff.reset();
                m.batch_acknowledged(&after.recorded, &after.dead_letters, g.started, &g.arrivals);
                Ok(true)
            }
            Disposition::Requeue(e) => {
                let requeue = BasicNackOptions {
                    multiple: true,
                    requeue: true,
                };
                self.channel.basic_nack(last_tag, requeue).await?;
                m.batch_failed(FailedAt::Database, Some(g.jobs));
                let wait = self.db_backoff.next_delay();
                tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "Batch not recorded; returned to the queue.");
                tokio::select! {
                    _ = token.cancelled() => Ok(false),
                    _ = tokio::time::sleep(wait) => Ok(true),
                }
            }
            Disposition::RetryInPlace(_) | Disposition::Interrupted => Ok(false),
        }
    }

    /// Subscribes again when the last batch calls for another prefetch: about `prefetch_cases`
    /// cases of messages the size of the batch's, or only minutes of the slowest throttled run's
    /// rate.
    async fn resize(&mut self, batch: &[Received], jobs: usize) -> Result<(), WorkerError> {
        let ws = &self.shared.settings.worker;
        let slowest = batch
            .iter()
            .filter_map(|r| r.decoded.as_ref().ok())
            .filter_map(|m| match self.runs.gate(&m.run_id) {
                Gate::Throttle(rate) => Some(rate),
                _ => None,
            })
            .reduce(f64::min);
        let cases = slowest.map_or(ws.prefetch_cases, |rate| {
            throttled_cases(ws.prefetch_cases, rate, ws.consumers)
        });
        self.feed
            .resize(prefetch_for(ws.prefetch, cases, jobs, batch.len()))
            .await?;
        Ok(())
    }
}
