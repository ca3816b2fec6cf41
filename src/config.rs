//! Typed settings: `config/default.toml`, then `config/{DOCKET_ENV}.toml`, then `DOCKET_*` variables.

mod amqp;
mod env;

use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Why settings could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A source could not be read or a value has the wrong type.
    #[error("configuration: {0}")]
    Invalid(#[from] config::ConfigError),
    /// A key (in a file or a variable) names no setting; a near one is suggested.
    #[error("configuration: {what}; did you mean `{suggestion}`?")]
    Unknown {
        /// The unknown key or variable, and where.
        what: String,
        /// The known key nearest to it.
        suggestion: String,
    },
    /// A `DOCKET_…_FILE` variable names a file that cannot be used.
    #[error("configuration: {var}: {reason}")]
    SecretFile {
        /// The variable.
        var: String,
        /// What is wrong (never the file's content).
        reason: String,
    },
    /// A value has the wrong form (the value itself is not repeated: it may hold a secret).
    #[error("configuration: {key}: {reason}")]
    Malformed {
        /// Dotted key of the setting, with the entry's position for a list.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// A value is out of its allowed range.
    #[error("configuration: {key} {reason}")]
    OutOfRange {
        /// Dotted key of the setting.
        key: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
}

/// All settings of a docket process.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// PostgreSQL.
    pub database: DatabaseSettings,
    /// RabbitMQ.
    pub amqp: AmqpSettings,
    /// Worker batching and concurrency.
    pub worker: WorkerSettings,
    /// Bulk enqueue.
    pub enqueue: EnqueueSettings,
    /// Logging.
    pub log: LogSettings,
    /// Metrics and health endpoints.
    pub metrics: MetricsSettings,
    /// Notification relay, channels and templates.
    pub notify: crate::notify::NotifySettings,
    /// `docket serve`: run progress metrics, health, and the HTTP API.
    #[serde(default)]
    pub serve: ServeSettings,
    /// Legacy shared API tokens, refused by `serve` (tokens now belong to accounts).
    #[serde(default)]
    pub api: ApiSettings,
    /// Who may read the files that hold personal data.
    #[serde(default)]
    pub files: crate::files::FileSettings,
    /// Whether API clients may choose the day of an action (demo and test settings only).
    #[serde(default)]
    pub dates: crate::api::DateSettings,
    /// The console: sessions and the optional single-sign-on proxy.
    #[serde(default)]
    pub console: crate::console::ConsoleSettings,
    /// Timeouts and the connection limit of every HTTP listener.
    #[serde(default)]
    pub http: crate::telemetry::limits::HttpSettings,
    /// Broker logins.
    #[serde(default)]
    pub broker: crate::queue::permissions::BrokerSettings,
}

/// Where `docket serve` listens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServeSettings {
    /// Address and port of `/metrics`, `/healthz`, `/readyz` (and the API routes).
    pub listen: std::net::SocketAddr,
}

impl Default for ServeSettings {
    fn default() -> Self {
        Self {
            listen: std::net::SocketAddr::from(([127, 0, 0, 1], 8080)),
        }
    }
}

/// Legacy: the shared bearer tokens of earlier versions. API tokens now belong to named accounts
/// (`docket token create`); `docket serve` refuses to start while these are set, so a deployment
/// does not silently lose its access rules.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSettings {
    /// Tokens that may read progress, outcomes and histories.
    #[serde(default)]
    pub read_tokens: Vec<SecretString>,
    /// Tokens that may also apply lifecycle actions.
    #[serde(default)]
    pub write_tokens: Vec<SecretString>,
}

/// Where a long-running process serves `/metrics`, `/healthz` and `/readyz`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// Address and port to listen on; port 0 picks a free one.
    pub listen: std::net::SocketAddr,
}

/// PostgreSQL settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// Connection URL; may hold a password, so it is kept secret.
    pub url: SecretString,
    /// Pool size.
    pub max_connections: u32,
    /// Seconds to wait for a connection.
    pub connect_timeout_secs: u64,
    /// A statement running at least this many seconds is logged as a warning (0: never). Bulk
    /// statements (creating a 300,000-case run, a bench's reads) take a second or two by design.
    #[serde(default = "default_slow_statement_secs")]
    pub slow_statement_secs: u64,
}

