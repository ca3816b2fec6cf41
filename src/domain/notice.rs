//! Notices: what a lifecycle transition tells the respondent and counsel of record, and through
//! which channel. The payload carries what a template needs and nothing confidential.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::case::{Address, Case};

/// Why a notice is sent: the transition it reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// An offer of administrative closure, with its deadline.
    Offer,
    /// A reminder that the offer's deadline is near.
    Reminder,
    /// The respondent accepted; a motion to close will be filed.
    Accepted,
    /// The respondent declined; proceedings continue.
    Declined,
    /// No answer by the deadline; proceedings continue.
    Expired,
    /// The case was administratively closed.
    Closed,
    /// A closed case was put back on the calendar.
    Recalendared,
}

impl NoticeKind {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Offer => "offer",
            Self::Reminder => "reminder",
            Self::Accepted => "accepted",
            Self::Declined => "declined",
            Self::Expired => "expired",
            Self::Closed => "closed",
            Self::Recalendared => "recalendared",
        }
    }
}

/// Who a notice is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    /// The person in proceedings.
    Respondent,
    /// Counsel of record (8 CFR 292.5).
    Counsel,
}

impl Recipient {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Respondent => "respondent",
            Self::Counsel => "counsel",
        }
    }
}

/// How a notice travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Email through SMTP.
    Email,
    /// A printed letter to the postal address.
    Letter,
}

impl Channel {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Letter => "letter",
        }
    }
}

/// Everything a template needs to write one notice. Personal data: never logged. It deliberately has
/// no field for the asylum or VAWA/T/U flags, so no template can print them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticePayload {
    /// The transition reported.
    pub kind: NoticeKind,
    /// Who receives it.
    pub recipient: Recipient,
    /// ISO 639-1 language to write it in (the respondent's language; counsel gets English).
    pub language: String,
    /// Name of the addressee.
    pub addressee_name: String,
    /// Postal address of the addressee (letters).
    pub address: Option<Address>,
    /// Email of the addressee (emails).
    pub email: Option<String>,
    /// Respondent's full name (caption).
    pub respondent_name: String,
    /// Respondent's A-number (caption; inside the letter only, never on an envelope).
    pub a_number: String,
    /// Case id.
    pub case_id: String,
    /// Court code.
    pub court: String,
    /// Next hearing date, if set.
    pub next_hearing: Option<NaiveDate>,
    /// Counsel's name, when represented (so the respondent's copy can name counsel).
    pub counsel_name: Option<String>,
    /// Response deadline of the offer (offer and reminder notices).
    pub deadline: Option<NaiveDate>,
    /// Days the respondent has to answer (offer notices).
    pub deadline_days: Option<u32>,
    /// Closure mechanism of the rule set (`admin_closure`, `dismissal_without_prejudice`, `termination`).
    pub closure_mechanism: String,
    /// Date the notice was issued.
    pub issued_on: NaiveDate,
}

/// One notice to queue: recipient, channel and payload.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedNotice {
    /// Recipient.
    pub recipient: Recipient,
    /// Channel.
    pub channel: Channel,
    /// Payload.
    pub payload: NoticePayload,
}

/// Facts of the transition that every notice of it shares.
#[derive(Debug, Clone)]
pub struct NoticeContext {
    /// The transition reported.
    pub kind: NoticeKind,
    /// Offer deadline, if any.
    pub deadline: Option<NaiveDate>,
    /// Days to answer, if any.
    pub deadline_days: Option<u32>,
    /// Closure mechanism name.
    pub closure_mechanism: String,
    /// Issue date.
    pub issued_on: NaiveDate,
}

/// The notices a transition sends (8 CFR 292.5: counsel of record, and a copy to the respondent):
/// the respondent always gets a letter, and an email too when they gave one; counsel gets an email
/// when an address is known, otherwise a letter.
pub fn plan_notices(case: &Case, ctx: &NoticeContext) -> Vec<PlannedNotice> {
    let r = &case.respondent;
    let respondent_name = format!("{} {}", r.given_name.as_str(), r.family_name.as_str());
    let counsel_name = case.counsel.as_ref().map(|c| c.name.as_str().to_string());
    let base = |recipient, language: &str, addressee: String, address, email| NoticePayload {
        kind: ctx.kind,
        recipient,
        language: language.to_string(),
        addressee_name: addressee,
        address,
        email,
        respondent_name: respondent_name.clone(),
        a_number: case.a_number.as_str().to_string(),
        case_id: case.case_id.as_str().to_string(),
        court: case.court.as_str().to_string(),
        next_hearing: case.next_hearing.map(|d| d.naive()),
        counsel_name: counsel_name.clone(),
        deadline: ctx.deadline,
        deadline_days: ctx.deadline_days,
        closure_mechanism: ctx.closure_mechanism.clone(),
        issued_on: ctx.issued_on,
    };
    let mut out = Vec::with_capacity(3);
    let lang = r.language.as_str();
    out.push(PlannedNotice {
        recipient: Recipient::Respondent,
        channel: Channel::Letter,
        payload: base(
            Recipient::Respondent,
            lang,
            respondent_name.clone(),
            Some(r.address.clone()),
            None,
        ),
    });
    if let Some(email) = &r.email {
        out.push(PlannedNotice {
            recipient: Recipient::Respondent,
            channel: Channel::Email,
            payload: base(
                Recipient::Respondent,
                lang,
                respondent_name.clone(),
                None,
                Some(email.as_str().to_string()),
            ),
        });
    }
    if let Some(c) = &case.counsel {
        let (channel, address, email) = match &c.email {
            Some(e) => (Channel::Email, None, Some(e.as_str().to_string())),
            None => (Channel::Letter, c.address.clone(), None),
        };
        if channel == Channel::Email || address.is_some() {
            out.push(PlannedNotice {
                recipient: Recipient::Counsel,
                channel,
                payload: base(
                    Recipient::Counsel,
                    "en",
                    c.name.as_str().to_string(),
                    address,
                    email,
                ),
            });
        }
    }
    out
}

/// The outbox key of a notice: one per (transition, recipient, channel).
pub fn idempotency_key(
    run_id: i64,
    case_id: &str,
    transition_id: i64,
    n: &PlannedNotice,
) -> String {
    format!(
        "{run_id}/{case_id}/{transition_id}/{}/{}",
        n.recipient.as_str(),
        n.channel.as_str()
    )
}
