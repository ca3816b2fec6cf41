//! A run's members streamed from PostgreSQL into the simulation: one `COPY` statement over the
//! whole run ([`store::policy_counts::copy_run_records`]) is cut into blocks of whole tuples as it
//! arrives, and evaluating threads on the blocking pool tally each block while the next streams
//! in. The same few buffers carry the whole run (they go back to the reader once tallied), so
//! memory stays a few blocks per thread whatever the run's size. The answer does not depend on
//! the order of the rows nor on how they are cut ([`super::tally`]).

use std::sync::{Mutex, mpsc};

use futures_util::{Stream, StreamExt};
use sqlx::PgPool;

use super::copy_rows::{self, Next};
use super::stream::BLOCK;
use super::tally::{Baseline, Tally};
use crate::domain::Decision;
use crate::rules::{EvalContext, RuleSet};
use crate::store::{self, StoreError};

/// Blocks waiting per evaluating thread: enough to keep a thread busy while the reader refills.
const QUEUED_PER_THREAD: usize = 2;

/// Whole tuples: `bytes[..len]`.
struct Block {
    bytes: Vec<u8>,
    len: usize,
}

/// The tally of `rules` over every member of run `run_id` against its recorded decisions, on
/// `threads` evaluating threads (at least 1).
pub(super) async fn tally_run(
    pool: &PgPool,
    run_id: i64,
    rules: &RuleSet,
    ctx: &EvalContext,
    threads: usize,
) -> Result<Tally, StoreError> {
    store::run_scan::analyze_cases_once(pool).await?;
    // The scan of a run whose members are all reviewed hashes its outcomes: the planner needs
    // the partition's statistics to hash it rather than `cases` (see `copy_run_records`).
    store::partitions::analyze_outcomes(pool, run_id).await?;
    let mut tx = store::run_scan::begin_snapshot(pool).await?;
    let stream = store::policy_counts::copy_run_records(&mut tx, run_id).await?;
    tally_stream(stream, rules, ctx, threads, BLOCK).await
}

/// [`tally_run`] over any stream of a binary `COPY` of (decision, record) tuples, cut into blocks
/// of about `block` bytes.
pub(super) async fn tally_stream<S, B>(
    stream: S,
    rules: &RuleSet,
    ctx: &EvalContext,
    threads: usize,
    block: usize,
) -> Result<Tally, StoreError>
where
    S: Stream<Item = Result<B, StoreError>> + Unpin,
    B: AsRef<[u8]>,
{
    let threads = threads.max(1);
    let (tx, rx) = tokio::sync::mpsc::channel::<Block>(threads * QUEUED_PER_THREAD);
    let (free_tx, free_rx) = mpsc::channel::<Vec<u8>>();
    let (rules, ctx) = (rules.clone(), ctx.clone());
    let evaluating =
        tokio::task::spawn_blocking(move || evaluate(rx, &free_tx, &rules, &ctx, threads));
    let read = pump(stream, &tx, free_rx, block).await;
    drop(tx);
    let tally = evaluating.await.expect("the simulation does not panic");
    read?;
    Ok(tally)
}

/// Tallies the blocks of `rx` on `threads` threads until it closes, handing each buffer back
/// through `free`; returns the merged tally.
fn evaluate(
    rx: tokio::sync::mpsc::Receiver<Block>,
    free: &mpsc::Sender<Vec<u8>>,
    rules: &RuleSet,
    ctx: &EvalContext,
    threads: usize,
) -> Tally {
    let rx = Mutex::new(rx);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let (rx, free) = (&rx, free.clone());
                s.spawn(move || evaluate_blocks(rx, &free, rules, ctx))
            })
            .collect();
        Tally::joined(handles)
    })
}

/// One evaluating thread: takes blocks until the queue closes.
fn evaluate_blocks(
    rx: &Mutex<tokio::sync::mpsc::Receiver<Block>>,
    free: &mpsc::Sender<Vec<u8>>,
    rules: &RuleSet,
    ctx: &EvalContext,
) -> Tally {
    let mut t = Tally::default();
    loop {
        // The lock is held only while taking a block, never while evaluating one.
        let block = match rx.lock() {
            Ok(mut rx) => rx.blocking_recv(),
            Err(_) => None,
        };
        let Some(block) = block else { break };
        for [decision, record] in copy_rows::rows::<2>(&block.bytes[..block.len]) {
            let recorded = decision
                .and_then(|d| std::str::from_utf8(d).ok())
                .and_then(|d| d.parse::<Decision>().ok());
            let record = record.unwrap_or_default();
            t.add(rules, ctx, record, recorded, Baseline::Recorded);
        }
        // The reader may have finished already; then the buffer is simply dropped.
        let _ = free.send(block.bytes);
    }
    t
}

/// Reads the `COPY` stream to its end: strips the header, sends blocks of whole tuples of about
/// `block` bytes to `tx` (buffers come back through `free`), and checks the trailer is there.
/// Stops early, without error, if every evaluating thread has gone.
async fn pump<S, B>(
    mut stream: S,
    tx: &tokio::sync::mpsc::Sender<Block>,
    free: mpsc::Receiver<Vec<u8>>,
    block: usize,
) -> Result<(), StoreError>
where
    S: Stream<Item = Result<B, StoreError>> + Unpin,
    B: AsRef<[u8]>,
{
    let malformed =
        |e: copy_rows::FormatError| StoreError::Query(sqlx::Error::Protocol(e.to_string()));
    let mut buf: Vec<u8> = Vec::with_capacity(block);
    let (mut started, mut ended) = (false, false);
    // The end of the last whole tuple in `buf`.
    let mut whole = 0;
    while let Some(chunk) = stream.next().await {
        buf.extend_from_slice(chunk?.as_ref());
        if !started {
            let Some(header) = copy_rows::header_len(&buf).map_err(malformed)? else {
                continue;
            };
            buf.drain(..header);
            started = true;
        }
        while !ended {
            match copy_rows::next(&buf[whole..]).map_err(malformed)? {
                Next::Row(len) => whole += len,
                Next::Trailer => ended = true,
                Next::Incomplete => break,
            }
        }
        if whole >= block {
            let mut next = free.try_recv().unwrap_or_default();
            next.clear();
            next.extend_from_slice(&buf[whole..]);
            let full = std::mem::replace(&mut buf, next);
            if tx
                .send(Block {
                    bytes: full,
                    len: whole,
                })
                .await
                .is_err()
            {
                return Ok(());
            }
            whole = 0;
        }
    }
    if !ended {
        return Err(malformed(copy_rows::FormatError::TRUNCATED));
    }
    if whole > 0 {
        let _ = tx
            .send(Block {
                bytes: buf,
                len: whole,
            })
            .await;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
