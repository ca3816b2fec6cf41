//! Run progress from the database: total, published, reviewed and the count per decision.

use std::collections::BTreeMap;

use serde::Serialize;
use sqlx::PgPool;

use super::StoreError;

/// Progress of one run.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RunProgress {
    /// Run name.
    pub run: String,
    /// Rule set `name@version`.
    pub rules: String,
    /// Cases in the run.
    pub total: i64,
    /// Cases whose job the broker confirmed.
    pub published: i64,
    /// Cases with an outcome.
    pub reviewed: i64,
    /// Outcomes per decision (every decision present, zero included).
    pub decisions: BTreeMap<String, i64>,
    /// Offers per lifecycle state (every state present, zero included).
    pub offers: BTreeMap<String, i64>,
    /// Notices per outbox status (pending, sent, failed, held).
    pub notifications: BTreeMap<String, i64>,
}

impl RunProgress {
    /// Reviewed as a percentage of total (0 when the run is empty).
    pub fn reviewed_pct(&self) -> f64 {
        pct(self.reviewed, self.total)
    }

    /// Count of one decision.
    pub fn count(&self, decision: &str) -> i64 {
        self.decisions.get(decision).copied().unwrap_or(0)
    }
}

/// `part` as a percentage of `whole`.
pub fn pct(part: i64, whole: i64) -> f64 {
    if whole <= 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// Progress of the named run.
pub async fn for_run(pool: &PgPool, name: &str) -> Result<RunProgress, StoreError> {
    let run = super::runs::get(pool, name).await?;
    let (total, published): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(published_at) FROM run_cases WHERE run_id = $1")
            .bind(run.id)
            .fetch_one(pool)
            .await?;
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT decision, count(*) FROM outcomes WHERE run_id = $1 GROUP BY decision",
    )
    .bind(run.id)
    .fetch_all(pool)
    .await?;
    let mut decisions: BTreeMap<String, i64> = crate::domain::Decision::ALL
        .iter()
        .map(|d| (d.as_str().to_string(), 0))
        .collect();
    let mut reviewed = 0;
    for (d, n) in rows {
        reviewed += n;
        decisions.insert(d, n);
    }
    let offers = super::offer_queries::state_counts(pool, run.id).await?;
    let mut notifications: BTreeMap<String, i64> = ["pending", "sent", "failed", "held"]
        .iter()
        .map(|s| (s.to_string(), 0))
        .collect();
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT status, count(*) FROM notifications WHERE run_id = $1 GROUP BY status",
    )
    .bind(run.id)
    .fetch_all(pool)
    .await?;
    notifications.extend(rows);
    Ok(RunProgress {
        offers,
        notifications,
        run: run.name,
        rules: format!("{}@{}", run.rules_name, run.rules_version),
        total,
        published,
        reviewed,
        decisions,
    })
}
