//! `docket bench`: the real pipeline on the real servers, in a fresh database and fresh queues,
//! measured end to end, next to the broker's own ceiling measured in the same invocation.

mod ceiling;
mod procs;
mod report;
mod store_ceiling;
mod teardown;

pub use report::{BenchReport, render};
pub use teardown::Interrupted;

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use secrecy::{ExposeSecret, SecretString};
use tokio_util::sync::CancellationToken;

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
    let cut = url
        .rfind('/')
        .context("database.url has no database name")?;
    let db_name = format!("docket_bench_{id}");
    s.database.url = SecretString::from(format!("{}/{db_name}", &url[..cut]));
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
        server: url[..cut].to_string(),
        db_name,
        id,
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
    eprintln!("bench: generating and importing {} cases", opt.cases);
    let mut ndjson = Vec::with_capacity(opt.cases * 1200);
    crate::generate::write_ndjson(&mut ndjson, opt.cases, opt.seed)?;
    let t = Instant::now();
    let imported =
        crate::import::import(pool, std::io::Cursor::new(&ndjson), std::io::sink()).await?;
    let import_seconds = t.elapsed().as_secs_f64();
    drop(ndjson);
    if imported.rejected > 0 {
        bail!("{} generated cases were rejected", imported.rejected);
    }
    let text = crate::commands::DEFAULT_RULES;
    let rules = crate::rules::RuleSet::from_toml(text)?;
    let (run, _) = store::runs::create(
        pool,
        &store::runs::NewRun {
            name: "bench",
            rules_name: rules.name(),
            rules_version: rules.version(),
            rules_hash: &crate::rules::content_hash(text),
            rules_text: text,
            as_of: rules.effective().from,
            courts: None,
            created_by: "bench",
            open: false,
        },
    )
    .await?;

    // The same messages enqueue will send, for the broker's ceiling.
    let page = store::publishes::page(pool, run.id, 0, opt.cases as i64).await?;
    let bodies: Vec<Vec<u8>> = page
        .chunks(s.enqueue.cases_per_message)
        .map(|c| crate::enqueue::message_body("bench", c))
        .collect();
    drop(page);
    let message_bytes = bodies.iter().map(Vec::len).sum::<usize>() / bodies.len().max(1);
    eprintln!(
        "bench: broker ceiling with {} messages of {message_bytes} bytes",
        bodies.len()
    );
    // The ceilings get a connection of their own, closed before the pipeline runs, so nothing
    // they leave behind (deleted queues, cancelled consumers) can affect the measured run.
    let ceiling_conn = crate::queue::connect(&s.amqp, "bench-ceiling").await?;
    let ceiling_secs = ceiling::measure(
        &ceiling_conn,
        &teardown::ceiling_queue(id),
        &bodies,
        s.enqueue.in_flight_messages(),
        opt.prefetch,
    )
    .await?;
    let publish_seconds = ceiling::measure_publish(
        &ceiling_conn,
        &teardown::publish_queue(id),
        &bodies,
        s.enqueue.in_flight_messages(),
    )
    .await?;
    let messages = bodies.len() as u64;
    drop(bodies);
    ceiling_conn.close(200, "bench".into()).await.ok();
    let conn = crate::queue::connect(&s.amqp, "bench").await?;
    let channel = conn.create_channel().await?;
    crate::queue::topology::declare(&channel, &s.amqp).await?;

    eprintln!(
        "bench: {} worker process(es) × {} consumers",
        opt.processes, opt.consumers
    );
    let env = worker_env(s);
    // Stopped when dropped: on an error below as well as at the end.
    let mut workers = procs::Workers::spawn(&env, opt.processes)?;
    wait_for_consumers(
        &channel,
        &s.amqp.queue,
        (opt.processes * opt.consumers) as u32,
    )
    .await?;

    let started = Instant::now();
    let summary =
        crate::enqueue::enqueue(s, pool, "bench", false, &CancellationToken::new()).await?;
    let enqueue_seconds = started.elapsed().as_secs_f64();
    loop {
        // Counting outcomes scans them: count only once nothing is left ready in the queue, so
        // the measurement does not load the database it measures.
        let ready = queue_ready(&channel, &s.amqp.queue).await?;
        let done: i64 = if ready == 0 {
            sqlx::query_scalar("SELECT count(*) FROM outcomes WHERE run_id = $1")
                .bind(run.id)
                .fetch_one(pool)
                .await?
        } else {
            0
        };
        if done as usize >= opt.cases {
            break;
        }
        if started.elapsed() > Duration::from_secs(1800) {
            bail!(
                "not all {} cases reviewed after 30 minutes ({ready} still queued)",
                opt.cases
            );
        }
        if let Some(c) = workers.exited() {
            bail!("a worker process exited early ({c})");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let end_to_end_seconds = started.elapsed().as_secs_f64();
    let rss = workers.peak_rss_mib();
    let cpu = workers.cpu_seconds();
    workers.stop();

    let (p50, p99, span): (f64, f64, f64) = sqlx::query_as(
        r#"
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lat),
               percentile_cont(0.99) WITHIN GROUP (ORDER BY lat),
               EXTRACT(EPOCH FROM max(o.decided_at) - min(o.decided_at))::float8
        FROM (SELECT o.decided_at,
                     GREATEST(EXTRACT(EPOCH FROM o.decided_at - p.confirmed_at) * 1000, 0)::float8 AS lat
              FROM outcomes o
              JOIN run_cases rc USING (run_id, case_id)
              CROSS JOIN LATERAL (
                  SELECT confirmed_at FROM run_publishes p
                  WHERE p.run_id = rc.run_id AND p.last_seq >= rc.seq
                  ORDER BY p.last_seq LIMIT 1) p
              WHERE o.run_id = $1) o
        "#,
    )
    .bind(run.id)
    .fetch_one(pool)
    .await?;

    eprintln!("bench: enqueue alone, then the store ceiling");
    store::publishes::reset(pool, run.id).await?;
    let t = Instant::now();
    crate::enqueue::enqueue(s, pool, "bench", false, &CancellationToken::new()).await?;
    let enqueue_alone_seconds = t.elapsed().as_secs_f64();
    channel
        .queue_purge(s.amqp.queue.as_str().into(), Default::default())
        .await?;
    conn.close(200, "bench".into()).await.ok();
    let members = store::publishes::page(pool, run.id, 0, opt.cases as i64).await?;
    let store_seconds = store_ceiling::measure(
        pool,
        &rules,
        &crate::store::outcomes::RulesRef {
            name: rules.name().to_string(),
            version: rules.version().to_string(),
            hash: crate::rules::content_hash(text),
        },
        &crate::rules::EvalContext::new(rules.effective().from),
        &members,
        opt.processes * opt.consumers,
        opt.batch,
    )
    .await?;
    drop(members);
    let cases = opt.cases as f64;
    let ceiling_msgs = messages as f64 / ceiling_secs;
    let ceiling_cases = cases / ceiling_secs;
    let cases_per_second = cases / end_to_end_seconds;
    Ok(BenchReport {
        cases: opt.cases,
        messages: summary.messages,
        message_bytes,
        processes: opt.processes,
        consumers: opt.consumers,
        batch: opt.batch,
        prefetch: opt.prefetch,
        import_seconds,
        end_to_end_seconds,
        cases_per_second,
        enqueue_seconds,
        enqueue_cases_per_second: cases / enqueue_seconds,
        worker_cases_per_second: if span > 0.0 {
            cases / span
        } else {
            cases_per_second
        },
        latency_p50_ms: p50,
        latency_p99_ms: p99,
        worker_peak_rss_mib: rss,
        worker_cpu_seconds_per_1000: cpu * 1000.0 / cases,
        broker_ceiling_messages_per_second: ceiling_msgs,
        broker_ceiling_cases_per_second: ceiling_cases,
        ratio_to_ceiling: cases_per_second / ceiling_cases,
        publish_ceiling_cases_per_second: cases / publish_seconds,
        enqueue_alone_cases_per_second: cases / enqueue_alone_seconds,
        enqueue_ratio_to_publish_ceiling: publish_seconds / enqueue_alone_seconds,
        store_ceiling_cases_per_second: cases / store_seconds,
        ratio_to_bottleneck: cases_per_second / (cases / ceiling_secs).min(cases / store_seconds),
    })
}

