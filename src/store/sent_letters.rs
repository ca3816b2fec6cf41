//! The letters sent for one issue date, for that day's print batches.

use sqlx::PgPool;

use super::StoreError;

/// A sent letter's key and payload (personal data: never logged).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SentLetterRow {
    /// Idempotency key.
    pub idempotency_key: String,
    /// The notice payload.
    pub payload: serde_json::Value,
}

/// Letters marked `sent` whose payload was issued on `date`, every run, in key order.
pub async fn of_day(
    pool: &PgPool,
    date: chrono::NaiveDate,
) -> Result<Vec<SentLetterRow>, StoreError> {
    Ok(sqlx::query_as!(
        SentLetterRow,
        "SELECT idempotency_key, payload FROM notifications \
         WHERE channel = 'letter' AND status = 'sent' AND payload->>'issued_on' = $1 \
         ORDER BY idempotency_key",
        date.format("%Y-%m-%d").to_string()
    )
    .fetch_all(pool)
    .await?)
}
