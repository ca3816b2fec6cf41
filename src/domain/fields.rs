//! Validated scalar fields of the case record.
//!
//! Each type checks its value when it is deserialized. Error texts describe the rule that was broken and
//! never echo the value, because the value may be personal data.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Declares a `String` newtype that is validated by `$check` on deserialization.
macro_rules! text_field {
    ($(#[$doc:meta])* $name:ident, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps a value.
            pub fn parse(value: impl Into<String>) -> Result<Self, String> {
                let value: String = value.into();
                Self::check(&value)?;
                Ok(Self(value))
            }

            /// Whether `value` is valid, with the reason when not; keeps nothing.
            pub fn check(value: &str) -> Result<(), String> {
                let check: fn(&str) -> Result<(), String> = $check;
                check(value)
            }

            /// The value as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(value: String) -> Result<Self, String> {
                Self::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

text_field!(
    /// Case identifier: 1–40 characters of `[A-Za-z0-9-]`. Not PII; this is what logs name.
    CaseId,
    |v| {
        if v.is_empty() || v.len() > 40 {
            return Err("must be 1 to 40 characters".into());
        }
        if !v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err("may contain only letters, digits and '-'".into());
        }
        Ok(())
    }
);

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

text_field!(
    /// EOIR base-city court code: three uppercase letters.
    CourtCode,
    |v| exact_letters(v, 3, true, "must be a 3-letter EOIR court code in capitals")
);

text_field!(
    /// ISO 3166-1 alpha-2 country code.
    CountryCode,
    |v| exact_letters(v, 2, true, "must be an ISO 3166-1 alpha-2 code (2 capital letters)")
);

text_field!(
    /// ISO 639-1 language code.
    LanguageCode,
    |v| exact_letters(v, 2, false, "must be an ISO 639-1 code (2 lowercase letters)")
);

text_field!(
    /// US state or territory code.
    StateCode,
    |v| exact_letters(v, 2, true, "must be a 2-letter state code in capitals")
);

text_field!(
    /// EOIR registry id of counsel: 2–12 letters and digits.
    EoirId,
    |v| {
        if (2..=12).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(())
        } else {
            Err("must be 2 to 12 letters or digits".into())
        }
    }
);

text_field!(
    /// One email address, `local@domain`, as lettre's address parser reads it: no display name
    /// (`Name <a@b>`), no list (`a@b, c@d`), at most 254 characters.
    EmailAddress,
    |v| {
        if v.len() > 254 {
            return Err("must be at most 254 characters".into());
        }
        if v.contains([',', ';', '<', '>']) || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err("must be one address (local@domain), without a name or a list".into());
        }
        match v.parse::<lettre::Address>() {
            Ok(_) => Ok(()),
            Err(_) => Err("is not a valid email address (local@domain)".into()),
        }
    }
);

text_field!(
    /// Free text of 1–200 characters with no control characters.
    ShortText,
    |v| {
        if v.trim().is_empty() {
            return Err("must not be empty".into());
        }
        if v.chars().count() > 200 {
            return Err("must be at most 200 characters".into());
        }
        if v.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(())
    }
);

fn exact_letters(v: &str, len: usize, upper: bool, msg: &str) -> Result<(), String> {
    let ok = v.len() == len
        && v.bytes().all(|b| {
            if upper {
                b.is_ascii_uppercase()
            } else {
                b.is_ascii_lowercase()
            }
        });
    if ok { Ok(()) } else { Err(msg.into()) }
}

/// Alien registration number, stored as `A` + 9 digits.
///
/// Input may be `A` followed by 7 to 9 digits, with spaces or dashes between them; shorter numbers are
/// left-padded with zeros. Sensitive PII: its `Debug` output is masked so it cannot leak through a log.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ANumber(String);

impl ANumber {
    /// Parses and normalises an A-number.
    pub fn parse(value: &str) -> Result<Self, String> {
        let normal = Self::normalised(value)?;
        Ok(Self(
            std::str::from_utf8(&normal).expect("ASCII").to_owned(),
        ))
    }

    /// Checks `value` and returns its normalised form, `A` + 9 digits, without allocating.
    pub fn normalised(value: &str) -> Result<[u8; 10], String> {
        let mut digits = [0u8; 9];
        let mut n = 0;
        Self::scan(value, |c| {
            // A tenth digit is refused by `scan` right after it is seen.
            if let Some(d) = digits.get_mut(n) {
                *d = c as u8;
            }
            n += 1;
        })?;
        let mut normal = *b"A000000000";
        normal[10 - n..].copy_from_slice(&digits[..n]);
        Ok(normal)
    }

    /// Whether `value` is a valid A-number, with the reason when not; keeps nothing.
    pub fn check(value: &str) -> Result<(), String> {
        Self::scan(value, |_| {})
    }

    /// Checks `value`, handing each of its digits to `digit`.
    fn scan(value: &str, mut digit: impl FnMut(char)) -> Result<(), String> {
        let rest = value
            .strip_prefix('A')
            .or_else(|| value.strip_prefix('a'))
            .ok_or_else(|| "must start with 'A'".to_string())?;
        let mut count = 0;
        for c in rest.chars() {
            match c {
                '0'..='9' => {
                    digit(c);
                    count += 1;
                }
                ' ' | '-' => {}
                _ => {
                    return Err(
                        "may contain only digits after 'A' (spaces and dashes allowed)".into(),
                    );
                }
            }
            if count > 9 {
                return Err("must have 7 to 9 digits".into());
            }
        }
        if count < 7 {
            return Err("must have 7 to 9 digits".into());
        }
        Ok(())
    }

