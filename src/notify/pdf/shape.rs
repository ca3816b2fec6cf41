//! One line of text into positioned glyph runs: the bidirectional algorithm orders right-to-left
//! runs (Arabic, Hebrew) visually, each run is split where the face changes (first face of the
//! chain that covers a letter; spaces, digits and punctuation stay with the face in use when it has
//! them, so an Arabic name keeps its joining), and every piece is shaped by rustybuzz.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, OnceLock, RwLock};

use rustybuzz::{Direction, Script, ShapePlan, UnicodeBuffer};
use unicode_bidi::BidiInfo;

use super::fonts::{Face, FontSet, Style, is_invisible};

/// One positioned glyph of a run; lengths in em.
#[derive(Debug, Clone)]
pub struct Glyph {
    /// Glyph id in the face.
    pub id: u16,
    /// Advance after the glyph.
    pub x_advance: f32,
    /// Horizontal offset from the pen position.
    pub x_offset: f32,
    /// Vertical offset from the baseline.
    pub y_offset: f32,
    /// Byte range of the run's text the glyph stands for (its cluster).
    pub text: Range<usize>,
}

/// A piece of a line in one face and one direction, shaped.
pub struct Run {
    /// Index of the face in the set's chain (of the line's style).
    pub face: usize,
    /// The piece's text (the glyphs' text ranges point into it).
    pub text: String,
    /// Glyphs in visual order, advances in em.
    pub glyphs: Vec<Glyph>,
    /// Advance of the whole piece, in em.
    pub width: f32,
}

/// A shaped line: runs in visual order, left to right.
pub struct Shaped {
    /// The runs.
    pub runs: Vec<Run>,
    /// Total advance, in em.
    pub width: f32,
}

/// Shapes `text` in `style`; `Err(c)` names the first character no face covers.
pub fn shape(fonts: &FontSet, style: Style, text: &str) -> Result<Shaped, char> {
    let mut runs = Vec::new();
    for (range, rtl) in bidi_runs(text) {
        let mut pieces = split_by_face(fonts, style, &text[range])?;
        if rtl {
            pieces.reverse();
        }
        for (face, piece) in pieces {
            runs.push(shape_piece(fonts, style, face, piece, rtl));
        }
    }
    let width = runs.iter().map(|r| r.width).sum();
    Ok(Shaped { runs, width })
}

/// Byte ranges of `text` in visual order, each with whether it runs right to left.
fn bidi_runs(text: &str) -> Vec<(Range<usize>, bool)> {
    if !has_rtl(text) {
        return vec![(0..text.len(), false)];
    }
    let info = BidiInfo::new(text, None);
    let mut out = Vec::new();
    for para in &info.paragraphs {
        let (levels, runs) = info.visual_runs(para, para.range.clone());
        for r in runs {
            let rtl = levels[r.start].is_rtl();
            out.push((r, rtl));
        }
    }
    out
}

/// Whether `text` holds a right-to-left letter (Hebrew, Arabic, Syriac, Thaana …).
fn has_rtl(text: &str) -> bool {
    text.chars().any(is_rtl_letter)
}

fn is_rtl_letter(c: char) -> bool {
    matches!(c, '\u{0590}'..='\u{08ff}' | '\u{fb1d}'..='\u{fdff}' | '\u{fe70}'..='\u{feff}')
}

/// Splits `text` (one direction) where the face changes, in logical order.
fn split_by_face<'t>(
    fonts: &FontSet,
    style: Style,
    text: &'t str,
) -> Result<Vec<(usize, &'t str)>, char> {
    let faces = fonts.faces(style);
    let mut pieces: Vec<(usize, &str)> = Vec::new();
    let mut current: Option<usize> = None;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        let keep = current.is_some_and(|f| {
            is_invisible(c) || (!c.is_alphabetic() && faces[f].covers(c)) || is_mark(c)
        });
        if keep {
            continue;
        }
        let face = if is_invisible(c) {
            0
        } else {
            fonts.face_for(style, c).ok_or(c)?
        };
        if current != Some(face) {
            if let Some(f) = current {
                pieces.push((f, &text[start..i]));
            }
            current = Some(face);
            start = i;
        }
    }
    if let Some(f) = current {
        pieces.push((f, &text[start..]));
    }
    Ok(pieces)
}

