//! One consumer: gathers deliveries into batches, writes each batch in one transaction, dead-letters
//! what it must, and acknowledges only after the commit.

use std::collections::HashMap;
use std::time::Duration;

use lapin::options::{BasicAckOptions, BasicNackOptions};
use lapin::{Channel, Connection};
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

use super::control;
use super::feed::{Feed, prefetch_for, throttled_cases};
use super::intake::receive;
use super::review::{self, Received};
use super::runs::{Gate, RunCache};
use super::{Fault, Shared, WorkerError};
use crate::queue::dead_letter;
use crate::queue::publish::Publisher;
use crate::retry::Backoff;
use crate::store::{StoreError, outcomes};

/// Consumes until cancelled (returns `Ok`) or until the channel or connection fails (`Err`).
/// Sets `connected` once the broker has accepted the consumer.
pub async fn consume(
    shared: &Shared,
    conn: &Connection,
    index: usize,
    token: &CancellationToken,
    connected: &mut bool,
) -> Result<(), WorkerError> {
    let ws = &shared.settings.worker;
    let amqp = &shared.settings.amqp;
    let channel = conn.create_channel().await?;
    let dead = Publisher::open(conn, &amqp.dead_letter_exchange, "").await?;
    let park = Publisher::open(conn, "", "").await?;
    let tag = format!("{}-{index}", shared.name);
    // Start with one message to learn how many cases messages carry; after each batch the
    // prefetch follows to about `prefetch_cases` cases (see `prefetch_for`).
    let mut consumer = Feed::open(&channel, &amqp.queue, &tag, 1).await?;
    tracing::info!(consumer = %tag, queue = %amqp.queue, "Consuming.");
    *connected = true;
    let m = &shared.metrics;
    m.consumers_connected.inc();
    let _connected = scopeguard(|| m.consumers_connected.dec());
    let linger = Duration::from_millis(ws.batch_linger_ms);
    let mut runs = RunCache::default();
    let mut db_backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(30));
    loop {
        let first = tokio::select! {
            biased;
            _ = token.cancelled() => break,
            d = consumer.next() => d,
            // Idle: keep run states fresh, so parked jobs of a resumed run are released.
            _ = tokio::time::sleep(super::runs::STATE_TTL) => {
                if let Err(e) = control::refresh(shared, &park, &mut runs).await {
                    tracing::warn!(error = %e, "Run states not refreshed.");
                }
                continue;
            }
        };
        let first = first.ok_or(WorkerError::ConsumerCancelled)??;
        let batch_started = std::time::Instant::now();
        let mut batch = vec![receive(first, &shared.settings)];
        let mut jobs = batch[0].job_count();
        // When each message arrived and how many jobs it carries, for the job latency histogram.
        let mut arrivals = vec![(batch_started, jobs)];
        m.jobs_in_flight.add(jobs as i64);
        let deadline = Instant::now() + linger;
        while jobs < ws.batch_cases {
            tokio::select! {
                biased;
                _ = token.cancelled() => break,
                _ = sleep_until(deadline) => break,
                d = consumer.next() => match d {
                    Some(Ok(d)) => {
                        let r = receive(d, &shared.settings);
                        jobs += r.job_count();
                        arrivals.push((std::time::Instant::now(), r.job_count()));
                        m.jobs_in_flight.add(r.job_count() as i64);
                        batch.push(r);
                    }
                    Some(Err(e)) => return Err(e.into()),
                    None => break,
                },
            }
        }
        // Large messages of slowly throttled runs go back to the queue in pieces before anything
        // waits out the rate while holding them (they are acknowledged with the batch). The run
        // states are read first, so even a consumer's first batch knows which runs are throttled;
        // a failure here is left to the batch's own refresh to handle.
        if let Err(e) = control::refresh(shared, &park, &mut runs).await {
            tracing::warn!(error = %e, "Run states not refreshed.");
        }
        if let Err(e) = super::split::throttled(shared, &park, &runs, &mut batch).await {
            m.jobs_in_flight.sub(jobs as i64);
            return Err(e);
        }
        // A database that is down or restarting: keep the batch (unacknowledged, so a return
        // does not count towards the delivery limit) and retry it in place with backoff.
        let result = loop {
            match process(shared, &channel, [&dead, &park], &mut runs, &batch, token).await {
                Err(WorkerError::Store(e)) if e.is_transient() => {
                    m.batches_failed.with_label_values(&["database"]).inc();
                    let wait = db_backoff.next_delay();
                    tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "Database unavailable; retrying the batch.");
                    tokio::select! {
                        _ = token.cancelled() => break Err(WorkerError::Store(e)),
                        _ = tokio::time::sleep(wait) => {}
                    }
                }
                other => break other,
            }
        };
        m.jobs_in_flight.sub(jobs as i64);
        // Resize only after a recorded batch and while consuming goes on: a new subscription on
        // the way out would only take deliveries that the closing channel then returns, each
        // return counting towards the queue's delivery limit.
        if result.is_ok() && !token.is_cancelled() {
            resize(&mut consumer, ws, &runs, &batch, jobs).await?;
        }
        match result {
            Ok(()) => {
                db_backoff.reset();
                m.batch_seconds
                    .observe(batch_started.elapsed().as_secs_f64());
                for (at, n) in arrivals {
                    let seconds = at.elapsed().as_secs_f64();
                    (0..n).for_each(|_| m.job_seconds.observe(seconds));
                }
            }
            // Cancelled while the database was down or during a throttle wait: the batch goes
            // back with the channel.
            Err(WorkerError::Interrupted) => break,
            Err(WorkerError::Store(_)) if token.is_cancelled() => break,
            Err(WorkerError::Store(e)) => {
                m.batches_failed.with_label_values(&["database"]).inc();
                m.jobs_failed
                    .with_label_values(&["database"])
                    .inc_by(jobs as u64);
                let wait = db_backoff.next_delay();
                tracing::warn!(error = %e, retry_in_ms = wait.as_millis() as u64, "Batch not recorded; returned to the queue.");
                tokio::select! {
                    _ = token.cancelled() => break,
                    _ = tokio::time::sleep(wait) => {}
                }
            }
            Err(e) => {
                m.batches_failed.with_label_values(&["broker"]).inc();
                m.jobs_failed
                    .with_label_values(&["broker"])
                    .inc_by(jobs as u64);
                return Err(e);
            }
        }
    }
    // Unacknowledged deliveries go back to the queue when the channel closes.
    channel.close(200, "shutting down".into()).await.ok();
    dead.channel().close(200, "shutting down".into()).await.ok();
    park.channel().close(200, "shutting down".into()).await.ok();
    Ok(())
}

