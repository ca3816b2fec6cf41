//! Notice templates: a [`NoticePayload`](crate::domain::NoticePayload) becomes a [`Notice`] (subject, caption, body blocks),
//! which the email channel prints as plain text and the letter channel lays out as a PDF.
//!
//! The wording is data: minijinja templates under `templates/notices/` (compiled in, or a
//! directory that replaces them, `notify.templates_dir`), compiled once and checked when loaded
//! ([`Templates`]). The respondent reads their own language when the set has a complete folder for
//! it (English and Spanish are shipped; a folder with every template adds a language without a
//! code change); any other language gets the English text with a short interpreter notice in
//! English, Spanish and, for the ten most common other languages, their own. Counsel of record always reads English. The payload has no field for the
//! confidential asylum or VAWA/T/U flags, and the check refuses a template that names them.

pub mod check;
mod common;
mod engine;
pub mod forbidden;
pub mod markup;
mod shipped;
mod text;
mod vars;

#[cfg(test)]
pub(crate) mod tests;
#[cfg(test)]
mod tests_check;

use serde::{Deserialize, Serialize};

pub use check::{Problem, Report};
pub use engine::{TemplateError, Templates, read_dir};
pub use text::email_body;
pub use vars::{OFFICE_FIELDS, PAGE, PAGES, VARIABLES};

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

/// The language a notice is written in: one with a complete set of templates (its own folder:
/// `en`, `es`, or any other the set has, see [`Templates::languages`]), or English with
/// interpreter notices for a language without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lang {
    code: [u8; 3],
    len: u8,
    fallback: bool,
}

impl Lang {
    /// English.
    pub const EN: Lang = Lang {
        code: *b"en\0",
        len: 2,
        fallback: false,
    };
    /// Spanish.
    pub const ES: Lang = Lang {
        code: *b"es\0",
        len: 2,
        fallback: false,
    };
    /// A language without a complete set: English text plus interpreter notices.
    pub const EN_FALLBACK: Lang = Lang {
        code: *b"en\0",
        len: 2,
        fallback: true,
    };

    /// The language of code `code` (two or three lower-case letters, ISO 639), if it is one.
    pub fn new(code: &str) -> Option<Lang> {
        let b = code.as_bytes();
        if !(2..=3).contains(&b.len()) || !b.iter().all(u8::is_ascii_lowercase) {
            return None;
        }
        let mut out = [0; 3];
        out[..b.len()].copy_from_slice(b);
        Some(Lang {
            code: out,
            len: b.len() as u8,
            fallback: false,
        })
    }

    /// ISO 639 code of the text actually written (`en` for the fallback).
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.code[..usize::from(self.len)]).unwrap_or("en")
    }

    /// Whether this is English written for a language without a complete set.
    pub fn is_fallback(self) -> bool {
        self.fallback
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
    /// The line to cut along, above the slip.
    pub cut: String,
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
    /// Letterhead lines at the top left of a letter (department, agency, office).
    pub letterhead: Vec<String>,
    /// The office's telephone line in the letterhead's office column.
    pub phone: String,
    /// Each page's footer, with [`PAGE`] and [`PAGES`] where the numbers go.
    pub page_label: String,
}
