//! One subset of a face (subsetter: the glyphs a document draws, renumbered from 1), compressed,
//! and the five PDF objects that embed it: `Type0` font, CID font with its widths, descriptor,
//! font program and `ToUnicode` map.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use flate2::{Compress, Compression, FlushCompress, Status};
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Chunk, Filter, Finish, Name, Rect, Ref, Str};
use rustybuzz::ttf_parser::{GlyphId, RawFace, Tag};
use sha2::{Digest, Sha256};

use super::PdfError;
use super::fonts::Face;

/// A glyph not in a subset, in [`Subset`]'s table.
const NO_CID: u16 = u16::MAX;

/// Glyph ids below which a subset looks CIDs up in a table rather than by a binary search: the
/// relay looks up every glyph of every letter in the common subset (Latin glyph ids of Noto Sans
/// are below 4,000), and a table of 8,192 entries is 16 KB.
const DENSE_UP_TO: usize = 8_192;

/// A subset of a face: its glyphs, widths and compressed program.
pub struct Subset {
    /// The compressed font program: the whole TrueType subset, or the bare CFF table.
    pub program: Vec<u8>,
    /// (glyph id in the face, glyph id in the subset = CID), sorted.
    pub cids: Vec<(u16, u16)>,
    /// CID by glyph id in the face ([`NO_CID`]: not in the subset), when the glyph ids are
    /// small enough for a table ([`DENSE_UP_TO`]); otherwise empty, and `cids` is searched.
    dense: Vec<u16>,
    /// Advance of each subset glyph, in thousandths of an em.
    pub widths: Vec<f32>,
    /// Subset tag and PostScript name (`ABCDEF+NotoSans-Regular`).
    pub name: String,
}

impl Subset {
    /// Subsets `face` to `glyphs` (ids in the face), compressed at `level`.
    pub fn new(face: &Face, glyphs: &BTreeSet<u16>, level: u32) -> Result<Subset, PdfError> {
        let sorted: Vec<u16> = glyphs.iter().copied().collect();
        let remapper = subsetter::GlyphRemapper::new_from_glyphs_sorted(&sorted);
        let data = subsetter::subset(face.data, face.index, &remapper)
            .map_err(|_| PdfError::Write("a font could not be subset"))?;
        let program = if face.cff {
            let raw = RawFace::parse(&data, 0).map_err(|_| PdfError::Write("font subset"))?;
            let cff = raw
                .table(Tag::from_bytes(b"CFF "))
                .ok_or(PdfError::Write("font subset without CFF"))?;
            deflate(cff, level)
        } else {
            deflate(&data, level)
        };
        let scale = 1000.0 / face.units_per_em;
        let mut cids = Vec::with_capacity(sorted.len() + 1);
        let mut widths = Vec::with_capacity(sorted.len() + 1);
        for old in remapper.remapped_gids() {
            cids.push((old, remapper.get(old).unwrap_or(0)));
            let advance = face.shaper.glyph_hor_advance(GlyphId(old)).unwrap_or(0);
            widths.push(f32::from(advance) * scale);
        }
        cids.sort_unstable();
        let dense = match cids.last() {
            Some((max, _)) if usize::from(*max) < DENSE_UP_TO => {
                let mut table = vec![NO_CID; usize::from(*max) + 1];
                for (old, cid) in &cids {
                    table[usize::from(*old)] = *cid;
                }
                table
            }
            _ => Vec::new(),
        };
        let mut hash = Sha256::new();
        hash.update(face.postscript_name.as_bytes());
        for g in &sorted {
            hash.update(g.to_be_bytes());
        }
        let tag: String = hash.finalize()[..6]
            .iter()
            .map(|b| char::from(b'A' + b % 26))
            .collect();
        Ok(Subset {
            program,
            cids,
            dense,
            widths,
            name: format!("{tag}+{}", face.postscript_name),
        })
    }

    /// The subset's id of `glyph`, if it has it.
    pub fn cid(&self, glyph: u16) -> Option<u16> {
        if !self.dense.is_empty() {
            let cid = *self.dense.get(usize::from(glyph))?;
            return (cid != NO_CID).then_some(cid);
        }
        self.cids
            .binary_search_by_key(&glyph, |(old, _)| *old)
            .ok()
            .map(|i| self.cids[i].1)
    }

    /// Width of subset glyph `cid`, in thousandths of an em.
    pub fn width(&self, cid: u16) -> f32 {
        self.widths.get(usize::from(cid)).copied().unwrap_or(0.0)
    }
}

/// zlib-compressed `data` (FlateDecode).
///
/// Each thread keeps one compressor per level and resets it between streams: making a
/// compressor allocates and clears a few hundred kilobytes of tables, which for a letter's
/// small content streams cost about as much as compressing them. A reset compressor is in the
/// same state as a new one, so the bytes do not depend on what the thread compressed before.
pub fn deflate(data: &[u8], level: u32) -> Vec<u8> {
    thread_local! {
        static COMPRESSORS: RefCell<Vec<(u32, Compress)>> = const { RefCell::new(Vec::new()) };
    }
    COMPRESSORS.with(|cell| {
        let Ok(mut kept) = cell.try_borrow_mut() else {
            return deflate_with(&mut Compress::new(Compression::new(level), true), data);
        };
        let at = match kept.iter().position(|(l, _)| *l == level) {
            Some(at) => at,
            None => {
                kept.push((level, Compress::new(Compression::new(level), true)));
                kept.len() - 1
            }
        };
        let c = &mut kept[at].1;
        c.reset();
        deflate_with(c, data)
    })
}

