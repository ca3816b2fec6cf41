//! The `[notify]` settings: relay pacing and retries, SMTP, the print folder, the signing office.

use std::net::SocketAddr;
use std::path::PathBuf;

use secrecy::SecretString;
use serde::Deserialize;

/// Settings of `docket notify`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySettings {
    /// Rows claimed per transaction.
    pub batch_size: u32,
    /// Milliseconds to wait when nothing is due.
    pub poll_interval_ms: u64,
    /// Attempts after which a transient failure becomes `failed` (reason `exhausted`).
    pub max_attempts: u32,
    /// First retry delay, in milliseconds (doubles each attempt, with jitter).
    pub backoff_base_ms: u64,
    /// Longest retry delay, in seconds.
    pub backoff_max_secs: u64,
    /// Longest time one send may take, in seconds; a timeout is a transient failure.
    pub send_timeout_secs: u64,
    /// Seconds between refreshes of the pending gauge from the database.
    pub pending_refresh_secs: u64,
    /// Where `docket notify` serves /metrics, /healthz and /readyz.
    pub metrics_listen: SocketAddr,
    /// Root of the print batches: `<print_dir>/<issue date>/<key>.pdf` plus `manifest.ndjson`.
    pub print_dir: PathBuf,
    /// Outgoing mail.
    pub smtp: SmtpSettings,
    /// The office directory (court → office that signs and receives answers); unset: the one
    /// compiled in from `config/offices.toml`.
    #[serde(default)]
    pub offices_file: Option<PathBuf>,
    /// Where the letters' fonts are (Debian's `fonts-noto-core` and `fonts-noto-cjk` install them
    /// under `/usr/share/fonts`).
    #[serde(default = "default_fonts_dir")]
    pub fonts_dir: PathBuf,
    /// Notice templates that replace the shipped ones as a whole (a directory laid out as the
    /// repository's `templates/notices`); unset: the ones compiled in.
    #[serde(default)]
    pub templates_dir: Option<PathBuf>,
}

/// The fonts directory of Debian and Ubuntu.
pub const DEFAULT_FONTS_DIR: &str = "/usr/share/fonts";

fn default_fonts_dir() -> PathBuf {
    PathBuf::from(DEFAULT_FONTS_DIR)
}

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// No TLS: a local relay on loopback.
    Plain,
    /// Plain connection upgraded with STARTTLS (required).
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// SMTP settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// Relay host name.
    pub host: String,
    /// Relay port.
    pub port: u16,
    /// `plain`, `starttls` or `tls`.
    pub security: SmtpSecurity,
    /// User name for AUTH, if the relay wants it.
    #[serde(default)]
    pub username: Option<String>,
    /// Password for AUTH; kept secret.
    #[serde(default)]
    pub password: Option<SecretString>,
    /// From address, e.g. `"OPLA Denver <pd-denver@example.gov>"`.
    pub from: String,
    /// Domain of the Message-ID (`<hash@domain>`).
    pub message_id_domain: String,
    /// Seconds to wait for the relay to answer a command.
    pub timeout_secs: u64,
    /// When set, emails are not sent over SMTP but written as `.eml` files into this directory
    /// (a pickup directory, for a mail system that collects them, or for a demo without SMTP).
    #[serde(default)]
    pub pickup_dir: Option<std::path::PathBuf>,
}
