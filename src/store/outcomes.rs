//! The `outcomes` table: one decision per (run, case), written a batch at a time.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::StoreError;
use crate::domain::{Decision, Evaluation};

/// One outcome ready to be written.
#[derive(Debug, Clone)]
pub struct NewOutcome {
    /// Run id.
    pub run_id: i64,
    /// Case id.
    pub case_id: String,
    /// Job that carried the case.
    pub job_id: Uuid,
    /// The evaluation.
    pub evaluation: Evaluation,
    /// Rule-set name, version and hash, as stored with the run.
    pub rules: RulesRef,
    /// sha256 of the case facts decided on.
    pub facts_hash: String,
}

/// Identifies the rule set a decision was made under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RulesRef {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
    /// sha256 of the text.
    pub hash: String,
}

/// Writes outcomes inside the caller's transaction. A (run, case) that already has an outcome is
/// left as it is; returns (run id, case id, decision) of the rows actually inserted.
pub async fn insert_batch(
    conn: &mut PgConnection,
    outcomes: &[NewOutcome],
    worker: &str,
) -> Result<Vec<(i64, String, Decision)>, StoreError> {
    let n = outcomes.len();
    let mut run_ids = Vec::with_capacity(n);
    let mut case_ids = Vec::with_capacity(n);
    let mut job_ids = Vec::with_capacity(n);
    let mut decisions = Vec::with_capacity(n);
    let mut scores = Vec::with_capacity(n);
    let mut fired = Vec::with_capacity(n);
    let mut names = Vec::with_capacity(n);
    let mut versions = Vec::with_capacity(n);
    let mut hashes = Vec::with_capacity(n);
    let mut facts = Vec::with_capacity(n);
    for o in outcomes {
        run_ids.push(o.run_id);
        case_ids.push(o.case_id.as_str());
        job_ids.push(o.job_id);
        decisions.push(o.evaluation.decision.as_str());
        scores.push(o.evaluation.score);
        fired.push(serde_json::to_string(&o.evaluation.fired).expect("fired rules serialize"));
        names.push(o.rules.name.as_str());
        versions.push(o.rules.version.as_str());
        hashes.push(o.rules.hash.as_str());
        facts.push(o.facts_hash.as_str());
    }
    let inserted: Vec<(i64, String, String)> = sqlx::query_as(
        r#"
        INSERT INTO outcomes (run_id, case_id, job_id, decision, score, fired, rules_name,
                              rules_version, rules_hash, facts_hash, worker)
        SELECT t.run_id, t.case_id, t.job_id, t.decision, t.score, t.fired::jsonb, t.rules_name,
               t.rules_version, t.rules_hash, t.facts_hash, $11
        FROM UNNEST($1::bigint[], $2::text[], $3::uuid[], $4::text[], $5::int[], $6::text[],
                    $7::text[], $8::text[], $9::text[], $10::text[])
             AS t(run_id, case_id, job_id, decision, score, fired, rules_name, rules_version,
                  rules_hash, facts_hash)
        ON CONFLICT (run_id, case_id) DO NOTHING
        RETURNING run_id, case_id, decision
        "#,
    )
    .bind(&run_ids)
    .bind(&case_ids)
    .bind(&job_ids)
    .bind(&decisions)
    .bind(&scores)
    .bind(&fired)
    .bind(&names)
    .bind(&versions)
    .bind(&hashes)
    .bind(&facts)
    .bind(worker)
    .fetch_all(&mut *conn)
    .await?;
    Ok(inserted
        .into_iter()
        .filter_map(|(run, case, d)| d.parse::<Decision>().ok().map(|d| (run, case, d)))
        .collect())
}

/// A stored outcome, as `docket show` prints it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct StoredOutcome {
    /// Case id.
    pub case_id: String,
    /// Job id.
    pub job_id: Uuid,
    /// Decision.
    pub decision: String,
    /// Score.
    pub score: i32,
    /// Fired rules, `[{id, kind, reason, points}]`.
    pub fired: serde_json::Value,
    /// Rule-set name.
    pub rules_name: String,
    /// Rule-set version.
    pub rules_version: String,
    /// Rule-set hash.
    pub rules_hash: String,
    /// Hash of the case facts decided on.
    pub facts_hash: String,
    /// When it was decided.
    pub decided_at: DateTime<Utc>,
    /// Which worker decided it.
    pub worker: String,
}

/// The outcome of one case in one run, if it has been reviewed.
pub async fn find(
    pool: &PgPool,
    run_id: i64,
    case_id: &str,
) -> Result<Option<StoredOutcome>, StoreError> {
    Ok(sqlx::query_as(
        r#"SELECT case_id, job_id, decision, score, fired, rules_name, rules_version, rules_hash,
                  facts_hash, decided_at, worker
           FROM outcomes WHERE run_id = $1 AND case_id = $2"#,
    )
    .bind(run_id)
    .bind(case_id)
    .fetch_optional(pool)
    .await?)
}

/// Every decision of a run, by case id (for checks and audits).
pub async fn decisions(pool: &PgPool, run_id: i64) -> Result<Vec<(String, String)>, StoreError> {
    Ok(
        sqlx::query_as("SELECT case_id, decision FROM outcomes WHERE run_id = $1 ORDER BY case_id")
            .bind(run_id)
            .fetch_all(pool)
            .await?,
    )
}