fn default_slow_statement_secs() -> u64 {
    10
}

fn default_reconnect_limit() -> u64 {
    120
}

/// RabbitMQ settings and topology names.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AmqpSettings {
    /// Connection URL; may hold a password, so it is kept secret. Used when `urls` is empty.
    pub url: SecretString,
    /// The nodes of a broker cluster, any of which will do; when set, `url` is not used. A
    /// process connects to the first that answers and, on losing it, to another.
    #[serde(default)]
    pub urls: Vec<SecretString>,
    /// Seconds `enqueue` keeps trying to reach a broker again after losing its connection
    /// (it then publishes on from the last confirmed case); 0 gives up at once.
    #[serde(default = "default_reconnect_limit")]
    pub reconnect_limit_secs: u64,
    /// Jobs exchange (direct).
    pub exchange: String,
    /// Routing key of review jobs.
    pub routing_key: String,
    /// Work queue (quorum).
    pub queue: String,
    /// Dead-letter exchange.
    pub dead_letter_exchange: String,
    /// Dead-letter queue.
    pub dead_letter_queue: String,
    /// Deliveries after which the broker dead-letters a message.
    pub delivery_limit: u32,
}

/// Worker settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerSettings {
    /// Consumers (channels) per process.
    pub consumers: usize,
    /// Most prefetch per consumer, in messages (a consumer starts at 1 and resizes by `prefetch_cases`).
    pub prefetch: u16,
    /// Cases a consumer may hold unacknowledged: the prefetch is lowered to about this many
    /// cases when messages carry batches.
    pub prefetch_cases: usize,
    /// Cases per database transaction.
    pub batch_cases: usize,
    /// Longest wait for a batch to fill, in milliseconds.
    pub batch_linger_ms: u64,
    /// Seconds a SIGTERM or SIGINT leaves the worker to commit and ack what is in flight.
    #[serde(default = "default_shutdown_grace")]
    pub shutdown_grace_secs: u64,
    /// Largest message body accepted, in bytes; a bigger one is dead-lettered unread.
    #[serde(default = "default_max_message_bytes")]
    pub max_message_bytes: usize,
}

fn default_shutdown_grace() -> u64 {
    25
}

fn default_max_message_bytes() -> usize {
    4 * 1024 * 1024
}

/// Enqueue settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnqueueSettings {
    /// Cases per message; 1 selects the single-case form.
    pub cases_per_message: usize,
    /// Most messages awaiting a confirm at once.
    pub max_in_flight: usize,
    /// Cases awaiting a confirm at once: [`EnqueueSettings::in_flight_messages`] keeps this many
    /// cases' worth of messages in flight, so single-case messages get hundreds in flight and
    /// 500-case ones a few dozen (lapin holds a message's bytes until the broker takes them).
    #[serde(default = "default_max_in_flight_cases")]
    pub max_in_flight_cases: usize,
}

fn default_max_in_flight_cases() -> usize {
    16_000
}

impl EnqueueSettings {
    /// Messages kept awaiting a confirm at once: `max_in_flight_cases` cases' worth, between 1
    /// and `max_in_flight`.
    pub fn in_flight_messages(&self) -> usize {
        (self.max_in_flight_cases / self.cases_per_message.max(1))
            .clamp(1, self.max_in_flight.max(1))
    }
}

/// Logging settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `pretty` or `json`.
    pub format: LogFormat,
    /// Default filter directive.
    pub level: String,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

