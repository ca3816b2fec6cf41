//! Notice templates: a [`NoticePayload`] becomes a [`Notice`] (subject, caption, body blocks),
//! which the email channel prints as plain text and the letter channel lays out as a PDF.
//!
//! Pure functions, no I/O. The respondent reads English or Spanish; any other language gets the
//! English text with a short bilingual notice that interpreter help is available. Counsel of record
//! always reads English. The payload has no field for the confidential asylum or VAWA/T/U flags, and
//! no template text names them (a test checks every kind in every language).

pub mod check;
mod common;
mod counsel;
mod en;
mod engine;
mod es;
pub mod markup;
mod shipped;
mod text;
mod vars;

#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod tests_check;

use serde::{Deserialize, Serialize};

use crate::domain::{Channel, NoticePayload, Recipient};

pub use check::{Problem, Report};
pub use engine::{TemplateError, Templates, read_dir};
pub use text::email_body;
pub use vars::{OFFICE_FIELDS, VARIABLES};

/// The shipped templates as (name, source) pairs, as a directory would give them.
pub fn shipped_files() -> Vec<(String, String)> {
    shipped::SHIPPED
        .iter()
        .map(|(n, s)| (n.to_string(), s.to_string()))
        .collect()
}

/// The office that signs notices and receives answers: the Office of the Chief Counsel of the
/// case's court, from the office directory (`config/offices.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Office {
    /// Name of the office, e.g. "Office of the Chief Counsel".
    pub name: String,
    /// Agency line under the name.
    pub agency: String,
    /// Postal address lines where written answers go.
    pub address: Vec<String>,
    /// Email address where answers may be sent.
    pub email: String,
    /// Telephone number for questions.
    pub phone: String,
    /// Office hours, printed under the telephone number.
    #[serde(default)]
    pub hours: Option<String>,
}

/// The language a notice is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Spanish.
    Es,
    /// Another language: English text plus a bilingual interpreter notice.
    EnFallback,
}

impl Lang {
    /// The language of a payload: counsel reads English; the respondent their own language
    /// when a template exists for it.
    pub fn of(payload: &NoticePayload) -> Lang {
        if payload.recipient == Recipient::Counsel {
            return Lang::En;
        }
        match payload.language.to_ascii_lowercase().as_str() {
            "en" => Lang::En,
            "es" => Lang::Es,
            _ => Lang::EnFallback,
        }
    }

    /// ISO 639-1 code of the text actually written.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En | Lang::EnFallback => "en",
        }
    }
}

/// A block of body text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Block {
    /// A short heading.
    Heading(String),
    /// A paragraph.
    Para(String),
    /// A bulleted list.
    Bullets(Vec<String>),
}

/// The reply slip at the foot of an offer letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseForm {
    /// Title line, with the deadline.
    pub title: String,
    /// The choices, each printed after a check box.
    pub choices: Vec<String>,
    /// Labels of the lines to fill in (name, A-number, signature, date).
    pub fields: Vec<String>,
    /// Where to send it.
    pub return_to: String,
}

/// A rendered notice, ready for a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Language written.
    pub lang: Lang,
    /// Email subject (no name, no A-number).
    pub subject: String,
    /// Title printed above the body.
    pub title: String,
    /// The date line, in the notice's language.
    pub date_line: String,
    /// The issue date (the letter's creation date in its metadata).
    pub issued_on: chrono::NaiveDate,
    /// Caption rows (label, value): respondent, A-number, court, next hearing.
    pub caption: Vec<(String, String)>,
    /// Salutation line.
    pub salutation: String,
    /// Body.
    pub blocks: Vec<Block>,
    /// Closing line ("Sincerely,").
    pub closing: String,
    /// Signature lines.
    pub signature: Vec<String>,
    /// Bilingual interpreter notice, for languages without a template.
    pub interpreter_notice: Vec<String>,
    /// Reply slip (offer and reminder letters).
    pub response_form: Option<ResponseForm>,
}

/// Renders a payload for a channel. The A-number is printed in full in letters and in counsel's
/// email; a respondent's email shows it masked (email travels less safely than a sealed letter).
pub fn render(payload: &NoticePayload, channel: Channel, office: &Office) -> Notice {
    let lang = Lang::of(payload);
    let full_a_number = channel == Channel::Letter || payload.recipient == Recipient::Counsel;
    let ctx = common::Ctx::new(payload, lang, office, full_a_number);
    let mut notice = match (payload.recipient, lang) {
        (Recipient::Counsel, _) => counsel::render(&ctx),
        (Recipient::Respondent, Lang::Es) => es::render(&ctx),
        (Recipient::Respondent, _) => en::render(&ctx),
    };
    if lang == Lang::EnFallback {
        notice.interpreter_notice = common::interpreter_notice(office, &payload.language);
    }
    if channel == Channel::Email {
        notice.response_form = None;
    }
    notice
}
