//! PostgreSQL: connection, migrations, and one repository module per table group.

pub mod archive;
pub mod audit;
pub mod bench;
pub mod case_copy;
pub mod case_load;
pub mod case_rows;
pub mod cases;
pub mod counts;
pub mod dead_letters;
pub mod enqueue_feed;
pub mod groups;
pub mod identity;
pub mod notice_results;
pub mod offer_queries;
pub mod offers;
pub mod outbox;
pub mod outcomes;
pub mod partitions;
pub mod policies;
pub mod policy_counts;
pub mod policy_status;
pub mod progress;
pub mod publishes;
pub mod run_scan;
pub mod run_state;
pub mod run_views;
pub mod runs;
pub mod sent_letters;
pub mod worklist;

use std::str::FromStr;
use std::time::Duration;

use secrecy::ExposeSecret;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions, PgSslMode};
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
    /// A query failed. Shown without any value the server may quote (see [`describe`]).
    #[error("database: {}", describe(.0))]
    Query(#[from] sqlx::Error),
    /// The URL does not parse.
    #[error("database.url is not a valid PostgreSQL URL")]
    BadUrl,
    /// The database named in the URL is not one docket will create.
    #[error(
        "database.url names a database docket will not create: use 1-63 letters, digits, '_' or '-'"
    )]
    BadDatabaseName,
    /// The database lacks migrations this build needs.
    #[error(
        "the database schema is {0} migration(s) behind this docket: run `docket migrate` first"
    )]
    SchemaBehind(usize),
    /// A named run does not exist.
    #[error("no run named {0:?}")]
    UnknownRun(String),
    /// A run with that name exists already.
    #[error("a run named {0:?} exists already")]
    RunExists(String),
    /// A run-control change that the run's current state or its policy does not allow.
    #[error("{0}")]
    Refused(String),
    /// A stored outcome that the run's stored rule set cannot put in words (names the rule or
    /// decision that does not fit, never the case's data).
    #[error("an outcome of run {run_id} does not fit the run's stored rule set: {why}")]
    Unexplained {
        /// The run.
        run_id: i64,
        /// What does not fit.
        why: String,
    },
}

impl StoreError {
    /// Whether trying again later may succeed: the server is unreachable, restarting or out of
    /// connections, or the transaction lost a serialization or deadlock race.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Unreachable { .. } => true,
            StoreError::Query(e) => match e {
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::Protocol(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::WorkerCrashed => true,
                sqlx::Error::Database(d) => d.code().is_some_and(|c| transient_code(&c)),
                _ => false,
            },
            _ => false,
        }
    }
}

/// SQLSTATE classes and codes worth a retry: connection exceptions (08), insufficient resources
/// (53), operator intervention such as a shutdown or restart (57P), serialization failure and
/// deadlock.
fn transient_code(code: &str) -> bool {
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57P")
        || code == "40001"
        || code == "40P01"
}

/// A database error as text safe to log: data exceptions (SQLSTATE class 22) quote the refused
/// value in their message, so only their code is shown; others keep the server's message, which
/// names constraints and relations but not values (sqlx never prints the DETAIL line).
pub fn describe(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => {
            let code = d.code().map(|c| c.to_string()).unwrap_or_default();
            if code.starts_with("22") {
                format!("SQLSTATE {code}: a value was refused (not shown)")
            } else {
                format!("SQLSTATE {code}: {}", d.message())
            }
        }
        other => other.to_string(),
    }
}

/// The connection options of `settings`. TLS to a server on this host (loopback or a socket)
/// protects nothing and costs both ends a cipher pass over every byte, 3.6 GB each way for a
/// 3M-case import, so unless the URL or `PGSSLMODE` names a mode, a local server is reached
/// without it. Any other host keeps the default, `prefer`.
///
/// JIT compilation is off for docket's sessions: its statements are short (a batch of outcomes,
/// a page of members, a console query), and PostgreSQL compiles any plan whose estimated cost
/// passes `jit_above_cost`, for every execution. One stale estimate (a `cases` without
/// statistics) put the worker's batch statement at 250 ms of compiling against 13 ms of work,
/// 13% of the machine's CPU during a 3,000,000-case review.
fn options(settings: &DatabaseSettings) -> Result<PgConnectOptions, StoreError> {
    let url = settings.url.expose_secret();
    let opts = PgConnectOptions::from_str(url)
        .map_err(|_| StoreError::BadUrl)?
        .options([("jit", "off")]);
    let named = names_ssl_mode(url) || std::env::var_os("PGSSLMODE").is_some();
    Ok(if !named && is_local(opts.get_host()) {
        opts.ssl_mode(PgSslMode::Disable)
    } else {
        opts
    })
}

/// Whether a URL's query names an SSL mode.
fn names_ssl_mode(url: &str) -> bool {
    url.split_once('?').is_some_and(|(_, query)| {
        query.split('&').any(|kv| {
            let key = kv.split('=').next().unwrap_or("").to_ascii_lowercase();
            key == "sslmode" || key == "ssl-mode"
        })
    })
}

