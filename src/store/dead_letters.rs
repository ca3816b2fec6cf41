//! Replays of dead letters made from the console, recorded with the signed-in person.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::StoreError;

/// Which letters a replay took.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LetterFilter {
    /// Only this kind.
    pub kind: Option<String>,
    /// Only letters naming this run.
    pub run: Option<String>,
    /// Only letters whose reason contains this text.
    pub reason: Option<String>,
}

/// One recorded replay.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Replay {
    /// When.
    pub at: DateTime<Utc>,
    /// Who.
    pub actor: String,
    /// Kind filter.
    pub kind: Option<String>,
    /// Run filter.
    pub run: Option<String>,
    /// Reason-text filter.
    pub reason_text: Option<String>,
    /// Why the person replayed them.
    pub reason: String,
    /// Letters published back to the jobs exchange.
    pub replayed: i64,
    /// Matching letters kept because they still do not validate.
    pub still_invalid: i64,
}

/// Records a replay done by `actor` for `why`.
pub async fn record(
    pool: &PgPool,
    actor: &str,
    f: &LetterFilter,
    why: &str,
    done: &crate::queue::dlq::ReplaySummary,
) -> Result<(), StoreError> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    sqlx::query!(
        "INSERT INTO dead_letter_replays \
         (actor, kind, run, reason_text, reason, replayed, still_invalid, skipped) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        actor,
        f.kind.as_deref(),
        f.run.as_deref(),
        f.reason.as_deref(),
        why,
        n(done.replayed),
        n(done.still_invalid),
        n(done.skipped)
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// The most recent replays, newest first.
pub async fn recent(pool: &PgPool, limit: i64) -> Result<Vec<Replay>, StoreError> {
    Ok(sqlx::query_as!(
        Replay,
        "SELECT at, actor, kind, run, reason_text, reason, replayed, still_invalid \
         FROM dead_letter_replays ORDER BY at DESC, id DESC LIMIT $1",
        limit
    )
    .fetch_all(pool)
    .await?)
}
