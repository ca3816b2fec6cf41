//! The `outcomes` table: one decision per (run, case), written a batch at a time.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::StoreError;
use crate::domain::{Decision, Evaluation};
pub use crate::domain::{FACTS_MISMATCH, NOT_IN_RUN, NewOutcome, RulesRef};
use crate::rules::{EvalContext, RuleSet};

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
/// one): what is the same for the whole run (run id, worker) is sent once, not per row, the rule
/// set is on the run only, each fired rule is stored by its id (its words are the rule set's),
/// and only counts and the new recommendations come back. A (run, case) that already has an
/// outcome is left as it is with [`Existing::Skip`]; with [`Existing::Fail`] the statement fails
/// instead (see [`already_recorded`]), and costs one descent of the outcome key a case less.
///
/// The imported record is the truth: in the same statement, an outcome is written only for a
/// member of the run whose facts hash equals the stored record's; the others come back in
/// [`Inserted::refused`] (a different stored record: [`FACTS_MISMATCH`]; no membership:
/// [`NOT_IN_RUN`]) for the caller to dead-letter.
pub async fn insert_batch(
    conn: &mut PgConnection,
    outcomes: &[NewOutcome],
    worker: &str,
    existing: Existing,
) -> Result<Inserted, StoreError> {
    let mut runs: Vec<i64> = outcomes.iter().map(|o| o.run_id).collect();
    runs.sort_unstable();
    runs.dedup();
    let mut inserted = Inserted::default();
    for run_id in runs {
        let group: Vec<&NewOutcome> = outcomes.iter().filter(|o| o.run_id == run_id).collect();
        let rows = insert_run(conn, run_id, &group, worker, existing).await?;
        tally(&mut inserted, run_id, rows);
    }
    Ok(inserted)
}

/// What [`insert_batch`] does with a case that already has an outcome in its run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Fail the statement, and with it the transaction: for a batch that expects none (a first
    /// delivery), which is then retried with [`Existing::Skip`] should one be there after all.
    /// `INSERT ... ON CONFLICT DO NOTHING` looks each key up before inserting it and a plain
    /// insert does not: on a 300,000-row copy of an outcome partition, 2.64 s against 1.68 s.
    Fail,
    /// Leave it as it is (`ON CONFLICT DO NOTHING`): for redeliveries, which may overlap
    /// outcomes already recorded.
    Skip,
}

/// Whether `e` is [`insert_batch`] meeting an outcome already recorded with [`Existing::Fail`]
/// (a unique violation on the outcome key of the run's partition).
pub fn already_recorded(e: &StoreError) -> bool {
    match e {
        StoreError::Query(sqlx::Error::Database(d)) => {
            d.is_unique_violation() && d.table().is_some_and(|t| t.starts_with("outcomes"))
        }
        _ => false,
    }
}

