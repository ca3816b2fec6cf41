//! The notice templates as files, compiled once by minijinja and rendered per notice.
//!
//! A set of templates is the shipped one (compiled into docket) or a directory that replaces it
//! (`notify.templates_dir`). Loading compiles every file and checks the set (see `check`): a
//! syntax error, a missing template or section, an unknown variable or a forbidden mention fails
//! the load with the file, line and problem.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use minijinja::{AutoEscape, Environment, ErrorKind, UndefinedBehavior, Value};

use super::check::{self, Problem};
use super::common::Words;
use super::forbidden::Forbidden;
use super::markup::{self, Sections};
use super::vars::Vars;
use super::{Lang, Notice, Office, ResponseForm};
use crate::domain::{Channel, NoticeKind, NoticePayload, Recipient};

/// Why templates cannot be loaded or a notice cannot be rendered. Names files and lines, never
/// a value of the payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// The directory or a file in it cannot be read.
    #[error("notice templates {origin}: {reason}")]
    Unreadable {
        /// The directory.
        origin: String,
        /// What went wrong.
        reason: String,
    },
    /// The set has problems (each with its file and line).
    #[error("notice templates {origin}: {}", list(problems))]
    Invalid {
        /// The directory, or "(shipped)".
        origin: String,
        /// What is wrong.
        problems: Vec<Problem>,
    },
    /// One notice could not be rendered.
    #[error("template {0}")]
    Render(Problem),
}

fn list(problems: &[Problem]) -> String {
    let lines: Vec<String> = problems.iter().map(|p| format!("\n  {p}")).collect();
    format!("{} problem(s):{}", problems.len(), lines.concat())
}

/// A compiled set of notice templates.
pub struct Templates {
    env: Environment<'static>,
    sources: BTreeMap<String, String>,
    origin: String,
    /// Each complete language's words (`LANG/_lang.j2`), by code.
    words: BTreeMap<String, Words>,
    /// The words no notice may contain (`forbidden/LANG.txt`).
    forbidden: Forbidden,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Templates")
            .field("origin", &self.origin)
            .field("files", &self.sources.len())
            .finish()
    }
}

impl Templates {
    /// The shipped templates, compiled once per process.
    pub fn shipped() -> Arc<Templates> {
        static SHIPPED: OnceLock<Arc<Templates>> = OnceLock::new();
        SHIPPED
            .get_or_init(|| {
                Arc::new(
                    Self::from_files("(shipped)", super::shipped_files())
                        .expect("the shipped templates pass the check (a unit test checks)"),
                )
            })
            .clone()
    }

    /// The templates of `dir`, or the shipped ones when `None`; compiled and checked.
    pub fn load(dir: Option<&Path>) -> Result<Arc<Templates>, TemplateError> {
        match dir {
            None => Ok(Self::shipped()),
            Some(dir) => Ok(Arc::new(Self::from_files(
                &dir.display().to_string(),
                read_files(dir)?,
            )?)),
        }
    }

    /// Compiles and checks `files` (name → source).
    pub fn from_files(origin: &str, files: Vec<(String, String)>) -> Result<Self, TemplateError> {
        let (t, mut problems) = Self::compile(origin, files);
        problems.extend(check::check(&t).problems);
        if problems.is_empty() {
            Ok(t)
        } else {
            Err(TemplateError::Invalid {
                origin: origin.into(),
                problems,
            })
        }
    }

    /// Compiles `files`; a file that does not compile is left out and named in the problems.
    /// The lists of forbidden words (`forbidden/LANG.txt`) are read, not compiled.
    pub fn compile(origin: &str, files: Vec<(String, String)>) -> (Self, Vec<Problem>) {
        let (lists, files): (Vec<_>, Vec<_>) =
            files.into_iter().partition(|(n, _)| Forbidden::is_list(n));
        let (forbidden, mut problems) =
            Forbidden::parse(lists.iter().map(|(n, s)| (n.as_str(), s.as_str())));
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_auto_escape_callback(|_| AutoEscape::None);
        env.set_formatter(format_value);
        let mut sources = BTreeMap::new();
        for (name, source) in files {
            match env.add_template_owned(name.clone(), source.clone()) {
                Ok(()) => {
                    sources.insert(name, source);
                }
                Err(e) => problems.push(problem(&e, &name)),
            }
        }
        let mut t = Self {
            env,
            sources,
            origin: origin.into(),
            words: BTreeMap::new(),
            forbidden,
        };
        for lang in t.languages() {
            let name = format!("{lang}/_lang.j2");
            if !t.has(&name) {
                continue;
            }
            let words = t.text(&name, &minijinja::context! {}).and_then(|text| {
                markup::sections(&text)
                    .and_then(|s| Words::parse(&s))
                    .map_err(|reason| TemplateError::Render(Problem::new(&name, None, reason)))
            });
            match words {
                Ok(w) => {
                    t.words.insert(lang, w);
                }
                Err(TemplateError::Render(p)) => problems.push(p),
                Err(e) => problems.push(Problem::new(&name, None, e.to_string())),
            }
        }
        (t, problems)
    }

