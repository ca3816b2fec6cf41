//! The words no notice may contain, as data: one list per language (`forbidden/LANG.txt` beside
//! the templates), so counsel can add a language's words for asylum, VAWA, T and U visas without
//! a release. Every list applies to every notice, whatever its language: a Spanish letter must
//! not say "asylum" either.

use std::collections::BTreeMap;

use super::check::Problem;

/// The folder of the lists, relative to the templates' root.
pub const FOLDER: &str = "forbidden/";

/// One forbidden term, lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Term {
    /// The words, as written in the list without its `*`s, lower case.
    text: String,
    /// Whether letters may come before it (`*word`).
    open_start: bool,
    /// Whether letters may follow it (`word*`).
    open_end: bool,
}

impl Term {
    /// Parses one line of a list; `None` for a blank or a comment.
    fn parse(line: &str) -> Option<Term> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return None;
        }
        let open_start = line.starts_with('*');
        let open_end = line.ends_with('*') && line.len() > 1;
        let text = line.trim_matches('*').trim().to_lowercase();
        (!text.is_empty()).then_some(Term {
            text,
            open_start,
            open_end,
        })
    }

    /// Whether the term occurs in `lower` (already lower case) as the list says.
    fn occurs_in(&self, lower: &str) -> bool {
        let first = self.text.chars().next();
        let last = self.text.chars().next_back();
        lower.match_indices(&self.text).any(|(at, _)| {
            let before = lower[..at].chars().next_back();
            let after = lower[at + self.text.len()..].chars().next();
            let starts = self.open_start || !(spaced(first) && spaced(before));
            let ends = self.open_end || !(spaced(last) && spaced(after));
            starts && ends
        })
    }
}

/// Whether `c` is a letter or digit of a script that separates words with spaces, so that a
/// term there must meet a word's edge. Scripts written without spaces (CJK, kana, Hangul, from
/// U+2E80 on) have no such edge.
fn spaced(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() && (c as u32) < 0x2E80)
}

/// The forbidden terms of a set of templates, by language.
#[derive(Debug, Clone, Default)]
pub struct Forbidden {
    lists: BTreeMap<String, Vec<Term>>,
}

impl Forbidden {
    /// Whether `name` (relative to the templates' root) is a list of forbidden words.
    pub fn is_list(name: &str) -> bool {
        name.strip_prefix(FOLDER)
            .and_then(|rest| rest.strip_suffix(".txt"))
            .is_some_and(|lang| !lang.is_empty() && !lang.contains('/'))
    }

    /// Reads the lists among `files` (name → source); a list with no term is a problem.
    pub fn parse<'a>(files: impl Iterator<Item = (&'a str, &'a str)>) -> (Self, Vec<Problem>) {
        let mut out = Forbidden::default();
        let mut problems = Vec::new();
        for (name, source) in files {
            let Some(lang) = name
                .strip_prefix(FOLDER)
                .and_then(|n| n.strip_suffix(".txt"))
            else {
                continue;
            };
            let terms: Vec<Term> = source.lines().filter_map(Term::parse).collect();
            if terms.is_empty() {
                problems.push(Problem::new(name, None, "the list has no term"));
            }
            out.lists.insert(lang.to_string(), terms);
        }
        (out, problems)
    }

    /// Whether `lang` has a list (an empty one is a problem of its own).
    pub fn has(&self, lang: &str) -> bool {
        self.lists.contains_key(lang)
    }

    /// The first forbidden term in `text` (of any language's list), as the list writes it
    /// without its `*`s.
    pub fn find(&self, text: &str) -> Option<&str> {
        let lower = text.to_lowercase();
        self.lists
            .values()
            .flatten()
            .find(|t| t.occurs_in(&lower))
            .map(|t| t.text.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(lists: &[(&str, &str)]) -> Forbidden {
        let (f, problems) = Forbidden::parse(lists.iter().copied());
        assert!(problems.is_empty(), "{problems:?}");
        f
    }

    #[test]
    fn a_whole_term_needs_a_word_edge_and_a_star_opens_one() {
        let f = of(&[("forbidden/en.txt", "# c\nasylum*\nt visa\n\n")]);
        assert_eq!(f.find("an Asylum-seeker"), Some("asylum"));
        assert_eq!(f.find("a T visa."), Some("t visa"));
        assert_eq!(f.find("a student visa, at visa time"), None);
        assert_eq!(f.find("T visas"), None, "whole term: the word must end");
        assert_eq!(f.find("nonasylum"), None, "no * before: a word must start");
    }

    #[test]
    fn an_open_start_matches_a_joined_prefix_and_unspaced_scripts_match_anywhere() {
        let f = of(&[
            ("forbidden/ar.txt", "*لجوء*"),
            ("forbidden/zh.txt", "庇护\nt签证"),
        ]);
        assert_eq!(f.find("طلب اللجوء"), Some("لجوء"));
        assert_eq!(f.find("申请庇护的人"), Some("庇护"));
        assert_eq!(f.find("持有T签证的人"), Some("t签证"));
        assert_eq!(f.find("签证"), None);
    }

    #[test]
    fn an_empty_list_is_a_problem_and_other_files_are_not_lists() {
        let (f, problems) = Forbidden::parse(
            [
                ("forbidden/pa.txt", "# only a comment\n"),
                ("en/offer.j2", "x"),
            ]
            .into_iter(),
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].file, "forbidden/pa.txt");
        assert!(f.has("pa") && !f.has("bn"));
        assert_eq!(f.find("anything"), None);
        assert!(Forbidden::is_list("forbidden/pa.txt"));
        assert!(!Forbidden::is_list("forbidden/x/pa.txt"));
        assert!(!Forbidden::is_list("en/offer.j2"));
    }
}
