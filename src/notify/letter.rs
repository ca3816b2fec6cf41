//! Lays a rendered [`Notice`] out as a printed letter: letterhead, date, address block, caption,
//! title, body, signature, the reply slip, and "Page n of m" footers.

use super::pdf::{self, Font, PAGE_HEIGHT, PAGE_WIDTH, Page};
use super::templates::{Block, Lang, Notice, Office};
use crate::domain::Address;

const LEFT: f32 = 72.0;
const RIGHT: f32 = PAGE_WIDTH - 72.0;
const TOP: f32 = PAGE_HEIGHT - 54.0;
const BOTTOM: f32 = 72.0;
const BODY: f32 = 10.0;
const LEADING: f32 = 13.0;

/// A laid-out letter.
#[derive(Debug, Clone)]
pub struct Letter {
    /// The PDF file.
    pub pdf: Vec<u8>,
    /// Number of pages.
    pub pages: usize,
}

struct Layout {
    pages: Vec<Page>,
    page: Page,
    y: f32,
}

impl Layout {
    fn new() -> Self {
        Self {
            pages: Vec::new(),
            page: Page::default(),
            y: TOP,
        }
    }

    /// Starts a new page unless `height` points still fit on this one.
    fn ensure(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.pages.push(std::mem::take(&mut self.page));
            self.y = TOP;
        }
    }

    fn line(&mut self, x: f32, font: Font, size: f32, text: &str) {
        self.ensure(size + 2.0);
        self.y -= size + 3.0;
        self.page.text(x, self.y, font, size, text);
    }

    fn gap(&mut self, points: f32) {
        self.y -= points;
    }

    /// Word-wraps `text` between `x` and the right margin.
    fn wrapped(&mut self, x: f32, font: Font, size: f32, text: &str) {
        for l in wrap(text, font, size, RIGHT - x) {
            self.ensure(LEADING);
            self.y -= LEADING;
            self.page.text(x, self.y, font, size, &l);
        }
    }

    fn finish(mut self, lang: Lang) -> Vec<Page> {
        self.pages.push(self.page);
        let total = self.pages.len();
        for (i, page) in self.pages.iter_mut().enumerate() {
            let label = match lang {
                Lang::Es => format!("Página {} de {}", i + 1, total),
                _ => format!("Page {} of {}", i + 1, total),
            };
            let w = pdf::width(Font::Regular, 8.0, &label);
            page.text((PAGE_WIDTH - w) / 2.0, 40.0, Font::Regular, 8.0, &label);
        }
        self.pages
    }
}

