//! Print batches: a day's letters, besides one PDF each, as PDFs of at most [`BATCH_LETTERS`]
//! letters, which is what print-and-mail vendors ingest.
//!
//! `docket notices batch --date D` lays out again the letters sent for that issue date (the same
//! pages as their single PDFs: layout is deterministic) in key order, writes
//! `batch-<date>-<nnn>.pdf` files into the day's folder, and then `batches.ndjson`: one record
//! per batch file (its sha256, letters and pages), one per letter (its key and file, the batch and
//! the page range it fills) and a closing record with the counts. The batch files and the
//! manifest are written through a temporary name and a rename, so a vendor never picks up half a
//! file, and running the command again rewrites the same bytes.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::letter;
use super::offices::Offices;
use super::pdf::{self, DocInfo, FontSet, Page, PdfError};
use super::print::file_name;
use super::templates::Templates;
use crate::domain::{Channel, NoticePayload};
use crate::files::Access;

/// Letters per batch file at most.
pub const BATCH_LETTERS: usize = 500;

/// The batch manifest in each day's folder.
pub const BATCH_MANIFEST: &str = "batches.ndjson";

/// Why a day's batches cannot be written; the text names keys and files, never a person.
#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    /// A letter cannot be laid out (a court left the office directory, a character lost its font).
    #[error("letter {key}: {reason}")]
    Letter {
        /// The notice's key.
        key: String,
        /// Why.
        reason: String,
    },
    /// The batch PDF could not be written.
    #[error("batch {file}: {source}")]
    Pdf {
        /// The batch file.
        file: String,
        /// Why.
        source: PdfError,
    },
    /// The day's folder could not be written.
    #[error("print folder {path}: {reason}")]
    Io {
        /// The file or folder.
        path: String,
        /// What went wrong.
        reason: String,
    },
}

/// One line of `batches.ndjson`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "snake_case")]
pub enum BatchRecord {
    /// A batch file.
    Batch {
        /// File name in the day's folder.
        file: String,
        /// sha256 of the file, hex.
        sha256: String,
        /// Letters in it.
        letters: usize,
        /// Pages in it.
        pages: usize,
    },
    /// A letter and where it is printed.
    Letter {
        /// The notice's key.
        key: String,
        /// The letter's own PDF in the day's folder.
        file: String,
        /// The batch file it is printed from.
        batch: String,
        /// Its first page in the batch (from 1).
        first_page: usize,
        /// Its last page in the batch.
        last_page: usize,
    },
    /// The last line: the day's counts.
    Closing {
        /// Issue date of the letters.
        date: chrono::NaiveDate,
        /// Batch files.
        batches: usize,
        /// Letters.
        letters: usize,
        /// Pages.
        pages: usize,
    },
}

/// A sent letter: its key and payload.
pub struct SentLetter {
    /// The notice's key.
    pub key: String,
    /// What it says.
    pub payload: NoticePayload,
}

/// Lays out one letter's pages, as its own PDF has them.
fn pages_of(
    fonts: &FontSet,
    offices: &Offices,
    templates: &Templates,
    l: &SentLetter,
) -> Result<Vec<Page>, BatchError> {
    let bad = |reason: String| BatchError::Letter {
        key: l.key.clone(),
        reason,
    };
    let address = l
        .payload
        .address
        .as_ref()
        .ok_or_else(|| bad("no postal address in payload".into()))?;
    let office = super::office_for(offices, &l.payload).map_err(|e| bad(e.to_string()))?;
    let notice = templates
        .render(&l.payload, Channel::Letter, office)
        .map_err(|e| bad(e.to_string()))?;
    letter::layout(fonts, &notice, &l.payload.addressee_name, address, office)
        .map_err(|e| bad(e.to_string()))
}

fn io(path: &Path) -> impl Fn(crate::files::FilesError) -> BatchError + '_ {
    move |e| BatchError::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

/// Writes `bytes` to `dir/name` through a temporary file and a rename.
fn write_atomically(
    access: Access,
    dir: &Path,
    name: &str,
    bytes: &[u8],
) -> Result<(), BatchError> {
    let target = dir.join(name);
    let tmp = dir.join(format!(".{name}.tmp"));
    access.write(&tmp, bytes).map_err(io(&tmp))?;
    std::fs::rename(&tmp, &target).map_err(|e| BatchError::Io {
        path: target.display().to_string(),
        reason: e.kind().to_string(),
    })
}

/// What letters are written with: the fonts, the office directory and the notice templates.
#[derive(Clone, Copy)]
pub struct LetterKit<'a> {
    /// The letters' fonts.
    pub fonts: &'a FontSet,
    /// Court → office.
    pub offices: &'a Offices,
    /// The wording.
    pub templates: &'a Templates,
}

/// Writes the batches of the letters issued on `date` into `dir` (the day's folder), at most
/// `per_batch` letters each ([`BATCH_LETTERS`] for the command), and returns the manifest's
/// records. Letters are sorted by key, so the batches do not depend on the order they were sent in.
pub fn write_day(
    kit: LetterKit<'_>,
    access: Access,
    dir: &Path,
    date: chrono::NaiveDate,
    mut letters: Vec<SentLetter>,
    per_batch: usize,
) -> Result<Vec<BatchRecord>, BatchError> {
    letters.sort_by(|a, b| a.key.cmp(&b.key));
    access.create_dir(dir).map_err(io(dir))?;
    let mut records = Vec::new();
    let (mut total_pages, mut batches) = (0, 0);
    for (n, chunk) in letters.chunks(per_batch.max(1)).enumerate() {
        let file = format!("batch-{date}-{:03}.pdf", n + 1);
        let mut pages: Vec<Page> = Vec::new();
        let mut listed = Vec::with_capacity(chunk.len());
        for l in chunk {
            let first_page = pages.len() + 1;
            pages.extend(pages_of(kit.fonts, kit.offices, kit.templates, l)?);
            listed.push(BatchRecord::Letter {
                key: l.key.clone(),
                file: file_name(&l.key),
                batch: file.clone(),
                first_page,
                last_page: pages.len(),
            });
        }
        let title = format!("Print batch {date} no. {}", n + 1);
        let info = DocInfo {
            title: &title,
            lang: "en",
            date,
        };
        let bytes = pdf::write(kit.fonts, &pages, &info).map_err(|source| BatchError::Pdf {
            file: file.clone(),
            source,
        })?;
        write_atomically(access, dir, &file, &bytes)?;
        records.push(BatchRecord::Batch {
            file,
            sha256: hex::encode(Sha256::digest(&bytes)),
            letters: chunk.len(),
            pages: pages.len(),
        });
        records.extend(listed);
        total_pages += pages.len();
        batches += 1;
    }
    records.push(BatchRecord::Closing {
        date,
        batches,
        letters: letters.len(),
        pages: total_pages,
    });
    let mut text = String::new();
    for r in &records {
        text.push_str(&serde_json::to_string(r).expect("records serialize"));
        text.push('\n');
    }
    write_atomically(access, dir, BATCH_MANIFEST, text.as_bytes())?;
    Ok(records)
}

/// Reads a day's batch manifest.
pub fn read_batches(dir: &Path) -> std::io::Result<Vec<BatchRecord>> {
    let text = std::fs::read_to_string(dir.join(BATCH_MANIFEST))?;
    text.lines()
        .map(|l| serde_json::from_str(l).map_err(std::io::Error::other))
        .collect()
}

/// The day's folder under the print root.
pub fn day_dir(root: &Path, date: chrono::NaiveDate) -> PathBuf {
    root.join(date.format("%Y-%m-%d").to_string())
}
