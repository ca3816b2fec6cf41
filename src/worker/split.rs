//! Large messages of slowly throttled runs, split before they are reviewed.
//!
//! A consumer waits out a throttled run's rate while it holds the batch's deliveries
//! unacknowledged, and RabbitMQ closes a channel that holds a delivery past its consumer timeout
//! (30 minutes by default), returning the deliveries, each return counting towards the delivery
//! limit. The prefetch keeps a consumer to minutes of the rate, but never under one message, and a
//! 500-case message of a run throttled to 1 case/s is 500 s of debt on its own; four consumers
//! each holding one make 2,000 s. So a message of a throttled run that carries more cases than a
//! consumer may hold at that rate is published again as messages of at most that many cases, and
//! the original is acknowledged with its batch, unreviewed. Outcomes are keyed on run and case, so
//! a crash between the publish and the ack only repeats work.

use std::collections::HashSet;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::feed::throttled_cases;
use super::review::Received;
use super::runs::{Gate, RunCache};
use crate::config::WorkerSettings;
use crate::domain::BATCH_SCHEMA;

#[derive(Deserialize)]
struct Batch<'a> {
    schema: &'a str,
    #[serde(borrow)]
    run_id: &'a RawValue,
    #[serde(borrow)]
    jobs: Vec<&'a RawValue>,
}

/// The bodies of batch messages of at most `max_jobs` jobs each that together carry the jobs of
/// `body`, in order; `None` when `body` is not a batch message of more than `max_jobs` jobs.
pub fn split_body(body: &[u8], max_jobs: usize) -> Option<Vec<Vec<u8>>> {
    let b: Batch = serde_json::from_slice(body).ok()?;
    if b.schema != BATCH_SCHEMA || b.jobs.len() <= max_jobs.max(1) {
        return None;
    }
    let pieces = b
        .jobs
        .chunks(max_jobs.max(1))
        .map(|chunk| {
            let jobs: Vec<&str> = chunk.iter().map(|j| j.get()).collect();
            format!(
                r#"{{"schema":"{BATCH_SCHEMA}","run_id":{},"jobs":[{}]}}"#,
                b.run_id.get(),
                jobs.join(",")
            )
            .into_bytes()
        })
        .collect();
    Some(pieces)
}

/// The batch's messages of throttled runs that carry more cases than a consumer may hold at the
/// run's rate, cut into pieces: the pieces are published (and confirmed) to the jobs exchange
/// after the batch's commit, and the messages themselves are acknowledged with the batch,
/// unreviewed.
#[derive(Debug, Default)]
pub struct Splits {
    /// Indexes in the batch of the messages split (not reviewed).
    pub messages: HashSet<usize>,
    /// The pieces to publish, in order.
    pub pieces: Vec<Vec<u8>>,
}

/// Which messages of `batch` to split, and into what (pure: the run gates come from `runs`).
pub fn plan(batch: &[Received], runs: &RunCache, ws: &WorkerSettings) -> Splits {
    let mut splits = Splits::default();
    for (index, r) in batch.iter().enumerate() {
        let Ok(m) = &r.decoded else { continue };
        let Gate::Throttle(rate) = runs.gate(&m.run_id) else {
            continue;
        };
        let most = throttled_cases(ws.prefetch_cases, rate, ws.consumers);
        if m.jobs.len() <= most {
            continue;
        }
        let Some(pieces) = split_body(&r.body, most) else {
            continue;
        };
        tracing::info!(
            run = %m.run_id,
            cases = m.jobs.len(),
            messages = pieces.len(),
            "Throttled run: a large message goes out again in smaller ones."
        );
        splits.messages.insert(index);
        splits.pieces.extend(pieces);
    }
    splits
}

#[cfg(test)]
mod tests {
    use super::split_body;
    use crate::domain::decode_message;

    fn batch(n: usize) -> Vec<u8> {
        let jobs: Vec<String> = (0..n)
            .map(|i| {
                format!(r#"{{"job_id":"00000000-0000-0000-0000-{i:012}","case":{{"n":{i}}}}}"#)
            })
            .collect();
        format!(
            r#"{{"schema":"{}","run_id":"slow","jobs":[{}]}}"#,
            crate::domain::BATCH_SCHEMA,
            jobs.join(",")
        )
        .into_bytes()
    }

    #[test]
    fn a_large_batch_becomes_pieces_that_carry_every_job_once_in_order() {
        let pieces = split_body(&batch(7), 3).expect("split");
        assert_eq!(pieces.len(), 3);
        let mut seen = Vec::new();
        for p in &pieces {
            let v: serde_json::Value = serde_json::from_slice(p).expect("json");
            assert_eq!(v["run_id"], "slow");
            assert_eq!(v["schema"], crate::domain::BATCH_SCHEMA);
            for j in v["jobs"].as_array().expect("jobs") {
                seen.push(j["case"]["n"].as_u64().expect("n"));
            }
        }
        assert_eq!(seen, (0..7).collect::<Vec<u64>>());
        // Each piece is a message the worker decodes like any other.
        assert!(decode_message(&pieces[0]).is_ok_and(|m| m.jobs.len() == 3));
    }

    #[test]
    fn small_single_and_unreadable_messages_are_not_split() {
        assert!(split_body(&batch(3), 3).is_none());
        let single = br#"{"schema":"docket.review/v1","run_id":"slow","job_id":"x","case":{}}"#;
        assert!(split_body(single, 1).is_none());
        assert!(split_body(b"not json", 1).is_none());
    }
}
