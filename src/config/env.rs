//! Which `DOCKET_*` variables are settings, secrets read from files, and suggestions for near
//! misses.
//!
//! Only `DOCKET_<SECTION>__<KEY>` with a known section is a setting. Everything else that starts
//! with `DOCKET_` belongs to someone else: `DOCKET_ENV` and `DOCKET_CONFIG` choose the files, and
//! Kubernetes injects `DOCKET_SERVE_SERVICE_PORT`, `DOCKET_SERVE_PORT_8080_TCP_ADDR`, … for every
//! Service whose name starts with `docket-`. A section that is a near miss of a known one is
//! refused rather than ignored, so a typo does not pass silently.

use std::collections::{BTreeMap, HashMap};

use serde::de::{self, DeserializeOwned, Visitor};

use super::ConfigError;

const PREFIX: &str = "DOCKET_";
const FILE_SUFFIX: &str = "_FILE";

/// The settings among `vars`, by variable name, with every `…_FILE` variable replaced by the
/// variable it names and the file's content (without its trailing line break) as the value.
pub(super) fn settings_vars(
    vars: impl IntoIterator<Item = (String, String)>,
    sections: &[&str],
) -> Result<HashMap<String, String>, ConfigError> {
    let mut out = BTreeMap::new();
    let mut from_files = BTreeMap::new();
    for (name, value) in vars {
        let Some(rest) = name.strip_prefix(PREFIX) else {
            continue;
        };
        let Some((section, key)) = rest.split_once("__") else {
            continue; // DOCKET_ENV, DOCKET_CONFIG, Kubernetes service variables.
        };
        let section = section.to_ascii_lowercase();
        if !sections.contains(&section.as_str()) {
            if let Some(near) = nearest(&section, sections.iter().copied()) {
                return Err(ConfigError::Unknown {
                    what: format!("variable {name}: no section `{section}`"),
                    suggestion: near.to_string(),
                });
            }
            continue;
        }
        if key.len() > FILE_SUFFIX.len() && key.to_ascii_uppercase().ends_with(FILE_SUFFIX) {
            let target = name[..name.len() - FILE_SUFFIX.len()].to_string();
            from_files.insert(target, (name, value));
        } else {
            out.insert(name, value);
        }
    }
    for (target, (var, path)) in from_files {
        if out.contains_key(&target) {
            return Err(ConfigError::SecretFile {
                var,
                reason: format!("{target} is set as well; give one of them"),
            });
        }
        let text = std::fs::read_to_string(&path).map_err(|e| ConfigError::SecretFile {
            var: var.clone(),
            reason: format!("cannot read {path}: {}", e.kind()),
        })?;
        let text = text.trim_end_matches(['\n', '\r']).to_string();
        if text.is_empty() {
            return Err(ConfigError::SecretFile {
                var,
                reason: format!("{path} is empty"),
            });
        }
        out.insert(target, text);
    }
    Ok(out.into_iter().collect())
}

/// The field names a struct's `Deserialize` implementation declares (its known keys).
pub(super) fn struct_fields<T: DeserializeOwned>() -> &'static [&'static str] {
    let mut probe = FieldsProbe { fields: &[] };
    let _ = T::deserialize(&mut probe);
    probe.fields
}

/// A deserializer that only records the fields a struct asks for, then stops.
struct FieldsProbe {
    fields: &'static [&'static str],
}

