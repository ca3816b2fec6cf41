//! The fonts a letter is set in: Noto Sans and the Noto families of the other scripts, read once per
//! process from the Debian packages `fonts-noto-core` and `fonts-noto-cjk` (installed by the
//! project's set-up and by the container image; see the README, "Letters").
//!
//! Each character goes to the first face of [`CHAIN`] that has a glyph for it. A character no face
//! covers is refused with its code point (never replaced by `?` or an empty box), so the letter is
//! held instead of being mailed with a name no one can read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// The two weights a letter uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Style {
    /// Regular weight.
    Regular,
    /// Bold weight.
    Bold,
}

/// One family of the fallback chain: files under the fonts directory, and the face index in a
/// collection (`.ttc`).
struct Family {
    regular: &'static str,
    bold: &'static str,
    index: u32,
}

const fn family(regular: &'static str, bold: &'static str, index: u32) -> Family {
    Family {
        regular,
        bold,
        index,
    }
}

/// Fallback order. Noto Sans covers Latin (Vietnamese, Polish, Serbian Latin …), Greek and
/// Cyrillic; the others one script each; Noto Sans CJK SC (face 2 of the collection) covers
/// Chinese, Japanese kana and Korean hangul.
const CHAIN: &[Family] = &[
    family(
        "truetype/noto/NotoSans-Regular.ttf",
        "truetype/noto/NotoSans-Bold.ttf",
        0,
    ),
    family(
        "truetype/noto/NotoSansArabic-Regular.ttf",
        "truetype/noto/NotoSansArabic-Bold.ttf",
        0,
    ),
    family(
        "truetype/noto/NotoSansHebrew-Regular.ttf",
        "truetype/noto/NotoSansHebrew-Bold.ttf",
        0,
    ),
    family(
        "opentype/noto/NotoSansCJK-Regular.ttc",
        "opentype/noto/NotoSansCJK-Bold.ttc",
        2,
    ),
    family(
        "truetype/noto/NotoSansDevanagari-Regular.ttf",
        "truetype/noto/NotoSansDevanagari-Bold.ttf",
        0,
    ),
    family(
        "truetype/noto/NotoSansGurmukhi-Regular.ttf",
        "truetype/noto/NotoSansGurmukhi-Bold.ttf",
        0,
    ),
    family(
        "truetype/noto/NotoSansBengali-Regular.ttf",
        "truetype/noto/NotoSansBengali-Bold.ttf",
        0,
    ),
    family(
        "truetype/noto/NotoSansGujarati-Regular.ttf",
        "truetype/noto/NotoSansGujarati-Bold.ttf",
        0,
    ),
    family(
        "truetype/noto/NotoSansTamil-Regular.ttf",
        "truetype/noto/NotoSansTamil-Bold.ttf",
        0,
    ),
    family(
        "truetype/noto/NotoSansTelugu-Regular.ttf",
        "truetype/noto/NotoSansTelugu-Bold.ttf",
        0,
    ),
    family(
        "truetype/noto/NotoSansEthiopic-Regular.ttf",
        "truetype/noto/NotoSansEthiopic-Bold.ttf",
        0,
    ),
    family(
        "truetype/noto/NotoSansArmenian-Regular.ttf",
        "truetype/noto/NotoSansArmenian-Bold.ttf",
        0,
    ),
    family(
        "truetype/noto/NotoSansGeorgian-Regular.ttf",
        "truetype/noto/NotoSansGeorgian-Bold.ttf",
        0,
    ),
    family(
        "truetype/noto/NotoSansThai-Regular.ttf",
        "truetype/noto/NotoSansThai-Bold.ttf",
        0,
    ),
    family(
        "truetype/noto/NotoSansLao-Regular.ttf",
        "truetype/noto/NotoSansLao-Bold.ttf",
        0,
    ),
    family(
        "truetype/noto/NotoSansKhmer-Regular.ttf",
        "truetype/noto/NotoSansKhmer-Bold.ttf",
        0,
    ),
    family(
        "truetype/noto/NotoSansMyanmar-Regular.ttf",
        "truetype/noto/NotoSansMyanmar-Bold.ttf",
        0,
    ),
    family(
        "truetype/noto/NotoSansSinhala-Regular.ttf",
        "truetype/noto/NotoSansSinhala-Bold.ttf",
        0,
    ),
];

