//! The review step of a batch: decoded messages in, outcomes and dead letters out. No I/O.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::value::RawValue;

use super::runs::{Gate, LoadedRun, RunLookup};
use crate::domain::{
    Case, CaseGroups, DeadLetter, Decision, DecodedJob, FACTS_MISMATCH, FieldError, JobMessage,
    NewOutcome, SINGLE_SCHEMA, decode_message, facts_hash,
};

/// A message as received: its body, decoded or refused.
pub struct Received {
    /// Delivery tag on the consumer's channel.
    pub tag: u64,
    /// The decoded message, or why it was refused whole.
    pub decoded: Result<JobMessage, FieldError>,
    /// The body (kept to dead-letter it whole if needed).
    pub body: Vec<u8>,
    /// Times the broker had delivered the message before (its `x-delivery-count`).
    pub deliveries: u64,
    /// The dead-letter kind when the message was refused unread (too large, delivered too often).
    pub refused_as: Option<&'static str>,
}

impl Received {
    /// Decodes a delivery's body.
    pub fn decode(tag: u64, body: Vec<u8>) -> Self {
        let decoded = decode_message(&body);
        Self {
            tag,
            decoded,
            body,
            deliveries: 0,
            refused_as: None,
        }
    }

    /// A message refused without reading it: dead-lettered whole as `kind` with `reason`.
    pub fn refuse(tag: u64, body: Vec<u8>, kind: &'static str, reason: String) -> Self {
        Self {
            tag,
            decoded: Err(FieldError::new(".", reason)),
            body,
            deliveries: 0,
            refused_as: Some(kind),
        }
    }

    /// Jobs this message carries (1 when refused whole).
    pub fn job_count(&self) -> usize {
        self.decoded.as_ref().map_or(1, |m| m.jobs.len())
    }
}

/// What a batch comes to: outcomes to write and messages to dead-letter.
#[derive(Default)]
pub struct Plan {
    /// Outcomes to insert (one per run and case; duplicates inside the batch removed).
    pub outcomes: Vec<NewOutcome>,
    /// Where each outcome's job is in the batch: (message index, job index), parallel to
    /// `outcomes`, to dead-letter a job the database refuses.
    pub origins: Vec<(usize, usize)>,
    /// The cases of open runs' jobs, by run id: they join their run unless imported otherwise.
    pub joining: HashMap<i64, Vec<Case>>,
    /// Refused messages and jobs.
    pub dead_letters: Vec<DeadLetter>,
    /// Jobs received in the batch.
    pub jobs: usize,
    /// The cases whose outcome recommends an offer, by run id and case id (the offer and its
    /// notices need the record).
    pub recommended: HashMap<(i64, String), Case>,
    /// Recommended cases whose jobs in the batch carry different facts: their records are read
    /// from the database, never taken from a job.
    pub ambiguous: HashSet<(i64, String)>,
    /// The runs of the batch, by run id.
    pub runs: HashMap<i64, Arc<LoadedRun>>,
    /// Messages of paused runs, not reviewed: their index in the batch, by run name.
    pub parked: HashMap<String, Vec<usize>>,
    /// Jobs of cancelled runs, acknowledged without an outcome.
    pub cancelled: usize,
}

/// Reviews every job of the batch under its run's stored rule set, unless `gate` says the run is
/// paused (the message is parked) or cancelled (counted, no outcome). The messages in `split`
/// were cut into pieces to publish again: they carry no job here.
pub fn plan(
    batch: &[Received],
    runs: &HashMap<String, Result<Arc<LoadedRun>, RunLookup>>,
    gate: impl Fn(&str) -> Gate,
    split: &HashSet<usize>,
) -> Plan {
    let mut plan = Plan::default();
    let mut seen: HashSet<(i64, String, String)> = HashSet::new();
    for (index, msg) in batch.iter().enumerate() {
        if split.contains(&index) {
            continue;
        }
        plan.jobs += msg.job_count();
        let m = match &msg.decoded {
            Ok(m) => m,
            Err(e) => {
                let kind = msg.refused_as.unwrap_or_else(|| kind_of(e));
                plan.dead_letters.push(whole(msg, None, kind, e));
                continue;
            }
        };
        let run = match runs.get(&m.run_id) {
            Some(Ok(run)) => run,
            Some(Err(RunLookup::BadRules(why))) => {
                let e = FieldError::new(
                    "run_id",
                    format!("the run's stored rule set does not load: {why}"),
                );
                plan.dead_letters
                    .push(whole(msg, Some(&m.run_id), "unknown_run", &e));
                continue;
            }
            _ => {
                let e =
                    FieldError::new("run_id", "names no run; create it with `docket run create`");
                plan.dead_letters
                    .push(whole(msg, Some(&m.run_id), "unknown_run", &e));
                continue;
            }
        };
        match gate(&m.run_id) {
            Gate::Park => {
                plan.parked.entry(m.run_id.clone()).or_default().push(index);
                continue;
            }
            Gate::Drop => {
                plan.cancelled += m.jobs.len();
                continue;
            }
            Gate::Review | Gate::Throttle(_) => {}
        }
        for (j, job) in m.jobs.iter().enumerate() {
            match &job.case {
                Ok(case) => plan.review(&mut seen, run, (index, j), job, case),
                Err(e) if !m.batch => {
                    plan.dead_letters
                        .push(whole(msg, Some(&m.run_id), "validation", e));
                }
                Err(e) => {
                    let mut letter = one_job(&m.run_id, job, e);
                    letter.deliveries = msg.deliveries;
                    plan.dead_letters.push(letter);
                }
            }
        }
    }
    plan
}

