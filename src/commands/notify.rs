//! `docket notify`: the outbox relay, once or until SIGTERM, with /metrics on its own port.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use prometheus::Registry;
use sqlx::PgPool;

use crate::cli::NotifyCommand;
use crate::config::Settings;
use crate::notify::Channels;
use crate::notify::metrics::NotifyMetrics;
use crate::notify::relay::Relay;
use crate::startup::Service;
use crate::telemetry::server::Readiness;

/// Relays the outbox. With `once`, sends what is due, prints the counts and returns; otherwise
/// runs until SIGTERM or Ctrl-C, finishing the claimed batch before it returns.
pub async fn notify(
    settings: Settings,
    pool: PgPool,
    once: bool,
    metrics_listen: Option<SocketAddr>,
) -> anyhow::Result<()> {
    let registry = Registry::new();
    let metrics = NotifyMetrics::register(&registry).context("registering metrics")?;
    let access = crate::files::Access::from_settings(&settings.files)?;
    let channels = Channels::with_access(&settings.notify, access).context("notify settings")?;
    let relay = Relay::new(pool.clone(), channels, settings.notify.clone(), metrics);
    if once {
        let o = relay.drain_all().await?;
        println!(
            "notify: {} sent, {} to retry, {} failed",
            o.sent, o.retried, o.failed
        );
        return Ok(());
    }
    let ready = Arc::new(Readiness {
        pool,
        consumers_connected: None,
        draining: AtomicBool::new(false),
    });
    let listen = metrics_listen.unwrap_or(settings.notify.metrics_listen);
    let token = crate::shutdown::on_signals();
    let service = Service::with_registry(listen, registry, ready, token).await?;
    tracing::info!(bound = %service.bound(), "Serving /metrics, /healthz and /readyz.");
    let gauge = {
        let (relay, token) = (relay.clone(), service.token().clone());
        tokio::spawn(async move { relay.refresh_pending(token).await })
    };
    relay.run(service.token().clone()).await;
    gauge.await.ok();
    service.stop().await;
    tracing::info!("Notification relay stopped.");
    Ok(())
}

/// Runs a `docket notify …` action and prints what it did.
pub async fn notify_action(pool: &PgPool, action: NotifyCommand) -> anyhow::Result<()> {
    use crate::notify::retry;
    let NotifyCommand::Retry {
        run,
        kind,
        channel,
        dry_run,
        by,
    } = action;
    // clap accepts only the listed names, so these always parse.
    let filter = retry::RetryFilter {
        run,
        kind: kind.as_deref().and_then(retry::kind),
        channel: channel.as_deref().and_then(retry::channel),
    };
    let actor = by
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "operator".into());
    let report = retry::retry_failed(pool, &filter, &actor, dry_run).await?;
    let total: i64 = report.failed.iter().map(|g| g.count).sum();
    if total == 0 {
        println!("run {}: no failed notice matches", filter.run);
    } else if report.dry_run {
        println!(
            "run {}: would retry {total} failed notice(s): {} (dry run, nothing changed)",
            filter.run,
            retry::describe(&report.failed)
        );
    } else {
        println!(
            "run {}: {} failed notice(s) pending again: {}; `docket notify` sends them",
            filter.run,
            report.requeued,
            retry::describe(&report.failed)
        );
    }
    Ok(())
}
