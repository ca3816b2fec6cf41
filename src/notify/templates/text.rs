//! The plain-text form of a notice, for email bodies: wrapped at 72 columns.

use super::{Block, Notice};

const WIDTH: usize = 72;

/// The email body of a notice.
pub fn email_body(n: &Notice) -> String {
    let mut out = String::new();
    for para in &n.interpreter_notice {
        wrap_into(&mut out, para, "", "");
        out.push('\n');
    }
    out.push_str(&n.title.to_uppercase());
    out.push_str("\n\n");
    out.push_str(&n.date_line);
    out.push_str("\n\n");
    let label_width = n
        .caption
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    for (label, value) in &n.caption {
        let pad = label_width - label.chars().count();
        out.push_str(&format!("{label}:{} {value}\n", " ".repeat(pad)));
    }
    out.push('\n');
    out.push_str(&n.salutation);
    out.push_str("\n\n");
    for block in &n.blocks {
        match block {
            Block::Heading(h) => {
                out.push_str(h);
                out.push('\n');
            }
            Block::Para(p) => {
                wrap_into(&mut out, p, "", "");
                out.push('\n');
            }
            Block::Bullets(items) => {
                for item in items {
                    wrap_into(&mut out, item, "  - ", "    ");
                }
                out.push('\n');
            }
        }
    }
    out.push_str(&n.closing);
    out.push_str("\n\n");
    for line in &n.signature {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Appends `text` wrapped at [`WIDTH`], the first line prefixed with `first`, the others with `rest`.
fn wrap_into(out: &mut String, text: &str, first: &str, rest: &str) {
    let mut line = String::from(first);
    let mut empty = true;
    for word in text.split_whitespace() {
        if !empty && line.chars().count() + 1 + word.chars().count() > WIDTH {
            out.push_str(&line);
            out.push('\n');
            line = String::from(rest);
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    out.push_str(&line);
    out.push('\n');
}