/// Whether `host` is this machine: a loopback address, `localhost` or a socket directory.
fn is_local(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.starts_with('/')
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn unreachable(settings: &DatabaseSettings, e: &sqlx::Error) -> StoreError {
    StoreError::Unreachable {
        url: redact_url(&settings.url),
        cause: e.to_string(),
    }
}

/// Opens a pool; fails fast with the redacted URL and the real cause when the server is down.
pub async fn connect(settings: &DatabaseSettings) -> Result<PgPool, StoreError> {
    let slow = match settings.slow_statement_secs {
        0 => tracing::log::LevelFilter::Off,
        _ => tracing::log::LevelFilter::Warn,
    };
    let opts = options(settings)?
        .log_statements(tracing::log::LevelFilter::Debug)
        .log_slow_statements(slow, Duration::from_secs(settings.slow_statement_secs));
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
    let exists = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS "exists!""#,
        &name
    )
    .fetch_one(&mut admin)
    .await?;
    if !exists {
        // Runtime: CREATE DATABASE takes no bound parameter; the name is checked, then quoted.
        if !valid_database_name(&name) {
            return Err(StoreError::BadDatabaseName);
        }
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

/// A database name docket will create: 1–63 bytes of letters, digits, `_` and `-`.
pub fn valid_database_name(name: &str) -> bool {
    (1..=63).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `url` naming database `name` instead of its own, its options (`?sslmode=…`) kept; `None` when
/// the URL names no database to replace. The benchmarks make and drop databases of their own
/// beside the configured one this way.
pub fn with_database(url: &str, name: &str) -> Option<String> {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let host_from = base.find("://")? + 3;
    let cut = base[host_from..].find('/')? + host_from;
    let mut out = format!("{}/{name}", &base[..cut]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    Some(out)
}

/// One trivial statement: whether the database answers (readiness probes).
pub async fn ping(pool: &PgPool) -> Result<(), StoreError> {
    sqlx::query_scalar!("SELECT 1 AS one")
        .fetch_one(pool)
        .await?;
    Ok(())
}

/// Fails with a clear message when the database lacks migrations this build knows of (after an
/// upgrade, before `docket migrate`), instead of a confusing "column does not exist" later.
pub async fn check_schema(pool: &PgPool) -> Result<(), StoreError> {
    let applied = sqlx::query_scalar!("SELECT version FROM _sqlx_migrations WHERE success")
        .fetch_all(pool)
        .await
        .unwrap_or_default();
    let missing = sqlx::migrate!("./migrations")
        .iter()
        .filter(|m| !applied.contains(&m.version))
        .count();
    if missing > 0 {
        return Err(StoreError::SchemaBehind(missing));
    }
    Ok(())
}

/// Applies the embedded migrations; running it again changes nothing.
pub async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    sqlx::migrate!("./migrations").run(pool).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_database_names_are_created() {
        assert!(valid_database_name("docket_test_0123abcd"));
        assert!(valid_database_name("docket-prod"));
        for bad in [
            "",
            "a\"; DROP DATABASE postgres; --",
            "x y",
            &"d".repeat(64),
        ] {
            assert!(!valid_database_name(bad), "{bad}");
        }
    }

    #[test]
    fn transient_codes_are_connection_restart_and_race_failures() {
        for c in ["08006", "57P01", "53300", "40001", "40P01"] {
            assert!(transient_code(c), "{c}");
        }
        for c in ["23505", "22P02", "42P01"] {
            assert!(!transient_code(c), "{c}");
        }
    }

    #[test]
    fn a_local_server_is_reached_without_tls_unless_the_url_names_a_mode() {
        for local in [
            "127.0.0.1",
            "127.0.0.5",
            "::1",
            "[::1]",
            "localhost",
            "/var/run/postgresql",
        ] {
            assert!(is_local(local), "{local}");
        }
        for remote in ["db", "10.0.0.4", "db.example.org", "2001:db8::1"] {
            assert!(!is_local(remote), "{remote}");
        }
        assert!(names_ssl_mode("postgres://h/d?sslmode=require"));
        assert!(names_ssl_mode(
            "postgres://h/d?application_name=x&SSLMODE=verify-full"
        ));
        assert!(names_ssl_mode("postgres://h/d?ssl-mode=prefer"));
        assert!(!names_ssl_mode("postgres://h/d?application_name=sslmode"));
        assert!(!names_ssl_mode("postgres://h/sslmode"));
    }

    #[test]
    fn another_database_keeps_the_servers_address_and_options() {
        let other = |url| with_database(url, "docket_bench_1");
        assert_eq!(
            other("postgres://postgres@127.0.0.1:5432/docket").as_deref(),
            Some("postgres://postgres@127.0.0.1:5432/docket_bench_1")
        );
        assert_eq!(
            other("postgres://u:p@db:5432/docket?sslmode=require&application_name=a/b").as_deref(),
            Some("postgres://u:p@db:5432/docket_bench_1?sslmode=require&application_name=a/b")
        );
        assert_eq!(
            other("postgres://db/?sslmode=disable").as_deref(),
            Some("postgres://db/docket_bench_1?sslmode=disable")
        );
        assert_eq!(other("postgres://db:5432"), None, "no database to replace");
        assert_eq!(other("postgres://db?sslmode=disable"), None);
        assert_eq!(other("not a url"), None);
    }
}
