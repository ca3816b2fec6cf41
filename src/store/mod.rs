//! PostgreSQL: connection, migrations, and one repository module per table group.

pub mod cases;
pub mod offer_queries;
pub mod offers;
pub mod outbox;
pub mod outcomes;
pub mod policy_status;
pub mod progress;
pub mod run_state;
pub mod runs;

use std::str::FromStr;
use std::time::Duration;

use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};

use crate::config::{DatabaseSettings, redact_url};

/// Database errors, with the redacted URL where the server could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The server could not be reached or refused the connection.
    #[error(
        "cannot reach PostgreSQL at {url}: {cause}. Start it (e.g. `pg_ctlcluster --skip-systemctl-redirect <version> main start`) or set DOCKET_DATABASE__URL"
    )]
    Unreachable {
        /// Redacted URL.
        url: String,
        /// What the connection attempt said.
        cause: String,
    },
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database: {0}")]
    Query(#[from] sqlx::Error),
    /// The URL does not parse.
    #[error("database.url is not a valid PostgreSQL URL")]
    BadUrl,
    /// A named run does not exist.
    #[error("no run named {0:?}")]
    UnknownRun(String),
    /// A run with that name exists already.
    #[error("a run named {0:?} exists already")]
    RunExists(String),
    /// A run-control change that the run's current state or its policy does not allow.
    #[error("{0}")]
    Refused(String),
}

fn options(settings: &DatabaseSettings) -> Result<PgConnectOptions, StoreError> {
    PgConnectOptions::from_str(settings.url.expose_secret()).map_err(|_| StoreError::BadUrl)
}

fn unreachable(settings: &DatabaseSettings, e: &sqlx::Error) -> StoreError {
    StoreError::Unreachable {
        url: redact_url(&settings.url),
        cause: e.to_string(),
    }
}

/// Opens a pool; fails fast with the redacted URL and the real cause when the server is down.
pub async fn connect(settings: &DatabaseSettings) -> Result<PgPool, StoreError> {
    let opts = options(settings)?.log_statements(tracing::log::LevelFilter::Debug);
    let timeout = Duration::from_secs(settings.connect_timeout_secs);
    // One direct connection first: a pool only reports "timed out", this says why.
    let probe = tokio::time::timeout(timeout, opts.connect())
        .await
        .map_err(|_| sqlx::Error::PoolTimedOut)
        .and_then(|r| r);
    match probe {
        Ok(conn) => {
            conn.close().await.ok();
        }
        Err(e) => return Err(unreachable(settings, &e)),
    }
    PgPoolOptions::new()
        .max_connections(settings.max_connections)
        .acquire_timeout(timeout)
        .connect_with(opts)
        .await
        .map_err(|e| unreachable(settings, &e))
}

/// Creates the configured database when it does not exist (connecting to `postgres` to do so).
pub async fn ensure_database(settings: &DatabaseSettings) -> Result<(), StoreError> {
    let opts = options(settings)?;
    let name = opts.get_database().unwrap_or("postgres").to_string();
    let mut admin = opts
        .clone()
        .database("postgres")
        .connect()
        .await
        .map_err(|e| unreachable(settings, &e))?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        // Two processes may race to create it; the loser sees "already exists", which is fine.
        if let Err(e) = sqlx::query(&format!("CREATE DATABASE {quoted}"))
            .execute(&mut admin)
            .await
        {
            let dup = e
                .as_database_error()
                .and_then(|d| d.code())
                .is_some_and(|c| c == "42P04" || c == "23505");
            if !dup {
                return Err(e.into());
            }
        }
    }
    admin.close().await.ok();
    Ok(())
}

/// Applies the embedded migrations; running it again changes nothing.
pub async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    sqlx::migrate!("./migrations").run(pool).await?;
    Ok(())
}