    /// The languages with a folder of their own (`en`, `es`, and any other the set has): each
    /// must be complete (the check names what one lacks), and a respondent whose language has
    /// one reads it.
    pub fn languages(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .sources
            .keys()
            .filter_map(|n| n.split_once('/').map(|(dir, _)| dir))
            .filter(|dir| *dir != "counsel" && *dir != "interpreter" && Lang::new(dir).is_some())
            .map(String::from)
            .collect();
        out.dedup();
        out
    }

    /// The languages of the interpreter notices (`interpreter/LANG.j2`).
    pub fn interpreter_languages(&self) -> Vec<String> {
        self.sources
            .keys()
            .filter_map(|n| n.strip_prefix("interpreter/")?.strip_suffix(".j2"))
            .map(String::from)
            .collect()
    }

    /// The words no notice of this set may contain.
    pub fn forbidden(&self) -> &Forbidden {
        &self.forbidden
    }

    /// The language a payload is written in: counsel reads English; the respondent their own
    /// language when the set has it, else English with interpreter notices.
    pub fn lang_of(&self, payload: &NoticePayload) -> Lang {
        if payload.recipient == Recipient::Counsel {
            return Lang::EN;
        }
        let code = payload.language.to_ascii_lowercase();
        match Lang::new(&code) {
            Some(lang) if self.words.contains_key(&code) => lang,
            _ => Lang::EN_FALLBACK,
        }
    }

    /// The words of `lang` (English's for the fallback).
    fn words(&self, lang: Lang) -> Result<&Words, TemplateError> {
        self.words.get(lang.code()).ok_or_else(|| {
            TemplateError::Render(Problem::new(
                &format!("{}/_lang.j2", lang.code()),
                None,
                "missing template",
            ))
        })
    }

    /// Where the templates come from: a directory, or "(shipped)".
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Names and sources of the compiled files.
    pub fn sources(&self) -> &BTreeMap<String, String> {
        &self.sources
    }

    /// Whether `name` is in the set.
    pub fn has(&self, name: &str) -> bool {
        self.sources.contains_key(name)
    }

    /// Variables used by `name` that no context provides (`office.phone` style paths).
    pub fn undeclared(&self, name: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .env
            .get_template(name)
            .map(|t| t.undeclared_variables(true).into_iter().collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    /// Renders a payload for a channel. The A-number is printed in full in letters and in
    /// counsel's email; a respondent's email shows it masked (email travels less safely than a
    /// sealed letter).
    pub fn render(
        &self,
        payload: &NoticePayload,
        channel: Channel,
        office: &Office,
    ) -> Result<Notice, TemplateError> {
        let lang = self.lang_of(payload);
        let full_a = channel == Channel::Letter || payload.recipient == Recipient::Counsel;
        let vars = Vars::new(payload, self.words(lang)?, office, full_a);
        let value = Value::from_serialize(&vars);
        let folder = folder(payload.recipient, &lang);
        let name = format!("{folder}/{}.j2", payload.kind.as_str());
        let mut s = self.sections(&format!("{folder}/_frame.j2"), &value)?;
        s.extend(self.sections(&name, &value)?);
        let form = payload.recipient == Recipient::Respondent
            && channel == Channel::Letter
            && matches!(payload.kind, NoticeKind::Offer | NoticeKind::Reminder);
        let mut notice = assemble(lang, &s, vars.issued(), payload.issued_on, form)
            .map_err(|reason| TemplateError::Render(Problem::new(&name, None, reason)))?;
        if lang.is_fallback() {
            notice.interpreter_notice = self.interpreter(&value, &payload.language)?;
        }
        Ok(notice)
    }

    /// The interpreter notices: English, Spanish and, when the set has one, the respondent's own.
    fn interpreter(&self, vars: &Value, language: &str) -> Result<Vec<String>, TemplateError> {
        let own = language.to_ascii_lowercase();
        let mut names = vec!["interpreter/en.j2".to_string(), "interpreter/es.j2".into()];
        let own_name = format!("interpreter/{own}.j2");
        if !own.is_empty() && own.bytes().all(|b| b.is_ascii_lowercase()) && self.has(&own_name) {
            names.push(own_name);
        }
        names
            .iter()
            .map(|n| self.text(n, vars).map(|t| markup::one_line(&t)))
            .collect()
    }

    /// One template rendered, split into its sections.
    fn sections(&self, name: &str, vars: &Value) -> Result<Sections, TemplateError> {
        markup::sections(&self.text(name, vars)?)
            .map_err(|reason| TemplateError::Render(Problem::new(name, None, reason)))
    }

    /// One template rendered.
    pub fn text(&self, name: &str, vars: &Value) -> Result<String, TemplateError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(vars))
            .map_err(|e| TemplateError::Render(problem(&e, name)))
    }
}

