//! The domain core: case records, validation, decisions and job messages. No I/O here.

mod case;
pub(crate) mod checked;
mod decision;
mod fields;
mod job;
mod lifecycle;
mod notice;
mod outcome;
mod parse;

pub use case::{
    Address, Case, CaseType, Confidential, Conviction, Counsel, Custody, Factors, Flags,
    OffenseCategory, OffenseLevel, PendingPetition, PetitionStatus, Respondent,
};
pub use decision::{Decision, Evaluation, FiredRule, RuleKind, Verdict};
pub use fields::{
    ANumber, CaseId, CountryCode, CourtCode, Date, EmailAddress, EoirId, LanguageCode, ShortText,
    StateCode,
};
pub use job::{
    BATCH_SCHEMA, DecodedJob, JobMessage, MAX_BATCH_JOBS, SINGLE_SCHEMA, decode_message,
    validate_run_name,
};
pub use lifecycle::{Action, IllegalTransition, OfferState, Requirements, allowed, next};
pub use notice::{
    Channel, NoticeContext, NoticeKind, NoticePayload, PlannedNotice, Recipient, idempotency_key,
    plan_notices,
};
pub use outcome::{
    CaseGroups, DeadLetter, FACTS_MISMATCH, NOT_IN_RUN, NewOutcome, RulesRef, facts_hash,
    facts_hash_hex,
};
pub use parse::{CaseDates, FieldError, check_dates, decode_json};

#[cfg(test)]
mod tests;
