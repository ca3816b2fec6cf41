//! Notifications: templates per language, the email and letter channels, and the outbox relay
//! (`docket notify`).
//!
//! - `templates`: payload → [`templates::Notice`] (pure);
//! - `pdf`, `letter`: a notice laid out as a printable PDF letter;
//! - `email`, `print`: the channels (SMTP through lettre; a print-batch folder with a manifest);
//! - `relay`: claims due outbox rows with `FOR UPDATE SKIP LOCKED`, sends, records the result;
//! - `store`: outbox queries (claims, results, counts); `metrics`: the relay's Prometheus series.

pub mod batch;
pub mod bench;
pub mod email;
pub mod letter;
pub mod manifest;
pub mod metrics;
pub mod offices;
pub mod pdf;
pub mod print;
pub mod relay;
pub mod retry;
pub mod settings;
/// The outbox queries the relay uses (owned by [`crate::store::outbox`]).
pub use crate::store::outbox as store;
pub mod templates;
mod work;

use std::time::{Duration, Instant};

use crate::domain::{Channel, NoticePayload};

pub use settings::{NotifySettings, SmtpSecurity, SmtpSettings};

/// The office of the payload's court, or a hold naming the court (a code, not personal data).
pub fn office_for<'o>(
    offices: &'o offices::Offices,
    payload: &NoticePayload,
) -> Result<&'o templates::Office, SendError> {
    offices.get(&payload.court).ok_or_else(|| {
        SendError::Held(format!(
            "court {}: no office in the office directory",
            payload.court
        ))
    })
}

/// Why one send failed; the text never holds personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth retrying later (connection refused, 4xx, timeout, disk full).
    #[error("transient: {0}")]
    Transient(String),
    /// Retrying cannot help (5xx, no address, unreadable payload).
    #[error("permanent: {0}")]
    Permanent(String),
    /// The notice must not go out as it is (a character no font prints, a court without an
    /// office): held for a person.
    #[error("held: {0}")]
    Held(String),
}

/// One notice to send: its outbox key and payload.
#[derive(Debug, Clone)]
pub struct Job {
    /// The idempotency key (names the letter's file and the email's Message-ID).
    pub key: String,
    /// What to write.
    pub payload: NoticePayload,
}

/// What became of one notice of a batch, and the time it took (for a notice written with its
/// batch in one go, its share of the batch's time).
pub type Sent = (Result<(), SendError>, Duration);

/// The channels a relay sends through.
#[derive(Clone)]
pub struct Channels {
    /// Email through SMTP.
    pub email: email::EmailChannel,
    /// Letters into the print folder.
    pub letters: print::PrintChannel,
}

impl Channels {
    /// Builds both channels from settings: loads the office directory, the notice templates
    /// (compiled and checked) and the fonts.
    pub fn from_settings(s: &NotifySettings) -> Result<Self, SendError> {
        Self::with_access(s, crate::files::Access::default())
    }

    /// Builds both channels, letters and `.eml` files created with `access`.
    pub fn with_access(
        s: &NotifySettings,
        access: crate::files::Access,
    ) -> Result<Self, SendError> {
        let offices = std::sync::Arc::new(
            offices::Offices::load(s.offices_file.as_deref())
                .map_err(|e| SendError::Permanent(e.to_string()))?,
        );
        // Compiled and checked once, here, before anything is sent: a broken template stops
        // the relay at start with its file and line, instead of failing notices one by one.
        let templates = templates::Templates::load(s.templates_dir.as_deref())
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        Ok(Self {
            email: email::EmailChannel::with_access(&s.smtp, offices.clone(), access)?
                .with_templates(templates.clone()),
            letters: print::PrintChannel::with_access(
                s.print_dir.clone(),
                offices,
                pdf::FontSet::load(&s.fonts_dir)
                    .map_err(|e| SendError::Permanent(e.to_string()))?,
                access,
            )
            .with_templates(templates),
        })
    }

    /// Sends a batch of notices through `channel`, each within `limit`: letters and `.eml` files
    /// in one go per batch (a batch over `limit` fails as a whole, transiently), SMTP messages
    /// one connection each, side by side. One result per job, in order.
    pub async fn send_batch(&self, channel: Channel, jobs: Vec<Job>, limit: Duration) -> Vec<Sent> {
        let n = jobs.len();
        if n == 0 {
            return Vec::new();
        }
        let started = Instant::now();
        let results = match channel {
            Channel::Letter => tokio::time::timeout(limit, self.letters.send_batch(jobs)).await,
            Channel::Email if self.email.writes_files() => {
                tokio::time::timeout(limit, self.email.write_batch(jobs)).await
            }
            Channel::Email => return self.email.send_each(jobs, limit).await,
        }
        .unwrap_or_else(|_| vec![Err(SendError::Transient("send timed out".into())); n]);
        let share = started.elapsed() / u32::try_from(n).unwrap_or(u32::MAX);
        results.into_iter().map(|r| (r, share)).collect()
    }

    /// Sends one notice through `channel`.
    pub async fn send(
        &self,
        channel: Channel,
        key: &str,
        payload: &NoticePayload,
    ) -> Result<(), SendError> {
        match channel {
            Channel::Email => self.email.send(key, payload).await,
            Channel::Letter => self.letters.send(key, payload).await,
        }
    }
}
