//! Lays a rendered [`Notice`] out as a printed letter: letterhead, date, address block, caption,
//! title, body, signature, the reply slip, and "Page n of m" footers.

use std::sync::{Arc, OnceLock};

use super::pdf::{self, Bounded, DocInfo, FontSet, PAGE_HEIGHT, PAGE_WIDTH, Page, PdfError, Style};
use super::templates::{Block, Notice, Office, PAGE, PAGES, ResponseForm};
use crate::domain::Address;

const LEFT: f32 = 72.0;
const RIGHT: f32 = PAGE_WIDTH - 72.0;
const TOP: f32 = PAGE_HEIGHT - 54.0;
const BOTTOM: f32 = 72.0;
const BODY: f32 = 10.0;
const LEADING: f32 = 13.0;
/// Width of the office's column at the top right of the letterhead.
const OFFICE_COLUMN: f32 = 180.0;

/// A laid-out letter.
#[derive(Debug, Clone)]
pub struct Letter {
    /// The PDF file.
    pub pdf: Vec<u8>,
    /// Number of pages.
    pub pages: usize,
}

struct Layout<'f> {
    fonts: &'f FontSet,
    pages: Vec<Page>,
    page: Page,
    y: f32,
}

impl<'f> Layout<'f> {
    fn new(fonts: &'f FontSet) -> Self {
        Self {
            fonts,
            pages: Vec::new(),
            page: Page::default(),
            y: TOP,
        }
    }

    fn width(&self, style: Style, size: f32, text: &str) -> f32 {
        pdf::width(self.fonts, style, size, text)
    }

    /// Starts a new page unless `height` points still fit on this one.
    fn ensure(&mut self, height: f32) {
        if self.y - height < BOTTOM {
            self.pages.push(std::mem::take(&mut self.page));
            self.y = TOP;
        }
    }

    /// One line of short text that always fits (labels, dates).
    fn line(&mut self, x: f32, style: Style, size: f32, text: &str) {
        self.ensure(size + 2.0);
        self.y -= size + 3.0;
        self.page.text(x, self.y, style, size, text);
    }

    fn gap(&mut self, points: f32) {
        self.y -= points;
    }

    /// Word-wraps `text` between `x` and the right margin.
    fn wrapped(&mut self, x: f32, style: Style, size: f32, text: &str) {
        self.wrapped_within(x, RIGHT - x, style, size, size * 1.3, text);
    }

    /// Word-wraps `text` into lines of at most `max` points from `x`, `leading` apart.
    fn wrapped_within(
        &mut self,
        x: f32,
        max: f32,
        style: Style,
        size: f32,
        leading: f32,
        text: &str,
    ) {
        for l in wrap(self.fonts, text, style, size, max).iter() {
            self.ensure(leading);
            self.y -= leading;
            self.page.text(x, self.y, style, size, l);
        }
    }

    /// Closes the last page and writes each page's footer from the notice's `[page]` label.
    fn finish(mut self, footer: &str) -> Vec<Page> {
        self.pages.push(self.page);
        let total = self.pages.len().to_string();
        for (i, page) in self.pages.iter_mut().enumerate() {
            let label = footer
                .replace(PAGE, &(i + 1).to_string())
                .replace(PAGES, &total);
            let w = pdf::width(self.fonts, Style::Regular, 8.0, &label);
            page.text((PAGE_WIDTH - w) / 2.0, 40.0, Style::Regular, 8.0, &label);
        }
        self.pages
    }
}

/// What a text's lines depend on besides the text: the font set (by address, one per process
/// and directory), the weight, and the size and width in points (as bits).
type WrapKey = (usize, Style, u32, u32);

/// Texts kept wrapped: the paragraphs of the wording per kind and language, and the names and
/// addresses of the letters in progress.
const WRAPS_KEPT: usize = 4_096;

/// Splits `text` into lines no wider than `max` points, once per process for the same text,
/// weight, size and width: most of a letter's wording is the same from letter to letter, and
/// measuring it word by word was a tenth of a letter's cost. A word wider than a line (a long
/// name written without spaces, as Chinese names are) is broken between characters.
fn wrap(fonts: &FontSet, text: &str, style: Style, size: f32, max: f32) -> Arc<[String]> {
    static WRAPPED: OnceLock<Bounded<WrapKey, Arc<[String]>>> = OnceLock::new();
    let key = (
        std::ptr::from_ref(fonts) as usize,
        style,
        size.to_bits(),
        max.to_bits(),
    );
    WRAPPED
        .get_or_init(|| Bounded::new(WRAPS_KEPT))
        .get_or(key, text, || {
            wrap_words(fonts, text, style, size, max).into()
        })
}

