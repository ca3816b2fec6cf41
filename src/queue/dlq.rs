//! The dead-letter queue read back: list what is there without losing it, and replay messages that
//! validate again to the jobs exchange.
//!
//! Both take messages with `basic_get` and keep them unacknowledged while they work, so nothing is
//! read twice in one pass and nothing is lost if the process dies: closing the channel puts every
//! message not acked back. A replayed message is acked only after the broker confirmed its copy on
//! the jobs exchange; a crash between the two can replay it once more, which the outcomes table
//! absorbs (one outcome per run and case).

use lapin::options::{BasicAckOptions, BasicGetOptions};
use lapin::types::{AMQPValue, FieldTable};
use serde::Serialize;

use super::dead_letter::{DELIVERIES_HEADER, FIELD_HEADER, KIND_HEADER, REASON_HEADER, RUN_HEADER};
use super::publish::{Publisher, confirmed};
use super::{QueueError, connect, topology};
use crate::config::Settings;
use crate::domain::decode_message;

/// What `dlq list` shows of one dead letter: the refusal, never the case's personal data.
#[derive(Debug, Clone, Serialize)]
pub struct Letter {
    /// Category (`decode`, `validation`, `unknown_run`, `too_large`, `delivery_limit`, or the
    /// broker's own `x-death` reason when the broker dead-lettered it).
    pub kind: String,
    /// Field that was refused.
    pub field: String,
    /// Why.
    pub reason: String,
    /// Run named by the message.
    pub run: Option<String>,
    /// Case id of a single-case message, when it is a well-formed id.
    pub case_id: Option<String>,
    /// Deliveries before it was dead-lettered.
    pub deliveries: Option<u64>,
    /// Size of the body in bytes.
    pub bytes: usize,
}

impl Letter {
    /// Whether `filter` names this letter's kind or appears in its reason.
    pub fn matches(&self, filter: Option<&str>) -> bool {
        filter.is_none_or(|f| self.kind == f || self.reason.contains(f))
    }
}

/// Reads every dead letter (up to `limit`) and puts them all back.
pub async fn list(settings: &Settings, limit: usize) -> Result<Vec<Letter>, QueueError> {
    let conn = connect(&settings.amqp, "dlq").await?;
    let ch = conn.create_channel().await?;
    topology::declare_or_check(&conn, &settings.amqp).await?;
    let mut out = Vec::new();
    while out.len() < limit {
        let Some(msg) = get(&ch, &settings.amqp.dead_letter_queue).await? else {
            break;
        };
        out.push(describe(&msg.delivery));
    }
    // Unacknowledged: closing the channel returns every one of them to the queue.
    ch.close(200, "listed".into()).await.ok();
    conn.close(200, "listed".into()).await.ok();
    Ok(out)
}

/// What a replay did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ReplaySummary {
    /// Messages published to the jobs exchange (or that would be, with `dry_run`).
    pub replayed: u64,
    /// Matching messages left in place because they still do not validate.
    pub still_invalid: u64,
    /// Messages that did not match the filter.
    pub skipped: u64,
}

/// Replays the dead letters that match `filter` and validate again, unless `dry_run`.
/// `run_exists` says whether a run name is known (a message for an unknown run stays); it is a
/// plain function (a lookup in names read beforehand) so the replay's future is `Send`.
pub async fn replay(
    settings: &Settings,
    filter: Option<&str>,
    dry_run: bool,
    limit: usize,
    run_exists: impl Fn(&str) -> bool,
) -> Result<ReplaySummary, QueueError> {
    let pick = |l: &Letter| l.matches(filter);
    replay_where(settings, pick, dry_run, limit, run_exists).await
}

