//! What a bench leaves on the servers — its database, queues and exchanges — and removing them,
//! whether the bench finished, failed part-way or was interrupted by SIGINT or SIGTERM.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};
use tokio::signal::unix::{SignalKind, signal};
use tracing::log::LevelFilter;

use crate::config::Settings;
use crate::store;

/// Longest the removal may take: past it the bench says what is left instead of hanging.
const LIMIT: Duration = Duration::from_secs(30);

/// The names one bench invocation made: `docket_bench_{id}` and `bench.{id}.*`.
pub struct Scratch {
    /// The bench's settings, pointing at its database and queues.
    pub settings: Settings,
    /// The server's URL naming its `postgres` database (the bench's own is dropped from there).
    pub admin_url: String,
    /// The database's name.
    pub db_name: String,
    /// The id in every name.
    pub id: String,
    /// Leave the database in place (`--keep`).
    pub keep: bool,
}

impl Scratch {
    /// Every queue the bench may declare: the jobs and dead-letter queues and the two ceilings'.
    fn queues(&self) -> [String; 4] {
        let a = &self.settings.amqp;
        [
            a.queue.clone(),
            a.dead_letter_queue.clone(),
            ceiling_queue(&self.id),
            publish_queue(&self.id),
        ]
    }

    /// Deletes the queues and exchanges and drops the database, each at most once and all within
    /// [`LIMIT`]. Returns whether everything is gone; errors are not fatal, only reported.
    pub async fn remove(&self) -> bool {
        tokio::time::timeout(LIMIT, async {
            // Both halves are tried even when the first fails.
            let broker = self.remove_queues().await;
            let database = if self.keep {
                eprintln!("bench: kept database {} (--keep)", self.db_name);
                true
            } else {
                self.drop_database().await
            };
            broker && database
        })
        .await
        .unwrap_or(false)
    }

    async fn remove_queues(&self) -> bool {
        let a = &self.settings.amqp;
        let Ok(conn) = crate::queue::connect(a, "bench-cleanup").await else {
            return false;
        };
        let exchanges = [a.exchange.as_str(), a.dead_letter_exchange.as_str()];
        let ok = crate::queue::topology::delete(&conn, &self.queues(), &exchanges).await;
        conn.close(200, "bench".into()).await.ok();
        ok
    }

    async fn drop_database(&self) -> bool {
        if !store::valid_database_name(&self.db_name) {
            return false;
        }
        // One plain connection to `postgres`; a drop that takes a second or two (it ends the
        // workers' sessions first) is expected, not a "slow statement" to warn about.
        let Ok(opts) = PgConnectOptions::from_str(&self.admin_url) else {
            return false;
        };
        let opts = opts.log_slow_statements(LevelFilter::Off, Duration::ZERO);
        let Ok(mut conn) = opts.connect().await else {
            return false;
        };
        let dropped = store::bench::drop_database(&mut conn, &self.db_name)
            .await
            .is_ok();
        conn.close().await.ok();
        dropped
    }
}

/// The broker ceiling's queue.
pub fn ceiling_queue(id: &str) -> String {
    format!("bench.{id}.ceiling")
}

/// The publish ceiling's queue.
pub fn publish_queue(id: &str) -> String {
    format!("bench.{id}.publish")
}

/// The bench was stopped by a signal; its worker processes were stopped and (when `removed`) its
/// database and queues removed. The binary prints it and exits with `128 + signal`.
#[derive(Debug)]
pub struct Interrupted {
    /// `SIGINT` or `SIGTERM`.
    pub signal: &'static str,
    /// Whether the database, queues and exchanges are all gone.
    pub removed: bool,
    /// The database's name.
    pub db_name: String,
    /// The id in the queues' names.
    pub id: String,
}

impl Interrupted {
    /// The conventional status of a process ended by the signal: 130 for SIGINT, 143 for SIGTERM.
    pub fn exit_code(&self) -> u8 {
        if self.signal == "SIGINT" { 130 } else { 143 }
    }
}

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (db, id) = (&self.db_name, &self.id);
        if self.removed {
            write!(
                f,
                "bench interrupted by {}: worker processes stopped; database {db} and queues bench.{id}.* removed",
                self.signal
            )
        } else {
            write!(
                f,
                "bench interrupted by {}: worker processes stopped; could not remove everything: drop database {db} and delete the bench.{id}.* queues and exchanges by hand",
                self.signal
            )
        }
    }
}

impl std::error::Error for Interrupted {}

/// Listens for SIGINT and SIGTERM from now on (they no longer end the process at once).
pub struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

impl Signals {
    /// Installs the handlers.
    pub fn listen() -> std::io::Result<Signals> {
        Ok(Signals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    /// The name of the next signal received.
    pub async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.int.recv() => "SIGINT",
            _ = self.term.recv() => "SIGTERM",
        }
    }
}
