//! What every template shares: the payload's values formatted for one language, court names,
//! dates, the masked A-number, and the bilingual interpreter notice.

use chrono::{Datelike, NaiveDate};

use super::{Lang, Office};
use crate::domain::NoticePayload;

/// Where the EOIR list of free legal service providers is published.
pub const PRO_BONO_URL: &str = "www.justice.gov/eoir/list-pro-bono-legal-service-providers";

/// The payload's values, formatted for one language.
pub struct Ctx<'a> {
    /// The payload.
    pub p: &'a NoticePayload,
    /// The office that signs and receives answers.
    pub office: &'a Office,
    /// Language written.
    pub lang: Lang,
    /// A-number as printed (full or masked).
    pub a_number: String,
    /// Court name in the notice's language.
    pub court: String,
    /// Next hearing date, formatted, if set.
    pub hearing: Option<String>,
    /// Deadline, formatted, if set.
    pub deadline: Option<String>,
    /// Issue date, formatted.
    pub issued: String,
}

impl<'a> Ctx<'a> {
    /// Formats the payload for `lang`.
    pub fn new(p: &'a NoticePayload, lang: Lang, office: &'a Office, full_a: bool) -> Self {
        let a_number = if full_a {
            p.a_number.clone()
        } else {
            mask_a_number(&p.a_number)
        };
        Self {
            p,
            office,
            lang,
            a_number,
            court: court_name(&p.court, lang),
            hearing: p.next_hearing.map(|d| date(d, lang)),
            deadline: p.deadline.map(|d| date(d, lang)),
            issued: date(p.issued_on, lang),
        }
    }

    /// The deadline, or words saying it is in the offer.
    pub fn deadline_or(&self, fallback: &str) -> String {
        self.deadline.clone().unwrap_or_else(|| fallback.into())
    }

    /// The office's postal address on one line.
    pub fn office_address(&self) -> String {
        let mut parts = vec![self.office.name.clone()];
        parts.extend(self.office.address.iter().cloned());
        parts.join(", ")
    }

    /// Standard caption rows.
    pub fn caption(&self, labels: [&str; 4]) -> Vec<(String, String)> {
        let none = match self.lang {
            Lang::Es => "sin fecha fijada",
            _ => "none scheduled",
        };
        vec![
            (labels[0].into(), self.p.respondent_name.clone()),
            (labels[1].into(), self.a_number.clone()),
            (labels[2].into(), self.court.clone()),
            (
                labels[3].into(),
                self.hearing.clone().unwrap_or_else(|| none.into()),
            ),
        ]
    }

    /// Signature lines.
    pub fn signature(&self) -> Vec<String> {
        vec![self.office.name.clone(), self.office.agency.clone()]
    }
}

/// `A******678`: enough for the reader to recognise their own number.
pub fn mask_a_number(a: &str) -> String {
    let digits: Vec<char> = a.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(3)..].iter().collect();
    format!("A******{tail}")
}

/// A date as written in the language: "March 1, 2012" / "1 de marzo de 2012".
pub fn date(d: NaiveDate, lang: Lang) -> String {
    const EN: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const ES: [&str; 12] = [
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ];
    let m = d.month0() as usize;
    match lang {
        Lang::Es => format!("{} de {} de {}", d.day(), ES[m], d.year()),
        _ => format!("{} {}, {}", EN[m], d.day(), d.year()),
    }
}

/// The immigration court of an EOIR base-city code, by name.
pub fn court_name(code: &str, lang: Lang) -> String {
    const CITIES: &[(&str, &str)] = &[
        ("ATL", "Atlanta"),
        ("BAL", "Baltimore"),
        ("BOS", "Boston"),
        ("CHI", "Chicago"),
        ("DAL", "Dallas"),
        ("DEN", "Denver"),
        ("DET", "Detroit"),
        ("HOU", "Houston"),
        ("LOS", "Los Angeles"),
        ("MIA", "Miami"),
        ("NEW", "Newark"),
        ("NYC", "New York"),
        ("OMA", "Omaha"),
        ("ORL", "Orlando"),
        ("PHI", "Philadelphia"),
        ("PHO", "Phoenix"),
        ("SEA", "Seattle"),
        ("SFR", "San Francisco"),
        ("SNA", "San Antonio"),
        ("SND", "San Diego"),
        ("TUC", "Tucson"),
    ];
    let city = CITIES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n);
    match (city, lang) {
        (Some(city), Lang::Es) => format!("Corte de Inmigración de {city}"),
        (Some(city), _) => format!("{city} Immigration Court"),
        (None, Lang::Es) => format!("Corte de Inmigración (código {code})"),
        (None, _) => format!("Immigration Court (code {code})"),
    }
}

/// The relief offered, by closure mechanism of the rule set.
pub fn mechanism(name: &str, lang: Lang) -> &'static str {
    match (name, lang) {
        ("dismissal_without_prejudice", Lang::Es) => "desestimación sin perjuicio",
        ("dismissal_without_prejudice", _) => "dismissal without prejudice",
        ("termination", Lang::Es) => "terminación del procedimiento",
        ("termination", _) => "termination of proceedings",
        (_, Lang::Es) => "cierre administrativo",
        _ => "administrative closure",
    }
}

/// The Spanish mechanism with its article ("el cierre administrativo").
pub fn mechanism_es_article(name: &str) -> String {
    let bare = mechanism(name, Lang::Es);
    let article = if bare.starts_with("cierre") {
        "el"
    } else {
        "la"
    };
    format!("{article} {bare}")
}

/// One line of `interpreter.toml`.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct InterpreterLine {
    /// Marks a draft not yet checked by a certified translator (all of them, for now).
    #[allow(dead_code)]
    needs_certified_translation: bool,
    text: String,
}

/// The interpreter notices of the ten most common languages after English and Spanish, as data
/// (`interpreter.toml`), parsed once.
fn interpreter_lines() -> &'static std::collections::BTreeMap<String, InterpreterLine> {
    static LINES: std::sync::OnceLock<std::collections::BTreeMap<String, InterpreterLine>> =
        std::sync::OnceLock::new();
    LINES.get_or_init(|| {
        toml::from_str(include_str!("interpreter.toml"))
            .expect("interpreter.toml is valid (a unit test checks)")
    })
}

/// Languages with an interpreter notice of their own.
#[cfg(test)]
pub fn interpreter_languages() -> impl Iterator<Item = &'static str> {
    interpreter_lines().keys().map(String::as_str)
}

/// The interpreter notice for respondents whose language has no template: English, Spanish and,
/// for the ten most common other languages, the respondent's own.
pub fn interpreter_notice(office: &Office, language: &str) -> Vec<String> {
    let own = interpreter_lines()
        .get(&language.to_ascii_lowercase())
        .map(|l| l.text.replace("{phone}", &office.phone));
    let mut lines = vec![
        format!(
            "IMPORTANT: This notice is about your immigration court case. If you do not read \
             English well, free interpreter help is available: call {} and say which language \
             you speak. The immigration court also provides an interpreter at your hearings.",
            office.phone
        ),
        format!(
            "IMPORTANTE: Este aviso se refiere a su caso ante la corte de inmigración. Si no lee \
             bien el inglés, puede recibir ayuda gratuita de un intérprete: llame al {} y diga qué \
             idioma habla. La corte de inmigración también le dará un intérprete en sus audiencias.",
            office.phone
        ),
    ];
    lines.extend(own);
    lines
}