impl Settings {
    /// Loads settings from `file` (default `config/default.toml`), the optional environment file
    /// next to it, and `DOCKET_*` variables.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let base = file
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("config/default.toml"));
        let mut builder = config::Config::builder();
        builder = if base.exists() || file.is_some() {
            builder.add_source(config::File::from(base.clone()))
        } else {
            // Running outside the source tree: the defaults are compiled in.
            builder.add_source(config::File::from_str(
                include_str!("../config/default.toml"),
                config::FileFormat::Toml,
            ))
        };
        if let Ok(env) = std::env::var("DOCKET_ENV") {
            let dir = base.parent().unwrap_or(Path::new("."));
            let env_file = dir.join(format!("{env}.toml"));
            builder = builder.add_source(config::File::from(env_file).required(false));
        }
        let sections = env::struct_fields::<Settings>();
        let vars = env::settings_vars(std::env::vars(), sections)?;
        builder = builder.add_source(
            config::Environment::with_prefix("DOCKET")
                .prefix_separator("_")
                .separator("__")
                .try_parsing(true)
                .list_separator(",")
                .with_list_parse_key("api.read_tokens")
                .with_list_parse_key("api.write_tokens")
                .with_list_parse_key("amqp.urls")
                .source(Some(vars)),
        );
        let settings: Settings = builder
            .build()?
            .try_deserialize()
            .map_err(with_suggestion)?;
        settings.check()?;
        Ok(settings)
    }

    /// Checks every bound a setting must keep, naming the first one broken; run by [`Self::load`]
    /// and again by whoever overrides settings in code (the bench's options).
    pub fn check(&self) -> Result<(), ConfigError> {
        let bad = |key, reason| Err(ConfigError::OutOfRange { key, reason });
        if self.worker.consumers == 0 {
            return bad("worker.consumers", "must be at least 1");
        }
        if self.worker.batch_cases == 0 {
            return bad("worker.batch_cases", "must be at least 1");
        }
        if self.worker.max_message_bytes < 1024 {
            return bad("worker.max_message_bytes", "must be at least 1024");
        }
        if self.worker.prefetch == 0 {
            return bad("worker.prefetch", "must be at least 1");
        }
        if !(1..=crate::domain::MAX_BATCH_JOBS).contains(&self.enqueue.cases_per_message) {
            return bad("enqueue.cases_per_message", "must be 1 to 1000");
        }
        if self.enqueue.max_in_flight == 0 {
            return bad("enqueue.max_in_flight", "must be at least 1");
        }
        if self.enqueue.max_in_flight_cases == 0 {
            return bad("enqueue.max_in_flight_cases", "must be at least 1");
        }
        if self.database.max_connections == 0 {
            return bad("database.max_connections", "must be at least 1");
        }
        if self.notify.batch_size == 0 {
            return bad("notify.batch_size", "must be at least 1");
        }
        if self.notify.max_attempts == 0 {
            return bad("notify.max_attempts", "must be at least 1");
        }
        amqp::check_urls(&self.amqp)
    }
}

/// An unknown key refused by serde becomes [`ConfigError::Unknown`] when a known key is near it.
fn with_suggestion(e: config::ConfigError) -> ConfigError {
    let text = e.to_string();
    match env::suggest_for(&text) {
        Some((unknown, near)) => {
            let place = text
                .split_once(" for key `")
                .and_then(|(_, k)| k.split('`').next())
                .map(|k| format!(" in `{k}`"))
                .unwrap_or_default();
            ConfigError::Unknown {
                what: format!("unknown key `{unknown}`{place}"),
                suggestion: near,
            }
        }
        None => ConfigError::Invalid(e),
    }
}

/// A URL with any password replaced by `***`, safe to print: the password of the user
/// information, and the value of every query parameter that names a secret (`password`,
/// `sslpassword`, `token`, …). When the URL is malformed the redaction errs on the side of
/// hiding more (everything up to the last `@` before the query is user information).
pub fn redact_url(url: &SecretString) -> String {
    let raw = url.expose_secret();
    let Some(scheme_end) = raw.find("://") else {
        return "<unparseable url>".into();
    };
    let rest = &raw[scheme_end + 3..];
    let query_at = rest.find(['?', '#']).unwrap_or(rest.len());
    let (head, tail) = rest.split_at(query_at);
    let head = match head.rfind('@') {
        Some(at) => {
            let userinfo = &head[..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{user}:***@{}", &head[at + 1..]),
                None => head.to_string(),
            }
        }
        None => head.to_string(),
    };
    format!("{}://{head}{}", &raw[..scheme_end], redact_query(tail))
}