/// Why the fonts cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FontError {
    /// A font file is missing or unreadable.
    #[error("font file {path}: {reason} (install Debian's fonts-noto-core and fonts-noto-cjk)")]
    Unreadable {
        /// The file.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// A file is not a font with the expected face.
    #[error("font file {path}: face {index} is not a usable OpenType font")]
    NotAFont {
        /// The file.
        path: String,
        /// The face index.
        index: u32,
    },
}

/// One loaded face: the bytes (kept for the life of the process), the shaper's view of them and
/// what the PDF's font descriptor says of it.
pub struct Face {
    /// The shaping face (rustybuzz), borrowing the process-lifetime bytes.
    pub shaper: rustybuzz::Face<'static>,
    /// The font file's bytes (a collection for the CJK faces).
    pub data: &'static [u8],
    /// The face's index in `data`.
    pub index: u32,
    /// Units per em, to scale advances.
    pub units_per_em: f32,
    /// PostScript name (the embedded font's name after its subset tag).
    pub postscript_name: String,
    /// Whether the outlines are CFF (embedded as `FontFile3`) rather than TrueType.
    pub cff: bool,
}

impl Face {
    /// Whether the face has a glyph for `c`.
    pub fn covers(&self, c: char) -> bool {
        self.shaper.glyph_index(c).is_some()
    }
}

/// Every face of the chain, in both weights.
pub struct FontSet {
    regular: Vec<Face>,
    bold: Vec<Face>,
}

/// Bytes read once and kept for the process: the same file is never read twice, whichever
/// families or weights share it.
fn read_once(path: &Path) -> Result<&'static [u8], FontError> {
    static FILES: OnceLock<Mutex<HashMap<PathBuf, &'static [u8]>>> = OnceLock::new();
    let mut files = FILES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(bytes) = files.get(path) {
        return Ok(bytes);
    }
    let bytes = std::fs::read(path).map_err(|e| FontError::Unreadable {
        path: path.display().to_string(),
        reason: e.kind().to_string(),
    })?;
    // Leaked on purpose: faces borrow these bytes for the life of the process, and each file is
    // read at most once.
    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
    files.insert(path.to_path_buf(), bytes);
    Ok(bytes)
}

fn load_face(dir: &Path, file: &str, index: u32) -> Result<Face, FontError> {
    let path = dir.join(file);
    let bytes = read_once(&path)?;
    let bad = || FontError::NotAFont {
        path: path.display().to_string(),
        index,
    };
    let shaper = rustybuzz::Face::from_slice(bytes, index).ok_or_else(bad)?;
    let units_per_em = shaper.units_per_em() as f32;
    let postscript_name = shaper
        .names()
        .into_iter()
        .find(|n| n.name_id == rustybuzz::ttf_parser::name_id::POST_SCRIPT_NAME)
        .and_then(|n| n.to_string())
        .unwrap_or_else(|| "Noto".to_string())
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect();
    let cff = shaper.tables().cff.is_some();
    Ok(Face {
        shaper,
        data: bytes,
        index,
        units_per_em,
        postscript_name,
        cff,
    })
}

impl FontSet {
    /// The fonts under `dir` (normally `/usr/share/fonts`), loaded once per process and directory.
    pub fn load(dir: &Path) -> Result<Arc<FontSet>, FontError> {
        static SETS: OnceLock<Mutex<HashMap<PathBuf, Arc<FontSet>>>> = OnceLock::new();
        let mut sets = SETS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(set) = sets.get(dir) {
            return Ok(set.clone());
        }
        let mut regular = Vec::with_capacity(CHAIN.len());
        let mut bold = Vec::with_capacity(CHAIN.len());
        for f in CHAIN {
            regular.push(load_face(dir, f.regular, f.index)?);
            bold.push(load_face(dir, f.bold, f.index)?);
        }
        let set = Arc::new(FontSet { regular, bold });
        sets.insert(dir.to_path_buf(), set.clone());
        Ok(set)
    }

    /// The faces of one weight, in fallback order.
    pub fn faces(&self, style: Style) -> &[Face] {
        match style {
            Style::Regular => &self.regular,
            Style::Bold => &self.bold,
        }
    }

    /// Index of the first face of `style` covering `c`.
    pub fn face_for(&self, style: Style, c: char) -> Option<usize> {
        self.faces(style).iter().position(|f| f.covers(c))
    }

    /// The first character of `text` that no face covers.
    pub fn uncovered(&self, text: &str) -> Option<char> {
        text.chars()
            .find(|&c| !is_invisible(c) && self.face_for(Style::Regular, c).is_none())
    }
}

/// Characters that draw nothing and need no glyph of their own (joiners, marks of direction).
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{fe00}'..='\u{fe0f}'
    )
}
