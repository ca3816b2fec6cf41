//! The broker side of the batch step: what must reach RabbitMQ after a batch's commit and before
//! its ack (split pieces, parked messages, dead letters), and the release of parked messages
//! claimed while refreshing run states.

use lapin::Connection;

use super::WorkerError;
use super::control::Release;
use super::review::Received;
use super::step::AfterCommit;
use crate::config::AmqpSettings;
use crate::queue::publish::{Publisher, publish_confirmed};
use crate::queue::{dead_letter, parking};
use crate::telemetry::metrics::WorkerMetrics;

/// A consumer's publishers: dead letters, and the default exchange for parking queues.
pub struct Outlet<'a> {
    dead: Publisher,
    park: Publisher,
    amqp: &'a AmqpSettings,
    metrics: &'a WorkerMetrics,
}

impl<'a> Outlet<'a> {
    /// Opens the publishers (confirm mode) on `conn`.
    pub async fn open(
        conn: &Connection,
        amqp: &'a AmqpSettings,
        metrics: &'a WorkerMetrics,
    ) -> Result<Self, WorkerError> {
        Ok(Self {
            dead: Publisher::open(conn, &amqp.dead_letter_exchange, "").await?,
            park: Publisher::open(conn, "", "").await?,
            amqp,
            metrics,
        })
    }

    /// Moves claimed parked messages back to the work queue, or drops those of cancelled runs.
    pub async fn release(&self, releases: &[Release]) -> Result<(), WorkerError> {
        for release in releases {
            match release {
                Release::Drop(run) => {
                    let n = parking::drop_queue(self.park.channel(), self.amqp, run).await?;
                    self.metrics.cancelled(u64::from(n));
                    tracing::info!(run = %run, messages = n, "Cancelled run: parked jobs dropped.");
                }
                Release::Resume(run) => {
                    let n = parking::release(self.park.channel(), self.amqp, run).await?;
                    self.metrics.released(n);
                    tracing::info!(run = %run, messages = n, "Run resumed: parked jobs released.");
                }
            }
        }
        Ok(())
    }

    /// Publishes, each confirmed, what a recorded batch needs before its ack: the split pieces,
    /// the parked messages, then the dead letters.
    pub async fn publish(
        &self,
        batch: &[Received],
        after: &AfterCommit,
    ) -> Result<(), WorkerError> {
        if !after.pieces.is_empty() {
            let bodies: Vec<&[u8]> = after.pieces.iter().map(Vec::as_slice).collect();
            let (exchange, key) = (&self.amqp.exchange, &self.amqp.routing_key);
            publish_confirmed(self.park.channel(), exchange, key, &bodies).await?;
            self.metrics.split(after.split as u64);
        }
        for (run, indexes) in &after.parked {
            let bodies: Vec<&[u8]> = indexes.iter().map(|&i| batch[i].body.as_slice()).collect();
            parking::park(self.park.channel(), self.amqp, run, &bodies).await?;
            self.metrics.parked(bodies.len());
        }
        self.metrics.cancelled(after.cancelled as u64);
        dead_letter::publish_all(&self.dead, &after.dead_letters).await?;
        for letter in &after.dead_letters {
            tracing::debug!(kind = letter.kind, field = %letter.field, reason = %letter.reason, "Dead-lettered.");
        }
        Ok(())
    }

    /// Closes the publishers' channels.
    pub async fn close(&self) {
        self.dead
            .channel()
            .close(200, "shutting down".into())
            .await
            .ok();
        self.park
            .channel()
            .close(200, "shutting down".into())
            .await
            .ok();
    }
}
