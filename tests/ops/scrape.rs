//! A scrape of `docket serve`'s `/metrics` only reads the database: run progress is read at
//! scrape time, and marking finished runs completed is left to a background task.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use docket::telemetry::progress::ProgressMetrics;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

use crate::scratch::Scratch;

#[tokio::test]
async fn a_metrics_scrape_only_reads_the_database() {
    // Arrange: a run, and a pool whose every transaction is read-only.
    let s = Scratch::new("scrape", false, |_| {}).await;
    let rules = Path::new("config/rules/morton-2011.toml");
    docket::commands::run_create(&s.pool, "scrape-run", rules, &[], None)
        .await
        .unwrap();
    let opts = PgConnectOptions::from_str(&s.db_url)
        .unwrap()
        .options([("default_transaction_read_only", "on")]);
    let read_only = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(opts)
        .await
        .unwrap();
    let write = sqlx::query("UPDATE runs SET rate = rate")
        .execute(&read_only)
        .await;
    assert!(write.is_err(), "the pool refuses writes");

    // Act: a write during the scrape would fail, and the scrape would count a refresh error.
    let metrics = ProgressMetrics::new(Duration::ZERO);
    let text = metrics.scrape(&read_only).await;

    // Assert
    assert_eq!(metrics.refresh_errors.get(), 0, "{text}");
    assert!(
        text.contains(r#"docket_run_state{run="scrape-run",state="active"} 1"#),
        "{text}"
    );
    read_only.close().await;
    s.cleanup().await;
}
