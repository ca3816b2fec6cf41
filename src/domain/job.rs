//! Review-job messages (DESIGN.md contract): the single form and the batch form.

use serde::Deserialize;
use serde_json::value::RawValue;
use uuid::Uuid;

use super::case::Case;
use super::parse::{FieldError, decode_json};

/// Schema name of a single-case job message.
pub const SINGLE_SCHEMA: &str = "docket.review/v1";
/// Schema name of a batch job message.
pub const BATCH_SCHEMA: &str = "docket.review.batch/v1";
/// Most jobs a batch message may carry.
pub const MAX_BATCH_JOBS: usize = 1000;

/// A decoded message: the run it belongs to and its jobs, each judged on its own.
#[derive(Debug)]
pub struct JobMessage {
    /// Name of the run.
    pub run_id: String,
    /// Whether the message used the batch form.
    pub batch: bool,
    /// The jobs, in message order.
    pub jobs: Vec<DecodedJob>,
}

/// One job of a message: its id, and the case or the reason it was refused.
#[derive(Debug)]
pub struct DecodedJob {
    /// The job id, when it could be read.
    pub job_id: Option<Uuid>,
    /// The validated case, or why it was refused (field path relative to the job).
    pub case: Result<Case, FieldError>,
    /// The job's case exactly as received, kept only when the job is refused, so that it can be
    /// dead-lettered alone.
    pub raw_case: Option<Box<RawValue>>,
    /// The whole job element of a batch message as received, kept only when the job is refused
    /// (None for the single form).
    pub raw_job: Option<Box<RawValue>>,
}

// Raw values borrow from the message body: nothing is copied until a job is refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope<'a> {
    schema: String,
    run_id: String,
    #[serde(default, borrow)]
    job_id: Option<&'a RawValue>,
    #[serde(default, borrow)]
    case: Option<&'a RawValue>,
    #[serde(default, borrow)]
    jobs: Option<Vec<&'a RawValue>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchJob<'a> {
    #[serde(borrow)]
    job_id: &'a RawValue,
    #[serde(borrow)]
    case: &'a RawValue,
}

/// Checks a run name: 1–64 characters of `[A-Za-z0-9._-]`.
pub fn validate_run_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 64 {
        return Err("must be 1 to 64 characters".into());
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Err("may contain only letters, digits, '.', '_' and '-'".into());
    }
    Ok(())
}

/// Decodes a message body. An error here refuses the whole message; a refused job inside a valid
/// message is reported in its [`DecodedJob::case`].
pub fn decode_message(body: &[u8]) -> Result<JobMessage, FieldError> {
    let env: Envelope = decode_json(body)?;
    validate_run_name(&env.run_id).map_err(|r| FieldError::new("run_id", r))?;
    match env.schema.as_str() {
        SINGLE_SCHEMA => {
            if env.jobs.is_some() {
                return Err(FieldError::new(
                    "jobs",
                    "is not allowed in a single-case message",
                ));
            }
            let raw_id = env
                .job_id
                .ok_or_else(|| FieldError::new("job_id", "is required"))?;
            let job_id = parse_job_id(raw_id).map_err(|r| FieldError::new("job_id", r))?;
            let raw_case = env
                .case
                .ok_or_else(|| FieldError::new("case", "is required"))?;
            let case = Case::from_json(raw_case.get().as_bytes()).map_err(|e| e.within("case"));
            let raw_case = case.is_err().then(|| raw_case.to_owned());
            Ok(JobMessage {
                run_id: env.run_id,
                batch: false,
                jobs: vec![DecodedJob {
                    job_id: Some(job_id),
                    case,
                    raw_case,
                    raw_job: None,
                }],
            })
        }
        BATCH_SCHEMA => {
            if env.job_id.is_some() || env.case.is_some() {
                return Err(FieldError::new(
                    "job_id",
                    "job_id and case belong inside jobs[] in a batch message",
                ));
            }
            let jobs = env
                .jobs
                .ok_or_else(|| FieldError::new("jobs", "is required"))?;
            if jobs.is_empty() || jobs.len() > MAX_BATCH_JOBS {
                return Err(FieldError::new(
                    "jobs",
                    format!("must hold 1 to {MAX_BATCH_JOBS} jobs"),
                ));
            }
            let jobs = jobs
                .into_iter()
                .enumerate()
                .map(|(i, raw)| {
                    let mut job = decode_batch_job(i, raw);
                    if job.case.is_err() {
                        job.raw_job = Some(raw.to_owned());
                    }
                    job
                })
                .collect();
            Ok(JobMessage {
                run_id: env.run_id,
                batch: true,
                jobs,
            })
        }
        _ => Err(FieldError::new(
            "schema",
            format!("must be \"{SINGLE_SCHEMA}\" or \"{BATCH_SCHEMA}\""),
        )),
    }
}

fn decode_batch_job(index: usize, raw: &RawValue) -> DecodedJob {
    let prefix = || format!("jobs[{index}]");
    let job: BatchJob = match decode_json(raw.get().as_bytes()) {
        Ok(job) => job,
        Err(e) => {
            return DecodedJob {
                job_id: None,
                case: Err(e.within(&prefix())),
                raw_case: None,
                raw_job: None,
            };
        }
    };
    let job_id = match parse_job_id(job.job_id) {
        Ok(id) => id,
        Err(r) => {
            return DecodedJob {
                job_id: None,
                case: Err(FieldError::new(format!("{}.job_id", prefix()), r)),
                raw_case: Some(job.case.to_owned()),
                raw_job: None,
            };
        }
    };
    let case = Case::from_json(job.case.get().as_bytes()).map_err(|e| e.within("case"));
    let raw_case = case.is_err().then(|| job.case.to_owned());
    DecodedJob {
        job_id: Some(job_id),
        case,
        raw_case,
        raw_job: None,
    }
}

fn parse_job_id(raw: &RawValue) -> Result<Uuid, String> {
    serde_json::from_str::<&str>(raw.get())
        .ok()
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| "must be a UUID string".to_string())
}