    /// The normalised form, `A` + 9 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ANumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ANumber(<redacted>)")
    }
}

impl TryFrom<String> for ANumber {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        Self::parse(&value)
    }
}

impl From<ANumber> for String {
    fn from(value: ANumber) -> String {
        value.0
    }
}

/// A calendar date written `YYYY-MM-DD`, between 1900-01-01 and 2100-12-31.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(NaiveDate);

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        // Every case record has several dates: write them without the formatting machinery.
        match self.digits() {
            Some(text) => serializer.serialize_str(std::str::from_utf8(&text).expect("ASCII")),
            None => serializer.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DateText;
        impl serde::de::Visitor<'_> for DateText {
            type Value = Date;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a date written YYYY-MM-DD")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Date, E> {
                Date::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(DateText)
    }
}

impl Date {
    /// Parses a `YYYY-MM-DD` date.
    pub fn parse(value: &str) -> Result<Self, String> {
        let bytes = value.as_bytes();
        let shape_ok = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shape_ok {
            return Err("must be a date written YYYY-MM-DD".into());
        }
        let number = |from: usize, to: usize| {
            bytes[from..to]
                .iter()
                .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'))
        };
        let date = NaiveDate::from_ymd_opt(number(0, 4) as i32, number(5, 7), number(8, 10))
            .ok_or_else(|| "is not a real calendar date".to_string())?;
        if !(1900..=2100).contains(&date.year()) {
            return Err("must be between 1900 and 2100".into());
        }
        Ok(Self(date))
    }

    /// The date as `YYYY-MM-DD`, for years 0 to 9999 (what [`Date::parse`] accepts is within).
    fn digits(self) -> Option<[u8; 10]> {
        let year = u32::try_from(self.0.year()).ok().filter(|y| *y <= 9999)?;
        let mut text = *b"0000-00-00";
        put_digits(&mut text[0..4], year);
        put_digits(&mut text[5..7], self.0.month());
        put_digits(&mut text[8..10], self.0.day());
        Some(text)
    }

    /// Wraps a chrono date.
    pub fn from_naive(date: NaiveDate) -> Self {
        Self(date)
    }

    /// The chrono date.
    pub fn naive(self) -> NaiveDate {
        self.0
    }
}

/// Writes `value` in decimal into `out`, right-aligned, zero-padded, cut to its width.
fn put_digits(out: &mut [u8], mut value: u32) {
    for b in out.iter_mut().rev() {
        *b = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            self.0.month(),
            self.0.day()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_number_is_padded_to_nine_digits() {
        assert_eq!(ANumber::parse("A1234567").unwrap().as_str(), "A001234567");
        assert_eq!(
            ANumber::parse("A12 345 678").unwrap().as_str(),
            "A012345678"
        );
        assert_eq!(
            ANumber::parse("A-123-456-789").unwrap().as_str(),
            "A123456789"
        );
    }

    #[test]
    fn a_number_with_too_few_or_too_many_digits_is_rejected() {
        assert!(ANumber::parse("A123456").is_err());
        assert!(ANumber::parse("A1234567890").is_err());
        assert!(ANumber::parse("123456789").is_err());
        assert!(ANumber::parse("A12345678X").is_err());
    }

    #[test]
    fn a_number_debug_output_is_masked() {
        let a = ANumber::parse("A123456789").unwrap();
        assert!(!format!("{a:?}").contains("123456789"));
    }

    #[test]
    fn dates_must_be_real_and_in_range() {
        assert!(Date::parse("2012-02-29").is_ok());
        assert!(Date::parse("2011-02-29").is_err());
        assert!(Date::parse("2011-2-9").is_err());
        assert!(Date::parse("1850-01-01").is_err());
        assert!(Date::parse("+2011-01-01").is_err());
    }

    #[test]
    fn dates_serialize_as_they_display() {
        let mut day = NaiveDate::from_ymd_opt(1899, 12, 25).unwrap();
        while day.year() < 2101 {
            let date = Date::from_naive(day);
            assert_eq!(serde_json::to_string(&date).unwrap(), format!("\"{date}\""));
            day += chrono::Duration::days(37);
        }
        for (y, m, d) in [(1, 1, 1), (9999, 12, 31), (10000, 1, 1), (-5, 3, 4)] {
            let date = Date::from_naive(NaiveDate::from_ymd_opt(y, m, d).unwrap());
            assert_eq!(serde_json::to_string(&date).unwrap(), format!("\"{date}\""));
        }
    }

    #[test]
    fn case_id_accepts_letters_digits_and_dashes_only() {
        assert!(CaseId::parse("DEN-2011-000123").is_ok());
        assert!(CaseId::parse("").is_err());
        assert!(CaseId::parse("a".repeat(41)).is_err());
        assert!(CaseId::parse("DEN 1").is_err());
        assert!(CaseId::parse("x'; DROP TABLE").is_err());
    }
}