fn worker_env(s: &Settings) -> Vec<(String, String)> {
    let mut env = vec![
        (
            "DOCKET_DATABASE__URL".into(),
            s.database.url.expose_secret().to_string(),
        ),
        (
            "DOCKET_AMQP__URL".into(),
            s.amqp.url.expose_secret().to_string(),
        ),
        ("DOCKET_AMQP__EXCHANGE".into(), s.amqp.exchange.clone()),
        ("DOCKET_AMQP__QUEUE".into(), s.amqp.queue.clone()),
        (
            "DOCKET_AMQP__DEAD_LETTER_EXCHANGE".into(),
            s.amqp.dead_letter_exchange.clone(),
        ),
        (
            "DOCKET_AMQP__DEAD_LETTER_QUEUE".into(),
            s.amqp.dead_letter_queue.clone(),
        ),
        (
            "DOCKET_WORKER__CONSUMERS".into(),
            s.worker.consumers.to_string(),
        ),
        (
            "DOCKET_WORKER__BATCH_CASES".into(),
            s.worker.batch_cases.to_string(),
        ),
        (
            "DOCKET_WORKER__PREFETCH".into(),
            s.worker.prefetch.to_string(),
        ),
        ("DOCKET_METRICS__LISTEN".into(), "127.0.0.1:0".into()),
        ("DOCKET_LOG__LEVEL".into(), "warn".into()),
    ];
    env.retain(|(_, v)| !v.is_empty());
    env
}

/// What the broker says of `queue` (a passive declare): messages ready and consumers.
async fn queue_state(channel: &lapin::Channel, queue: &str) -> Result<lapin::Queue> {
    Ok(channel
        .queue_declare(
            queue.into(),
            lapin::options::QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            Default::default(),
        )
        .await?)
}

/// Messages ready (not yet delivered) in `queue`.
async fn queue_ready(channel: &lapin::Channel, queue: &str) -> Result<u32> {
    Ok(queue_state(channel, queue).await?.message_count())
}

async fn wait_for_consumers(channel: &lapin::Channel, queue: &str, want: u32) -> Result<()> {
    let started = Instant::now();
    loop {
        let consumers = queue_state(channel, queue).await?.consumer_count();
        if consumers >= want {
            return Ok(());
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("only {consumers} of {want} consumers connected after 30 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