/// Splits `text` into lines no wider than `max` points.
fn wrap(text: &str, font: Font, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for word in text.split_whitespace() {
        let candidate = if cur.is_empty() {
            word.to_string()
        } else {
            format!("{cur} {word}")
        };
        if !cur.is_empty() && pdf::width(font, size, &candidate) > max {
            lines.push(std::mem::replace(&mut cur, word.to_string()));
        } else {
            cur = candidate;
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

fn letterhead(l: &mut Layout, office: &Office) {
    l.line(
        LEFT,
        Font::Bold,
        13.0,
        "U.S. Department of Homeland Security",
    );
    l.line(LEFT, Font::Regular, 10.0, &office.agency);
    l.line(
        LEFT,
        Font::Regular,
        10.0,
        "Office of the Principal Legal Advisor",
    );
    let top = TOP;
    let mut y = top;
    let mut right_lines = vec![office.name.clone()];
    right_lines.extend(office.address.iter().cloned());
    right_lines.push(format!("Tel. {}", office.phone));
    right_lines.push(office.email.clone());
    for t in &right_lines {
        y -= 11.0;
        let w = pdf::width(Font::Regular, 8.5, t);
        l.page.text(RIGHT - w, y, Font::Regular, 8.5, t);
    }
    l.y = l.y.min(y) - 6.0;
    l.page.line(LEFT, l.y, RIGHT, l.y, 1.2);
    l.gap(8.0);
}

/// Lays out `notice` for the addressee at `address` and writes the PDF.
pub fn render(notice: &Notice, addressee: &str, address: &Address, office: &Office) -> Letter {
    let mut l = Layout::new();
    letterhead(&mut l, office);
    for para in &notice.interpreter_notice {
        l.wrapped(LEFT, Font::Bold, 9.0, para);
        l.gap(4.0);
    }
    l.gap(6.0);
    let w = pdf::width(Font::Regular, BODY, &notice.date_line);
    l.line(RIGHT - w, Font::Regular, BODY, &notice.date_line);
    l.gap(10.0);
    let city = format!(
        "{}, {} {}",
        address.city.as_str(),
        address.state.as_str(),
        address.postal_code.as_str()
    );
    for t in [addressee, address.line1.as_str(), city.as_str()] {
        l.line(LEFT, Font::Regular, BODY, t);
    }
    l.gap(16.0);
    for (label, value) in &notice.caption {
        l.line(LEFT, Font::Bold, BODY, &format!("{label}:"));
        l.page.text(LEFT + 110.0, l.y, Font::Regular, BODY, value);
    }
    l.gap(14.0);
    l.wrapped(LEFT, Font::Bold, 12.0, &notice.title);
    l.gap(10.0);
    l.line(LEFT, Font::Regular, BODY, &notice.salutation);
    l.gap(6.0);
    for block in &notice.blocks {
        match block {
            Block::Heading(h) => {
                l.gap(4.0);
                l.ensure(LEADING * 3.0);
                l.wrapped(LEFT, Font::Bold, 10.5, h);
            }
            Block::Para(p) => {
                l.wrapped(LEFT, Font::Regular, BODY, p);
                l.gap(6.0);
            }
            Block::Bullets(items) => {
                for item in items {
                    l.ensure(LEADING);
                    l.page
                        .text(LEFT + 8.0, l.y - LEADING, Font::Regular, BODY, "•");
                    l.wrapped(LEFT + 20.0, Font::Regular, BODY, item);
                }
                l.gap(6.0);
            }
        }
    }
    l.gap(6.0);
    l.ensure(LEADING * 5.0);
    l.line(LEFT, Font::Regular, BODY, &notice.closing);
    l.gap(24.0);
    for s in &notice.signature {
        l.line(LEFT, Font::Regular, BODY, s);
    }
    if let Some(form) = &notice.response_form {
        l.gap(18.0);
        l.ensure(230.0);
        let cut = match notice.lang {
            Lang::Es => "- - - - - - - - - - - - - - recorte aquí - - - - - - - - - - - - - -",
            _ => "- - - - - - - - - - - - - - - cut here - - - - - - - - - - - - - - -",
        };
        l.line(LEFT + 40.0, Font::Regular, 8.0, cut);
        l.gap(8.0);
        l.wrapped(LEFT, Font::Bold, 11.0, &form.title);
        l.gap(6.0);
        for choice in &form.choices {
            l.ensure(LEADING * 2.0);
            l.page.rect(LEFT, l.y - LEADING - 1.0, 9.0, 9.0);
            l.wrapped(LEFT + 18.0, Font::Regular, BODY, choice);
            l.gap(4.0);
        }
        l.gap(6.0);
        for field in &form.fields {
            l.gap(8.0);
            l.line(LEFT, Font::Regular, BODY, &format!("{field}:"));
            l.page.line(LEFT + 80.0, l.y - 2.0, RIGHT, l.y - 2.0, 0.5);
        }
        l.gap(8.0);
        l.wrapped(LEFT, Font::Regular, 9.0, &form.return_to);
    }
    let pages = l.finish(notice.lang);
    let count = pages.len();
    Letter {
        pdf: pdf::write(&pages, &notice.title),
        pages: count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_word_and_respects_the_width() {
        let text = "El Departamento de Seguridad Nacional revisó su caso ante la corte de \
                    inmigración conforme a su política de discreción procesal.";
        let lines = wrap(text, Font::Regular, 10.0, 200.0);
        assert!(lines.len() > 1);
        assert_eq!(
            lines.join(" "),
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        for l in &lines {
            assert!(pdf::width(Font::Regular, 10.0, l) <= 200.0, "{l}");
        }
    }
}
