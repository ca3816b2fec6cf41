//! Dead letters: a refused message goes to the dead-letter exchange with its reason in headers.

use lapin::types::{AMQPValue, FieldTable};

pub use crate::domain::DeadLetter;

use super::QueueError;
use super::publish::{Publisher, confirmed};

/// Header naming the field that was refused.
pub const FIELD_HEADER: &str = "x-docket-field";
/// Header carrying the reason a message was refused.
pub const REASON_HEADER: &str = "x-docket-reason";
/// Header carrying the run named by the message, when known.
pub const RUN_HEADER: &str = "x-docket-run";
/// Header with the times the broker had delivered the message before it was dead-lettered.
pub const DELIVERIES_HEADER: &str = "x-docket-deliveries";
/// Header with a coarse, low-cardinality category of the refusal (for metrics and filters).
pub const KIND_HEADER: &str = "x-docket-kind";

/// Publishes every dead letter, then waits for all their confirms.
pub async fn publish_all(publisher: &Publisher, letters: &[DeadLetter]) -> Result<(), QueueError> {
    let mut pending = Vec::with_capacity(letters.len());
    for letter in letters {
        let mut headers = FieldTable::default();
        headers.insert(
            FIELD_HEADER.into(),
            AMQPValue::LongString(letter.field.as_str().into()),
        );
        headers.insert(
            REASON_HEADER.into(),
            AMQPValue::LongString(letter.reason.as_str().into()),
        );
        headers.insert(
            KIND_HEADER.into(),
            AMQPValue::LongString(letter.kind.into()),
        );
        headers.insert(
            DELIVERIES_HEADER.into(),
            AMQPValue::LongLongInt(i64::try_from(letter.deliveries).unwrap_or(i64::MAX)),
        );
        if let Some(run) = &letter.run_id {
            headers.insert(
                RUN_HEADER.into(),
                AMQPValue::LongString(run.as_str().into()),
            );
        }
        pending.push(publisher.send(&letter.body, None, headers).await?);
    }
    for confirm in pending {
        confirmed(confirm).await?;
    }
    Ok(())
}