/// Combining marks stay with the letter before them.
fn is_mark(c: char) -> bool {
    matches!(c, '\u{0300}'..='\u{036f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}' | '\u{20d0}'..='\u{20ff}')
}

/// The shaping plan of `face` for a direction and script, made once per process. A plan (the
/// face's features and lookups for the script) is what `rustybuzz::shape` compiles on every call
/// before shaping, and compiling it cost about a third of shaping a line. The buffers shaped
/// have no language set, as `rustybuzz::shape` would plan them.
fn plan(face: &Face, rtl: bool, script: Option<Script>) -> Arc<ShapePlan> {
    type Plans = RwLock<HashMap<(usize, bool, Option<Script>), Arc<ShapePlan>>>;
    static PLANS: OnceLock<Plans> = OnceLock::new();
    let plans = PLANS.get_or_init(Default::default);
    // Faces live as long as the process (see `FontSet::load`), so the address names one.
    let key = (std::ptr::from_ref(face) as usize, rtl, script);
    if let Some(p) = plans.read().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return p.clone();
    }
    let direction = if rtl {
        Direction::RightToLeft
    } else {
        Direction::LeftToRight
    };
    let made = Arc::new(ShapePlan::new(&face.shaper, direction, script, None, &[]));
    let mut plans = plans.write().unwrap_or_else(|e| e.into_inner());
    plans.entry(key).or_insert(made).clone()
}

fn shape_piece(fonts: &FontSet, style: Style, face: usize, text: &str, rtl: bool) -> Run {
    let f = &fonts.faces(style)[face];
    let mut buffer = UnicodeBuffer::new();
    buffer.push_str(text);
    buffer.guess_segment_properties();
    buffer.set_direction(if rtl {
        Direction::RightToLeft
    } else {
        Direction::LeftToRight
    });
    let script = buffer.script();
    let script = (script != rustybuzz::script::UNKNOWN).then_some(script);
    let out = rustybuzz::shape_with_plan(&f.shaper, &plan(f, rtl, script), buffer);
    let infos = out.glyph_infos();
    let positions = out.glyph_positions();
    // A cluster ends where the next larger cluster starts, whatever the direction.
    let mut starts: Vec<usize> = infos.iter().map(|i| i.cluster as usize).collect();
    starts.sort_unstable();
    starts.dedup();
    let end_of = |start: usize| {
        let at = starts.partition_point(|&s| s <= start);
        starts.get(at).copied().unwrap_or(text.len())
    };
    let upem = f.units_per_em;
    let mut width = 0.0;
    let glyphs = infos
        .iter()
        .zip(positions)
        .map(|(info, pos)| {
            let start = info.cluster as usize;
            let x_advance = pos.x_advance as f32 / upem;
            width += x_advance;
            Glyph {
                id: u16::try_from(info.glyph_id).unwrap_or(0),
                x_advance,
                x_offset: pos.x_offset as f32 / upem,
                y_offset: pos.y_offset as f32 / upem,
                text: start..end_of(start),
            }
        })
        .collect();
    Run {
        face,
        text: text.to_string(),
        glyphs,
        width,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn left_to_right_text_is_one_run_and_arabic_is_reordered() {
        let latin = "Łukasz Đorđević";
        assert_eq!(bidi_runs(latin), vec![(0..latin.len(), false)]);
        let text = "محمد Ali";
        let runs = bidi_runs(text);
        assert_eq!(runs.len(), 2, "{runs:?}");
        assert!(
            runs.iter()
                .any(|(r, rtl)| *rtl && text[r.clone()].contains("محمد"))
        );
    }

    #[test]
    fn marks_belong_to_the_letter_before_them() {
        assert!(is_mark('\u{0301}'));
        assert!(!is_mark('a'));
        assert!(is_rtl_letter('م'));
        assert!(!is_rtl_letter('王'));
    }
}