/// [`wrap`], measured word by word.
fn wrap_words(fonts: &FontSet, text: &str, style: Style, size: f32, max: f32) -> Vec<String> {
    let space = pdf::width(fonts, style, size, " ");
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut cur_w = 0.0;
    for word in text.split_whitespace() {
        let w = pdf::width(fonts, style, size, word);
        if !cur.is_empty() && cur_w + space + w <= max {
            cur.push(' ');
            cur.push_str(word);
            cur_w += space + w;
            continue;
        }
        if !cur.is_empty() {
            lines.push(std::mem::take(&mut cur));
        }
        if w <= max {
            cur = word.to_string();
            cur_w = w;
            continue;
        }
        let mut pieces = break_word(fonts, word, style, size, max);
        let last = pieces.pop().unwrap_or_default();
        lines.extend(pieces);
        cur_w = pdf::width(fonts, style, size, &last);
        cur = last;
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Breaks one word into pieces no wider than `max` (at least one character each).
fn break_word(fonts: &FontSet, word: &str, style: Style, size: f32, max: f32) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut cur = String::new();
    for c in word.chars() {
        cur.push(c);
        if cur.chars().count() > 1 && pdf::width(fonts, style, size, &cur) > max {
            cur.pop();
            pieces.push(std::mem::replace(&mut cur, c.to_string()));
        }
    }
    if !cur.is_empty() {
        pieces.push(cur);
    }
    pieces
}

/// The letterhead: the notice's `[letterhead]` lines at the left (the first in bold), the
/// office's name, address, telephone line, hours and email in a column at the right.
fn letterhead(l: &mut Layout, notice: &Notice, office: &Office) {
    let left_max = RIGHT - LEFT - OFFICE_COLUMN - 12.0;
    for (i, line) in notice.letterhead.iter().enumerate() {
        if i == 0 {
            l.wrapped_within(LEFT, left_max, Style::Bold, 12.0, 15.0, line);
        } else {
            l.wrapped_within(LEFT, left_max, Style::Regular, 10.0, 13.0, line);
        }
    }
    let mut y = TOP;
    let mut right_lines = vec![office.name.clone()];
    right_lines.extend(office.address.iter().cloned());
    right_lines.push(notice.phone.clone());
    right_lines.extend(office.hours.iter().cloned());
    right_lines.push(office.email.clone());
    for t in &right_lines {
        for piece in wrap(l.fonts, t, Style::Regular, 8.5, OFFICE_COLUMN).iter() {
            y -= 11.0;
            let w = l.width(Style::Regular, 8.5, piece);
            l.page.text(RIGHT - w, y, Style::Regular, 8.5, piece);
        }
    }
    l.y = l.y.min(y) - 6.0;
    l.page.line(LEFT, l.y, RIGHT, l.y, 1.2);
    l.gap(8.0);
}

/// Address block and caption: every value wraps inside the margins, whatever its length.
fn addressee_and_caption(l: &mut Layout, notice: &Notice, addressee: &str, address: &Address) {
    let city = format!(
        "{}, {} {}",
        address.city.as_str(),
        address.state.as_str(),
        address.postal_code.as_str()
    );
    for t in [addressee, address.line1.as_str(), city.as_str()] {
        l.wrapped(LEFT, Style::Regular, BODY, t);
    }
    l.gap(16.0);
    let value_x = LEFT + 110.0;
    for (label, value) in &notice.caption {
        let lines = wrap(l.fonts, value, Style::Regular, BODY, RIGHT - value_x);
        l.ensure(LEADING * lines.len().min(3) as f32);
        l.y -= LEADING;
        l.page
            .text(LEFT, l.y, Style::Bold, BODY, &format!("{label}:"));
        for (i, v) in lines.iter().enumerate() {
            if i > 0 {
                l.ensure(LEADING);
                l.y -= LEADING;
            }
            l.page.text(value_x, l.y, Style::Regular, BODY, v);
        }
    }
}

fn body(l: &mut Layout, notice: &Notice) {
    for block in &notice.blocks {
        match block {
            Block::Heading(h) => {
                l.gap(4.0);
                l.ensure(LEADING * 3.0);
                l.wrapped(LEFT, Style::Bold, 10.5, h);
            }
            Block::Para(p) => {
                l.wrapped(LEFT, Style::Regular, BODY, p);
                l.gap(6.0);
            }
            Block::Bullets(items) => {
                for item in items {
                    l.ensure(LEADING);
                    l.page
                        .text(LEFT + 8.0, l.y - LEADING, Style::Regular, BODY, "•");
                    l.wrapped(LEFT + 20.0, Style::Regular, BODY, item);
                }
                l.gap(6.0);
            }
        }
    }
}

fn reply_slip(l: &mut Layout, form: &ResponseForm) {
    l.gap(18.0);
    l.ensure(230.0);
    l.line(LEFT + 40.0, Style::Regular, 8.0, &form.cut);
    l.gap(8.0);
    l.wrapped(LEFT, Style::Bold, 11.0, &form.title);
    l.gap(6.0);
    for choice in &form.choices {
        l.ensure(LEADING * 2.0);
        l.page.rect(LEFT, l.y - LEADING - 1.0, 9.0, 9.0);
        l.wrapped(LEFT + 18.0, Style::Regular, BODY, choice);
        l.gap(4.0);
    }
    l.gap(6.0);
    for field in &form.fields {
        l.gap(8.0);
        l.line(LEFT, Style::Regular, BODY, &format!("{field}:"));
        l.page.line(LEFT + 80.0, l.y - 2.0, RIGHT, l.y - 2.0, 0.5);
    }
    l.gap(8.0);
    l.wrapped(LEFT, Style::Regular, 9.0, &form.return_to);
}

/// Names the first field of the addressee's block holding a character no font covers.
fn check_coverage(fonts: &FontSet, addressee: &str, address: &Address) -> Result<(), PdfError> {
    for (field, text) in [
        ("addressee_name", addressee),
        ("address.line1", address.line1.as_str()),
        ("address.city", address.city.as_str()),
        ("address.postal_code", address.postal_code.as_str()),
    ] {
        if let Some(c) = pdf::uncovered(fonts, text) {
            return Err(PdfError::UncoveredIn(field, c));
        }
    }
    Ok(())
}

/// Lays out `notice` for the addressee at `address` and writes the PDF. A character no font
/// covers is an error naming the field (never a `?` on paper).
pub fn render(
    fonts: &FontSet,
    notice: &Notice,
    addressee: &str,
    address: &Address,
    office: &Office,
) -> Result<Letter, PdfError> {
    let pages = layout(fonts, notice, addressee, address, office)?;
    let info = DocInfo {
        title: &notice.title,
        lang: notice.lang.code(),
        date: notice.issued_on,
    };
    Ok(Letter {
        pdf: pdf::write(fonts, &pages, &info)?,
        pages: pages.len(),
    })
}

/// The letter's pages, as [`render`] writes them (print batches put many letters' pages in one
/// file).
pub fn layout(
    fonts: &FontSet,
    notice: &Notice,
    addressee: &str,
    address: &Address,
    office: &Office,
) -> Result<Vec<Page>, PdfError> {
    check_coverage(fonts, addressee, address)?;
    let mut l = Layout::new(fonts);
    letterhead(&mut l, notice, office);
    for para in &notice.interpreter_notice {
        l.wrapped(LEFT, Style::Bold, 9.0, para);
        l.gap(4.0);
    }
    l.gap(6.0);
    let w = l.width(Style::Regular, BODY, &notice.date_line);
    l.line(RIGHT - w, Style::Regular, BODY, &notice.date_line);
    l.gap(10.0);
    addressee_and_caption(&mut l, notice, addressee, address);
    l.gap(14.0);
    l.wrapped(LEFT, Style::Bold, 12.0, &notice.title);
    l.gap(10.0);
    l.wrapped(LEFT, Style::Regular, BODY, &notice.salutation);
    l.gap(6.0);
    body(&mut l, notice);
    l.gap(6.0);
    l.ensure(LEADING * 5.0);
    l.line(LEFT, Style::Regular, BODY, &notice.closing);
    l.gap(24.0);
    for s in &notice.signature {
        l.wrapped(LEFT, Style::Regular, BODY, s);
    }
    if let Some(form) = &notice.response_form {
        reply_slip(&mut l, form);
    }
    Ok(l.finish(&notice.page_label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_word_and_respects_the_width() {
        let text = "El Departamento de Seguridad Nacional revisó su caso ante la corte de \
                    inmigración conforme a su política de discreción procesal.";
        let fonts = crate::notify::templates::tests::fonts();
        let lines = wrap(&fonts, text, Style::Regular, 10.0, 200.0);
        assert!(lines.len() > 1);
        assert_eq!(
            lines.join(" "),
            text.split_whitespace().collect::<Vec<_>>().join(" ")
        );
        for l in lines.iter() {
            assert!(pdf::width(&fonts, Style::Regular, 10.0, l) <= 200.0, "{l}");
        }
        // Kept per text, weight, size and width: a narrower column wraps the text again.
        assert_eq!(wrap(&fonts, text, Style::Regular, 10.0, 200.0), lines);
        let narrow = wrap(&fonts, text, Style::Regular, 10.0, 120.0);
        assert!(narrow.len() > lines.len(), "{narrow:?}");
        assert_eq!(
            narrow[..],
            wrap_words(&fonts, text, Style::Regular, 10.0, 120.0)[..]
        );
    }
}
