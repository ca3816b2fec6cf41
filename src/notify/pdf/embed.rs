//! The fonts a document embeds: for each weight and face it draws with, a subset of the face
//! holding the glyphs it uses, as a `Type0` font with Identity-H encoding, widths and a
//! `ToUnicode` map (so `pdftotext` gives the text back).
//!
//! Most of a letter is Latin text in Noto Sans, and subsetting and compressing a face per letter
//! was most of a letter's cost. So the Latin glyphs of Noto Sans (printable ASCII, the Spanish
//! letters, the typographic punctuation of the wording and the ligatures shaping makes of them:
//! [`COMMON`]) form one **common subset** per weight, made once per process with its objects
//! (font, widths, `ToUnicode` map, compressed program) and copied as they are into every document
//! that uses it, at fixed object numbers. Any other glyph (a Vietnamese or Cyrillic letter, an
//! ideograph, an Arabic form) goes to the document's **own subset** of its face, made per
//! document from just those glyphs. Both depend only on what is drawn, so a letter's bytes stay
//! the same for the same input.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use pdf_writer::{Chunk, Ref};

use super::PdfError;
use super::fonts::{FontSet, Style};
use super::subset::{Subset, write_font};

/// The characters of the common subset (Noto Sans, both weights): printable ASCII, the letters
/// and marks of Spanish, and the punctuation the wording uses.
const COMMON: &str = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`\
                      abcdefghijklmnopqrstuvwxyz{|}~¡¿ºª°§áéíóúüñÁÉÍÓÚÜÑ•–—‘’“”…";

/// Letter pairs and triples that Noto Sans draws as one glyph (`fi`, `ffi`, …).
const LIGATURES: [&str; 5] = ["ff", "fi", "fl", "ffi", "ffl"];

/// Object numbers of the common subsets, five each (regular, then bold).
pub const COMMON_REFS: [i32; 2] = [6, 11];
/// The first object number after them.
pub const AFTER_COMMON: i32 = 16;

/// The common subset of one weight, with the text of each glyph and its objects, written once.
struct Common {
    subset: Subset,
    /// The text each CID stands for in the `ToUnicode` map, by CID (every glyph of every letter
    /// is looked up here).
    texts: Vec<Option<String>>,
    /// The five objects, at the weight's [`COMMON_REFS`].
    objects: Chunk,
}

/// The common subset of Noto Sans in `style`, made once per process and font set.
fn common(fonts: &FontSet, style: Style) -> Result<Arc<Common>, PdfError> {
    type Cache = Mutex<HashMap<(usize, Style), Arc<Common>>>;
    static COMMONS: OnceLock<Cache> = OnceLock::new();
    let key = (std::ptr::from_ref(fonts) as usize, style);
    let cache = COMMONS.get_or_init(Default::default);
    if let Some(s) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(s.clone());
    }
    let face = &fonts.faces(style)[0];
    let mut glyph_texts: BTreeMap<u16, String> = BTreeMap::new();
    let mut buf = [0u8; 4];
    let singles = COMMON.chars().map(|c| c.encode_utf8(&mut buf).to_string());
    for text in singles.chain(LIGATURES.iter().map(|s| s.to_string())) {
        let mut b = rustybuzz::UnicodeBuffer::new();
        b.push_str(&text);
        let out = rustybuzz::shape(&face.shaper, &[], b);
        if let [info] = out.glyph_infos() {
            let id = u16::try_from(info.glyph_id).unwrap_or(0);
            glyph_texts.entry(id).or_insert(text);
        }
    }
    let glyphs: BTreeSet<u16> = glyph_texts.keys().copied().collect();
    let subset = Subset::new(face, &glyphs, 9)?;
    let by_cid: BTreeMap<u16, String> = glyph_texts
        .into_iter()
        .filter_map(|(g, t)| Some((subset.cid(g)?, t)))
        .collect();
    let mut objects = Chunk::new();
    let at = Ref::new(COMMON_REFS[weight(style)]);
    write_font(&mut objects, at, face, &subset, &by_cid);
    let mut texts = vec![None; by_cid.keys().max().map_or(0, |c| usize::from(*c) + 1)];
    for (cid, t) in by_cid {
        texts[usize::from(cid)] = Some(t);
    }
    let common = Arc::new(Common {
        subset,
        texts,
        objects,
    });
    let mut map = cache.lock().unwrap_or_else(|e| e.into_inner());
    Ok(map.entry(key).or_insert(common).clone())
}

fn weight(style: Style) -> usize {
    match style {
        Style::Regular => 0,
        Style::Bold => 1,
    }
}

/// A face's glyphs of the document's own subset, then the subset and their texts.
#[derive(Default)]
struct Own {
    glyphs: BTreeSet<u16>,
    subset: Option<Subset>,
    texts: BTreeMap<u16, String>,
}

/// Which embedded font draws a glyph: the common subset of a weight, or a document's own subset
/// of a weight and face.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FontKey {
    /// The common subset of a weight.
    Common(Style),
    /// The document's own subset of a weight and face.
    Own(Style, usize),
}

/// The fonts of one document: record the glyphs first ([`Embedding::add`]), then
/// [`Embedding::prepare`], then look glyphs up while writing the pages, then write the fonts.
pub struct Embedding<'f> {
    fonts: &'f FontSet,
    common: [Option<Arc<Common>>; 2],
    used_common: [bool; 2],
    own: BTreeMap<(Style, usize), Own>,
}

/// A glyph as a page draws it: its font's resource name, CID and width (thousandths of an em).
pub struct Placed {
    /// The font.
    pub key: FontKey,
    /// Its CID in that font.
    pub cid: u16,
    /// Its width in the font's widths.
    pub width: f32,
}

impl<'f> Embedding<'f> {
    /// An empty embedding of faces of `fonts`.
    pub fn new(fonts: &'f FontSet) -> Self {
        Self {
            fonts,
            common: [None, None],
            used_common: [false, false],
            own: BTreeMap::new(),
        }
    }

    fn common_of(&mut self, style: Style) -> Result<&Arc<Common>, PdfError> {
        let slot = &mut self.common[weight(style)];
        if slot.is_none() {
            *slot = Some(common(self.fonts, style)?);
        }
        slot.as_ref().ok_or(PdfError::Write("common subset"))
    }

    /// Records that the document draws `glyph` of `face` in `style`.
    pub fn add(&mut self, style: Style, face: usize, glyph: u16) -> Result<(), PdfError> {
        if face == 0 && self.common_of(style)?.subset.cid(glyph).is_some() {
            self.used_common[weight(style)] = true;
        } else {
            self.own
                .entry((style, face))
                .or_default()
                .glyphs
                .insert(glyph);
        }
        Ok(())
    }

    /// Makes the document's own subsets.
    pub fn prepare(&mut self) -> Result<(), PdfError> {
        for ((style, face), own) in &mut self.own {
            let f = &self.fonts.faces(*style)[*face];
            own.subset = Some(Subset::new(f, &own.glyphs, 6)?);
        }
        Ok(())
    }

    /// Where a prepared glyph is drawn from.
    pub fn place(&self, style: Style, face: usize, glyph: u16) -> Placed {
        if face == 0
            && let Some(c) = &self.common[weight(style)]
            && let Some(cid) = c.subset.cid(glyph)
        {
            return Placed {
                key: FontKey::Common(style),
                cid,
                width: c.subset.width(cid),
            };
        }
        let subset = self.own.get(&(style, face)).and_then(|o| o.subset.as_ref());
        let cid = subset.and_then(|s| s.cid(glyph)).unwrap_or(0);
        Placed {
            key: FontKey::Own(style, face),
            cid,
            width: subset.map_or(0.0, |s| s.width(cid)),
        }
    }

    /// Maps the glyph to `text` unless it already stands for something; whether it stands for
    /// `text` (otherwise the text must be given as `ActualText`).
    pub fn map_text(&mut self, p: &Placed, text: &str) -> bool {
        match p.key {
            FontKey::Common(style) => self.common[weight(style)].as_ref().is_some_and(|c| {
                c.texts
                    .get(usize::from(p.cid))
                    .is_some_and(|t| t.as_deref() == Some(text))
            }),
            FontKey::Own(style, face) => self.own.get_mut(&(style, face)).is_some_and(|o| {
                o.texts
                    .entry(p.cid)
                    .or_insert_with(|| text.to_string())
                    .as_str()
                    == text
            }),
        }
    }

    /// Every font's resource name and first object, for the pages' resources; a document's own
    /// subsets take five objects each from `first`.
    pub fn resources(&self, first: Ref) -> Vec<(String, Ref)> {
        let mut out = Vec::new();
        for style in [Style::Regular, Style::Bold] {
            if self.used_common[weight(style)] {
                out.push((
                    resource(FontKey::Common(style)),
                    Ref::new(COMMON_REFS[weight(style)]),
                ));
            }
        }
        for (i, (style, face)) in self.own.keys().enumerate() {
            let at = Ref::new(first.get() + 5 * i as i32);
            out.push((resource(FontKey::Own(*style, *face)), at));
        }
        out
    }

    /// The subset names, for the document's id.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.own
            .values()
            .filter_map(|o| o.subset.as_ref().map(|s| s.name.as_str()))
    }

    /// Writes every font: the common subsets used at their fixed numbers, the document's own
    /// from `first`, five objects each.
    pub fn write(&self, chunk: &mut Chunk, first: Ref) {
        for w in 0..2 {
            if let (true, Some(c)) = (self.used_common[w], &self.common[w]) {
                chunk.extend(&c.objects);
            }
        }
        for (i, ((style, face), own)) in self.own.iter().enumerate() {
            if let Some(subset) = &own.subset {
                let at = Ref::new(first.get() + 5 * i as i32);
                let f = &self.fonts.faces(*style)[*face];
                write_font(chunk, at, f, subset, &own.texts);
            }
        }
    }
}

/// A font's resource name on the pages: `CR` / `CB` for the common subsets, `R3` / `B3` for a
/// document's own subset of face 3.
pub fn resource(key: FontKey) -> String {
    let letter = |s: Style| match s {
        Style::Regular => 'R',
        Style::Bold => 'B',
    };
    match key {
        FontKey::Common(s) => format!("C{}", letter(s)),
        FontKey::Own(s, face) => format!("{}{face}", letter(s)),
    }
}
