//! The HTTP endpoints every long-running process serves: `/metrics`, `/healthz`, `/readyz`.

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
        let probe = tokio::time::timeout(
            Duration::from_secs(2),
            sqlx::query("SELECT 1").execute(&self.pool),
        )
        .await;
        match probe {
            Ok(Ok(_)) => Ok(()),
            _ => Err("database unreachable"),
        }
    }
}

#[derive(Clone)]
struct AppState {
    registry: Registry,
    ready: Arc<Readiness>,
}

/// Serves the endpoints on `addr` until `token` is cancelled; returns the bound address (useful
/// with port 0) and the server task.
pub async fn serve(
    addr: SocketAddr,
    registry: Registry,
    ready: Arc<Readiness>,
    token: CancellationToken,
) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(AppState { registry, ready });
    let task = tokio::spawn(async move {
        let shutdown = async move { token.cancelled().await };
        if let Err(e) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(error = %e, "Metrics server failed.");
        }
    });
    Ok((bound, task))
}

async fn metrics(State(s): State<AppState>) -> ([(&'static str, &'static str); 1], String) {
    (
        [("content-type", "text/plain; version=0.0.4; charset=utf-8")],
        super::metrics::render(&s.registry),
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
