//! Checks a set of notice templates: every template each kind and language needs, the sections
//! each must write, variables no notice provides, and mentions of a confidential status (8 CFR
//! 1208.6 for asylum, 8 U.S.C. 1367 for VAWA, T and U visas: no notice may name them), in the
//! files and in sample notices rendered from them.

use chrono::NaiveDate;

use super::engine::{Templates, folder};
use super::vars::{OFFICE_FIELDS, VARIABLES};
use super::{Notice, Office, PAGE, PAGES, email_body};
use crate::domain::{Channel, NoticeKind, NoticePayload, Recipient};

/// Every kind of notice.
pub const KINDS: [NoticeKind; 7] = [
    NoticeKind::Offer,
    NoticeKind::Reminder,
    NoticeKind::Accepted,
    NoticeKind::Declined,
    NoticeKind::Expired,
    NoticeKind::Closed,
    NoticeKind::Recalendared,
];

/// The ten most common languages of the immigration courts after Spanish and English, whose
/// speakers get the English letter with an interpreter notice in their own language.
pub const INTERPRETER_LANGUAGES: [&str; 10] =
    ["zh", "ar", "pa", "ht", "ru", "pt", "fr", "vi", "bn", "ti"];

/// A problem of one file, at a line when known.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Problem {
    /// Template name (`en/offer.j2`).
    pub file: String,
    /// Line, from 1.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl Problem {
    /// A problem of `file`.
    pub fn new(file: &str, line: Option<usize>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{} line {l}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// What the check found.
#[derive(Debug, Default)]
pub struct Report {
    /// Problems: the set must not be used.
    pub problems: Vec<Problem>,
    /// Notes: drafts marked as needing a certified translation.
    pub notes: Vec<Problem>,
}

/// The templates a complete set has: English, Spanish and counsel's, and those of every other
/// language that has a folder (`languages`, from [`Templates::languages`]).
pub fn required(languages: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    let dirs = ["en", "es", "counsel"].into_iter().chain(
        languages
            .iter()
            .map(String::as_str)
            .filter(|l| *l != "en" && *l != "es"),
    );
    for dir in dirs {
        out.push(format!("{dir}/_frame.j2"));
        if dir != "counsel" {
            out.push(format!("{dir}/_lang.j2"));
        }
        out.extend(KINDS.iter().map(|k| format!("{dir}/{}.j2", k.as_str())));
    }
    for lang in ["en", "es"].iter().chain(&INTERPRETER_LANGUAGES) {
        out.push(format!("interpreter/{lang}.j2"));
    }
    out
}

/// Checks a compiled set.
pub fn check(t: &Templates) -> Report {
    let mut r = Report::default();
    for name in required(&t.languages()) {
        if !t.has(&name) {
            r.problems
                .push(Problem::new(&name, None, "missing template"));
        }
    }
    for (name, source) in t.sources() {
        for var in t.undeclared(name) {
            let (root, field) = var.split_once('.').unwrap_or((&var, ""));
            let known = VARIABLES.contains(&root)
                && (root != "office" || field.is_empty() || OFFICE_FIELDS.contains(&field));
            if !known {
                let line = find_line(source, root);
                r.problems.push(Problem::new(
                    name,
                    line,
                    format!("unknown variable `{var}`"),
                ));
            }
        }
        for (i, line) in source.lines().enumerate() {
            if let Some(word) = t.forbidden().find(line) {
                r.problems.push(Problem::new(
                    name,
                    Some(i + 1),
                    format!("mentions \"{word}\": no notice may name asylum, VAWA, T or U visas"),
                ));
            }
            if line.contains("NEEDS CERTIFIED TRANSLATION") {
                r.notes.push(Problem::new(
                    name,
                    Some(i + 1),
                    "needs a certified translation before use",
                ));
            }
        }
    }
    lists(t, &mut r.problems);
    samples(t, &mut r.problems);
    let mut seen = std::collections::HashSet::new();
    r.problems.retain(|p| seen.insert(p.clone()));
    r
}

/// Every language a notice is written in (a complete folder, an interpreter notice, and English
/// for counsel) needs its list of forbidden words: without one, a template in that language
/// could name a confidential status in words no list knows.
fn lists(t: &Templates, problems: &mut Vec<Problem>) {
    let mut languages = t.languages();
    languages.extend(t.interpreter_languages());
    if t.sources().keys().any(|n| n.starts_with("counsel/")) {
        languages.push("en".into());
    }
    languages.sort();
    languages.dedup();
    for lang in languages {
        if !t.forbidden().has(&lang) {
            problems.push(Problem::new(
                &format!("{}{lang}.txt", super::forbidden::FOLDER),
                None,
                "missing list of forbidden words: every language a notice is written in needs \
                 its words for asylum, VAWA, T and U visas",
            ));
        }
    }
}

/// Renders every kind for every folder and language, with all optional values set and with
/// none, and checks what comes out.
fn samples(t: &Templates, problems: &mut Vec<Problem>) {
    let office = sample_office();
    let own = t.languages();
    let languages = ["en", "es", "so"]
        .iter()
        .chain(&INTERPRETER_LANGUAGES)
        .copied()
        .chain(own.iter().map(String::as_str));
    for kind in KINDS {
        for (recipient, language) in languages
            .clone()
            .map(|l| (Recipient::Respondent, l))
            .chain([(Recipient::Counsel, "en")])
        {
            for full in [true, false] {
                let mut p = sample_payload(kind, recipient, language);
                if !full {
                    p.next_hearing = None;
                    p.deadline = None;
                    p.deadline_days = None;
                    p.counsel_name = None;
                }
                let lang = t.lang_of(&p);
                let dir = folder(recipient, &lang);
                let name = format!("{dir}/{}.j2", kind.as_str());
                if !t.has(&name) || !t.has(&format!("{dir}/_frame.j2")) {
                    continue;
                }
                for channel in [Channel::Letter, Channel::Email] {
                    match t.render(&p, channel, &office) {
                        Err(super::TemplateError::Render(problem)) => problems.push(problem),
                        Err(e) => problems.push(Problem::new(&name, None, e.to_string())),
                        Ok(n) => check_notice(t, &name, &n, problems),
                    }
                }
            }
        }
    }
}

fn check_notice(t: &Templates, name: &str, n: &Notice, problems: &mut Vec<Problem>) {
    for (what, empty) in [
        ("[subject]", n.subject.is_empty()),
        ("[title]", n.title.is_empty()),
        ("[body]", n.blocks.is_empty()),
        ("[salutation]", n.salutation.is_empty()),
        ("[letterhead]", n.letterhead.is_empty()),
    ] {
        if empty {
            problems.push(Problem::new(name, None, format!("{what} is empty")));
        }
    }
    if !n.page_label.contains(PAGE) || !n.page_label.contains(PAGES) {
        problems.push(Problem::new(
            name,
            None,
            "[page] must print {{ page }} and {{ pages }}",
        ));
    }
    let letter_only = format!("{}\n{}", n.letterhead.join("\n"), n.phone);
    let forbidden = t.forbidden();
    if let Some(word) = forbidden
        .find(&all_text(n))
        .or_else(|| forbidden.find(&letter_only))
    {
        problems.push(Problem::new(
            name,
            None,
            format!("the rendered notice mentions \"{word}\""),
        ));
    }
}

/// Everything a notice prints, as text.
pub fn all_text(n: &Notice) -> String {
    let mut s = format!("{}\n{}\n", n.subject, email_body(n));
    s.push_str(&n.interpreter_notice.join("\n"));
    if let Some(f) = &n.response_form {
        s.push_str(&format!(
            "\n{}\n{}\n{}\n{}",
            f.title,
            f.choices.join("\n"),
            f.fields.join("\n"),
            f.return_to
        ));
    }
    s
}

/// The first line (from 1) where `ident` appears as a word.
fn find_line(source: &str, ident: &str) -> Option<usize> {
    source
        .lines()
        .position(|l| {
            l.match_indices(ident).any(|(at, _)| {
                let before = l[..at].chars().next_back();
                let after = l[at + ident.len()..].chars().next();
                let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
                !word(before) && !word(after)
            })
        })
        .map(|i| i + 1)
}

/// The office of the sample notices.
pub fn sample_office() -> Office {
    Office {
        name: "Office of the Chief Counsel - Denver".into(),
        agency: "U.S. Immigration and Customs Enforcement".into(),
        address: vec![
            "12445 E. Caley Avenue".into(),
            "Centennial, CO 80111".into(),
        ],
        email: "occ-denver@example.invalid".into(),
        phone: "(303) 555-0100".into(),
        hours: Some("Monday to Friday, 8 a.m. to 4 p.m.".into()),
    }
}

/// A sample notice (a made-up respondent and counsel), for checks and previews.
pub fn sample_payload(kind: NoticeKind, recipient: Recipient, language: &str) -> NoticePayload {
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
    let counsel = recipient == Recipient::Counsel;
    serde_json::from_value(serde_json::json!({
        "kind": kind,
        "recipient": recipient,
        "language": if counsel { "en" } else { language },
        "addressee_name": if counsel { "Ana Ortiz" } else { "Maria Lopez" },
        "address": {
            "line1": "100 Sample Street, Apt 2",
            "city": "Denver",
            "state": "CO",
            "postal_code": "80202"
        },
        "email": if counsel { "counsel@example.org" } else { "respondent@example.org" },
        "respondent_name": "Maria Lopez",
        "a_number": "A012345678",
        "case_id": "SAMPLE-1",
        "court": "DEN",
        "next_hearing": date(2012, 3, 1),
        "counsel_name": "Ana Ortiz",
        "deadline": date(2012, 2, 15),
        "deadline_days": 30,
        "closure_mechanism": "admin_closure",
        "issued_on": date(2012, 1, 16),
    }))
    .expect("the sample payload decodes")
}