/// Reviews one batch: commit outcomes, publish dead letters, then ack everything at once.
/// On a database error that is not transient the whole batch is requeued (which counts towards
/// the delivery limit); a transient one leaves it unacknowledged for the caller to retry.
async fn process(
    shared: &Shared,
    channel: &Channel,
    [dead, park]: [&Publisher; 2],
    runs: &mut RunCache,
    batch: &[Received],
    token: &CancellationToken,
) -> Result<(), WorkerError> {
    let last_tag = batch
        .iter()
        .map(|r| r.tag)
        .max()
        .expect("a batch is never empty");
    let result = record(shared, [dead, park], runs, batch, token).await;
    if let Err(WorkerError::Store(e)) = &result
        && !e.is_transient()
    {
        channel
            .basic_nack(
                last_tag,
                BasicNackOptions {
                    multiple: true,
                    requeue: true,
                },
            )
            .await?;
        return result;
    }
    result?;
    if let Some(Fault::CloseChannelBeforeAck) = shared.fault {
        channel.close(200, "fault injection".into()).await.ok();
        return Err(WorkerError::ConsumerCancelled);
    }
    channel
        .basic_ack(last_tag, BasicAckOptions { multiple: true })
        .await?;
    Ok(())
}

async fn record(
    shared: &Shared,
    [dead, park]: [&Publisher; 2],
    runs: &mut RunCache,
    batch: &[Received],
    token: &CancellationToken,
) -> Result<(), WorkerError> {
    // The cached run states may be a second old: the commit re-reads them under a share lock, and
    // if a run of the batch was paused or cancelled meanwhile the batch is planned again.
    let mut replans = 0;
    let (plan, inserted, commit_seconds) = loop {
        control::refresh(shared, park, runs).await?;
        let mut loaded = HashMap::new();
        for msg in batch {
            if let Ok(m) = &msg.decoded
                && !loaded.contains_key(&m.run_id)
            {
                let run = runs.get(&shared.pool, &m.run_id).await?;
                loaded.insert(m.run_id.clone(), run);
            }
        }
        let plan = review::plan(batch, &loaded, |run| runs.gate(run));
        let charged = control::throttle(shared, runs, &plan, token).await?;
        let started = std::time::Instant::now();
        if plan.outcomes.is_empty() {
            break (plan, outcomes::Inserted::default(), 0.0);
        }
        // None: a run of the batch was paused or cancelled meanwhile; plan again.
        let attempt: Result<Option<outcomes::Inserted>, WorkerError> = async {
            let mut tx = shared.pool.begin().await.map_err(StoreError::from)?;
            if !control::still_reviewable(&mut tx, &plan).await? {
                tx.rollback().await.ok();
                return Ok(None);
            }
            for (run_id, cases) in &plan.joining {
                outcomes::join_open_run(&mut tx, *run_id, cases).await?;
            }
            let inserted = outcomes::insert_batch(&mut tx, &plan.outcomes, &shared.name).await?;
            super::offers::open(&mut tx, &plan, &inserted, &shared.name).await?;
            tx.commit().await.map_err(StoreError::from)?;
            Ok(Some(inserted))
        }
        .await;
        match attempt {
            Ok(Some(inserted)) => break (plan, inserted, started.elapsed().as_secs_f64()),
            // Not recorded: the cases taken from throttled runs' buckets go back, so a re-plan
            // or a retry of the batch does not charge them twice.
            Ok(None) => {
                charged.give_back(shared).await;
                runs.invalidate_states();
                replans += 1;
                if replans > 3 {
                    return Err(StoreError::Refused("run states keep changing".into()).into());
                }
            }
            Err(e) => {
                charged.give_back(shared).await;
                return Err(e);
            }
        }
    };
    control::park(shared, park, runs, &plan, batch).await?;
    let mut plan = plan;
    let refused = review::refused_letters(batch, &plan, &inserted.refused);
    plan.dead_letters.extend(refused);
    dead_letter::publish_all(dead, &plan.dead_letters).await?;
    for letter in &plan.dead_letters {
        tracing::debug!(kind = letter.kind, field = %letter.field, reason = %letter.reason, "Dead-lettered.");
    }
    let m = &shared.metrics;
    m.jobs_received.inc_by(plan.jobs as u64);
    for (_, d, n) in &inserted.counts {
        m.jobs_completed.with_label_values(&[d.as_str()]).inc_by(*n);
    }
    m.jobs_duplicate.inc_by(
        (plan.outcomes.len() as u64)
            .saturating_sub(inserted.total() + inserted.refused.len() as u64),
    );
    for letter in &plan.dead_letters {
        m.jobs_dead_lettered.with_label_values(&[letter.kind]).inc();
    }
    m.batch_jobs.observe(plan.jobs as f64);
    m.batch_commit_seconds.observe(commit_seconds);
    m.last_batch_timestamp_seconds
        .set(chrono::Utc::now().timestamp());
    tracing::debug!(
        jobs = plan.jobs,
        recorded = inserted.total(),
        dead_letters = plan.dead_letters.len(),
        commit_ms = (commit_seconds * 1000.0) as u64,
        "Batch committed."
    );
    Ok(())
}

