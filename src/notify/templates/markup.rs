//! The plain markup a rendered template is written in, read back into a notice's parts.
//!
//! A line `[name]` starts a section (`subject`, `body`, `caption`, …). In a body, blank lines
//! separate paragraphs, a line `## Heading` is a heading, lines `- item` are a bulleted list (an
//! indented line continues the item), and the lines of a paragraph are joined with one space, so
//! a template wraps its sentences wherever it likes.

use std::collections::BTreeMap;

use super::Block;

/// Sections a template may write.
pub const SECTIONS: &[&str] = &[
    "subject",
    "title",
    "body",
    "caption",
    "salutation",
    "closing",
    "signature",
    "form_title",
    "form_choices",
    "form_fields",
    "form_return",
    "form_cut",
    "letterhead",
    "phone",
    "page",
    "months",
    "date",
    "court",
    "court_unknown",
];

/// A rendered template, by section.
pub type Sections = BTreeMap<String, String>;

/// Splits rendered text into its sections; text before the first section must be blank.
pub fn sections(text: &str) -> Result<Sections, String> {
    let mut out = Sections::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        let header = trimmed
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'));
        if let Some(name) = header {
            if !SECTIONS.contains(&name) {
                return Err(format!("unknown section [{name}]"));
            }
            if let Some((n, t)) = current.take() {
                out.insert(n, t);
            }
            if out.contains_key(name) {
                return Err(format!("section [{name}] appears twice"));
            }
            current = Some((name.to_string(), String::new()));
            continue;
        }
        match &mut current {
            Some((_, t)) => {
                t.push_str(line);
                t.push('\n');
            }
            None if trimmed.is_empty() => {}
            None => return Err("text before the first [section] line".into()),
        }
    }
    if let Some((n, t)) = current {
        out.insert(n, t);
    }
    Ok(out)
}

/// The section's lines joined into one line.
pub fn one_line(text: &str) -> String {
    lines(text).join(" ")
}

/// The section's non-blank lines, trimmed.
pub fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// Caption rows: `Label: value` per line (the label ends at the first colon).
pub fn caption(text: &str) -> Result<Vec<(String, String)>, String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (label, value) = l
                .split_once(':')
                .ok_or_else(|| "a [caption] line has no 'Label:'".to_string())?;
            let value = value.strip_prefix(' ').unwrap_or(value);
            Ok((label.trim().to_string(), value.to_string()))
        })
        .collect()
}

/// A body's blocks: paragraphs, headings and bulleted lists.
pub fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut current: Option<Block> = None;
    for line in text.lines() {
        let t = line.trim();
        if t.is_empty() {
            out.extend(current.take());
            continue;
        }
        if let Some(h) = t.strip_prefix("## ") {
            out.extend(current.take());
            out.push(Block::Heading(h.trim().to_string()));
            continue;
        }
        if let Some(item) = t.strip_prefix("- ") {
            match &mut current {
                Some(Block::Bullets(items)) => items.push(item.trim().to_string()),
                _ => {
                    out.extend(current.take());
                    current = Some(Block::Bullets(vec![item.trim().to_string()]));
                }
            }
            continue;
        }
        let indented = line.starts_with(char::is_whitespace);
        match &mut current {
            Some(Block::Bullets(items)) if indented => {
                let last = items.last_mut().expect("a list has an item");
                last.push(' ');
                last.push_str(t);
            }
            Some(Block::Para(p)) => {
                p.push(' ');
                p.push_str(t);
            }
            _ => {
                out.extend(current.take());
                current = Some(Block::Para(t.to_string()));
            }
        }
    }
    out.extend(current);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_split_and_unknown_or_repeated_ones_are_named() {
        let s = sections("\n[subject]\nHello\n[body]\nA\nB\n").unwrap();
        assert_eq!(s["subject"], "Hello\n");
        assert_eq!(s["body"], "A\nB\n");
        assert_eq!(
            sections("[subjekt]\nx").unwrap_err(),
            "unknown section [subjekt]"
        );
        assert!(
            sections("[title]\n[title]\n")
                .unwrap_err()
                .contains("twice")
        );
        assert!(sections("stray\n[title]\n").unwrap_err().contains("before"));
    }

    #[test]
    fn a_body_becomes_paragraphs_headings_and_lists() {
        let b = blocks(
            "First line\nsecond line.\n\n## Heading\n- one\n  continued\n- two\nAfter.\n\n\nLast.",
        );
        assert_eq!(
            b,
            vec![
                Block::Para("First line second line.".into()),
                Block::Heading("Heading".into()),
                Block::Bullets(vec!["one continued".into(), "two".into()]),
                Block::Para("After.".into()),
                Block::Para("Last.".into()),
            ]
        );
    }

    #[test]
    fn a_caption_value_keeps_its_colons() {
        assert_eq!(
            caption("Court: A: B\nNext hearing: \n").unwrap(),
            vec![
                ("Court".to_string(), "A: B".to_string()),
                ("Next hearing".to_string(), String::new()),
            ]
        );
        assert!(caption("no label\n").is_err());
    }
}
