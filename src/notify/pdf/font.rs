//! Helvetica and Helvetica-Bold: WinAnsi encoding and glyph widths (from the Adobe AFM files of
//! the standard 14 fonts), so text can be measured and wrapped.

/// The two faces a letter uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    /// Helvetica.
    Regular,
    /// Helvetica-Bold.
    Bold,
}

/// Widths of ASCII 32..=126 in 1/1000 em, Helvetica.
#[rustfmt::skip]
const REGULAR: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// Widths of ASCII 32..=126 in 1/1000 em, Helvetica-Bold.
#[rustfmt::skip]
const BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611,
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556,
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611,
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
];

/// WinAnsi (code page 1252) code of a character; `?` when it has none.
fn win_ansi(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{a0}'..='\u{ff}' => c as u32 as u8,
        '€' => 0x80,
        '‚' => 0x82,
        '„' => 0x84,
        '…' => 0x85,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        _ => b'?',
    }
}

/// Encodes text for a WinAnsi font; characters outside code page 1252 become `?`.
pub fn encode(text: &str) -> Vec<u8> {
    text.chars().map(win_ansi).collect()
}

/// The ASCII letter whose width an accented Latin-1 letter shares.
fn base_letter(code: u8) -> Option<u8> {
    Some(match code {
        0xc0..=0xc5 => b'A',
        0xc7 => b'C',
        0xc8..=0xcb => b'E',
        0xcc..=0xcf => b'I',
        0xd1 => b'N',
        0xd2..=0xd6 | 0xd8 => b'O',
        0xd9..=0xdc => b'U',
        0xdd => b'Y',
        0xe0..=0xe5 => b'a',
        0xe7 => b'c',
        0xe8..=0xeb => b'e',
        0xec..=0xef => b'i',
        0xf1 => b'n',
        0xf2..=0xf6 | 0xf8 => b'o',
        0xf9..=0xfc => b'u',
        0xfd | 0xff => b'y',
        _ => return None,
    })
}

fn glyph_width(font: Font, code: u8) -> u16 {
    let table = match font {
        Font::Regular => &REGULAR,
        Font::Bold => &BOLD,
    };
    let ascii = |b: u8| table[(b - 32) as usize];
    match code {
        32..=126 => ascii(code),
        0x97 | 0x85 | 0xc6 => 1000,
        0x95 => 350,
        0x91 | 0x92 => 278,
        0x93 | 0x94 => 500,
        0xa1 => 333,
        0xbf => 611,
        0xb0 => 400,
        _ => base_letter(code).map(ascii).unwrap_or(556),
    }
}

/// Width of `text` in points at `size`.
pub fn width(font: Font, size: f32, text: &str) -> f32 {
    let units: u32 = encode(text)
        .into_iter()
        .map(|b| u32::from(glyph_width(font, b)))
        .sum();
    units as f32 * size / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanish_letters_are_in_win_ansi() {
        assert_eq!(
            encode("áéíóúñÑü¿¡"),
            b"\xe1\xe9\xed\xf3\xfa\xf1\xd1\xfc\xbf\xa1"
        );
        assert_eq!(encode("—•"), b"\x97\x95");
        assert_eq!(encode("日"), b"?");
    }

    #[test]
    fn widths_follow_the_afm_metrics() {
        // "Hello": H 722 + e 556 + l 222 + l 222 + o 556 = 2278 units.
        assert!((width(Font::Regular, 10.0, "Hello") - 22.78).abs() < 0.001);
        assert!(width(Font::Bold, 10.0, "Hello") > width(Font::Regular, 10.0, "Hello"));
        assert_eq!(
            width(Font::Regular, 10.0, "ñ"),
            width(Font::Regular, 10.0, "n")
        );
    }
}
