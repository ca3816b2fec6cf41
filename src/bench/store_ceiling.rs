//! PostgreSQL's own ceiling for the worker's writes: the same outcome rows and offers, written the
//! way the worker writes them (one transaction per batch, as many writers as consumers), with no
//! broker and no decoding or rules in the timed part.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use sqlx::PgPool;
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::domain::{Case, Decision};
use crate::rules::{EvalContext, RuleSet};
use crate::store::outcomes::{self, NewOutcome, RulesRef};
use crate::store::publishes::Member;
use crate::store::{self, cases::facts_hash};

/// Writes outcomes for `members` under a scratch run, `batch` to a transaction with `writers`
/// connections at once; returns the seconds the writes took.
pub async fn measure(
    pool: &PgPool,
    rules: &RuleSet,
    rules_ref: &RulesRef,
    ctx: &EvalContext,
    members: &[Member],
    writers: usize,
    batch: usize,
) -> Result<f64> {
    let run_id: i64 = sqlx::query_scalar(
        "INSERT INTO runs (name, rules_name, rules_version, rules_hash, rules_text, as_of, created_by) \
         VALUES ('bench-store-ceiling', $1, $2, $3, '', $4, 'bench') RETURNING id",
    )
    .bind(&rules_ref.name)
    .bind(&rules_ref.version)
    .bind(&rules_ref.hash)
    .bind(ctx.as_of)
    .fetch_one(pool)
    .await
    .context("cannot create the scratch run of the store ceiling")?;
    // Untimed: decode and decide, as the worker would have.
    let mut rows = Vec::with_capacity(members.len());
    for m in members {
        let case = Case::from_json(m.record.as_bytes())
            .map_err(|e| anyhow::anyhow!("a generated case does not decode: {e}"))?;
        rows.push(NewOutcome {
            run_id,
            case_id: m.case_id.clone(),
            job_id: Uuid::new_v4(),
            evaluation: rules.evaluate(&case, ctx),
            rules: rules_ref.clone(),
            facts_hash: facts_hash(&m.record),
        });
    }
    let chunks: Vec<Vec<NewOutcome>> = rows.chunks(batch.max(1)).map(<[_]>::to_vec).collect();
    drop(rows);
    let queue = Arc::new(Mutex::new(chunks));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..writers.max(1) {
        let queue = queue.clone();
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            loop {
                let Some(chunk) = queue.lock().await.pop() else {
                    return Ok::<(), store::StoreError>(());
                };
                write(&pool, &chunk).await?;
            }
        }));
    }
    for t in tasks {
        t.await.context("a store-ceiling writer panicked")??;
    }
    Ok(started.elapsed().as_secs_f64())
}

/// One batch as the worker commits it: outcomes, then offers for the new recommendations.
async fn write(pool: &PgPool, chunk: &[NewOutcome]) -> Result<(), store::StoreError> {
    let mut tx = pool.begin().await?;
    let inserted = outcomes::insert_batch(&mut tx, chunk, "bench").await?;
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
        store::offers::recommend(&mut tx, first.run_id, &ids, "bench").await?;
    }
    tx.commit().await?;
    Ok(())
}
