//! The one start-up seam of every long-running process (`worker`, `notify`, `serve`): the
//! shutdown signals, the operations listener (`/metrics`, `/healthz`, `/readyz`, and for `serve`
//! the API and console merged in), readiness that drops at the first signal, and the drain that
//! closes the listener once the process's own work has stopped.
//!
//! A process starts a [`Service`], runs its work until [`Service::token`] is cancelled, then calls
//! [`Service::stop`]. Tests pass their own token instead of the signals' one.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use anyhow::Context;
use axum::Router;
use prometheus::Registry;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::telemetry::metrics::{ready_gauge, register_process_metrics};
use crate::telemetry::server::{Exported, Readiness, listen, router};

/// A running process's operations side.
pub struct Service {
    /// Cancelled on shutdown (the first SIGTERM or SIGINT for the real processes): the process's
    /// work stops taking new work when it is.
    token: CancellationToken,
    /// What `/readyz` checks; its `draining` is set as soon as `token` is cancelled, so a load
    /// balancer or Kubernetes stops sending before the listener closes.
    ready: Arc<Readiness>,
    /// Stops the listener: cancelled only in [`Service::stop`], after the work has drained, so
    /// `/metrics` stays scrapeable while a batch finishes.
    server_token: CancellationToken,
    server: JoinHandle<()>,
    bound: SocketAddr,
}

impl Service {
    /// Serves a process's own `registry` (with `docket_ready` and the `process_*` series added)
    /// and the health endpoints on `addr`, until [`Service::stop`].
    pub async fn with_registry(
        addr: SocketAddr,
        registry: Registry,
        ready: Arc<Readiness>,
        token: CancellationToken,
    ) -> anyhow::Result<Self> {
        let gauge = ready_gauge(&registry);
        register_process_metrics(&registry);
        let app = router(Exported::Registry(registry, gauge), ready.clone());
        Self::with_router(addr, app, ready, token).await
    }

    /// Serves `app` (which carries the operations endpoints) on `addr`, until [`Service::stop`].
    pub async fn with_router(
        addr: SocketAddr,
        app: Router,
        ready: Arc<Readiness>,
        token: CancellationToken,
    ) -> anyhow::Result<Self> {
        let server_token = CancellationToken::new();
        let (bound, server) = listen(addr, app, server_token.clone())
            .await
            .with_context(|| format!("cannot listen on {addr}"))?;
        let draining = ready.clone();
        let signalled = token.clone();
        let server_gone = server_token.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = signalled.cancelled() => draining.draining.store(true, Ordering::Relaxed),
                _ = server_gone.cancelled() => {}
            }
        });
        Ok(Self {
            token,
            ready,
            server_token,
            server,
            bound,
        })
    }

    /// The address the listener is bound to (useful with port 0).
    pub fn bound(&self) -> SocketAddr {
        self.bound
    }

    /// The shutdown token the process's work watches.
    pub fn token(&self) -> &CancellationToken {
        &self.token
    }

    /// After the work has stopped: not ready any more, the listener closed, the pool closed.
    pub async fn stop(self) {
        self.ready.draining.store(true, Ordering::Relaxed);
        self.server_token.cancel();
        self.server.await.ok();
        self.ready.pool.close().await;
    }
}