/// [`replay`] for the letters `pick` chooses (the console filters by kind, run and reason).
pub async fn replay_where(
    settings: &Settings,
    pick: impl Fn(&Letter) -> bool,
    dry_run: bool,
    limit: usize,
    run_exists: impl Fn(&str) -> bool,
) -> Result<ReplaySummary, QueueError> {
    let conn = connect(&settings.amqp, "dlq").await?;
    let ch = conn.create_channel().await?;
    topology::declare_or_check(&conn, &settings.amqp).await?;
    let jobs = Publisher::open(&conn, &settings.amqp.exchange, &settings.amqp.routing_key).await?;
    let mut s = ReplaySummary::default();
    let mut seen = 0;
    while seen < limit {
        let Some(msg) = get(&ch, &settings.amqp.dead_letter_queue).await? else {
            break;
        };
        seen += 1;
        let d = &msg.delivery;
        if !pick(&describe(d)) {
            s.skipped += 1;
            continue;
        }
        let valid = d.data.len() <= settings.worker.max_message_bytes
            && match decode_message(&d.data) {
                Ok(m) => m.jobs.iter().all(|j| j.case.is_ok()) && run_exists(&m.run_id),
                Err(_) => false,
            };
        if !valid {
            s.still_invalid += 1;
            continue;
        }
        s.replayed += 1;
        if dry_run {
            continue;
        }
        let mut headers = FieldTable::default();
        headers.insert("x-docket-replayed".into(), AMQPValue::Boolean(true));
        let id = d.properties.message_id().as_ref().map(|m| m.to_string());
        confirmed(jobs.send(&d.data, id, headers).await?).await?;
        d.acker.ack(BasicAckOptions::default()).await?;
    }
    jobs.channel().close(200, "replayed".into()).await.ok();
    ch.close(200, "replayed".into()).await.ok();
    conn.close(200, "replayed".into()).await.ok();
    Ok(s)
}

async fn get(
    ch: &lapin::Channel,
    queue: &str,
) -> Result<Option<lapin::message::BasicGetMessage>, QueueError> {
    Ok(ch
        .basic_get(queue.into(), BasicGetOptions { no_ack: false })
        .await?)
}

/// A dead letter's headers and the case id of its body, if any.
pub fn describe(d: &lapin::message::Delivery) -> Letter {
    let headers = d.properties.headers().clone().unwrap_or_default();
    let text = |k: &str| match headers.inner().get(k) {
        Some(AMQPValue::LongString(s)) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        _ => None,
    };
    let broker = broker_reason(&headers);
    Letter {
        kind: text(KIND_HEADER)
            .or_else(|| broker.clone())
            .unwrap_or_else(|| "unknown".into()),
        field: text(FIELD_HEADER).unwrap_or_else(|| ".".into()),
        reason: text(REASON_HEADER).unwrap_or_else(|| match broker {
            Some(r) => format!("dead-lettered by the broker ({r})"),
            None => "no reason recorded".into(),
        }),
        run: text(RUN_HEADER),
        case_id: case_id(&d.data),
        deliveries: headers
            .inner()
            .get(DELIVERIES_HEADER)
            .or_else(|| {
                headers
                    .inner()
                    .get(crate::worker::intake::DELIVERY_COUNT_HEADER)
            })
            .and_then(crate::worker::intake::as_u64),
        bytes: d.data.len(),
    }
}

/// The reason of the first `x-death` entry (the broker's own dead-lettering).
fn broker_reason(headers: &FieldTable) -> Option<String> {
    let AMQPValue::FieldArray(deaths) = headers.inner().get("x-death")? else {
        return None;
    };
    let AMQPValue::FieldTable(first) = deaths.as_slice().first()? else {
        return None;
    };
    match first.inner().get("reason")? {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        _ => None,
    }
}

/// The `case.case_id` of a single-case body, only when it has the shape of a case id (so a
/// malformed body can never put anything else on the screen).
fn case_id(body: &[u8]) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct Single {
        case: CaseId,
    }
    #[derive(serde::Deserialize)]
    struct CaseId {
        case_id: String,
    }
    let s: Single = serde_json::from_slice(body).ok()?;
    let id = s.case.case_id;
    let ok =
        (1..=40).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    ok.then_some(id)
}

#[cfg(test)]
mod tests {
    use super::case_id;

    #[test]
    fn only_well_formed_case_ids_are_shown() {
        assert_eq!(
            case_id(br#"{"case":{"case_id":"DEN-2011-000001","a_number":"A012345678"}}"#),
            Some("DEN-2011-000001".into())
        );
        assert_eq!(case_id(br#"{"case":{"case_id":"Maria Lopez"}}"#), None);
        assert_eq!(case_id(b"\xff\xfe not json"), None);
    }
}
