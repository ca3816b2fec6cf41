//! The HTTP endpoints every long-running process serves: `/metrics`, `/healthz`, `/readyz`.
//!
//! `/healthz` answers 200 while the process runs (liveness); `/readyz` answers 200 only while its
//! broker consumers (if it has any) and database pool work and it is not draining (readiness).
//! Each scrape of `/metrics` also sets `docket_ready` from the same check.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use prometheus::{IntGauge, Registry};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use super::metrics::ready_gauge;
use super::progress::ProgressMetrics;

/// What `/readyz` looks at.
pub struct Readiness {
    /// Database pool to probe.
    pub pool: PgPool,
    /// Consumers connected to the broker; ready needs at least one (None: no broker needed).
    pub consumers_connected: Option<IntGauge>,
    /// Set when the process is draining for shutdown.
    pub draining: AtomicBool,
}

impl Readiness {
    /// Whether the process can do its work now, and if not, why.
    pub async fn check(&self) -> Result<(), &'static str> {
        if self.draining.load(Ordering::Relaxed) {
            return Err("draining");
        }
        if let Some(g) = &self.consumers_connected
            && g.get() < 1
        {
            return Err("no consumer connected to the broker");
        }
        let probe =
            tokio::time::timeout(Duration::from_secs(2), crate::store::ping(&self.pool)).await;
        match probe {
            Ok(Ok(_)) => Ok(()),
            _ => Err("database unreachable"),
        }
    }
}

/// Path of the liveness endpoint.
pub const HEALTHZ: &str = "/healthz";
/// Path of the readiness endpoint.
pub const READYZ: &str = "/readyz";
/// Path of the metrics endpoint.
pub const METRICS: &str = "/metrics";

/// What `/metrics` renders.
#[derive(Clone)]
pub enum Exported {
    /// A registry of live collectors, plus the `docket_ready` gauge to set at each scrape.
    Registry(Registry, IntGauge),
    /// Run progress, read from the database at scrape time (`docket serve`).
    Progress(Arc<ProgressMetrics>),
}

#[derive(Clone)]
struct AppState {
    exported: Exported,
    ready: Arc<Readiness>,
}

/// The three endpoints as a router (other routes can be merged into it).
pub fn router(exported: Exported, ready: Arc<Readiness>) -> Router {
    Router::new()
        .route(METRICS, get(metrics))
        .route(HEALTHZ, get(|| async { "ok\n" }))
        .route(READYZ, get(readyz))
        .with_state(AppState { exported, ready })
}

/// Serves the endpoints on `addr` until `token` is cancelled; returns the bound address (useful
/// with port 0) and the server task. Registers `docket_ready` in `registry`.
pub async fn serve(
    addr: SocketAddr,
    registry: Registry,
    ready: Arc<Readiness>,
    token: CancellationToken,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let gauge = ready_gauge(&registry);
    super::metrics::register_process_metrics(&registry);
    listen(
        addr,
        router(Exported::Registry(registry, gauge), ready),
        token,
    )
    .await
}

/// Serves `app` on `addr` until `token` is cancelled; returns the bound address and the task.
pub async fn listen(
    addr: SocketAddr,
    app: Router,
    token: CancellationToken,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let limits = super::limits::current();
    let task = tokio::spawn(super::limits::serve(listener, app, limits, token));
    Ok((bound, task))
}

async fn metrics(State(s): State<AppState>) -> ([(&'static str, &'static str); 1], String) {
    let ready = i64::from(s.ready.check().await.is_ok());
    let text = match &s.exported {
        Exported::Registry(registry, gauge) => {
            gauge.set(ready);
            super::metrics::render(registry)
        }
        Exported::Progress(p) => {
            p.ready.set(ready);
            p.scrape(&s.ready.pool).await
        }
    };
    (
        [("content-type", "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
}

async fn readyz(State(s): State<AppState>) -> (StatusCode, String) {
    match s.ready.check().await {
        Ok(()) => (StatusCode::OK, "ready\n".into()),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {why}\n"),
        ),
    }
}
