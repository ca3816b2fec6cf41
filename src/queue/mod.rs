//! RabbitMQ: connection, topology, publishing with confirms, dead letters.

pub mod dead_letter;
pub mod definitions;
pub mod dlq;
pub mod parking;
pub mod permissions;
pub mod publish;
pub mod topology;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lapin::{Connection, ConnectionProperties};
use secrecy::ExposeSecret;

use crate::config::{AmqpSettings, redact_url};

/// Broker errors, with the redacted URL where the server could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// No broker address answered.
    #[error(
        "cannot reach RabbitMQ at {url}: {cause}. Start it (`rabbitmq-server -detached`) or set DOCKET_AMQP__URL (one node) or DOCKET_AMQP__URLS (a cluster's nodes)"
    )]
    Unreachable {
        /// Redacted URL, or the redacted URLs tried, separated by commas.
        url: String,
        /// What the last connection attempt said.
        cause: String,
    },
    /// A broker answered and refused the login (a wrong user, password or virtual host).
    #[error("RabbitMQ at {url} refused the login: {cause}")]
    LoginRefused {
        /// Redacted URL, or the redacted URLs tried, separated by commas.
        url: String,
        /// What the broker said.
        cause: String,
    },
    /// A protocol operation failed.
    #[error("broker: {0}")]
    Amqp(#[from] lapin::Error),
    /// The broker refused (nacked) or returned a published message.
    #[error("the broker did not accept a published message ({0})")]
    NotConfirmed(&'static str),
}

impl QueueError {
    /// Whether the error is the loss of a broker (or of the way to it), after which another
    /// node may do: not a refusal the broker would repeat (a missing queue, a permission, an
    /// unroutable message).
    pub fn is_connection_loss(&self) -> bool {
        match self {
            QueueError::Unreachable { .. } => true,
            QueueError::LoginRefused { .. } => false,
            QueueError::NotConfirmed(why) => *why == NACKED,
            QueueError::Amqp(e) => !is_soft(e),
        }
    }
}

/// Why a confirm was a nack: a broker's own trouble (a queue between leaders), not the message.
pub const NACKED: &str = "nacked by the broker";

/// How long one address may take to answer before the next is tried.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the next connection of this process starts in the address list: each connection
/// starts one further along, so a process's connections spread over a cluster's nodes and a
/// reconnection after a loss tries another node first.
static NEXT_ADDRESS: AtomicUsize = AtomicUsize::new(0);

/// Opens a connection named after the process role (shown in the RabbitMQ management UI) to the
/// first broker address that answers (see [`AmqpSettings::addresses`]), trying each once.
pub async fn connect(settings: &AmqpSettings, role: &str) -> Result<Connection, QueueError> {
    let addresses = settings.addresses();
    let start = NEXT_ADDRESS.fetch_add(1, Ordering::Relaxed);
    let mut cause = String::new();
    let mut refused = false;
    for i in rotation(start, addresses.len()) {
        let url = addresses[i];
        let props =
            ConnectionProperties::default().with_connection_name(format!("docket-{role}").into());
        let attempt = Connection::connect(url.expose_secret(), props);
        cause = match tokio::time::timeout(CONNECT_TIMEOUT, attempt).await {
            Ok(Ok(conn)) => return Ok(conn),
            Ok(Err(e)) => {
                refused = is_soft(&e);
                e.to_string()
            }
            Err(_) => {
                refused = false;
                format!("no answer within {} s", CONNECT_TIMEOUT.as_secs())
            }
        };
        if addresses.len() > 1 {
            tracing::warn!(broker = %redact_url(url), error = %cause, "Broker node unreachable; trying the next.");
        }
    }
    let url = addresses
        .iter()
        .map(|u| redact_url(u))
        .collect::<Vec<_>>()
        .join(", ");
    Err(if refused {
        QueueError::LoginRefused { url, cause }
    } else {
        QueueError::Unreachable { url, cause }
    })
}

/// Whether the broker answered with a refusal it would repeat (a channel-level "soft" error,
/// such as ACCESS_REFUSED or NOT_FOUND), rather than being lost.
fn is_soft(e: &lapin::Error) -> bool {
    matches!(
        e.kind(),
        lapin::ErrorKind::ProtocolError(p)
            if matches!(p.kind(), lapin::protocol::AMQPErrorKind::Soft(_))
    )
}

/// The indexes `0..n`, beginning at `start % n` and wrapping around.
fn rotation(start: usize, n: usize) -> impl Iterator<Item = usize> {
    (0..n).map(move |i| (start + i) % n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_connection_starts_one_node_further_and_tries_them_all() {
        assert_eq!(rotation(0, 3).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(rotation(4, 3).collect::<Vec<_>>(), [1, 2, 0]);
        assert_eq!(rotation(7, 1).collect::<Vec<_>>(), [0]);
    }

    #[test]
    fn a_lost_node_or_a_nack_may_be_retried_elsewhere_but_not_an_unroutable_message() {
        let unreachable = QueueError::Unreachable {
            url: "amqp://h".into(),
            cause: "refused".into(),
        };
        assert!(unreachable.is_connection_loss());
        assert!(QueueError::NotConfirmed(NACKED).is_connection_loss());
        assert!(!QueueError::NotConfirmed("unroutable: no queue bound").is_connection_loss());
    }

    #[tokio::test]
    async fn no_node_answering_names_every_address_without_passwords() {
        let mut s =
            crate::config::Settings::load(Some(std::path::Path::new("config/default.toml")))
                .unwrap()
                .amqp;
        // Ports 1 and 2 on loopback: nothing listens there, so both refuse at once.
        s.urls = vec![
            "amqp://w:hunter2@127.0.0.1:1/%2f".into(),
            "amqp://w:hunter2@127.0.0.1:2/%2f".into(),
        ];
        let e = connect(&s, "test").await.unwrap_err().to_string();
        assert!(
            e.contains("amqp://w:***@127.0.0.1:1/%2f, amqp://w:***@127.0.0.1:2/%2f"),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
    }
}
