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
        let rows = insert_run(conn, run_id, &group, worker).await?;
        tally(&mut inserted, run_id, rows);
    }
    Ok(inserted)
}

/// One line of [`insert_run`]'s answer: a decision inserted (or [`FACTS_MISMATCH`],
/// [`NOT_IN_RUN`] for refused jobs), how many, and the case ids of recommendations and refusals.
type RunTally = (String, i64, Option<Vec<String>>);

/// Column arrays of one run's outcomes, for UNNEST.
struct Columns<'a> {
    case_ids: Vec<&'a str>,
    job_ids: Vec<Uuid>,
    decisions: Vec<&'static str>,
    scores: Vec<i32>,
    fired: Vec<String>,
    facts: Vec<&'a str>,
}

impl<'a> Columns<'a> {
    fn of(group: &[&'a NewOutcome]) -> Self {
        let n = group.len();
        let mut c = Columns {
            case_ids: Vec::with_capacity(n),
            job_ids: Vec::with_capacity(n),
            decisions: Vec::with_capacity(n),
            scores: Vec::with_capacity(n),
            fired: Vec::with_capacity(n),
            facts: Vec::with_capacity(n),
        };
        for o in group {
            c.case_ids.push(o.case_id.as_str());
            c.job_ids.push(o.job_id);
            c.decisions.push(o.evaluation.decision.as_str());
            c.scores.push(o.evaluation.score);
            c.fired
                .push(serde_json::to_string(&o.evaluation.fired).expect("fired rules serialize"));
            c.facts.push(o.facts_hash.as_str());
        }
        c
    }
}

/// The statement of [`insert_batch`] for the outcomes of one run (`group`, not empty).
async fn insert_run(
    conn: &mut PgConnection,
    run_id: i64,
    group: &[&NewOutcome],
    worker: &str,
) -> Result<Vec<RunTally>, StoreError> {
    let rules = &group[0].rules;
    let c = Columns::of(group);
    let rows = sqlx::query!(
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
        SELECT decision AS "decision!", count(*) AS "count!",
               array_agg(case_id) FILTER (WHERE decision = 'offer_recommended') AS ids
        FROM ins GROUP BY decision
        UNION ALL
        SELECT CASE WHEN k.imported IS DISTINCT FROM k.facts_hash AND k.imported IS NOT NULL
                    THEN 'facts_mismatch' ELSE 'not_in_run' END,
               count(*), array_agg(k.case_id)
        FROM chk k WHERE NOT k.member OR k.imported IS DISTINCT FROM k.facts_hash
        GROUP BY 1
        "#,
        run_id,
        &rules.name,
        &rules.version,
        &rules.hash,
        worker,
        &c.case_ids as &[&str],
        &c.job_ids,
        &c.decisions as &[&str],
        &c.scores,
        &c.fired,
        &c.facts as &[&str]
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.decision, r.count, r.ids))
        .collect())
}

/// Adds one run's lines to what the batch recorded.
fn tally(inserted: &mut Inserted, run_id: i64, rows: Vec<RunTally>) {
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
    sqlx::query!(
        r#"
        INSERT INTO run_cases (run_id, case_id, seq)
        SELECT $1, t.case_id, -nextval('run_cases_joined_seq')
        FROM UNNEST($2::text[], $3::text[]) AS t(case_id, facts_hash)
        JOIN cases c ON c.case_id = t.case_id AND c.facts_hash = t.facts_hash
        ON CONFLICT (run_id, case_id) DO NOTHING
        "#,
        run_id,
        &ids as &[&str],
        &hashes
    )
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
    Ok(sqlx::query_as!(
        StoredOutcome,
        r#"SELECT case_id, job_id, decision, score, fired, rules_name, rules_version, rules_hash,
                  facts_hash, decided_at, worker
           FROM outcomes WHERE run_id = $1 AND case_id = $2"#,
        run_id,
        case_id
    )
    .fetch_optional(pool)
    .await?)
}

/// Every decision of a run, by case id (for checks and audits).
pub async fn decisions(pool: &PgPool, run_id: i64) -> Result<Vec<(String, String)>, StoreError> {
    Ok(sqlx::query!(
        "SELECT case_id, decision FROM outcomes WHERE run_id = $1 ORDER BY case_id",
        run_id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| (r.case_id, r.decision))
    .collect())
}

/// Outcomes recorded for a run.
pub async fn count(pool: &PgPool, run_id: i64) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM outcomes WHERE run_id = $1"#,
        run_id
    )
    .fetch_one(pool)
    .await?)
}