/// The batch statement of [`insert_run`], with what follows the insert's `SELECT` (`ON CONFLICT
/// DO NOTHING` or nothing) as `$existing`. Each row comes back as a [`RunTally`].
macro_rules! insert_run_query {
    ($existing:literal, $conn:expr, $run_id:expr, $worker:expr, $c:expr) => {
        sqlx::query!(
            r#"
            WITH chk AS (
                SELECT t.*, rc.case_id IS NOT NULL AS member, c.facts_hash AS imported, c.court
                FROM UNNEST($3::text[], $4::uuid[], $5::text[], $6::int[], $7::text[], $8::text[],
                            $9::text[], $10::text[], $11::bool[], $12::text[], $13::bool[])
                     AS t(case_id, job_id, decision, score, fired_ids, facts_hash,
                          nationality, language, represented, custody, petition)
                LEFT JOIN run_cases rc ON rc.run_id = $1 AND rc.case_id = t.case_id
                LEFT JOIN cases c ON c.case_id = t.case_id
            ), ins AS (
                INSERT INTO outcomes (run_id, case_id, job_id, decision, score, fired_ids,
                                      facts_hash, worker, court, nationality, language,
                                      represented, custody, petition)
                SELECT $1, k.case_id, k.job_id, k.decision, k.score, k.fired_ids, k.facts_hash, $2,
                       k.court, k.nationality, k.language, k.represented, k.custody, k.petition
                FROM chk k WHERE k.member AND k.imported = k.facts_hash
            "# + $existing + r#"
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
            $run_id,
            $worker,
            &$c.case_ids as &[&str],
            &$c.job_ids,
            &$c.decisions as &[&str],
            &$c.scores,
            &$c.fired_ids as &[&str],
            &$c.facts as &[&str],
            &$c.nationalities as &[&str],
            &$c.languages as &[&str],
            &$c.represented,
            &$c.custodies as &[&str],
            &$c.petitions
        )
        .fetch_all($conn)
        .await?
        .into_iter()
        .map(|r| (r.decision, r.count, r.ids))
        .collect()
    };
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
    fired_ids: Vec<&'a str>,
    facts: Vec<&'a str>,
    nationalities: Vec<&'a str>,
    languages: Vec<&'a str>,
    represented: Vec<bool>,
    custodies: Vec<&'static str>,
    petitions: Vec<bool>,
}

impl<'a> Columns<'a> {
    fn of(group: &[&'a NewOutcome]) -> Self {
        let n = group.len();
        let mut c = Columns {
            case_ids: Vec::with_capacity(n),
            job_ids: Vec::with_capacity(n),
            decisions: Vec::with_capacity(n),
            scores: Vec::with_capacity(n),
            fired_ids: Vec::with_capacity(n),
            facts: Vec::with_capacity(n),
            nationalities: Vec::with_capacity(n),
            languages: Vec::with_capacity(n),
            represented: Vec::with_capacity(n),
            custodies: Vec::with_capacity(n),
            petitions: Vec::with_capacity(n),
        };
        for o in group {
            c.case_ids.push(o.case_id.as_str());
            c.job_ids.push(o.job_id);
            c.decisions.push(o.verdict.decision.as_str());
            c.scores.push(o.verdict.score);
            c.fired_ids.push(o.verdict.fired_ids.as_str());
            c.facts.push(o.facts_hash.as_str());
            c.nationalities.push(o.groups.nationality.as_str());
            c.languages.push(o.groups.language.as_str());
            c.represented.push(o.groups.represented);
            c.custodies.push(o.groups.custody);
            c.petitions.push(o.groups.petition);
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
    existing: Existing,
) -> Result<Vec<RunTally>, StoreError> {
    let c = Columns::of(group);
    Ok(match existing {
        Existing::Fail => insert_run_query!("", &mut *conn, run_id, worker, c),
        Existing::Skip => insert_run_query!(
            "ON CONFLICT (run_id, case_id) DO NOTHING",
            &mut *conn,
            run_id,
            worker,
            c
        ),
    })
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

/// The outcome of one case in one run, if it has been reviewed, with every fired rule in words:
/// as stored for rows written before outcomes kept only rule ids, otherwise put in words again
/// from the run's stored rule set (see [`crate::rules::RuleSet::explain`]). The rule set's name,
/// version and hash are the run's.
pub async fn find(
    pool: &PgPool,
    run_id: i64,
    case_id: &str,
) -> Result<Option<StoredOutcome>, StoreError> {
    let Some(r) = sqlx::query!(
        r#"SELECT o.case_id, o.job_id, o.decision, o.score, o.fired AS "fired?",
                  o.fired_ids AS "fired_ids?",
                  coalesce(o.rules_name, r.rules_name) AS "rules_name!",
                  coalesce(o.rules_version, r.rules_version) AS "rules_version!",
                  coalesce(o.rules_hash, r.rules_hash) AS "rules_hash!",
                  r.rules_text, r.as_of, r.courts, o.facts_hash, o.decided_at, o.worker
           FROM outcomes o JOIN runs r ON r.id = o.run_id
           WHERE o.run_id = $1 AND o.case_id = $2"#,
        run_id,
        case_id
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let fired = match r.fired {
        Some(words) => words,
        None => {
            let ctx = EvalContext {
                as_of: r.as_of,
                courts: r.courts,
            };
            let ids = r.fired_ids.unwrap_or_default();
            let evaluation = explain(&r.rules_text, &r.decision, r.score, &ids, &ctx)
                .map_err(|why| StoreError::Unexplained { run_id, why })?;
            serde_json::to_value(&evaluation.fired).expect("fired rules serialize")
        }
    };
    Ok(Some(StoredOutcome {
        case_id: r.case_id,
        job_id: r.job_id,
        decision: r.decision,
        score: r.score,
        fired,
        rules_name: r.rules_name,
        rules_version: r.rules_version,
        rules_hash: r.rules_hash,
        facts_hash: r.facts_hash,
        decided_at: r.decided_at,
        worker: r.worker,
    }))
}

/// The evaluation a stored verdict stands for under the rule set `rules_text`.
fn explain(
    rules_text: &str,
    decision: &str,
    score: i32,
    fired_ids: &str,
    ctx: &EvalContext,
) -> Result<Evaluation, String> {
    let rules = RuleSet::from_toml(rules_text).map_err(|e| e.to_string())?;
    let decision: Decision = decision.parse()?;
    rules
        .explain(decision, score, fired_ids, ctx)
        .map_err(|e| e.to_string())
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
