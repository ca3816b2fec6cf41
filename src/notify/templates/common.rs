//! Values formatted for one language: court names, dates, the masked A-number.

use chrono::{Datelike, NaiveDate};

use super::Lang;

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
