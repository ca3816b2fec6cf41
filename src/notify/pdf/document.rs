//! The file around the pages: catalog, page tree, document information and XMP metadata with
//! the PDF/A-2u identification, the sRGB output intent, and a file id derived from the content
//! (no clock, no random id: the same letter gives the same bytes).

use chrono::Datelike;
use pdf_writer::types::OutputIntentSubtype;
use pdf_writer::{Date, Filter, Finish, Name, Pdf, Rect, Ref, TextStr};
use sha2::{Digest, Sha256};
use xmp_writer::XmpWriter;

use super::embed::{AFTER_COMMON, Embedding};
use super::subset::deflate;
use super::{DocInfo, PAGE_HEIGHT, PAGE_WIDTH};

/// The sRGB profile of the output intent PDF/A asks for: `sRGB-v4.icc` of saucecontrol's
/// Compact-ICC-Profiles (CC0), 480 bytes.
const SRGB: &[u8] = include_bytes!("sRGB-v4.icc");

const CATALOG: Ref = Ref::new(1);
const PAGE_TREE: Ref = Ref::new(2);
const INFO: Ref = Ref::new(3);
const METADATA: Ref = Ref::new(4);
const PROFILE: Ref = Ref::new(5);
/// After the common subsets' objects, pages take two objects each (page, content), then the
/// document's own subsets five each.
const FIRST_PAGE: i32 = AFTER_COMMON;

/// Compression of the per-document content streams: level 1 keeps most of the saving at a
/// fraction of level 6's time.
const CONTENT_LEVEL: u32 = 1;

/// Bytes reserved for a file up front: a letter with its fonts and a page or two.
const LETTER_CAPACITY: usize = 64 * 1024;

/// Assembles the PDF from the pages' content streams and the document's fonts.
pub fn assemble(embedding: &Embedding, contents: &[Vec<u8>], info: &DocInfo) -> Vec<u8> {
    // Room for a whole letter (about 45 KB) at once, instead of growing and copying from 8 KB.
    let mut pdf = Pdf::with_capacity(LETTER_CAPACITY);
    let pages = i32::try_from(contents.len()).unwrap_or(i32::MAX);
    let fonts_at = Ref::new(FIRST_PAGE + 2 * pages);
    let resources = embedding.resources(fonts_at);
    let page_refs: Vec<Ref> = (0..pages).map(|i| Ref::new(FIRST_PAGE + 2 * i)).collect();
    pdf.pages(PAGE_TREE)
        .kids(page_refs.iter().copied())
        .count(pages);
    let mut id = Sha256::new();
    for (i, content) in contents.iter().enumerate() {
        id.update(content);
        let page_ref = page_refs[i];
        let content_ref = Ref::new(page_ref.get() + 1);
        let mut page = pdf.page(page_ref);
        page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .parent(PAGE_TREE)
            .contents(content_ref);
        let mut res = page.resources();
        let mut fonts = res.fonts();
        for (name, r) in &resources {
            fonts.pair(Name(name.as_bytes()), *r);
        }
        fonts.finish();
        res.finish();
        page.finish();
        pdf.stream(content_ref, &deflate(content, CONTENT_LEVEL))
            .filter(Filter::FlateDecode);
    }
    embedding.write(&mut pdf, fonts_at);
    for name in embedding.names() {
        id.update(name.as_bytes());
    }
    id.update(info.title.as_bytes());
    id.update(info.lang.as_bytes());
    id.update(info.date.to_string().as_bytes());
    let id: String = id.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    describe(&mut pdf, info, &id, pages);
    pdf.set_file_id((id.as_bytes().to_vec(), id.as_bytes().to_vec()));
    pdf.finish()
}

/// Catalog, document information, XMP metadata and output intent.
fn describe(pdf: &mut Pdf, info: &DocInfo, id: &str, pages: i32) {
    let (year, month, day) = (
        u16::try_from(info.date.year()).unwrap_or(2000),
        info.date.month() as u8,
        info.date.day() as u8,
    );
    let mut xmp = XmpWriter::new();
    xmp.title([(None, info.title)]);
    xmp.language([xmp_writer::LangId(info.lang)]);
    xmp.producer("docket");
    let date = xmp_writer::DateTime::date(year, month, day);
    xmp.create_date(date);
    xmp.modify_date(date);
    xmp.format("application/pdf");
    xmp.num_pages(u32::try_from(pages).unwrap_or(0));
    xmp.document_id(id);
    xmp.instance_id(id);
    xmp.pdfa_part(2);
    xmp.pdfa_conformance("U");
    let xmp = xmp.finish(None);
    pdf.metadata(METADATA, xmp.as_bytes());
    let pdf_date = Date::new(year).month(month).day(day);
    pdf.document_info(INFO)
        .title(TextStr(info.title))
        .producer(TextStr("docket"))
        .creation_date(pdf_date)
        .modified_date(pdf_date);
    pdf.icc_profile(PROFILE, SRGB)
        .n(3)
        .range([0.0, 1.0, 0.0, 1.0, 0.0, 1.0]);
    let mut catalog = pdf.catalog(CATALOG);
    catalog
        .pages(PAGE_TREE)
        .metadata(METADATA)
        .lang(TextStr(info.lang));
    catalog
        .output_intents()
        .push()
        .subtype(OutputIntentSubtype::PDFA)
        .output_condition_identifier(TextStr("Custom"))
        .output_condition(TextStr("sRGB"))
        .registry_name(TextStr(""))
        .info(TextStr("sRGB v4"))
        .dest_output_profile(PROFILE);
    catalog.finish();
}
