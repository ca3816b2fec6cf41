//! Values formatted for one language: court names and dates (from the language's `_lang.j2`), the
//! masked A-number.

use chrono::{Datelike, NaiveDate};

use super::markup::{Sections, lines, one_line};

/// `A******678`: enough for the reader to recognise their own number.
pub fn mask_a_number(a: &str) -> String {
    let digits: Vec<char> = a.chars().filter(char::is_ascii_digit).collect();
    let tail: String = digits[digits.len().saturating_sub(3)..].iter().collect();
    format!("A******{tail}")
}

/// The words a language writes itself rather than in a sentence: month names, the date's
/// pattern and the immigration court's name, from the language's `_lang.j2`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    months: Vec<String>,
    date: String,
    court: String,
    court_unknown: String,
}

impl Words {
    /// Reads a rendered `_lang.j2`; names what is missing or malformed.
    pub fn parse(s: &Sections) -> Result<Words, String> {
        let get = |name: &str, marks: &[&str]| {
            let text = s
                .get(name)
                .map(|t| one_line(t))
                .ok_or_else(|| format!("missing section [{name}]"))?;
            match marks.iter().find(|m| !text.contains(*m)) {
                Some(m) => Err(format!("[{name}] must contain {m}")),
                None => Ok(text),
            }
        };
        let months = lines(s.get("months").ok_or("missing section [months]")?);
        if months.len() != 12 {
            return Err(format!(
                "[months] must name 12 months, one a line (it has {})",
                months.len()
            ));
        }
        Ok(Words {
            months,
            date: get("date", &["{day}", "{month}", "{year}"])?,
            court: get("court", &["{city}"])?,
            court_unknown: get("court_unknown", &["{code}"])?,
        })
    }

    /// A date as the language writes it: "March 1, 2012" / "1 de marzo de 2012".
    pub fn date(&self, d: NaiveDate) -> String {
        self.date
            .replace("{day}", &d.day().to_string())
            .replace("{month}", &self.months[d.month0() as usize])
            .replace("{year}", &d.year().to_string())
    }

    /// The immigration court of an EOIR base-city code, by name.
    pub fn court(&self, code: &str) -> String {
        match city(code) {
            Some(city) => self.court.replace("{city}", city),
            None => self.court_unknown.replace("{code}", code),
        }
    }
}

/// The city of an EOIR base-city code.
fn city(code: &str) -> Option<&'static str> {
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
    CITIES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}
