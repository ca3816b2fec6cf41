//! A small PDF writer for text letters: US Letter pages, the standard Helvetica fonts with
//! WinAnsi encoding (covers English and Spanish), text, rules and boxes.
//!
//! Why our own: a letter needs a few hundred bytes of PDF syntax, and the crates that write PDF
//! pull in image and font stacks we do not use. Output is deterministic (no timestamps, no
//! random ids), so the same notice always yields the same bytes: a retried letter overwrites
//! its file with identical content. Streams are left uncompressed; `pdftotext` reads them.

mod font;

pub use font::{Font, encode, width};

/// Page width in points (US Letter).
pub const PAGE_WIDTH: f32 = 612.0;
/// Page height in points (US Letter).
pub const PAGE_HEIGHT: f32 = 792.0;

/// The drawing operations of one page.
#[derive(Debug, Default, Clone)]
pub struct Page {
    ops: Vec<u8>,
}

impl Page {
    /// Writes `text` with its baseline starting at (`x`, `y`), points from the bottom left.
    pub fn text(&mut self, x: f32, y: f32, font: Font, size: f32, text: &str) {
        let name = match font {
            Font::Regular => "F1",
            Font::Bold => "F2",
        };
        self.ops
            .extend_from_slice(format!("BT /{name} {size:.1} Tf {x:.2} {y:.2} Td (").as_bytes());
        for b in encode(text) {
            match b {
                b'(' | b')' | b'\\' => {
                    self.ops.push(b'\\');
                    self.ops.push(b);
                }
                0x20..=0x7e => self.ops.push(b),
                _ => self.ops.extend_from_slice(format!("\\{b:03o}").as_bytes()),
            }
        }
        self.ops.extend_from_slice(b") Tj ET\n");
    }

    /// A straight line of `width` points.
    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, width: f32) {
        self.ops.extend_from_slice(
            format!("{width:.2} w {x1:.2} {y1:.2} m {x2:.2} {y2:.2} l S\n").as_bytes(),
        );
    }

    /// An unfilled rectangle (a check box).
    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32) {
        self.ops
            .extend_from_slice(format!("0.8 w {x:.2} {y:.2} {w:.2} {h:.2} re S\n").as_bytes());
    }
}

/// Serialises pages into a complete PDF file. `title` goes into the document information; keep
/// personal data out of it.
pub fn write(pages: &[Page], title: &str) -> Vec<u8> {
    // Objects: 1 catalog, 2 page tree, 3 Helvetica, 4 Helvetica-Bold, 5 info, then per page
    // a page object and its content stream.
    let mut objects: Vec<Vec<u8>> = Vec::new();
    let kids: Vec<String> = (0..pages.len())
        .map(|i| format!("{} 0 R", 6 + 2 * i))
        .collect();
    objects.push(b"<< /Type /Catalog /Pages 2 0 R >>".to_vec());
    objects.push(
        format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            kids.join(" "),
            pages.len()
        )
        .into_bytes(),
    );
    for base in ["Helvetica", "Helvetica-Bold"] {
        objects.push(
            format!(
                "<< /Type /Font /Subtype /Type1 /BaseFont /{base} /Encoding /WinAnsiEncoding >>"
            )
            .into_bytes(),
        );
    }
    let mut info = b"<< /Producer (docket) /Title (".to_vec();
    info.extend(
        encode(title)
            .into_iter()
            .filter(|b| b.is_ascii_alphanumeric() || *b == b' '),
    );
    info.extend_from_slice(b") >>");
    objects.push(info);
    for (i, page) in pages.iter().enumerate() {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] \
                 /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
                7 + 2 * i
            )
            .into_bytes(),
        );
        let mut stream = format!("<< /Length {} >>\nstream\n", page.ops.len()).into_bytes();
        stream.extend_from_slice(&page.ops);
        stream.extend_from_slice(b"\nendstream");
        objects.push(stream);
    }
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, body) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R /Info 5 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_xref_points_at_every_object() {
        let mut page = Page::default();
        page.text(
            72.0,
            700.0,
            Font::Regular,
            10.0,
            "Señora (test) \\ café — ok",
        );
        let pdf = write(&[page.clone(), page], "Notice");
        let at = |off: usize, prefix: &str| pdf[off..].starts_with(prefix.as_bytes());
        let tail = String::from_utf8(pdf[pdf.len() - 40..].to_vec()).unwrap();
        let xref_at: usize = tail
            .rsplit("startxref\n")
            .next()
            .and_then(|s| s.lines().next())
            .and_then(|s| s.parse().ok())
            .unwrap();
        assert!(at(xref_at, "xref\n0 10\n"));
        let table = String::from_utf8(pdf[xref_at..].to_vec()).unwrap();
        for (i, line) in table.lines().skip(3).take(9).enumerate() {
            let off: usize = line[..10].parse().unwrap();
            assert!(at(off, &format!("{} 0 obj", i + 1)), "object {}", i + 1);
        }
    }

    #[test]
    fn text_is_escaped_and_encoded_in_win_ansi() {
        let mut page = Page::default();
        page.text(0.0, 0.0, Font::Bold, 12.0, "a(b)\\ñ—");
        let ops = String::from_utf8(page.ops).unwrap();
        assert!(ops.contains(r"(a\(b\)\\\361\227) Tj"), "{ops}");
        assert!(ops.contains("/F2 12.0 Tf"));
    }

    #[test]
    fn the_same_pages_give_the_same_bytes() {
        let mut page = Page::default();
        page.text(72.0, 700.0, Font::Regular, 10.0, "same");
        assert_eq!(write(&[page.clone()], "x"), write(&[page], "x"));
    }
}
