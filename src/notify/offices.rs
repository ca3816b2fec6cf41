//! The office directory: for each immigration court, the Office of the Chief Counsel that signs
//! its notices and receives the answers. Data, not code: `config/offices.toml` (compiled in) or
//! the file named by `notify.offices_file`; `docket notices check` proves it covers every court.

use std::collections::BTreeMap;
use std::path::Path;

use super::templates::Office;

/// The directory shipped with docket (example entries; see the file's header).
pub const BUILTIN: &str = include_str!("../../config/offices.toml");

/// Why the directory cannot be used; names the court and field, never more.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfficeError {
    /// The file cannot be read.
    #[error("office directory {path}: {reason}")]
    Unreadable {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// The file is not valid TOML, or an entry has a field too many or too few.
    #[error("office directory: {0}")]
    Syntax(String),
    /// An entry breaks a rule.
    #[error("office directory: [{court}] {field}: {reason}")]
    Invalid {
        /// The court code of the entry.
        court: String,
        /// The field.
        field: &'static str,
        /// The rule broken.
        reason: &'static str,
    },
}

/// Court code → office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offices {
    by_court: BTreeMap<String, Office>,
}

impl Offices {
    /// The directory compiled into docket.
    pub fn builtin() -> Self {
        Self::parse(BUILTIN).expect("the built-in office directory is valid (a unit test checks)")
    }

    /// The file at `path`, or the built-in directory when `None`.
    pub fn load(path: Option<&Path>) -> Result<Self, OfficeError> {
        let Some(path) = path else {
            return Ok(Self::builtin());
        };
        let text = std::fs::read_to_string(path).map_err(|e| OfficeError::Unreadable {
            path: path.display().to_string(),
            reason: e.kind().to_string(),
        })?;
        Self::parse(&text)
    }

    /// Parses and checks a directory.
    pub fn parse(text: &str) -> Result<Self, OfficeError> {
        let by_court: BTreeMap<String, Office> =
            toml::from_str(text).map_err(|e| OfficeError::Syntax(e.message().to_string()))?;
        for (court, o) in &by_court {
            let bad = |field, reason| OfficeError::Invalid {
                court: court.clone(),
                field,
                reason,
            };
            if court.len() != 3 || !court.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(bad(
                    "court",
                    "must be a 3-letter EOIR court code in capitals",
                ));
            }
            for (field, v) in [
                ("name", &o.name),
                ("agency", &o.agency),
                ("phone", &o.phone),
                ("email", &o.email),
            ] {
                if v.trim().is_empty() {
                    return Err(bad(field, "must not be empty"));
                }
            }
            if !o.email.contains('@') || o.email.contains(char::is_whitespace) {
                return Err(bad("email", "must be an email address"));
            }
            if o.address.is_empty() || o.address.len() > 4 {
                return Err(bad("address", "must have 1 to 4 lines"));
            }
            if o.address.iter().any(|l| l.trim().is_empty()) {
                return Err(bad("address", "must not have an empty line"));
            }
        }
        Ok(Self { by_court })
    }

    /// The office of `court`.
    pub fn get(&self, court: &str) -> Option<&Office> {
        self.by_court.get(court)
    }

    /// The courts of `courts` the directory has no office for, sorted, once each.
    pub fn missing<'a>(&self, courts: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
        let mut out: Vec<&str> = courts
            .into_iter()
            .filter(|c| !self.by_court.contains_key(*c))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_directory_covers_every_court_the_generator_emits() {
        let offices = Offices::builtin();
        assert_eq!(
            offices.missing(crate::generate::court_codes()),
            Vec::<&str>::new()
        );
        let atl = offices.get("ATL").unwrap();
        assert!(atl.address.iter().any(|l| l.contains("Atlanta")), "{atl:?}");
        assert!(offices.get("DEN").unwrap().name.contains("Denver"));
        assert_eq!(offices.missing(["XYZ", "ATL", "XYZ"]), ["XYZ"]);
    }

    #[test]
    fn a_bad_entry_names_its_court_and_field() {
        let entry = |email: &str| {
            format!(
                "[ATL]\nname = \"OCC\"\nagency = \"ICE\"\naddress = [\"1 A St\"]\n\
                 phone = \"1\"\nemail = \"{email}\"\n"
            )
        };
        assert!(Offices::parse(&entry("a@b.invalid")).is_ok());
        let err = Offices::parse(&entry("nobody")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "office directory: [ATL] email: must be an email address"
        );
        let err = Offices::parse(&entry("a@b").replace("[ATL]", "[atl]")).unwrap_err();
        assert!(err.to_string().contains("[atl] court"), "{err}");
        let err = Offices::parse("[ATL]\nname = \"x\"\n").unwrap_err();
        assert!(matches!(err, OfficeError::Syntax(_)), "{err}");
    }
}
