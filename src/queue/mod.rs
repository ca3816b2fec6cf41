//! RabbitMQ: connection, topology, publishing with confirms, dead letters.

pub mod dead_letter;
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
    /// A protocol operation failed.
    #[error("broker: {0}")]
    Amqp(#[from] lapin::Error),
    /// The broker refused (nacked) or returned a published message.
    #[error("the broker did not accept a published message ({0})")]
    NotConfirmed(&'static str),
}

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
    for i in rotation(start, addresses.len()) {
        let url = addresses[i];
        let props =
            ConnectionProperties::default().with_connection_name(format!("docket-{role}").into());
        let attempt = Connection::connect(url.expose_secret(), props);
        cause = match tokio::time::timeout(CONNECT_TIMEOUT, attempt).await {
            Ok(Ok(conn)) => return Ok(conn),
            Ok(Err(e)) => e.to_string(),
            Err(_) => format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
        };
        if addresses.len() > 1 {
            tracing::warn!(broker = %redact_url(url), error = %cause, "Broker node unreachable; trying the next.");
        }
    }
    Err(QueueError::Unreachable {
        url: addresses
            .iter()
            .map(|u| redact_url(u))
            .collect::<Vec<_>>()
            .join(", "),
        cause,
    })
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