impl Plan {
    /// Reviews one valid job. Jobs of a case that carry the same facts are reviewed once; jobs of
    /// a case that carry different facts are each planned, for the database to keep the one that
    /// matches the imported record. Such a case's record is then not taken from the batch.
    fn review(
        &mut self,
        seen: &mut HashSet<(i64, String, String)>,
        run: &Arc<LoadedRun>,
        origin: (usize, usize),
        job: &DecodedJob,
        case: &Case,
    ) {
        let case_id = case.case_id.as_str().to_string();
        let hash = facts_hash(&case.to_json());
        if !seen.insert((run.id, case_id.clone(), hash.clone())) {
            return;
        }
        if run.open {
            self.joining.entry(run.id).or_default().push(case.clone());
        }
        self.origins.push(origin);
        let verdict = run.rules.verdict(case, &run.ctx);
        if verdict.decision == Decision::OfferRecommended {
            let key = (run.id, case_id.clone());
            if self.recommended.remove(&key).is_some() || self.ambiguous.contains(&key) {
                self.ambiguous.insert(key);
            } else {
                self.recommended.insert(key, case.clone());
            }
            self.runs.entry(run.id).or_insert_with(|| run.clone());
        }
        self.outcomes.push(NewOutcome {
            run_id: run.id,
            case_id,
            job_id: job.job_id.expect("a job with a valid case has an id"),
            verdict,
            facts_hash: hash,
            groups: CaseGroups::of(case),
        });
    }
}

/// Dead letters for the jobs the database refused against the imported record (see
/// `store::outcomes::insert_batch`): each job alone, as received, with its kind.
pub fn refused_letters(
    batch: &[Received],
    plan: &Plan,
    refused: &[(i64, String, &'static str)],
) -> Vec<DeadLetter> {
    if refused.is_empty() {
        return Vec::new();
    }
    let wanted: HashMap<(i64, &str), &'static str> = refused
        .iter()
        .map(|(run, case, kind)| ((*run, case.as_str()), *kind))
        .collect();
    let mut letters = Vec::with_capacity(refused.len());
    for (outcome, &(index, j)) in plan.outcomes.iter().zip(&plan.origins) {
        let Some(&kind) = wanted.get(&(outcome.run_id, outcome.case_id.as_str())) else {
            continue;
        };
        let msg = &batch[index];
        let Ok(m) = &msg.decoded else { continue };
        let reason = if kind == FACTS_MISMATCH {
            "the case's facts differ from its imported record; jobs must carry the imported \
             case (docket enqueue publishes it)"
        } else {
            "the case is not a member of the run; new cases join only a run created with \
             `docket run create NAME --open`"
        };
        let body = if m.batch {
            job_of_batch(&msg.body, &m.run_id, j)
        } else {
            Some(msg.body.clone())
        };
        letters.push(DeadLetter {
            body: body.unwrap_or_else(|| msg.body.clone()),
            kind,
            field: "case".into(),
            reason: reason.into(),
            run_id: Some(m.run_id.clone()),
            deliveries: msg.deliveries,
        });
    }
    letters
}

/// Job `j` of a batch message as a one-job batch message, exactly as received.
fn job_of_batch(body: &[u8], run_id: &str, j: usize) -> Option<Vec<u8>> {
    #[derive(serde::Deserialize)]
    struct Jobs<'a> {
        #[serde(borrow)]
        jobs: Vec<&'a RawValue>,
    }
    let jobs: Jobs = serde_json::from_slice(body).ok()?;
    let raw = jobs.jobs.get(j)?;
    Some(
        format!(
            r#"{{"schema":"docket.review.batch/v1","run_id":{},"jobs":[{}]}}"#,
            serde_json::to_string(run_id).expect("string serializes"),
            raw.get()
        )
        .into_bytes(),
    )
}

fn kind_of(e: &FieldError) -> &'static str {
    if e.field == "." {
        "decode"
    } else {
        "validation"
    }
}

fn whole(msg: &Received, run: Option<&str>, kind: &'static str, e: &FieldError) -> DeadLetter {
    DeadLetter {
        body: msg.body.clone(),
        kind,
        field: e.field.clone(),
        reason: e.reason.clone(),
        run_id: run.map(str::to_string),
        deliveries: msg.deliveries,
    }
}

/// A refused job of a batch, dead-lettered alone: as a single-case message when its id and case
/// could be read, otherwise as a one-job batch holding the job exactly as received.
fn one_job(run_id: &str, job: &DecodedJob, e: &FieldError) -> DeadLetter {
    let body = match (&job.job_id, &job.raw_case) {
        (Some(id), Some(case)) => single_body(run_id, &id.to_string(), case),
        _ => {
            let raw = job.raw_job.as_ref().map_or("null", |r| r.get());
            format!(
                r#"{{"schema":"docket.review.batch/v1","run_id":{},"jobs":[{raw}]}}"#,
                serde_json::to_string(run_id).expect("string serializes")
            )
        }
    };
    DeadLetter {
        body: body.into_bytes(),
        kind: "validation",
        field: e.field.clone(),
        reason: e.reason.clone(),
        run_id: Some(run_id.to_string()),
        deliveries: 0,
    }
}

fn single_body(run_id: &str, job_id: &str, case: &RawValue) -> String {
    format!(
        r#"{{"schema":"{SINGLE_SCHEMA}","job_id":"{job_id}","run_id":{},"case":{}}}"#,
        serde_json::to_string(run_id).expect("string serializes"),
        case.get()
    )
}
