//! What reviewing a job comes to, as values: the outcome to record, the dead letter to publish,
//! and the hash that identifies the facts a decision was made on. No I/O: the review step plans
//! these, the store and the queue write them.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Verdict;

/// One outcome ready to be written.
#[derive(Debug, Clone)]
pub struct NewOutcome {
    /// Run id.
    pub run_id: i64,
    /// Case id.
    pub case_id: String,
    /// Job that carried the case.
    pub job_id: Uuid,
    /// The verdict (the reasons are not stored: they follow from it and the run's rule set).
    pub verdict: Verdict,
    /// sha256 of the case facts decided on.
    pub facts_hash: String,
    /// What the audit report groups the case by, as decided on.
    pub groups: CaseGroups,
}

/// The values of a case that the audit report groups by besides its court (which the store takes
/// from the imported record's key): kept on the outcome, so that a run's cases are counted by
/// group from its outcomes alone. The same values as the `cases` columns of the same names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseGroups {
    /// The respondent's nationality (country code).
    pub nationality: String,
    /// The respondent's best language (language code).
    pub language: String,
    /// Whether counsel is of record.
    pub represented: bool,
    /// The custody code.
    pub custody: &'static str,
    /// Whether a petition is pending or approved (the report's relief group).
    pub petition: bool,
}

impl CaseGroups {
    /// The groups of `case`.
    pub fn of(case: &super::Case) -> Self {
        CaseGroups {
            nationality: case.respondent.nationality.as_str().to_string(),
            language: case.respondent.language.as_str().to_string(),
            represented: case.counsel.is_some(),
            custody: case.custody.code(),
            petition: case.factors.pending_petition.is_some(),
        }
    }
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

/// A message to dead-letter: the body to keep and why.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    /// The body to preserve (the original message, or one job re-wrapped as a single-case message).
    pub body: Vec<u8>,
    /// Category: `decode`, `validation`, `unknown_run`, `too_large`, `delivery_limit`,
    /// `facts_mismatch`, `not_in_run`.
    pub kind: &'static str,
    /// Field path that was refused.
    pub field: String,
    /// Reason, free of personal data.
    pub reason: String,
    /// Run named by the message, if it could be read.
    pub run_id: Option<String>,
    /// Times the broker had delivered the message before (`x-delivery-count`).
    pub deliveries: u64,
}

/// sha256 (hex) of a case's canonical JSON: identifies the facts a decision was made on.
pub fn facts_hash(canonical_json: &str) -> String {
    let hex = facts_hash_hex(canonical_json.as_bytes());
    std::str::from_utf8(&hex).expect("hex digits").to_owned()
}

/// [`facts_hash`] as its 64 hex digits, without allocating.
pub fn facts_hash_hex(canonical_json: &[u8]) -> [u8; 64] {
    let mut hex = [0u8; 64];
    hex::encode_to_slice(Sha256::digest(canonical_json), &mut hex).expect("64 digits for 32 bytes");
    hex
}

/// Dead-letter kind of a job whose facts differ from the imported record of its case.
pub const FACTS_MISMATCH: &str = "facts_mismatch";
/// Dead-letter kind of a job whose case is not a member of its run.
pub const NOT_IN_RUN: &str = "not_in_run";