/// Compresses `data` whole with `c` (new or just reset).
fn deflate_with(c: &mut Compress, data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() / 2 + 64);
    loop {
        let done = usize::try_from(c.total_in()).unwrap_or(data.len());
        match c.compress_vec(
            &data[done.min(data.len())..],
            &mut out,
            FlushCompress::Finish,
        ) {
            Ok(Status::StreamEnd) => return out,
            // Compressing into a Vec with room to grow does not fail; as before, no stream.
            Err(_) => return Vec::new(),
            Ok(_) => out.reserve(out.capacity().max(1024)),
        }
    }
}

const IDENTITY_H: &str = "Identity-H";

/// Writes the Type0 font, CID font, descriptor, program and ToUnicode map at `base` … `base + 4`.
pub fn write_font(
    chunk: &mut Chunk,
    base: Ref,
    face: &Face,
    subset: &Subset,
    texts: &BTreeMap<u16, String>,
) {
    let [type0, cid_ref, descriptor, program, cmap_ref] =
        [0, 1, 2, 3, 4].map(|i| Ref::new(base.get() + i));
    let name = subset.name.as_str();
    let type0_name = if face.cff {
        format!("{name}-{IDENTITY_H}")
    } else {
        name.to_string()
    };
    chunk
        .type0_font(type0)
        .base_font(Name(type0_name.as_bytes()))
        .encoding_predefined(Name(IDENTITY_H.as_bytes()))
        .descendant_font(cid_ref)
        .to_unicode(cmap_ref);
    let system_info = SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    };
    let mut cid = chunk.cid_font(cid_ref);
    cid.subtype(if face.cff {
        CidFontType::Type0
    } else {
        CidFontType::Type2
    });
    cid.base_font(Name(name.as_bytes()))
        .system_info(system_info)
        .font_descriptor(descriptor)
        .default_width(0.0);
    if !face.cff {
        cid.cid_to_gid_map_predefined(Name(b"Identity"));
    }
    cid.widths().consecutive(0, subset.widths.iter().copied());
    cid.finish();
    write_descriptor(chunk, descriptor, program, face, name);
    let mut stream = chunk.stream(program, &subset.program);
    stream.filter(Filter::FlateDecode);
    if face.cff {
        stream.pair(Name(b"Subtype"), Name(b"CIDFontType0C"));
    }
    stream.finish();
    let mut cmap = UnicodeCmap::new(Name(b"Custom"), system_info);
    for (cid, text) in texts {
        cmap.pair_with_multiple(*cid, text.chars());
    }
    let cmap = cmap.finish();
    chunk.cmap(cmap_ref, &cmap);
}

fn write_descriptor(chunk: &mut Chunk, at: Ref, program: Ref, face: &Face, name: &str) {
    let f = &face.shaper;
    let scale = 1000.0 / face.units_per_em;
    let b = f.global_bounding_box();
    let ascent = f32::from(f.ascender()) * scale;
    let weight = f32::from(f.weight().to_number());
    let mut d = chunk.font_descriptor(at);
    d.name(Name(name.as_bytes()))
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(
            f32::from(b.x_min) * scale,
            f32::from(b.y_min) * scale,
            f32::from(b.x_max) * scale,
            f32::from(b.y_max) * scale,
        ))
        .italic_angle(f.italic_angle())
        .ascent(ascent)
        .descent(f32::from(f.descender()) * scale)
        .cap_height(f.capital_height().map_or(ascent, |c| f32::from(c) * scale))
        .stem_v(10.0 + 0.244 * (weight - 50.0));
    if face.cff {
        d.font_file3(program);
    } else {
        d.font_file2(program);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inflate(z: &[u8]) -> Vec<u8> {
        use std::io::Read;
        let mut out = Vec::new();
        flate2::read::ZlibDecoder::new(z)
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn a_reused_compressor_gives_the_bytes_of_a_new_one() {
        let text = b"BT /CR 10 Tf 1 0 0 1 72 700 Tm [<0041004200430044>]TJ ET\n".repeat(40);
        // Hardly compressible and larger than the first guess at the output's size.
        let mut x = 7u32;
        let noise: Vec<u8> = (0..200_000)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (x >> 16) as u8
            })
            .collect();
        let first = deflate(&text, 1);
        assert!(first.len() < text.len() / 4, "{}", first.len());
        let noisy = deflate(&noise, 1);
        assert_eq!(inflate(&noisy), noise);
        assert_eq!(deflate(&text, 1), first, "same bytes after other streams");
        assert_eq!(inflate(&first), text);
        let fresh = deflate_with(&mut Compress::new(Compression::new(1), true), &text);
        assert_eq!(fresh, first);
        assert_eq!(inflate(&deflate(&text, 6)), text);
    }
    use crate::notify::pdf::Style;

    #[test]
    fn a_glyph_has_the_same_cid_by_table_as_by_search() {
        let fonts = crate::notify::templates::tests::fonts();
        let face = &fonts.faces(Style::Regular)[0];
        let glyphs: BTreeSet<u16> = [3, 36, 68, 1200, 2500].into_iter().collect();
        let mut subset = Subset::new(face, &glyphs, 1).unwrap();
        assert!(!subset.dense.is_empty(), "small glyph ids: a table");
        let by_table: Vec<_> = (0..3000).map(|g| subset.cid(g)).collect();
        subset.dense.clear();
        let by_search: Vec<_> = (0..3000).map(|g| subset.cid(g)).collect();
        assert_eq!(by_table, by_search);
        assert!(glyphs.iter().all(|g| by_table[usize::from(*g)].is_some()));
        assert_eq!(
            by_table.iter().flatten().count(),
            glyphs.len() + 1,
            "and .notdef"
        );
        assert_eq!(subset.cid(u16::MAX), None);
    }
}
