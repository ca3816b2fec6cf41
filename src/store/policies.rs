//! The rule sets the console's Policies page shows: each one that runs use (its latest stored
//! text), its legal status, the runs under it, and every recorded change of status.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::StoreError;

/// A rule set as runs stored it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredRuleSet {
    /// Rule-set name.
    pub rules_name: String,
    /// Version of the latest run's copy.
    pub rules_version: String,
    /// Text of the latest run's copy.
    pub rules_text: String,
    /// Status recorded by an operator (None: the file's own status).
    pub status: Option<String>,
    /// Runs under it, oldest first.
    pub runs: Vec<String>,
}

/// One recorded change of a policy's status.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatusChange {
    /// Rule-set name.
    pub rules_name: String,
    /// Status before (None: the file's own).
    pub from_status: Option<String>,
    /// Status after.
    pub to_status: String,
    /// Who.
    pub actor: String,
    /// Why.
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Every rule set some run uses, by name.
pub async fn rule_sets(pool: &PgPool) -> Result<Vec<StoredRuleSet>, StoreError> {
    Ok(sqlx::query_as!(
        StoredRuleSet,
        r#"SELECT r.rules_name AS "rules_name!", r.rules_version AS "rules_version!",
                r.rules_text AS "rules_text!", p.status AS "status?",
                ARRAY(SELECT x.name FROM runs x WHERE x.rules_name = r.rules_name ORDER BY x.id)
                  AS "runs!"
         FROM (SELECT DISTINCT ON (rules_name) rules_name, rules_version, rules_text
               FROM runs ORDER BY rules_name, id DESC) r
         LEFT JOIN policy_status p USING (rules_name)
         ORDER BY r.rules_name"#
    )
    .fetch_all(pool)
    .await?)
}

/// The latest `limit` changes of status, newest first.
pub async fn history(pool: &PgPool, limit: i64) -> Result<Vec<StatusChange>, StoreError> {
    Ok(sqlx::query_as!(
        StatusChange,
        "SELECT rules_name, from_status, to_status, actor, reason, at
         FROM policy_status_changes ORDER BY at DESC, id DESC LIMIT $1",
        limit
    )
    .fetch_all(pool)
    .await?)
}
