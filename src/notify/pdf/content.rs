//! A page's content stream: text as shaped glyph runs (one `TJ` per stretch of glyphs in one
//! font, the shaper's advances and offsets kept exactly), lines and boxes, written straight into
//! bytes (the operators are few and fixed; numbers with at most three decimals).
//!
//! Each glyph stands for the text of its cluster in its font's `ToUnicode` map (the first text it
//! was drawn for). A cluster of several glyphs (a letter with a separate mark), or a glyph that
//! already stands for other text, is wrapped in a `/Span` with `/ActualText`, so text extraction
//! gives back exactly what was written, once.

use std::sync::Arc;

use super::embed::{Embedding, FontKey, Placed, resource};
use super::shape::{Glyph, Shaped};
use super::{Op, PdfError, Style};

/// Appends `v` with at most three decimals (`72`, `396.265`, `-0.5`).
fn num(out: &mut Vec<u8>, v: f32) {
    let milli = (f64::from(v) * 1000.0).round() as i64;
    if milli < 0 {
        out.push(b'-');
    }
    let m = milli.unsigned_abs();
    out.extend_from_slice((m / 1000).to_string().as_bytes());
    let frac = m % 1000;
    if frac != 0 {
        let digits = format!("{frac:03}");
        out.push(b'.');
        out.extend_from_slice(digits.trim_end_matches('0').as_bytes());
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

fn hex16(out: &mut Vec<u8>, v: u16) {
    for shift in [12, 8, 4, 0] {
        out.push(HEX[usize::from((v >> shift) & 0xf)]);
    }
}

/// Writes the text of one line: pen position, current font, glyphs waiting for their `TJ`.
struct Line<'a, 'f> {
    out: &'a mut Vec<u8>,
    embedding: &'a mut Embedding<'f>,
    style: Style,
    size: f32,
    y: f32,
    pen: f32,
    font: Option<FontKey>,
    /// Where the pending glyphs start, and (CID, adjustment after it).
    pending_x: f32,
    pending: Vec<(u16, f32)>,
}

impl Line<'_, '_> {
    fn matrix(&mut self, x: f32, y: f32) {
        self.out.extend_from_slice(b"1 0 0 1 ");
        num(self.out, x);
        self.out.push(b' ');
        num(self.out, y);
        self.out.extend_from_slice(b" Tm\n");
    }

    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        self.matrix(self.pending_x, self.y);
        self.out.extend_from_slice(b"[<");
        for i in 0..self.pending.len() {
            let (cid, adjust) = self.pending[i];
            hex16(self.out, cid);
            if adjust.abs() > 0.0005 && i + 1 < self.pending.len() {
                self.out.push(b'>');
                num(self.out, adjust);
                self.out.push(b'<');
            }
        }
        self.out.extend_from_slice(b">]TJ\n");
        self.pending.clear();
    }

    fn set_font(&mut self, key: FontKey) {
        if self.font == Some(key) {
            return;
        }
        self.flush();
        self.out.push(b'/');
        self.out.extend_from_slice(resource(key).as_bytes());
        self.out.push(b' ');
        num(self.out, self.size);
        self.out.extend_from_slice(b" Tf\n");
        self.font = Some(key);
    }

    /// Draws one glyph, already placed in its font.
    fn glyph(&mut self, g: &Glyph, p: &Placed) {
        self.set_font(p.key);
        if g.x_offset != 0.0 || g.y_offset != 0.0 {
            self.flush();
            let (x, y) = (
                self.pen + g.x_offset * self.size,
                self.y + g.y_offset * self.size,
            );
            self.matrix(x, y);
            self.out.push(b'<');
            hex16(self.out, p.cid);
            self.out.extend_from_slice(b">Tj\n");
        } else {
            if self.pending.is_empty() {
                self.pending_x = self.pen;
            }
            self.pending.push((p.cid, p.width - g.x_advance * 1000.0));
        }
        self.pen += g.x_advance * self.size;
    }

    /// Draws one cluster (glyphs standing for the same text), as `ActualText` when the fonts'
    /// maps cannot say what it stands for.
    fn cluster(&mut self, face: usize, glyphs: &[Glyph], text: &str) {
        if let [g] = glyphs {
            let p = self.embedding.place(self.style, face, g.id);
            if self.embedding.map_text(&p, text) {
                self.glyph(g, &p);
                return;
            }
        }
        let placed: Vec<Placed> = glyphs
            .iter()
            .map(|g| self.embedding.place(self.style, face, g.id))
            .collect();
        for p in &placed {
            self.embedding.map_text(p, text);
        }
        self.flush();
        self.out.extend_from_slice(b"/Span<</ActualText<FEFF");
        for unit in text.encode_utf16() {
            hex16(self.out, unit);
        }
        self.out.extend_from_slice(b">>>BDC\n");
        for (g, p) in glyphs.iter().zip(&placed) {
            self.glyph(g, p);
        }
        self.flush();
        self.out.extend_from_slice(b"EMC\n");
    }
}

/// Writes a shaped line with its baseline starting at (`x`, `y`).
fn text(
    out: &mut Vec<u8>,
    embedding: &mut Embedding,
    (x, y, style, size): (f32, f32, Style, f32),
    shaped: &Shaped,
) {
    out.extend_from_slice(b"BT\n");
    let mut line = Line {
        out,
        embedding,
        style,
        size,
        y,
        pen: x,
        font: None,
        pending_x: x,
        pending: Vec::with_capacity(64),
    };
    for run in &shaped.runs {
        let mut rest = &run.glyphs[..];
        while let Some(first) = rest.first() {
            let n = rest
                .iter()
                .take_while(|g| g.text == first.text)
                .count()
                .max(1);
            let text = run.text.get(first.text.clone()).unwrap_or("");
            line.cluster(run.face, &rest[..n], text);
            rest = &rest[n..];
        }
    }
    line.flush();
    out.extend_from_slice(b"ET\n");
}

/// The page's content stream, uncompressed. `shaped` holds the page's texts in order.
pub fn page(
    embedding: &mut Embedding,
    ops: &[Op],
    shaped: &[Arc<Shaped>],
) -> Result<Vec<u8>, PdfError> {
    let mut out = Vec::with_capacity(16 * 1024);
    let mut texts = shaped.iter();
    for op in ops {
        match op {
            Op::Text {
                x, y, style, size, ..
            } => {
                let s = texts.next().ok_or(PdfError::Write("text not shaped"))?;
                text(&mut out, embedding, (*x, *y, *style, *size), s);
            }
            Op::Line { from, to, width } => {
                for (v, op) in [
                    (*width, &b" w\n"[..]),
                    (from.0, b" "),
                    (from.1, b" m\n"),
                    (to.0, b" "),
                    (to.1, b" l\nS\n"),
                ] {
                    num(&mut out, v);
                    out.extend_from_slice(op);
                }
            }
            Op::Rect { x, y, w, h } => {
                out.extend_from_slice(b"0.8 w\n");
                for (v, op) in [(*x, &b" "[..]), (*y, b" "), (*w, b" "), (*h, b" re\nS\n")] {
                    num(&mut out, v);
                    out.extend_from_slice(op);
                }
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_have_at_most_three_decimals() {
        let mut out = Vec::new();
        for v in [72.0, 396.265, -0.5, 0.0004, 12.1] {
            num(&mut out, v);
            out.push(b' ');
        }
        assert_eq!(String::from_utf8(out).unwrap(), "72 396.265 -0.5 0 12.1 ");
    }
}