/// Subscribes again when the last batch calls for another prefetch: about `prefetch_cases` cases
/// of messages the size of the batch's, or only minutes of the slowest throttled run's rate.
async fn resize(
    consumer: &mut Feed,
    ws: &crate::config::WorkerSettings,
    runs: &RunCache,
    batch: &[Received],
    jobs: usize,
) -> Result<(), WorkerError> {
    let slowest = batch
        .iter()
        .filter_map(|r| r.decoded.as_ref().ok())
        .filter_map(|m| match runs.gate(&m.run_id) {
            Gate::Throttle(rate) => Some(rate),
            _ => None,
        })
        .reduce(f64::min);
    let cases = slowest.map_or(ws.prefetch_cases, |rate| {
        throttled_cases(ws.prefetch_cases, rate, ws.consumers)
    });
    consumer
        .resize(prefetch_for(ws.prefetch, cases, jobs, batch.len()))
        .await?;
    Ok(())
}

/// Runs `f` when dropped: keeps the connected-consumers gauge right on every exit path.
fn scopeguard<F: FnOnce()>(f: F) -> impl Drop {
    struct Guard<F: FnOnce()>(Option<F>);
    impl<F: FnOnce()> Drop for Guard<F> {
        fn drop(&mut self) {
            if let Some(f) = self.0.take() {
                f();
            }
        }
    }
    Guard(Some(f))
}
