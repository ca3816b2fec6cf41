//! The letter channel: each letter becomes `<print_dir>/<issue date>/<key as file name>.pdf`, and
//! one line in that folder's `manifest.ndjson` (see `manifest`), the way batches go to a
//! print-and-mail vendor.
//!
//! Idempotent: the file name comes from the key and the bytes from the payload, so a retry
//! rewrites the same file (atomically, through a rename), and the manifest gets a key's line
//! once. The manifest names file, key, kind, recipient type, language and page count; the
//! address is printed on the letter itself, so the manifest needs none.
//!
//! A relay hands over a whole batch of letters: one blocking task renders and writes them on
//! every core (each thread taking the next letter), creates each day's folder once, and appends
//! the batch's manifest lines in one write. Per letter, that used to be two hops to the blocking
//! pool, a folder creation, a random temporary name, and a look at the manifest and an append.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use super::letter;
use super::manifest::Manifests;
pub use super::manifest::{MANIFEST, ManifestEntry, read_manifest};
use super::offices::Offices;
use super::pdf::{FontSet, PdfError};
use super::templates::Templates;
use super::work::par_map;
use super::{Job, SendError};
use crate::domain::{Channel, NoticePayload};
use crate::files::Access;

/// The day folders of a batch, each made once: whether it could be.
type Folders = BTreeMap<PathBuf, OnceLock<Result<(), SendError>>>;

/// Writes letters into the print folder.
#[derive(Clone)]
pub struct PrintChannel {
    access: Access,
    root: PathBuf,
    offices: Arc<Offices>,
    fonts: Arc<FontSet>,
    templates: Arc<Templates>,
    manifests: Arc<Manifests>,
}

/// The file name of a key: `/` and anything unusual become `_`.
pub fn file_name(key: &str) -> String {
    let safe: String = key
        .chars()
        .map(|c| match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '.' => c,
            _ => '_',
        })
        .collect();
    format!("{safe}.pdf")
}

fn files_io(e: crate::files::FilesError) -> SendError {
    match e {
        crate::files::FilesError::Io(e) => {
            SendError::Transient(format!("print folder: {}", e.kind()))
        }
        other => SendError::Permanent(other.to_string()),
    }
}

impl PrintChannel {
    /// A channel writing under `root`, files readable by the owner only.
    pub fn new(root: PathBuf, offices: Arc<Offices>, fonts: Arc<FontSet>) -> Self {
        Self::with_access(root, offices, fonts, Access::default())
    }

    /// A channel writing under `root` with the given file access.
    pub fn with_access(
        root: PathBuf,
        offices: Arc<Offices>,
        fonts: Arc<FontSet>,
        access: Access,
    ) -> Self {
        Self {
            access,
            root,
            offices,
            fonts,
            templates: Templates::shipped(),
            manifests: Arc::new(Manifests::default()),
        }
    }

    /// The channel, writing with `templates` instead of the shipped ones.
    pub fn with_templates(mut self, templates: Arc<Templates>) -> Self {
        self.templates = templates;
        self
    }

    /// The folder of one issue date.
    pub fn day_dir(&self, payload: &NoticePayload) -> PathBuf {
        self.root
            .join(payload.issued_on.format("%Y-%m-%d").to_string())
    }

    /// Renders the letter, writes it, and records it in the manifest once.
    pub async fn send(&self, key: &str, payload: &NoticePayload) -> Result<(), SendError> {
        let job = Job {
            key: key.to_string(),
            payload: payload.clone(),
        };
        let mut sent = self.send_batch(vec![job]).await;
        sent.pop()
            .unwrap_or_else(|| Err(SendError::Transient("letter not written".into())))
    }

    /// Renders and writes every letter of `jobs` (on every core, off the async threads), then
    /// records the written ones in their folders' manifests; one result per job, in order.
    pub async fn send_batch(&self, jobs: Vec<Job>) -> Vec<Result<(), SendError>> {
        let n = jobs.len();
        let this = self.clone();
        tokio::task::spawn_blocking(move || this.write_batch(&jobs))
            .await
            .unwrap_or_else(|_| {
                let stopped = SendError::Transient("print folder: writer stopped".into());
                vec![Err(stopped); n]
            })
    }

    /// [`Self::send_batch`], blocking.
    fn write_batch(&self, jobs: &[Job]) -> Vec<Result<(), SendError>> {
        // Each day's folder, made once, by the first of its letters that renders (a batch of
        // held letters leaves no folder behind).
        let folders: Folders = jobs
            .iter()
            .map(|job| (self.day_dir(&job.payload), OnceLock::new()))
            .collect();
        let written = par_map(jobs, |job| self.write_letter(job, &folders));
        let mut results = Vec::with_capacity(jobs.len());
        let mut by_folder: BTreeMap<&PathBuf, Vec<(usize, ManifestEntry)>> = BTreeMap::new();
        for (i, w) in written.into_iter().enumerate() {
            match w {
                Ok((dir, entry)) => {
                    by_folder.entry(dir).or_default().push((i, entry));
                    results.push(Ok(()));
                }
                Err(e) => results.push(Err(e)),
            }
        }
        // Listed after their files are complete: a manifest line never names a missing file.
        for (dir, listed) in by_folder {
            let (idx, entries): (Vec<usize>, Vec<ManifestEntry>) = listed.into_iter().unzip();
            if let Err(e) = self.manifests.record(self.access, dir, &entries) {
                let e = files_io(e);
                idx.iter().for_each(|i| results[*i] = Err(e.clone()));
            }
        }
        results
    }

    /// Renders one letter and writes its file into its (already made) folder; the folder and
    /// the manifest line to record.
    fn write_letter<'d>(
        &self,
        job: &Job,
        folders: &'d Folders,
    ) -> Result<(&'d PathBuf, ManifestEntry), SendError> {
        let payload = &job.payload;
        let address = payload
            .address
            .as_ref()
            .ok_or_else(|| SendError::Permanent("no postal address in payload".into()))?;
        let office = super::office_for(&self.offices, payload)?;
        let notice = self
            .templates
            .render(payload, Channel::Letter, office)
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        let letter = letter::render(
            &self.fonts,
            &notice,
            &payload.addressee_name,
            address,
            office,
        )
        .map_err(|e| match e {
            PdfError::Write(_) => SendError::Permanent(e.to_string()),
            _ => SendError::Held(e.to_string()),
        })?;
        let (dir, made) = folders
            .get_key_value(&self.day_dir(payload))
            .ok_or_else(|| SendError::Transient("print folder: not made".into()))?;
        made.get_or_init(|| self.access.create_dir(dir).map_err(files_io))
            .clone()?;
        let file = file_name(&job.key);
        self.access
            .replace(dir, &file, &letter.pdf)
            .map_err(files_io)?;
        let entry = ManifestEntry {
            file,
            key: job.key.clone(),
            kind: payload.kind.as_str().into(),
            recipient: payload.recipient.as_str().into(),
            language: notice.lang.code().to_string(),
            pages: letter.pages,
        };
        Ok((dir, entry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_become_safe_distinct_file_names() {
        assert_eq!(
            file_name("3/DEN-2011-000123/17/respondent/letter"),
            "3_DEN-2011-000123_17_respondent_letter.pdf"
        );
        assert_ne!(
            file_name("3/A/1/counsel/letter"),
            file_name("3/A/1/respondent/letter")
        );
        assert!(!file_name("../../etc/passwd").contains('/'));
    }
}
