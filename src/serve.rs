//! `docket serve`: the one process that exports run progress (read from the database at scrape
//! time), with `/healthz` and `/readyz`, and the HTTP API merged into [`ops_router`]'s router.
//!
//! Run progress is exported here and nowhere else, so its series exist once whatever the number
//! of worker replicas, and `sum()` over them is right.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use axum::Router;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::api::ApiState;
use crate::config::Settings;
use crate::console::ConsoleState;
use crate::startup::Service;
use crate::telemetry::progress::ProgressMetrics;
use crate::telemetry::server::{Exported, Readiness, router};

/// Shortest time between two reads of run progress, whatever the number of scrapers.
pub const PROGRESS_MIN_INTERVAL: Duration = Duration::from_secs(1);

/// How often `serve` marks finished runs `completed`: in the background, so a scrape of
/// `/metrics` only reads.
pub const COMPLETION_INTERVAL: Duration = Duration::from_secs(2);

/// Marks finished runs completed, gathers their outcomes' statistics, and counts and folds the
/// report counters of completed runs, every
/// [`COMPLETION_INTERVAL`] until `token` is cancelled.
pub async fn complete_finished_runs(pool: PgPool, token: CancellationToken) {
    loop {
        if let Err(e) = crate::store::run_state::complete_finished(&pool).await {
            tracing::warn!(error = %e, "Finished runs not marked completed.");
        }
        if let Err(e) = crate::store::partitions::analyze_completed(&pool).await {
            tracing::warn!(error = %e, "Statistics of completed runs not gathered.");
        }
        if let Err(e) = crate::store::groups::count_completed(&pool).await {
            tracing::warn!(error = %e, "Report counters of completed runs not kept.");
        }
        tokio::select! {
            _ = token.cancelled() => return,
            _ = tokio::time::sleep(COMPLETION_INTERVAL) => {}
        }
    }
}

/// `/metrics` (run progress), `/healthz` and `/readyz` of `docket serve`, as a router to merge
/// other routes into. `ready` is the process's readiness: its pool is the database progress is read
/// from (see [`readiness`]); set its `draining` on shutdown.
pub fn ops_router(ready: Arc<Readiness>) -> Router {
    let progress = Arc::new(ProgressMetrics::new(PROGRESS_MIN_INTERVAL));
    router(Exported::Progress(progress), ready)
}

/// The readiness of a process that only needs its database.
pub fn readiness(pool: PgPool) -> Arc<Readiness> {
    Arc::new(Readiness {
        pool,
        consumers_connected: None,
        draining: AtomicBool::new(false),
    })
}

/// Runs `docket serve` on `addr` until `token` is cancelled: the operations endpoints, the
/// HTTP API ([`crate::api`]) and the console ([`crate::console`]). Readiness drops as soon as the token is cancelled, so a load
/// balancer stops sending before the listener closes.
pub async fn run(
    settings: &Settings,
    pool: PgPool,
    addr: SocketAddr,
    token: CancellationToken,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        settings.api.read_tokens.is_empty() && settings.api.write_tokens.is_empty(),
        "api.read_tokens and api.write_tokens are no longer used: API tokens belong to named \
         accounts now (`docket user add NAME --role ROLE --service`, then \
         `docket token create --for NAME --scope read|attorney|operator`); remove the shared ones"
    );
    let ready = readiness(pool.clone());
    let api = crate::api::router(ApiState { pool: pool.clone() }).layer(axum::Extension(
        crate::api::ClientToday(settings.dates.client_today),
    ));
    let console = crate::console::router(
        ConsoleState::new(pool.clone(), settings.console.clone(), addr)
            .with_print_dir(settings.notify.print_dir.clone())
            .with_queue(settings.clone()),
    );
    let app = ops_router(ready.clone())
        .merge(api)
        .merge(console)
        .layer(axum::middleware::from_fn(crate::api::trace::request));
    let service = Service::with_router(addr, app, ready, token).await?;
    tracing::info!(listen = %service.bound(), "Serving run progress and health.");
    let completion = tokio::spawn(complete_finished_runs(pool, service.token().clone()));
    service.token().cancelled().await;
    completion.await.ok();
    service.stop().await;
    tracing::info!("Serve stopped.");
    Ok(())
}
