//! The email channel: one plain-text message per notice through SMTP (lettre), with a
//! Message-ID derived from the idempotency key so a rare duplicate send can be recognised.
//!
//! Failure classes: a 5xx reply is permanent; a 4xx reply, a refused or broken connection, a TLS
//! failure or a timeout is transient. Error texts carry the SMTP code and class only: a server's
//! reply may quote the recipient's address, so it is never copied.
//!
//! One connection per message, no pool: lettre's pool recycles a connection whose send was
//! cancelled (a send timeout, a task abort) back into the pool mid-transaction, and the next
//! message on it would read the previous DATA reply as its own. Dropping the connection instead
//! closes it, and the server abandons the unfinished transaction.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use super::SendError;
use super::offices::Offices;
use super::settings::{SmtpSecurity, SmtpSettings};
use super::templates::{self, Templates};
use crate::domain::{Channel, NoticePayload};
use std::sync::Arc;

/// Where emails go.
#[derive(Clone)]
enum Transport {
    /// An SMTP relay.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `.eml` files in a pickup directory.
    Pickup(std::path::PathBuf, crate::files::Access),
}

/// Sends notices by email.
#[derive(Clone)]
pub struct EmailChannel {
    transport: Transport,
    from: Mailbox,
    domain: String,
    offices: Arc<Offices>,
    templates: Arc<Templates>,
}

impl EmailChannel {
    /// A channel for the configured relay; fails only on a bad `from` or TLS setup.
    pub fn new(s: &SmtpSettings, offices: Arc<Offices>) -> Result<Self, SendError> {
        Self::with_access(s, offices, crate::files::Access::default())
    }

    /// [`Self::new`], with the access `.eml` files in a pickup directory are created with.
    pub fn with_access(
        s: &SmtpSettings,
        offices: Arc<Offices>,
        access: crate::files::Access,
    ) -> Result<Self, SendError> {
        let builder = match s.security {
            SmtpSecurity::Plain => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&s.host),
            SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&s.host)
                .map_err(|_| SendError::Permanent("smtp: TLS setup failed".into()))?,
            SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&s.host)
                .map_err(|_| SendError::Permanent("smtp: TLS setup failed".into()))?,
        };
        let mut builder = builder
            .port(s.port)
            .timeout(Some(Duration::from_secs(s.timeout_secs)));
        if let (Some(user), Some(pass)) = (&s.username, &s.password) {
            builder =
                builder.credentials(Credentials::new(user.clone(), pass.expose_secret().into()));
        }
        let from = s
            .from
            .parse()
            .map_err(|_| SendError::Permanent("notify.smtp.from is not a mailbox".into()))?;
        let transport = match &s.pickup_dir {
            Some(dir) => Transport::Pickup(dir.clone(), access),
            None => Transport::Smtp(builder.build()),
        };
        Ok(Self {
            transport,
            from,
            domain: s.message_id_domain.clone(),
            offices,
            templates: Templates::shipped(),
        })
    }

    /// The channel, writing with `templates` instead of the shipped ones.
    pub fn with_templates(mut self, templates: Arc<Templates>) -> Self {
        self.templates = templates;
        self
    }

    /// Renders and sends one notice.
    pub async fn send(&self, key: &str, payload: &NoticePayload) -> Result<(), SendError> {
        let message = self.message(key, payload)?;
        match &self.transport {
            Transport::Smtp(t) => t.send(message).await.map(|_| ()).map_err(|e| classify(&e)),
            Transport::Pickup(dir, access) => {
                let (dir, access) = (dir.clone(), *access);
                let name = pickup_name(key);
                tokio::task::spawn_blocking(move || {
                    access.create_dir(&dir)?;
                    access.replace(&dir, &name, &message.formatted())
                })
                .await
                .map_err(|_| unwritable())?
                .map_err(|_| unwritable())
            }
        }
    }

    /// Whether messages are written as files (a pickup directory) rather than sent over SMTP.
    pub fn writes_files(&self) -> bool {
        matches!(self.transport, Transport::Pickup(..))
    }

    /// Sends each notice over its own SMTP connection, side by side, each within `limit`.
    pub async fn send_each(&self, jobs: Vec<super::Job>, limit: Duration) -> Vec<super::Sent> {
        let timed = jobs.iter().map(|j| async move {
            let started = std::time::Instant::now();
            let sent = tokio::time::timeout(limit, self.send(&j.key, &j.payload))
                .await
                .unwrap_or_else(|_| Err(SendError::Transient("send timed out".into())));
            (sent, started.elapsed())
        });
        futures_util::future::join_all(timed).await
    }

    /// Renders a batch of notices and writes them into the pickup directory in one blocking task
    /// (on every core); one result per job, in order.
    pub async fn write_batch(&self, jobs: Vec<super::Job>) -> Vec<Result<(), SendError>> {
        let Transport::Pickup(dir, access) = &self.transport else {
            let each = jobs.iter().map(|j| self.send(&j.key, &j.payload));
            return futures_util::future::join_all(each).await;
        };
        let (this, dir, access, n) = (self.clone(), dir.clone(), *access, jobs.len());
        tokio::task::spawn_blocking(move || {
            if access.create_dir(&dir).is_err() {
                return vec![Err(unwritable()); jobs.len()];
            }
            super::work::par_map(&jobs, |j| {
                let message = this.message(&j.key, &j.payload)?;
                access
                    .replace(&dir, &pickup_name(&j.key), &message.formatted())
                    .map_err(|_| unwritable())
            })
        })
        .await
        .unwrap_or_else(|_| vec![Err(unwritable()); n])
    }

    /// The message of one notice, addressed and rendered.
    fn message(&self, key: &str, payload: &NoticePayload) -> Result<Message, SendError> {
        let to: Mailbox = payload
            .email
            .as_deref()
            .ok_or_else(|| SendError::Permanent("no email address in payload".into()))?
            .parse()
            .map_err(|_| SendError::Permanent("invalid email address".into()))?;
        let office = super::office_for(&self.offices, payload)?;
        let notice = self
            .templates
            .render(payload, Channel::Email, office)
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        // Sent through the relay's address, in the name of the court's office, whose mailbox
        // receives the answers.
        let from = Mailbox::new(Some(office.name.clone()), self.from.email.clone());
        let reply_to: Mailbox = office
            .email
            .parse()
            .map_err(|_| SendError::Permanent("office email is not a mailbox".into()))?;
        Message::builder()
            .from(from)
            .reply_to(reply_to)
            .to(to)
            .subject(notice.subject.clone())
            .message_id(Some(message_id(key, &self.domain)))
            .header(ContentType::TEXT_PLAIN)
            .body(templates::email_body(&notice))
            .map_err(|_| SendError::Permanent("message could not be built".into()))
    }
}

