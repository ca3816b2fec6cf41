//! `docket enqueue` and `docket worker`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::config::Settings;
use crate::startup::Service;
use crate::telemetry::enqueue::EnqueueMetrics;
use crate::telemetry::server::{Readiness, serve};
use crate::worker::{Worker, default_name};

/// Publishes a run's unpublished cases; prints the summary with the rate. With `listen`, serves the
/// publish and confirm metrics there while publishing.
pub async fn enqueue(
    settings: &Settings,
    pool: &PgPool,
    run: &str,
    quiet: bool,
    listen: Option<SocketAddr>,
) -> Result<()> {
    let token = crate::shutdown::on_signals();
    let progress = !quiet && std::io::IsTerminal::is_terminal(&std::io::stderr());
    let metrics = EnqueueMetrics::new();
    let server_token = CancellationToken::new();
    let server = match listen {
        Some(addr) => {
            let ready = crate::serve::readiness(pool.clone());
            let (bound, task) = serve(
                addr,
                metrics.registry().clone(),
                ready,
                server_token.clone(),
            )
            .await
            .with_context(|| format!("cannot serve metrics on {addr}"))?;
            tracing::info!(metrics = %bound, "Serving enqueue metrics.");
            Some(task)
        }
        None => None,
    };
    let result =
        crate::enqueue::enqueue_with(settings, pool, run, progress, &token, &metrics).await;
    server_token.cancel();
    if let Some(task) = server {
        task.await.ok();
    }
    let s = result?;
    println!(
        "run {run}: published {} cases in {} messages in {:.1} s ({:.0} cases/s; {} were already published){}",
        s.published,
        s.messages,
        s.elapsed.as_secs_f64(),
        s.cases_per_second(),
        s.already,
        match s.stopped_by {
            Some(state) =>
                format!("; stopped: the run is {state}; run again after `docket run resume`"),
            None if token.is_cancelled() => "; interrupted: run again to publish the rest".into(),
            None => String::new(),
        }
    );
    Ok(())
}

/// Starts a run's publishing over from its first case (`docket enqueue --again`).
pub async fn publish_again(pool: &PgPool, run: &str) -> Result<()> {
    let id = crate::store::runs::get(pool, run).await?.id;
    let lock = crate::store::publishes::EnqueueLock::acquire(pool, id, run).await?;
    let reset = crate::store::publishes::reset(pool, id).await;
    lock.release().await;
    reset?;
    Ok(())
}

/// Runs a worker until SIGTERM or SIGINT, serving `/metrics`, `/healthz` and `/readyz`.
pub async fn worker(
    mut settings: Settings,
    pool: PgPool,
    consumers: Option<usize>,
    listen: Option<SocketAddr>,
) -> Result<()> {
    if let Some(n) = consumers {
        settings.worker.consumers = n.max(1);
    }
    let name = default_name();
    let worker = Worker::new(settings.clone(), pool.clone(), name.clone());
    let metrics = worker.metrics();
    let ready = Arc::new(Readiness {
        pool,
        consumers_connected: Some(metrics.consumers_connected.clone()),
        draining: AtomicBool::new(false),
    });
    let addr = listen.unwrap_or(settings.metrics.listen);
    let token = crate::shutdown::on_signals();
    let service = Service::with_registry(addr, metrics.registry().clone(), ready, token).await?;
    tracing::info!(worker = %name, consumers = settings.worker.consumers, metrics = %service.bound(), "Worker starting.");
    let token = service.token().clone();
    let grace = std::time::Duration::from_secs(settings.worker.shutdown_grace_secs);
    let run = worker.run(token.clone());
    tokio::pin!(run);
    // After the first signal the batch in flight has `grace` to commit and be acked.
    let overdue = async {
        token.cancelled().await;
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        r = &mut run => r?,
        _ = overdue => {
            anyhow::bail!(
                "the batch in flight did not finish within worker.shutdown_grace_secs ({} s); its jobs go back to the queue",
                grace.as_secs()
            );
        }
    }
    service.stop().await;
    tracing::info!(
        recorded = metrics.completed(),
        dead_lettered = metrics.dead_lettered(),
        "Worker stopped."
    );
    Ok(())
}