/// `?k=v&…#fragment` with the values of secret-naming keys replaced by `***`.
fn redact_query(tail: &str) -> String {
    let Some(query) = tail.strip_prefix('?') else {
        return tail.to_string();
    };
    let (query, fragment) = match query.find('#') {
        Some(i) => query.split_at(i),
        None => (query, ""),
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if names_a_secret(key) => format!("{key}=***"),
            _ => pair.to_string(),
        })
        .collect();
    format!("?{}{fragment}", pairs.join("&"))
}

/// Whether a query key (percent-decoded, any case) names a secret.
fn names_a_secret(key: &str) -> bool {
    let mut decoded = Vec::with_capacity(key.len());
    let bytes = key.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                decoded.push(b);
                i += 3;
            }
            (b'+', _) => {
                decoded.push(b' ');
                i += 1;
            }
            (b, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    let key = String::from_utf8_lossy(&decoded).to_ascii_lowercase();
    ["pass", "pwd", "secret", "token", "key", "credential"]
        .iter()
        .any(|word| key.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_removed_from_printed_urls() {
        let url = SecretString::from("amqp://guest:hunter2@127.0.0.1:5672/%2f");
        assert_eq!(redact_url(&url), "amqp://guest:***@127.0.0.1:5672/%2f");
        let url = SecretString::from("postgres://postgres@127.0.0.1/docket");
        assert_eq!(redact_url(&url), "postgres://postgres@127.0.0.1/docket");
    }

    #[test]
    fn passwords_in_query_parameters_are_removed_too() {
        let cases = [
            (
                "postgres://app@db/docket?password=hunter2&sslmode=require",
                "postgres://app@db/docket?password=***&sslmode=require",
            ),
            (
                "postgres://db/docket?sslmode=verify-full&sslpassword=s3cret#frag",
                "postgres://db/docket?sslmode=verify-full&sslpassword=***#frag",
            ),
            (
                "amqp://h/%2f?PassWord=x&auth_mechanism=plain",
                "amqp://h/%2f?PassWord=***&auth_mechanism=plain",
            ),
            (
                "postgres://db/d?pass%77ord=x",
                "postgres://db/d?pass%77ord=***",
            ),
            ("postgres://db/d?token=abc", "postgres://db/d?token=***"),
        ];
        for (url, want) in cases {
            assert_eq!(redact_url(&SecretString::from(url)), want, "{url}");
        }
    }

    #[test]
    fn a_password_holding_slashes_or_at_signs_is_removed_whole() {
        let url = SecretString::from("amqp://worker:p/a@ss@broker:5672/%2f");
        let printed = redact_url(&url);
        assert_eq!(printed, "amqp://worker:***@broker:5672/%2f");
        for secret in ["p/a", "ss@broker:5672/%2f"] {
            assert!(!printed.contains(&format!(":{secret}")));
        }
    }

    #[test]
    fn confirms_in_flight_are_sized_in_cases() {
        let at = |cases_per_message| {
            EnqueueSettings {
                cases_per_message,
                max_in_flight: 1000,
                max_in_flight_cases: 16_000,
            }
            .in_flight_messages()
        };
        assert_eq!(at(500), 32);
        assert_eq!(at(1), 1000);
        assert_eq!(at(100), 160);
        assert_eq!(at(1000), 16);
    }

    #[test]
    fn the_shipped_defaults_load_and_reach_loopback() {
        let s = Settings::load(Some(Path::new("config/default.toml"))).unwrap();
        assert!(redact_url(&s.database.url).contains("127.0.0.1"));
        assert!(redact_url(&s.amqp.url).contains("127.0.0.1"));
        assert_eq!(s.amqp.queue, "docket.review");
    }

    #[test]
    fn a_debug_print_of_settings_hides_secrets() {
        let s = Settings::load(Some(Path::new("config/default.toml"))).unwrap();
        assert!(!format!("{s:?}").contains("guest:guest"));
    }

    #[test]
    fn an_unknown_key_in_a_file_is_refused_with_the_nearest_known_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("typo.toml");
        let text = include_str!("../config/default.toml")
            .replace("max_connections = 8", "max_conections = 8");
        std::fs::write(&path, text).unwrap();
        let err = Settings::load(Some(&path)).unwrap_err().to_string();
        assert!(err.contains("unknown key `max_conections`"), "{err}");
        assert!(err.contains("did you mean `max_connections`?"), "{err}");
    }
}
