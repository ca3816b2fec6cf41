//! `docket demo`: the main job end to end on a generated backlog.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio_util::sync::CancellationToken;

use super::look::{queue_depths, render_status};
use super::setup;
use crate::cli::DemoArgs;
use crate::config::Settings;
use crate::store;
use crate::worker::{Worker, default_name};

/// Migrate, generate, import, create a run with the default rules, start a worker in-process,
/// enqueue, wait until every case is reviewed, print the status.
pub async fn demo(mut settings: Settings, args: &DemoArgs) -> Result<()> {
    let started = Instant::now();
    if let Some(n) = args.consumers {
        settings.worker.consumers = n.max(1);
    }
    let d = prepare(&settings, args).await?;
    let completed = review(&settings, &d).await?;

    println!("7/8 offers: approval, background checks, offers, answers, closures");
    super::demo_offers::carry_offers(&d.pool, &d.run).await?;
    relay_notices(&settings, &d).await?;
    std::fs::remove_dir_all(&d.dir).ok();

    // Every case has its outcome: mark the run completed, as `docket status` and `serve` would.
    store::run_state::complete_finished(&d.pool).await?;
    let progress = store::progress::for_run(&d.pool, &d.run).await?;
    let queue = queue_depths(&settings).await;
    println!();
    print!("{}", render_status(&[progress], &queue));
    println!(
        "demo finished in {:.1} s; worker recorded {completed} outcomes",
        started.elapsed().as_secs_f64(),
    );
    println!(
        "look at one case: docket show --run {} {}",
        d.run, d.first_case
    );
    print!(
        "{}",
        super::identity::demo_console(&d.pool, settings.serve.listen).await?
    );
    Ok(())
}

/// The demo's database, backlog folder and run.
struct Demo {
    pool: sqlx::PgPool,
    dir: std::path::PathBuf,
    run: String,
    run_id: i64,
    total: i64,
    first_case: String,
}

/// Steps 1–4: migrate, generate, import, create the run.
async fn prepare(settings: &Settings, args: &DemoArgs) -> Result<Demo> {
    println!("1/8 migrate");
    let pool = setup::migrate(settings).await?;

    let dir = std::env::temp_dir().join(format!("docket-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let backlog = dir.join("backlog.ndjson");
    println!(
        "2/8 generate {} cases (seed {}) into {}",
        args.cases,
        args.seed,
        backlog.display()
    );
    setup::generate(args.cases, args.seed, Some(&backlog))?;

    println!("3/8 import");
    setup::import(&pool, &backlog, None).await?;

    let run = format!("demo-{}", chrono::Utc::now().format("%Y%m%d-%H%M%S"));
    println!("4/8 create run {run} with {}", super::DEFAULT_RULES_PATH);
    let first_case = first_case_id(&backlog)?;
    let (run_id, members) = setup::run_create(
        &pool,
        &run,
        std::path::Path::new(super::DEFAULT_RULES_PATH),
        &[],
        None,
    )
    .await?;
    if members > args.cases as u64 {
        // A run takes every case in the database: earlier imports (a bigger demo) count too.
        println!(
            "    note: the database holds {members} cases from this and earlier imports, and the \
             run reviews them all; for a demo of {} cases alone use another database \
             (DOCKET_DATABASE__URL=postgres://…/docket_small)",
            args.cases
        );
    }
    Ok(Demo {
        pool,
        dir,
        run,
        run_id,
        total: members as i64,
        first_case,
    })
}

/// Steps 5–6: an in-process worker, enqueue, wait until every case is reviewed. Returns the
/// outcomes the worker recorded.
async fn review(settings: &Settings, d: &Demo) -> Result<u64> {
    let token = CancellationToken::new();
    let worker = Worker::new(settings.clone(), d.pool.clone(), default_name());
    let metrics = worker.metrics();
    let worker_token = token.clone();
    let mut worker_task = tokio::spawn(async move { worker.run(worker_token).await });

    println!(
        "5/8 enqueue (worker with {} consumers running)",
        settings.worker.consumers
    );
    let summary =
        crate::enqueue::enqueue(settings, &d.pool, &d.run, false, &CancellationToken::new())
            .await?;
    println!(
        "    published {} cases in {} messages",
        summary.published, summary.messages
    );

    println!("6/8 review");
    let mut last_print = Instant::now() - Duration::from_secs(10);
    loop {
        let reviewed = reviewed_of(&d.pool, d.run_id).await?;
        if last_print.elapsed() >= Duration::from_secs(2) || reviewed >= d.total {
            println!("    reviewed {reviewed}/{}", d.total);
            last_print = Instant::now();
        }
        if reviewed >= d.total {
            break;
        }
        tokio::select! {
            r = &mut worker_task => {
                r.context("worker task panicked")??;
                bail!("the worker stopped before the run was reviewed");
            }
            _ = tokio::time::sleep(Duration::from_millis(250)) => {}
        }
    }
    token.cancel();
    worker_task.await.context("worker task panicked")??;
    Ok(metrics.completed())
}

/// Step 8: the notices, letters and emails into `out/<run>/`.
async fn relay_notices(settings: &Settings, d: &Demo) -> Result<()> {
    let out = std::path::PathBuf::from("out").join(&d.run);
    println!(
        "8/8 notices: letters to {}/print, emails to {}/mail (pickup directory; no SMTP needed)",
        out.display(),
        out.display()
    );
    let mut notify = settings.notify.clone();
    notify.print_dir = out.join("print");
    notify.smtp.pickup_dir = Some(out.join("mail"));
    notify.batch_size = notify.batch_size.max(100);
    let channels = crate::notify::Channels::from_settings(&notify)?;
    let relay = crate::notify::relay::Relay::new(
        d.pool.clone(),
        channels,
        notify,
        crate::notify::metrics::NotifyMetrics::standalone(),
    );
    let sent = relay.drain_all().await?;
    println!("    relayed {} notices ({} failed)", sent.sent, sent.failed);
    Ok(())
}

fn first_case_id(backlog: &std::path::Path) -> Result<String> {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(std::fs::File::open(backlog)?).read_line(&mut line)?;
    let v: serde_json::Value = serde_json::from_str(&line)?;
    Ok(v["case_id"].as_str().unwrap_or_default().to_string())
}

async fn reviewed_of(pool: &sqlx::PgPool, run_id: i64) -> Result<i64> {
    Ok(crate::store::outcomes::count(pool, run_id).await?)
}
