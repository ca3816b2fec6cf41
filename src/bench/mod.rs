//! `docket bench`: the real pipeline on the real servers, in a fresh database and fresh queues,
//! measured end to end, next to the broker's own ceiling measured in the same invocation.

mod ceiling;
mod phases;
pub mod procs;
mod report;
mod store_ceiling;
mod teardown;

pub use report::{BenchReport, render};
pub use teardown::Interrupted;

use anyhow::{Context, Result};
use secrecy::{ExposeSecret, SecretString};

use crate::config::Settings;
use crate::store;

/// What to run.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Cases in the generated backlog.
    pub cases: usize,
    /// Consumers per worker process.
    pub consumers: usize,
    /// Worker processes.
    pub processes: usize,
    /// Cases per transaction.
    pub batch: usize,
    /// Prefetch per consumer.
    pub prefetch: u16,
    /// Cases per published message.
    pub cases_per_message: usize,
    /// Seed of the backlog.
    pub seed: u64,
    /// Keep the database afterwards.
    pub keep: bool,
}

/// Runs the benchmark.
pub async fn run(base: &Settings, opt: &BenchOptions) -> Result<BenchReport> {
    let id = format!(
        "{}{}",
        std::process::id(),
        chrono::Utc::now().format("%H%M%S")
    );
    let mut s = base.clone();
    let url = s.database.url.expose_secret().to_string();
    let db_name = format!("docket_bench_{id}");
    let bench_url =
        crate::store::with_database(&url, &db_name).context("database.url has no database name")?;
    s.database.url = SecretString::from(bench_url);
    s.amqp.exchange = format!("bench.{id}.jobs");
    s.amqp.queue = format!("bench.{id}.review");
    s.amqp.dead_letter_exchange = format!("bench.{id}.dead");
    s.amqp.dead_letter_queue = format!("bench.{id}.review.dead");
    s.worker.consumers = opt.consumers;
    s.worker.batch_cases = opt.batch;
    s.worker.prefetch = opt.prefetch;
    s.enqueue.cases_per_message = opt.cases_per_message;
    s.check()
        .context("bench options (--batch, --prefetch, --cases-per-message)")?;

    let scratch = teardown::Scratch {
        settings: s,
        admin_url: crate::store::with_database(&url, "postgres")
            .context("database.url has no database name")?,
        db_name,
        id,
        keep: opt.keep,
    };
    // From here on a signal stops the bench in order instead of killing it on the spot.
    let mut signals = teardown::Signals::listen().context("cannot listen for SIGINT/SIGTERM")?;
    let s = &scratch.settings;
    let work = async {
        store::ensure_database(&s.database).await?;
        let pool = store::connect(&s.database).await?;
        store::migrate(&pool).await?;
        let result = measure(s, &pool, opt, &scratch.id).await;
        pool.close().await;
        result
    };
    // Whichever ends first, `work` is dropped before the removal: its worker processes are
    // stopped (see `procs::Workers`) and its connections closed.
    let result = tokio::select! {
        r = work => Ok(r),
        signal = signals.next() => Err(signal),
    };
    let removed = tokio::select! {
        removed = scratch.remove() => removed,
        signal = signals.next() => {
            eprintln!(
                "bench: {signal} again, exiting without removing database {} and queues bench.{}.*",
                scratch.db_name, scratch.id
            );
            std::process::exit(130);
        }
    };
    match result {
        Ok(r) => {
            if !removed {
                eprintln!(
                    "bench: could not remove database {} and queues bench.{}.* (remove them by hand)",
                    scratch.db_name, scratch.id
                );
            }
            r
        }
        Err(signal) => Err(Interrupted {
            signal,
            removed,
            db_name: scratch.db_name.clone(),
            id: scratch.id.clone(),
        }
        .into()),
    }
}

async fn measure(
    s: &Settings,
    pool: &sqlx::PgPool,
    opt: &BenchOptions,
    id: &str,
) -> Result<BenchReport> {
    let loaded = phases::load(s, pool, opt).await?;
    let run_id = loaded.run.id;
    let ceilings = phases::broker_ceilings(s, pool, run_id, opt, id).await?;
    let piped = phases::pipeline(s, pool, run_id, opt).await?;
    let latency = phases::latency(pool, run_id, opt.cases).await?;
    // Cases, the run's members, outcomes, offers and notices, before the ceilings add their own.
    let db_bytes = crate::store::bench::database_size(pool).await?;
    eprintln!("bench: enqueue alone, then the store ceiling");
    let enqueue_alone_seconds = phases::enqueue_alone(s, pool, run_id).await?;
    let text = crate::commands::DEFAULT_RULES;
    let rules = crate::rules::RuleSet::from_toml(text)?;
    let target = store_ceiling::Target {
        run_id,
        cases: opt.cases as i64,
        rules: &rules,
        rules_text: text,
        rules_ref: &crate::store::outcomes::RulesRef {
            name: rules.name().to_string(),
            version: rules.version().to_string(),
            hash: crate::rules::content_hash(text),
        },
        ctx: &crate::rules::EvalContext::new(rules.effective().from),
    };
    let writers = opt.processes * opt.consumers;
    let store_seconds = store_ceiling::measure(pool, &target, writers, opt.batch).await?;
    Ok(report::assemble(
        opt,
        &loaded,
        &ceilings,
        &piped,
        latency,
        (enqueue_alone_seconds, store_seconds),
        db_bytes,
    ))
}
