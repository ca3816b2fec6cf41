//! RabbitMQ: connection, topology, publishing with confirms, dead letters.

pub mod dead_letter;
pub mod dlq;
pub mod parking;
pub mod permissions;
pub mod publish;
pub mod topology;

use lapin::{Connection, ConnectionProperties};
use secrecy::ExposeSecret;

use crate::config::{AmqpSettings, redact_url};

/// Broker errors, with the redacted URL where the server could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    /// The broker could not be reached.
    #[error(
        "cannot reach RabbitMQ at {url}: {cause}. Start it (`rabbitmq-server -detached`) or set DOCKET_AMQP__URL"
    )]
    Unreachable {
        /// Redacted URL.
        url: String,
        /// What the connection attempt said.
        cause: String,
    },
    /// A protocol operation failed.
    #[error("broker: {0}")]
    Amqp(#[from] lapin::Error),
    /// The broker refused (nacked) or returned a published message.
    #[error("the broker did not accept a published message ({0})")]
    NotConfirmed(&'static str),
}

/// Opens a connection named after the process role (shown in the RabbitMQ management UI).
pub async fn connect(settings: &AmqpSettings, role: &str) -> Result<Connection, QueueError> {
    let props =
        ConnectionProperties::default().with_connection_name(format!("docket-{role}").into());
    Connection::connect(settings.url.expose_secret(), props)
        .await
        .map_err(|e| QueueError::Unreachable {
            url: redact_url(&settings.url),
            cause: e.to_string(),
        })
}
