//! Publishing with publisher confirms: persistent JSON messages, confirms awaited as a window.

use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Channel, Connection};
use lapin::{Confirmation, PublisherConfirm};

use super::QueueError;

/// A channel in confirm mode bound to one exchange and routing key.
#[derive(Clone)]
pub struct Publisher {
    channel: Channel,
    exchange: String,
    routing_key: String,
}

impl Publisher {
    /// Opens a confirm-mode channel on `conn`.
    pub async fn open(
        conn: &Connection,
        exchange: &str,
        routing_key: &str,
    ) -> Result<Self, QueueError> {
        let channel = conn.create_channel().await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await?;
        Ok(Self {
            channel,
            exchange: exchange.to_string(),
            routing_key: routing_key.to_string(),
        })
    }

    /// The underlying channel.
    pub fn channel(&self) -> &Channel {
        &self.channel
    }

    /// Sends one persistent JSON message and returns its pending confirm. Mandatory, so a message
    /// that no queue would take comes back instead of vanishing.
    pub async fn send(
        &self,
        body: &[u8],
        message_id: Option<String>,
        headers: FieldTable,
    ) -> Result<PublisherConfirm, QueueError> {
        let mut props = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_delivery_mode(2)
            .with_headers(headers);
        if let Some(id) = message_id {
            props = props.with_message_id(id.into());
        }
        Ok(self
            .channel
            .basic_publish(
                self.exchange.as_str().into(),
                self.routing_key.as_str().into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..BasicPublishOptions::default()
                },
                body,
                props,
            )
            .await?)
    }
}

/// Waits for a confirm and turns a nack or a returned (unroutable) message into an error.
pub async fn confirmed(confirm: PublisherConfirm) -> Result<(), QueueError> {
    match confirm.await? {
        Confirmation::Ack(None) => Ok(()),
        Confirmation::Ack(Some(_)) => Err(QueueError::NotConfirmed("unroutable: no queue bound")),
        Confirmation::Nack(_) => Err(QueueError::NotConfirmed(super::NACKED)),
        Confirmation::NotRequested => Err(QueueError::NotConfirmed("confirms not enabled")),
    }
}

/// Publishes `bodies` as persistent JSON messages to `exchange` with `routing_key` on `channel`
/// (in confirm mode), all in flight at once, then waits for every confirm. Mandatory: a message
/// no queue would take is an error, not lost.
pub async fn publish_confirmed(
    channel: &Channel,
    exchange: &str,
    routing_key: &str,
    bodies: &[&[u8]],
) -> Result<(), QueueError> {
    let mut pending = Vec::with_capacity(bodies.len());
    for body in bodies {
        let props = BasicProperties::default()
            .with_content_type("application/json".into())
            .with_delivery_mode(2);
        let options = BasicPublishOptions {
            mandatory: true,
            ..BasicPublishOptions::default()
        };
        let c = channel
            .basic_publish(exchange.into(), routing_key.into(), options, body, props)
            .await?;
        pending.push(c);
    }
    for c in pending {
        confirmed(c).await?;
    }
    Ok(())
}