/// The folder of a notice's templates: counsel reads English; respondents their language.
pub fn folder(recipient: Recipient, lang: &Lang) -> &str {
    match recipient {
        Recipient::Counsel => "counsel",
        Recipient::Respondent => lang.code(),
    }
}

/// The notice from its sections.
fn assemble(
    lang: Lang,
    s: &Sections,
    issued: &str,
    issued_on: chrono::NaiveDate,
    form: bool,
) -> Result<Notice, String> {
    let get = |name: &str| {
        s.get(name)
            .map(String::as_str)
            .ok_or_else(|| format!("missing section [{name}]"))
    };
    let response_form = if form {
        Some(ResponseForm {
            cut: markup::one_line(get("form_cut")?),
            title: markup::one_line(get("form_title")?),
            choices: markup::lines(get("form_choices")?),
            fields: markup::lines(get("form_fields")?),
            return_to: markup::one_line(get("form_return")?),
        })
    } else {
        None
    };
    Ok(Notice {
        lang,
        subject: markup::one_line(get("subject")?),
        title: markup::one_line(get("title")?),
        date_line: issued.to_string(),
        issued_on,
        caption: markup::caption(get("caption")?)?,
        salutation: markup::one_line(get("salutation")?),
        blocks: markup::blocks(get("body")?),
        closing: markup::one_line(get("closing")?),
        signature: markup::lines(get("signature")?),
        interpreter_notice: Vec::new(),
        response_form,
        letterhead: markup::lines(get("letterhead")?),
        phone: markup::one_line(get("phone")?),
        page_label: markup::one_line(get("page")?),
    })
}

/// Prints a value; a missing one is an error (the template must give a fallback or test it).
fn format_value(
    out: &mut minijinja::Output,
    state: &minijinja::State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    if value.is_none() || value.is_undefined() {
        return Err(minijinja::Error::new(
            ErrorKind::InvalidOperation,
            "prints a value that may be missing: give a fallback (`x or \"…\"`) or test it \
             (`{% if x is not none %}`)",
        ));
    }
    minijinja::escape_formatter(out, state, value)
}

/// A minijinja error as a problem of a file (the file where it happened, else `name`).
fn problem(e: &minijinja::Error, name: &str) -> Problem {
    let message = match e.detail() {
        Some(d) => format!("{}: {d}", e.kind()),
        None => e.kind().to_string(),
    };
    Problem::new(e.name().unwrap_or(name), e.line(), message)
}

/// Every `.j2` file under `root` and every list of forbidden words (`forbidden/LANG.txt`), by
/// name relative to it (`en/offer.j2`), sorted.
pub fn read_dir(root: &Path) -> std::io::Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap_or(&path);
                let name: Vec<String> = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                let name = name.join("/");
                if name.ends_with(".j2") || Forbidden::is_list(&name) {
                    out.push((name, std::fs::read_to_string(&path)?));
                }
            }
        }
    }
    out.sort();
    Ok(out)
}

fn read_files(dir: &Path) -> Result<Vec<(String, String)>, TemplateError> {
    read_dir(dir).map_err(|e| TemplateError::Unreadable {
        origin: dir.display().to_string(),
        reason: e.to_string(),
    })
}
