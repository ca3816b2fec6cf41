//! The bench's phases, each timed on its own: load (generate, import, run create), the broker's
//! ceilings, the pipeline itself, and enqueue alone. None holds the backlog in memory (it is
//! generated into a temporary file, which the import reads).

use std::io::{Seek, SeekFrom};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use secrecy::ExposeSecret;
use tokio_util::sync::CancellationToken;

use super::ceiling::{self, Ceiling};
use super::procs::{self, CpuReading};
use super::{BenchOptions, teardown};
use crate::config::Settings;
use crate::store::{self, runs::Run};

/// Cases whose messages make the broker ceilings' sample (see [`ceiling`]).
const CEILING_SAMPLE_CASES: i64 = 20_000;

/// The backlog loaded and its run created.
pub struct Loaded {
    /// The run, with every imported case.
    pub run: Run,
    /// Seconds spent generating the backlog into a temporary file, before the import.
    pub generate_seconds: f64,
    /// Seconds the import of that file took.
    pub import_seconds: f64,
    /// Seconds `run create` took.
    pub run_create_seconds: f64,
    /// CPU seconds of this process during the import.
    pub import_cpu_seconds: f64,
    /// CPU seconds of this database's PostgreSQL backends during the import (parallel index
    /// build workers, which exit when done, are not counted).
    pub import_postgres_cpu_seconds: f64,
    /// CPU seconds of this database's PostgreSQL backends during `run create`.
    pub run_create_postgres_cpu_seconds: f64,
}

/// Generates the backlog into a temporary file, imports that file as `docket import` does (each
/// timed on its own), and creates the run `bench`.
pub async fn load(s: &Settings, pool: &sqlx::PgPool, opt: &BenchOptions) -> Result<Loaded> {
    eprintln!("bench: generating {} cases", opt.cases);
    let t = Instant::now();
    let mut file = unlinked_file()?;
    crate::generate::write_ndjson(&mut file, opt.cases, opt.seed)?;
    file.seek(SeekFrom::Start(0))?;
    let generate_seconds = t.elapsed().as_secs_f64();
    eprintln!("bench: importing {} cases", opt.cases);
    let db = database_name(s);
    let (cpu, pg_cpu) = (procs::own_cpu_seconds(), CpuReading::take(&db));
    let t = Instant::now();
    let input = std::io::BufReader::with_capacity(1 << 20, file);
    let imported = crate::import::import(pool, input, std::io::sink()).await?;
    let import_seconds = t.elapsed().as_secs_f64();
    let import_cpu_seconds = procs::own_cpu_seconds() - cpu;
    let import_postgres_cpu_seconds = pg_cpu.since();
    if imported.rejected > 0 {
        bail!("{} generated cases were rejected", imported.rejected);
    }
    eprintln!("bench: creating the run");
    let text = crate::commands::DEFAULT_RULES;
    let rules = crate::rules::RuleSet::from_toml(text)?;
    let pg_cpu = CpuReading::take(&db);
    let t = Instant::now();
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
    Ok(Loaded {
        run,
        generate_seconds,
        import_seconds,
        run_create_seconds: t.elapsed().as_secs_f64(),
        import_cpu_seconds,
        import_postgres_cpu_seconds,
        run_create_postgres_cpu_seconds: pg_cpu.since(),
    })
}

/// What the broker alone does with messages like the run's.
pub struct Ceilings {
    /// Messages the run takes.
    pub messages: usize,
    /// Their average size.
    pub message_bytes: usize,
    /// Seconds to publish and consume them all.
    pub both_seconds: f64,
    /// Seconds to publish them all, no consumer.
    pub publish_seconds: f64,
}

/// Measures the broker's ceilings with a sample of the run's messages (see [`ceiling`]).
pub async fn broker_ceilings(
    s: &Settings,
    pool: &sqlx::PgPool,
    run_id: i64,
    opt: &BenchOptions,
    id: &str,
) -> Result<Ceilings> {
    let per = s.enqueue.cases_per_message;
    let page = store::publishes::page(pool, run_id, 0, CEILING_SAMPLE_CASES).await?;
    let sample: Vec<Vec<u8>> = page
        .chunks(per)
        .map(|c| crate::enqueue::message_body("bench", c))
        .collect();
    drop(page);
    let messages = opt.cases.div_ceil(per);
    let message_bytes = sample.iter().map(Vec::len).sum::<usize>() / sample.len().max(1);
    eprintln!("bench: broker ceiling with {messages} messages of {message_bytes} bytes");
    let in_flight = s.enqueue.in_flight_messages();
    let prefetch = opt.prefetch;
    let (both, publish) = (Ceiling::Both { prefetch }, Ceiling::Publish);
    let q = teardown::ceiling_queue(id);
    let both_seconds =
        ceiling::measure_on_own_connection(&s.amqp, both, &q, &sample, messages, in_flight).await?;
    let q = teardown::publish_queue(id);
    let publish_seconds =
        ceiling::measure_on_own_connection(&s.amqp, publish, &q, &sample, messages, in_flight)
            .await?;
    Ok(Ceilings {
        messages,
        message_bytes,
        both_seconds,
        publish_seconds,
    })
}

