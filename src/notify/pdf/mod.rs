//! The letter's PDF: US Letter pages of text, rules and boxes, written as PDF/A-2u with
//! [pdf-writer](https://docs.rs/pdf-writer) and the Noto fonts embedded and subset by
//! [subsetter](https://docs.rs/subsetter), so a name prints as written in any script and
//! `pdftotext` gives it back.
//!
//! Layout code works in PDF points from the bottom left of the page and records [`Page`]
//! operations; [`write`] shapes the text (see `shape`), lays the glyphs into content streams
//! (`content`), embeds the fonts (`embed`: the Latin glyphs of Noto Sans as a subset made once per
//! process) and assembles the file (`document`). Output is deterministic: no clock, no random ids
//! (the file id is a hash of the content, and the creation date is the notice's issue date), so a
//! retried letter rewrites identical bytes.

mod cache;
mod content;
mod document;
mod embed;
mod fonts;
mod shape;
mod subset;

use chrono::NaiveDate;

pub use cache::Bounded;
pub use fonts::{FontError, FontSet, Style};

/// Page width in points (US Letter).
pub const PAGE_WIDTH: f32 = 612.0;
/// Page height in points (US Letter).
pub const PAGE_HEIGHT: f32 = 792.0;

/// Why a letter cannot be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    /// A character of the text has no glyph in any font: the letter must not go out with a
    /// placeholder. Names the code point only, never the text it came from.
    #[error("no font covers character U+{:04X}", u32::from(*.0))]
    Uncovered(char),
    /// The same, in a named field of the notice (`addressee_name`, `address.line1`, …).
    #[error("{0}: no font covers character U+{code:04X}", code = u32::from(*.1))]
    UncoveredIn(&'static str, char),
    /// A font could not be embedded.
    #[error("PDF could not be written: {0}")]
    Write(&'static str),
}

#[derive(Debug, Clone)]
enum Op {
    Text {
        x: f32,
        y: f32,
        style: Style,
        size: f32,
        text: String,
    },
    Line {
        from: (f32, f32),
        to: (f32, f32),
        width: f32,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
    },
}

/// The drawing operations of one page, in points from the bottom left.
#[derive(Debug, Default, Clone)]
pub struct Page {
    ops: Vec<Op>,
}

impl Page {
    /// Writes `text` with its baseline starting at (`x`, `y`).
    pub fn text(&mut self, x: f32, y: f32, style: Style, size: f32, text: &str) {
        self.ops.push(Op::Text {
            x,
            y,
            style,
            size,
            text: text.to_string(),
        });
    }

    /// A straight line of `width` points.
    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32) {
        self.ops.push(Op::Line {
            from: (x1, y1),
            to: (x2, y2),
            width,
        });
    }

    /// An unfilled rectangle (a check box).
    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32) {
        self.ops.push(Op::Rect { x, y, w, h });
    }
}

/// What the document's metadata says; keep personal data out of it.
#[derive(Debug, Clone)]
pub struct DocInfo<'a> {
    /// Document title (the notice's title).
    pub title: &'a str,
    /// Language of the text (ISO 639-1).
    pub lang: &'a str,
    /// Creation date: the notice's issue date, so the bytes do not depend on the clock.
    pub date: NaiveDate,
}

/// Width of `text` in points at `size`. Words of the wording repeat from letter to letter, so
/// widths are cached per process. A character no font covers counts as half an em here; [`write`]
/// refuses it.
pub fn width(fonts: &FontSet, style: Style, size: f32, text: &str) -> f32 {
    cache::width_em(fonts, style, text) * size
}

/// The first character of `text` that no font covers.
pub fn uncovered(fonts: &FontSet, text: &str) -> Option<char> {
    fonts.uncovered(text)
}

/// Serialises pages into a PDF/A-2u file with the fonts embedded and subset.
pub fn write(fonts: &FontSet, pages: &[Page], info: &DocInfo) -> Result<Vec<u8>, PdfError> {
    let mut shaped = Vec::with_capacity(pages.len());
    let mut embedding = embed::Embedding::new(fonts);
    for page in pages {
        let mut lines = Vec::new();
        for op in &page.ops {
            if let Op::Text { style, text, .. } = op {
                let line = cache::shaped(fonts, *style, text).map_err(PdfError::Uncovered)?;
                for run in &line.runs {
                    for g in &run.glyphs {
                        embedding.add(*style, run.face, g.id)?;
                    }
                }
                lines.push(line);
            }
        }
        shaped.push(lines);
    }
    embedding.prepare()?;
    let contents = pages
        .iter()
        .zip(&shaped)
        .map(|(page, lines)| content::page(&mut embedding, &page.ops, lines))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(document::assemble(&embedding, &contents, info))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::templates::tests::fonts;

    fn page(text: &str) -> Page {
        let mut page = Page::default();
        page.text(72.0, 700.0, Style::Regular, 10.0, text);
        page.text(
            72.0,
            680.0,
            Style::Bold,
            12.0,
            "王小明 محمد Łukasz Ђорђе Nguyễn",
        );
        page.line(72.0, 670.0, 540.0, 670.0, 1.0);
        page.rect(72.0, 650.0, 9.0, 9.0);
        page
    }

    fn info() -> DocInfo<'static> {
        DocInfo {
            title: "Notice",
            lang: "en",
            date: NaiveDate::from_ymd_opt(2012, 1, 16).unwrap(),
        }
    }

    #[test]
    fn the_same_pages_give_the_same_bytes() {
        let fonts = fonts();
        let a = write(&fonts, &[page("same"), page("again")], &info()).unwrap();
        let b = write(&fonts, &[page("same"), page("again")], &info()).unwrap();
        assert_eq!(a, b);
        let c = write(&fonts, &[page("other"), page("again")], &info()).unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn letters_identify_as_pdf_a_2u_with_embedded_fonts() {
        let pdf = write(&fonts(), &[page("PDF/A")], &info()).unwrap();
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-1.7"), "{}", &text[..20]);
        assert!(
            text.contains("<pdfaid:part>2</pdfaid:part>"),
            "PDF/A part in the XMP"
        );
        assert!(text.contains("<pdfaid:conformance>U</pdfaid:conformance>"));
        assert!(
            text.contains("/FontFile2") || text.contains("/FontFile3"),
            "fonts embedded"
        );
        assert!(text.contains("/OutputIntents"), "PDF/A output intent");
    }

    #[test]
    fn a_character_no_font_covers_is_refused_not_replaced() {
        let err = write(&fonts(), &[page("Tashi བཀྲ་ཤིས")], &info()).unwrap_err();
        assert_eq!(err, PdfError::Uncovered('བ'));
        assert_eq!(err.to_string(), "no font covers character U+0F56");
    }

    #[test]
    fn widths_grow_with_the_text_and_the_size() {
        let fonts = fonts();
        let w = width(&fonts, Style::Regular, 10.0, "Hello");
        assert!(w > 15.0 && w < 35.0, "{w}");
        assert!(width(&fonts, Style::Regular, 20.0, "Hello") > 1.9 * w);
        assert!(width(&fonts, Style::Bold, 10.0, "Hello") > w);
        // CJK ideographs are one em wide.
        let cjk = width(&fonts, Style::Regular, 10.0, "王小明");
        assert!((cjk - 30.0).abs() < 0.5, "{cjk}");
    }
}
