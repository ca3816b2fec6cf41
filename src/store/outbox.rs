//! Writing notices into the outbox, inside the caller's transaction.

use sqlx::PgConnection;

use super::StoreError;
use crate::domain::{PlannedNotice, idempotency_key};

/// A notice to queue for a transition.
pub struct Queued<'a> {
    /// Run id.
    pub run_id: i64,
    /// Case id.
    pub case_id: &'a str,
    /// The transition it reports.
    pub transition_id: i64,
    /// Recipient, channel and payload.
    pub notice: &'a PlannedNotice,
}

/// Inserts the notices; a key already queued is left as it is. Returns how many were new.
pub async fn queue(conn: &mut PgConnection, items: &[Queued<'_>]) -> Result<u64, StoreError> {
    if items.is_empty() {
        return Ok(0);
    }
    let n = items.len();
    let (mut keys, mut runs, mut cases, mut transitions) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let (mut kinds, mut recipients, mut channels, mut languages, mut payloads) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for q in items {
        keys.push(idempotency_key(
            q.run_id,
            q.case_id,
            q.transition_id,
            q.notice,
        ));
        runs.push(q.run_id);
        cases.push(q.case_id);
        transitions.push(q.transition_id);
        kinds.push(q.notice.payload.kind.as_str());
        recipients.push(q.notice.recipient.as_str());
        channels.push(q.notice.channel.as_str());
        languages.push(q.notice.payload.language.as_str());
        payloads.push(serde_json::to_string(&q.notice.payload).expect("payload serializes"));
    }
    let done = sqlx::query(
        r#"
        INSERT INTO notifications (idempotency_key, run_id, case_id, transition_id, kind, recipient,
                                   channel, language, payload)
        SELECT t.key, t.run_id, t.case_id, t.transition_id, t.kind, t.recipient, t.channel,
               t.language, t.payload::jsonb
        FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::text[],
                    $7::text[], $8::text[], $9::text[])
             AS t(key, run_id, case_id, transition_id, kind, recipient, channel, language, payload)
        ON CONFLICT (idempotency_key) DO NOTHING
        "#,
    )
    .bind(&keys)
    .bind(&runs)
    .bind(&cases)
    .bind(&transitions)
    .bind(&kinds)
    .bind(&recipients)
    .bind(&channels)
    .bind(&languages)
    .bind(&payloads)
    .execute(&mut *conn)
    .await?;
    Ok(done.rows_affected())
}
