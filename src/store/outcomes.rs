//! The `outcomes` table: one decision per (run, case), written a batch at a time.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::StoreError;
use crate::domain::Decision;
pub use crate::domain::{FACTS_MISMATCH, NOT_IN_RUN, NewOutcome, RulesRef};

/// What a batch insert recorded: new outcomes by run and decision, and the cases newly
/// recommended for an offer (the rest of the batch already had outcomes).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Inserted {
    /// (run id, decision, outcomes inserted).
    pub counts: Vec<(i64, Decision, u64)>,
    /// (run id, case id) of the new `offer_recommended` outcomes.
    pub recommended: Vec<(i64, String)>,
    /// (run id, case id, kind) of the jobs refused against the imported record:
    /// [`FACTS_MISMATCH`] or [`NOT_IN_RUN`].
    pub refused: Vec<(i64, String, &'static str)>,
}

impl Inserted {
    /// Outcomes inserted in all.
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|(_, _, n)| n).sum()
    }
}

/// Writes outcomes inside the caller's transaction, one statement per run in the batch (usually
/// one): what is the same for the whole run (run id, rule set, worker) is sent once, not per row,
/// and only counts and the new recommendations come back. A (run, case) that already has an
/// outcome is left as it is.
///
/// The imported record is the truth: in the same statement, an outcome is written only for a
/// member of the run whose facts hash equals the stored record's; the others come back in
/// [`Inserted::refused`] (a different stored record: [`FACTS_MISMATCH`]; no membership:
/// [`NOT_IN_RUN`]) for the caller to dead-letter.
pub async fn insert_batch(
    conn: &mut PgConnection,
    outcomes: &[NewOutcome],
    worker: &str,
) -> Result<Inserted, StoreError> {
    let mut runs: Vec<i64> = outcomes.iter().map(|o| o.run_id).collect();
    runs.sort_unstable();
    runs.dedup();
    let mut inserted = Inserted::default();
    for run_id in runs {
        let group: Vec<&NewOutcome> = outcomes.iter().filter(|o| o.run_id == run_id).collect();
        let rules = &group[0].rules;
        let n = group.len();
        let mut case_ids = Vec::with_capacity(n);
        let mut job_ids = Vec::with_capacity(n);
        let mut decisions = Vec::with_capacity(n);
        let mut scores = Vec::with_capacity(n);
        let mut fired = Vec::with_capacity(n);
        let mut facts = Vec::with_capacity(n);
        for o in &group {
            case_ids.push(o.case_id.as_str());
            job_ids.push(o.job_id);
            decisions.push(o.evaluation.decision.as_str());
            scores.push(o.evaluation.score);
            fired.push(serde_json::to_string(&o.evaluation.fired).expect("fired rules serialize"));
            facts.push(o.facts_hash.as_str());
        }
        let rows: Vec<(String, i64, Option<Vec<String>>)> = sqlx::query_as(
            r#"
            WITH chk AS (
                SELECT t.*, rc.case_id IS NOT NULL AS member, c.facts_hash AS imported
                FROM UNNEST($6::text[], $7::uuid[], $8::text[], $9::int[], $10::text[], $11::text[])
                     AS t(case_id, job_id, decision, score, fired, facts_hash)
                LEFT JOIN run_cases rc ON rc.run_id = $1 AND rc.case_id = t.case_id
                LEFT JOIN cases c ON c.case_id = t.case_id
            ), ins AS (
                INSERT INTO outcomes (run_id, case_id, job_id, decision, score, fired, rules_name,
                                      rules_version, rules_hash, facts_hash, worker)
                SELECT $1, k.case_id, k.job_id, k.decision, k.score, k.fired::jsonb, $2, $3, $4,
                       k.facts_hash, $5
                FROM chk k WHERE k.member AND k.imported = k.facts_hash
                ON CONFLICT (run_id, case_id) DO NOTHING
                RETURNING case_id, decision
            )
            SELECT decision, count(*),
                   array_agg(case_id) FILTER (WHERE decision = 'offer_recommended')
            FROM ins GROUP BY decision
            UNION ALL
            SELECT CASE WHEN k.imported IS DISTINCT FROM k.facts_hash AND k.imported IS NOT NULL
                        THEN 'facts_mismatch' ELSE 'not_in_run' END,
                   count(*), array_agg(k.case_id)
            FROM chk k WHERE NOT k.member OR k.imported IS DISTINCT FROM k.facts_hash
            GROUP BY 1
            "#,
        )
        .bind(run_id)
        .bind(&rules.name)
        .bind(&rules.version)
        .bind(&rules.hash)
        .bind(worker)
        .bind(&case_ids)
        .bind(&job_ids)
        .bind(&decisions)
        .bind(&scores)
        .bind(&fired)
        .bind(&facts)
        .fetch_all(&mut *conn)
        .await?;
        for (decision, count, ids) in rows {
            let ids = ids.unwrap_or_default().into_iter();
            let refused = match decision.as_str() {
                FACTS_MISMATCH => FACTS_MISMATCH,
                NOT_IN_RUN => NOT_IN_RUN,
                _ => {
                    if let Ok(d) = decision.parse::<Decision>() {
                        inserted.counts.push((run_id, d, count as u64));
                    }
                    inserted.recommended.extend(ids.map(|id| (run_id, id)));
                    continue;
                }
            };
            inserted.refused.extend(ids.map(|id| (run_id, id, refused)));
        }
    }
    Ok(inserted)
}

/// A stored outcome, as `docket show` prints it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StoredOutcome {
    /// Case id.
    pub case_id: String,
    /// Job id.
    pub job_id: Uuid,
    /// Decision.
    #[schema(value_type = crate::domain::Decision)]
    pub decision: String,
    /// Score.
    pub score: i32,
    /// Fired rules, `[{id, kind, reason, points}]`.
    #[schema(value_type = Vec<crate::domain::FiredRule>)]
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

/// Makes the cases of an open run's jobs members of it when they were never imported (their
/// records are stored first) or carry exactly the imported facts; negative sequence numbers keep
/// them out of enqueue's watermark. Runs inside the batch's transaction, before [`insert_batch`].
pub async fn join_open_run(
    conn: &mut PgConnection,
    run_id: i64,
    cases: &[crate::domain::Case],
) -> Result<(), StoreError> {
    super::cases::insert_missing(conn, cases).await?;
    let ids: Vec<&str> = cases.iter().map(|c| c.case_id.as_str()).collect();
    let hashes: Vec<String> = cases
        .iter()
        .map(|c| super::cases::facts_hash(&c.to_json()))
        .collect();
    sqlx::query(
        r#"
        INSERT INTO run_cases (run_id, case_id, seq)
        SELECT $1, t.case_id, -nextval('run_cases_joined_seq')
        FROM UNNEST($2::text[], $3::text[]) AS t(case_id, facts_hash)
        JOIN cases c ON c.case_id = t.case_id AND c.facts_hash = t.facts_hash
        ON CONFLICT (run_id, case_id) DO NOTHING
        "#,
    )
    .bind(run_id)
    .bind(&ids)
    .bind(&hashes)
    .execute(&mut *conn)
    .await?;
    Ok(())
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

/// Outcomes recorded for a run.
pub async fn count(pool: &PgPool, run_id: i64) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM outcomes WHERE run_id = $1")
            .bind(run_id)
            .fetch_one(pool)
            .await?,
    )
}