fn unwritable() -> SendError {
    SendError::Transient("pickup directory not writable".into())
}

/// The `.eml` file of a key, named after the key's digest, so a retried notice replaces its own
/// file (atomically: a temporary file, then a rename) and never makes a second one.
fn pickup_name(key: &str) -> String {
    format!("{}.eml", hex::encode(Sha256::digest(key.as_bytes())))
}

/// `<sha256(key)[..32 hex]@domain>`: stable for a key, and opaque (the key names the case).
pub fn message_id(key: &str, domain: &str) -> String {
    let digest = hex::encode(Sha256::digest(key.as_bytes()));
    format!("<{}@{domain}>", &digest[..32])
}

/// Transient or permanent, with a message that never quotes the server.
pub fn classify(e: &lettre::transport::smtp::Error) -> SendError {
    let code = e.status().map(|c| c.to_string());
    if e.is_permanent() {
        return SendError::Permanent(format!("smtp {}", code.as_deref().unwrap_or("5xx")));
    }
    let what = if e.is_transient() {
        format!("smtp {}", code.as_deref().unwrap_or("4xx"))
    } else if e.is_timeout() {
        "smtp timeout".into()
    } else if e.is_tls() {
        "smtp tls failure".into()
    } else {
        "smtp connection failed".into()
    };
    SendError::Transient(what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_stable_and_opaque() {
        let a = message_id("1/DEN-2011-000123/7/counsel/email", "docket.example");
        assert_eq!(
            a,
            message_id("1/DEN-2011-000123/7/counsel/email", "docket.example")
        );
        assert_ne!(
            a,
            message_id("1/DEN-2011-000123/8/counsel/email", "docket.example")
        );
        assert!(a.starts_with('<') && a.ends_with("@docket.example>"));
        assert!(!a.contains("DEN"));
    }

    #[tokio::test]
    async fn pickup_files_are_readable_by_the_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("mail");
        let access = crate::files::Access::default();
        access.create_dir(&dir).unwrap();
        access.replace(&dir, &pickup_name("k/1"), b"To: x").unwrap();
        let name = hex::encode(Sha256::digest(b"k/1"));
        assert_eq!(mode(&dir.join(format!("{name}.eml"))), 0o600);
        assert_eq!(mode(&dir), 0o700);
        let names: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left");
    }
}
