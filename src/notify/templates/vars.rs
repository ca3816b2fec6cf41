//! The variables a notice template sees: the payload's values formatted for one language.

use serde::Serialize;

use super::Office;
use super::common::{Words, mask_a_number};
use crate::domain::NoticePayload;

/// Every variable a template may use; `office` has the fields of [`OFFICE_FIELDS`].
pub const VARIABLES: &[&str] = &[
    "kind",
    "recipient",
    "language",
    "respondent_name",
    "addressee_name",
    "a_number",
    "court",
    "court_code",
    "hearing",
    "deadline",
    "deadline_days",
    "issued",
    "counsel_name",
    "closure_mechanism",
    "office",
    "office_address",
    "page",
    "pages",
];

/// The fields of `office`.
pub const OFFICE_FIELDS: &[&str] = &["name", "agency", "address", "email", "phone", "hours"];

/// A template's variables. Optional values are `none` when unset: a template prints them with a
/// fallback (`{{ deadline or "the deadline" }}`) or tests them (`{% if hearing is not none %}`).
/// Line breaks in the payload's and office's texts are spaces here, so a value can never start a
/// section, heading or list item of the rendered markup.
#[derive(Debug, Serialize)]
pub struct Vars<'a> {
    /// Notice kind (`offer`, `reminder`, …).
    kind: &'static str,
    /// `respondent` or `counsel`.
    recipient: &'static str,
    /// The respondent's language code, as recorded.
    language: String,
    /// Respondent's name (caption).
    respondent_name: String,
    /// Addressee's name (salutation).
    addressee_name: String,
    /// A-number, in full or masked (`A******678`) for a respondent's email.
    a_number: String,
    /// Court name in the notice's language.
    court: String,
    /// EOIR court code.
    court_code: String,
    /// Next hearing, formatted in the notice's language.
    hearing: Option<String>,
    /// Response deadline, formatted.
    deadline: Option<String>,
    /// Days the respondent has to answer.
    deadline_days: Option<u32>,
    /// Issue date, formatted.
    issued: String,
    /// Counsel of record's name, when represented.
    counsel_name: Option<String>,
    /// Closure mechanism code of the rule set (`admin_closure`, …).
    closure_mechanism: &'a str,
    /// The office that signs and receives answers.
    office: Office,
    /// The office's name and postal address on one line.
    office_address: String,
    /// Where a letter's page number goes in the `[page]` footer ([`PAGE`]).
    page: &'static str,
    /// Where its number of pages goes ([`PAGES`]).
    pages: &'static str,
}

/// Stands for the page number in a rendered `[page]` footer; the letter's layout replaces it.
pub const PAGE: &str = "\u{F8F0}";
/// Stands for the number of pages in a rendered `[page]` footer.
pub const PAGES: &str = "\u{F8F1}";

impl<'a> Vars<'a> {
    /// The variables of `p` in the language of `words`, the A-number in full or masked.
    pub fn new(p: &'a NoticePayload, words: &Words, office: &Office, full_a: bool) -> Self {
        let office = Office {
            name: flat(&office.name),
            agency: flat(&office.agency),
            address: office.address.iter().map(|l| flat(l)).collect(),
            email: flat(&office.email),
            phone: flat(&office.phone),
            hours: office.hours.as_deref().map(flat),
        };
        let mut address = vec![office.name.clone()];
        address.extend(office.address.iter().cloned());
        Self {
            kind: p.kind.as_str(),
            recipient: p.recipient.as_str(),
            language: flat(&p.language),
            respondent_name: flat(&p.respondent_name),
            addressee_name: flat(&p.addressee_name),
            a_number: flat(&if full_a {
                p.a_number.clone()
            } else {
                mask_a_number(&p.a_number)
            }),
            court: flat(&words.court(&p.court)),
            court_code: flat(&p.court),
            hearing: p.next_hearing.map(|d| words.date(d)),
            deadline: p.deadline.map(|d| words.date(d)),
            deadline_days: p.deadline_days,
            issued: words.date(p.issued_on),
            counsel_name: p.counsel_name.as_deref().map(flat),
            closure_mechanism: &p.closure_mechanism,
            office,
            office_address: address.join(", "),
            page: PAGE,
            pages: PAGES,
        }
    }

    /// The issue date as formatted.
    pub fn issued(&self) -> &str {
        &self.issued
    }
}

/// `s` with its line breaks as spaces.
fn flat(s: &str) -> String {
    if s.contains(['\n', '\r']) {
        s.replace(['\n', '\r'], " ")
    } else {
        s.to_string()
    }
}