impl<'de> de::Deserializer<'de> for &mut FieldsProbe {
    type Error = de::value::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("not a struct"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.fields = fields;
        Err(de::Error::custom("fields recorded"))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

/// For serde's "unknown field `x`, expected one of `a`, `b`" (or "expected `a`"): the unknown
/// key and the known key nearest to it, when one is near enough to be a typo.
pub(super) fn suggest_for(message: &str) -> Option<(String, String)> {
    let after = message.split("unknown field `").nth(1)?;
    let (unknown, rest) = after.split_once('`')?;
    let expected = rest.split_once("expected")?.1;
    let known = expected.split('`').skip(1).step_by(2);
    let near = nearest(unknown, known)?;
    Some((unknown.to_string(), near.to_string()))
}

/// The candidate nearest to `word` by edit distance, if it is at most 2 edits (1 for short words)
/// away and not `word` itself.
pub(super) fn nearest<'a>(
    word: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    let limit = if word.chars().count() <= 4 { 1 } else { 2 };
    candidates
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| (1..=limit).contains(d))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut row = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != *cb);
            row.push(substitute.min(prev[j + 1] + 1).min(row[j] + 1));
        }
        prev = row;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECTIONS: &[&str] = &["database", "amqp", "serve", "notify"];

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn only_known_sections_are_settings() {
        let got = settings_vars(
            vars(&[
                ("DOCKET_ENV", "production"),
                ("DOCKET_CONFIG", "/etc/docket.toml"),
                ("DOCKET_SERVE_SERVICE_PORT", "8080"),
                ("DOCKET_SERVE_PORT_8080_TCP_ADDR", "10.0.0.1"),
                ("DOCKET_DATABASE__URL", "postgres://db/docket"),
                ("DOCKET_OTHER__THING", "x"),
                ("HOME", "/root"),
            ]),
            SECTIONS,
        )
        .unwrap();
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got["DOCKET_DATABASE__URL"], "postgres://db/docket");
    }

    #[test]
    fn a_near_miss_of_a_section_is_refused_with_a_suggestion() {
        let err = settings_vars(vars(&[("DOCKET_DATABSE__URL", "x")]), SECTIONS).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("DOCKET_DATABSE__URL"), "{text}");
        assert!(text.contains("did you mean `database`"), "{text}");
        assert!(!text.contains("x\""), "the value is not printed");
    }

    #[test]
    fn secrets_come_from_files_without_their_line_break() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("url");
        std::fs::write(&path, "postgres://u:secret@db/docket\n").unwrap();
        let p = path.to_str().unwrap();
        let got = settings_vars(
            vars(&[
                ("DOCKET_DATABASE__URL_FILE", p),
                ("DOCKET_NOTIFY__SMTP__PASSWORD_FILE", p),
            ]),
            SECTIONS,
        )
        .unwrap();
        assert_eq!(got["DOCKET_DATABASE__URL"], "postgres://u:secret@db/docket");
        assert!(got.contains_key("DOCKET_NOTIFY__SMTP__PASSWORD"));
        assert!(!got.contains_key("DOCKET_DATABASE__URL_FILE"));
    }

    #[test]
    fn a_secret_file_that_is_missing_empty_or_doubled_is_refused() {
        let missing = settings_vars(
            vars(&[("DOCKET_DATABASE__URL_FILE", "/nonexistent/url")]),
            SECTIONS,
        )
        .unwrap_err()
        .to_string();
        assert!(missing.contains("DOCKET_DATABASE__URL_FILE"), "{missing}");
        assert!(
            missing.contains("cannot read /nonexistent/url"),
            "{missing}"
        );
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        let e = empty.to_str().unwrap();
        let err = settings_vars(vars(&[("DOCKET_DATABASE__URL_FILE", e)]), SECTIONS);
        assert!(err.unwrap_err().to_string().contains("is empty"));
        let both = vars(&[
            ("DOCKET_DATABASE__URL_FILE", e),
            ("DOCKET_DATABASE__URL", "postgres://db/x"),
        ]);
        let err = settings_vars(both, SECTIONS).unwrap_err().to_string();
        assert!(err.contains("is set as well"), "{err}");
    }

    #[test]
    fn suggestions_come_from_serdes_list_of_expected_keys() {
        let msg =
            "unknown field `urll`, expected one of `url`, `max_connections` for key `database`";
        assert_eq!(suggest_for(msg), Some(("urll".into(), "url".into())));
        let msg = "unknown field `listn`, expected `listen`";
        assert_eq!(suggest_for(msg), Some(("listn".into(), "listen".into())));
        let far = "unknown field `colour`, expected one of `url`, `max_connections`";
        assert_eq!(suggest_for(far), None);
    }

    #[test]
    fn edit_distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(edit_distance("database", "databse"), 1);
        assert_eq!(edit_distance("amqp", "amqp"), 0);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(nearest("amqq", ["amqp", "api"].into_iter()), Some("amqp"));
        assert_eq!(nearest("env", ["amqp", "api", "log"].into_iter()), None);
    }
}
