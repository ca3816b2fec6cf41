//! PostgreSQL's own ceiling for the worker's writes: outcome rows and offers like the run's,
//! written the way the worker writes them (one transaction per batch, as many writers as
//! consumers), with no broker and no decoding or rules in the timed part.
//!
//! The rows are decided once for a sample of the run's cases (untimed) and written for every case
//! of the run, whose case ids and imported facts hashes one statement streams to the writers a few
//! batches ahead of them: the bench's memory stays flat whatever the backlog's size, and no writer
//! waits on a lookup of its batch (the worker gets its cases in the message, not from the store). The scratch run has the same
//! members as the run, so every row passes the membership and facts checks the worker's rows pass
//! and is written (the count is checked afterwards).

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::{Case, CaseGroups, Decision, RuleKind};
use crate::rules::{EvalContext, RuleSet};
use crate::store::outcomes::{self, NewOutcome, RulesRef};
use crate::store::{self, cases::facts_hash};

/// Cases of the run decided for the sample.
const SAMPLE: i64 = 20_000;

/// What the store ceiling writes.
pub struct Target<'a> {
    /// The run whose members are written for (under a scratch run of their own).
    pub run_id: i64,
    /// Its size.
    pub cases: i64,
    /// The rule set, its text and its reference.
    pub rules: &'a RuleSet,
    /// The rule set's text, stored with the scratch run.
    pub rules_text: &'a str,
    /// As stored with outcomes.
    pub rules_ref: &'a RulesRef,
    /// Review date.
    pub ctx: &'a EvalContext,
}

/// Writes an outcome for every member of `t.run_id` under a scratch run, `batch` to a transaction
/// with `writers` connections at once; returns the seconds the writes took.
pub async fn measure(pool: &PgPool, t: &Target<'_>, writers: usize, batch: usize) -> Result<f64> {
    let run_id = store::bench::create_ceiling_run(pool, t.rules_ref, t.rules_text, t.ctx.as_of)
        .await
        .context("cannot create the scratch run of the store ceiling")?;
    // Members and a partition of its own, as `run create` gives every run.
    let mut tx = pool.begin().await?;
    store::partitions::fill_members(&mut tx, run_id, None).await?;
    store::partitions::create_outcomes(&mut tx, run_id).await?;
    tx.commit().await?;
    let qualifying: Arc<Vec<String>> = Arc::new(
        t.rules
            .rules(RuleKind::Qualifying)
            .iter()
            .map(|r| r.id().to_string())
            .collect(),
    );
    let sample = Arc::new(decide_sample(pool, t, run_id).await?);
    let (batch, writers) = (batch.max(1), writers.max(1));
    // One statement reads the members as the writers go, a few batches ahead of them.
    let (send, recv) = tokio::sync::mpsc::channel(writers * 2);
    let recv = Arc::new(tokio::sync::Mutex::new(recv));
    let started = Instant::now();
    let feeder = tokio::spawn(feed(pool.clone(), t.run_id, batch, send));
    let mut tasks = Vec::new();
    for _ in 0..writers {
        let (pool, sample, recv) = (pool.clone(), sample.clone(), recv.clone());
        let qualifying = qualifying.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let Some((after, ids)) = recv.lock().await.recv().await else {
                    return Ok::<(), store::StoreError>(());
                };
                let chunk: Vec<NewOutcome> = ids
                    .into_iter()
                    .enumerate()
                    .map(|(i, (case_id, facts_hash))| NewOutcome {
                        case_id,
                        job_id: Uuid::new_v4(),
                        facts_hash,
                        ..sample[(after + i) % sample.len()].clone()
                    })
                    .collect();
                write(&pool, &chunk, &qualifying).await?;
            }
        }));
    }
    drop(recv);
    for task in tasks {
        task.await.context("a store-ceiling writer panicked")??;
    }
    feeder
        .await
        .context("the store ceiling's reader panicked")??;
    let seconds = started.elapsed().as_secs_f64();
    let written = store::bench::outcome_count(pool, run_id).await?;
    let cases = t.cases;
    anyhow::ensure!(
        written == cases,
        "the store ceiling wrote {written} outcomes for a run of {cases} cases"
    );
    Ok(seconds)
}

/// Sends the members of run `run_id` to the writers, `batch` at a time, each with the number of
/// members sent before it.
async fn feed(
    pool: PgPool,
    run_id: i64,
    batch: usize,
    send: tokio::sync::mpsc::Sender<(usize, Vec<(String, String)>)>,
) -> Result<()> {
    use futures_util::TryStreamExt;
    let mut rows = store::bench::members(&pool, run_id);
    let (mut chunk, mut sent) = (Vec::with_capacity(batch), 0);
    while let Some(row) = rows.try_next().await? {
        chunk.push(row);
        if chunk.len() == batch {
            let full = std::mem::replace(&mut chunk, Vec::with_capacity(batch));
            if send.send((sent, full)).await.is_err() {
                return Ok(()); // a writer failed; its error is reported
            }
            sent += batch;
        }
    }
    if !chunk.is_empty() {
        send.send((sent, chunk)).await.ok();
    }
    Ok(())
}

/// Decodes and decides the run's first cases, as the worker would have, for the scratch run.
async fn decide_sample(pool: &PgPool, t: &Target<'_>, run_id: i64) -> Result<Vec<NewOutcome>> {
    let members = store::publishes::page(pool, t.run_id, 0, SAMPLE.min(t.cases)).await?;
    let mut rows = Vec::with_capacity(members.len());
    for m in members {
        let case = Case::from_json(m.record.as_bytes())
            .map_err(|e| anyhow::anyhow!("a generated case does not decode: {e}"))?;
        rows.push(NewOutcome {
            run_id,
            job_id: Uuid::new_v4(),
            verdict: t.rules.verdict(&case, t.ctx),
            facts_hash: facts_hash(&m.record),
            groups: CaseGroups::of(&case),
            case_id: m.case_id,
        });
    }
    anyhow::ensure!(!rows.is_empty(), "the run has no cases");
    Ok(rows)
}

/// One batch as the worker commits it: outcomes, then offers for the new recommendations.
async fn write(
    pool: &PgPool,
    chunk: &[NewOutcome],
    qualifying: &[String],
) -> Result<(), store::StoreError> {
    let mut tx = pool.begin().await?;
    let inserted =
        outcomes::insert_batch(&mut tx, chunk, "bench", outcomes::Existing::Fail).await?;
    let ids: Vec<&str> = inserted
        .recommended
        .iter()
        .map(|(_, id)| id.as_str())
        .collect();
    if let Some(first) = chunk.first()
        && inserted
            .counts
            .iter()
            .any(|(_, d, _)| *d == Decision::OfferRecommended)
    {
        let qualifying: Vec<&str> = qualifying.iter().map(String::as_str).collect();
        store::offers::recommend(&mut tx, first.run_id, &ids, &qualifying, "bench").await?;
    }
    tx.commit().await?;
    Ok(())
}