/// The pipeline as measured.
pub struct Piped {
    /// Messages enqueue published.
    pub messages: u64,
    /// Seconds enqueue took.
    pub enqueue_seconds: f64,
    /// Seconds from the start of enqueue to the last outcome.
    pub end_to_end_seconds: f64,
    /// Largest worker peak RSS, MiB.
    pub worker_rss_mib: f64,
    /// Worker CPU seconds, all processes.
    pub worker_cpu_seconds: f64,
    /// CPU seconds of this database's PostgreSQL backends while the pipeline ran.
    pub postgres_cpu_seconds: f64,
    /// CPU seconds of RabbitMQ (`beam.smp`) while the pipeline ran (other users' load included).
    pub broker_cpu_seconds: f64,
    /// CPU seconds of this process (enqueue) while the pipeline ran.
    pub enqueue_cpu_seconds: f64,
}

/// Starts the workers, enqueues the run and waits until every case is reviewed.
pub async fn pipeline(
    s: &Settings,
    pool: &sqlx::PgPool,
    run_id: i64,
    opt: &BenchOptions,
) -> Result<Piped> {
    let conn = crate::queue::connect(&s.amqp, "bench").await?;
    let channel = conn.create_channel().await?;
    crate::queue::topology::declare(&channel, &s.amqp).await?;
    eprintln!(
        "bench: {} worker process(es) × {} consumers",
        opt.processes, opt.consumers
    );
    // Stopped when dropped: on an error below as well as at the end.
    let mut workers = procs::Workers::spawn(&worker_env(s), opt.processes)?;
    let want = (opt.processes * opt.consumers) as u32;
    wait_for_consumers(&channel, &s.amqp.queue, want).await?;
    let db = database_name(s);
    let (pg_cpu, broker_cpu) = (CpuReading::take(&db), CpuReading::take("beam.smp"));
    let own_cpu = procs::own_cpu_seconds();
    let started = Instant::now();
    let summary =
        crate::enqueue::enqueue(s, pool, "bench", false, &CancellationToken::new()).await?;
    let enqueue_seconds = started.elapsed().as_secs_f64();
    wait_reviewed(
        &channel,
        &s.amqp.queue,
        pool,
        run_id,
        opt.cases,
        &mut workers,
        started,
    )
    .await?;
    let end_to_end_seconds = started.elapsed().as_secs_f64();
    let piped = Piped {
        postgres_cpu_seconds: pg_cpu.since(),
        broker_cpu_seconds: broker_cpu.since(),
        enqueue_cpu_seconds: procs::own_cpu_seconds() - own_cpu,
        messages: summary.messages,
        enqueue_seconds,
        end_to_end_seconds,
        worker_rss_mib: workers.peak_rss_mib(),
        worker_cpu_seconds: workers.cpu_seconds(),
    };
    workers.stop();
    conn.close(200, "bench".into()).await.ok();
    Ok(piped)
}

/// Waits until `cases` outcomes of the run are stored.
async fn wait_reviewed(
    channel: &lapin::Channel,
    queue: &str,
    pool: &sqlx::PgPool,
    run_id: i64,
    cases: usize,
    workers: &mut procs::Workers,
    started: Instant,
) -> Result<()> {
    loop {
        // Counting outcomes scans them: count only once nothing is left ready in the queue, so
        // the measurement does not load the database it measures.
        let ready = queue_state(channel, queue).await?.message_count();
        if ready == 0 {
            let done = store::bench::outcome_count(pool, run_id).await?;
            if done as usize >= cases {
                return Ok(());
            }
        }
        if started.elapsed() > Duration::from_secs(1800) {
            bail!("not all {cases} cases reviewed after 30 minutes ({ready} still queued)");
        }
        if let Some(c) = workers.exited() {
            bail!("a worker process exited early ({c})");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Publish-confirm to commit latency (p50, p99, ms) over the run's `cases` (a sample of a large
/// run) and the seconds from first to last commit.
pub async fn latency(pool: &sqlx::PgPool, run_id: i64, cases: usize) -> Result<(f64, f64, f64)> {
    Ok(store::bench::commit_latency(pool, run_id, cases as i64).await?)
}

/// Enqueues the run again with no worker running; returns the seconds it took. The queue is
/// purged afterwards.
pub async fn enqueue_alone(s: &Settings, pool: &sqlx::PgPool, run_id: i64) -> Result<f64> {
    store::publishes::reset(pool, run_id).await?;
    let t = Instant::now();
    crate::enqueue::enqueue(s, pool, "bench", false, &CancellationToken::new()).await?;
    let seconds = t.elapsed().as_secs_f64();
    let conn = crate::queue::connect(&s.amqp, "bench").await?;
    let channel = conn.create_channel().await?;
    channel
        .queue_purge(s.amqp.queue.as_str().into(), Default::default())
        .await?;
    conn.close(200, "bench".into()).await.ok();
    Ok(seconds)
}

/// A new file in the temporary folder, readable by its owner only and unlinked at once: it goes
/// when it is closed, whatever happens.
fn unlinked_file() -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let path = std::env::temp_dir().join(format!(
        "docket-bench-{}-{nanos}.ndjson",
        std::process::id()
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(file)
}

/// The bench database's name, as its PostgreSQL backends show it.
fn database_name(s: &Settings) -> String {
    let url = s.database.url.expose_secret();
    let name = url.rsplit('/').next().unwrap_or_default();
    format!(" {} ", name.split('?').next().unwrap_or_default())
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
