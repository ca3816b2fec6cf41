//! What `docket enqueue` reads while it publishes, beside the members and watermark of
//! [`super::publishes`]: the run's state, so a pause or cancel stops publishing.

use sqlx::PgPool;

use super::StoreError;

/// The state of run `run_id` (`active`, `paused`, `cancelled`, ...).
pub async fn run_state(pool: &PgPool, run_id: i64) -> Result<String, StoreError> {
    Ok(
        sqlx::query_scalar!("SELECT state FROM runs WHERE id = $1", run_id)
            .fetch_one(pool)
            .await?,
    )
}
