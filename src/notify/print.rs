//! The letter channel: each letter becomes `<print_dir>/<issue date>/<key as file name>.pdf`, and
//! one line in that folder's `manifest.ndjson`, the way batches go to a print-and-mail vendor.
//!
//! Idempotent: the file name comes from the key and the bytes from the payload, so a retry
//! rewrites the same file (atomically, through a rename), and the manifest gets a key's line
//! once. The manifest names file, key, kind, recipient type, language and page count; the
//! address is printed on the letter itself, so the manifest needs none.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use super::SendError;
use super::letter;
use super::templates::{self, Office};
use crate::domain::{Channel, NoticePayload};

/// Manifest file name in each day's folder.
pub const MANIFEST: &str = "manifest.ndjson";

/// Writes letters into the print folder.
#[derive(Clone)]
pub struct PrintChannel {
    root: PathBuf,
    office: Office,
    manifest_lock: Arc<Mutex<()>>,
}

/// One manifest line.
#[derive(Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct ManifestEntry {
    /// PDF file name, relative to the day's folder.
    pub file: String,
    /// Idempotency key of the notice.
    pub key: String,
    /// Notice kind.
    pub kind: String,
    /// `respondent` or `counsel`.
    pub recipient: String,
    /// Language the letter is written in.
    pub language: String,
    /// Pages to print.
    pub pages: usize,
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

fn io(e: std::io::Error) -> SendError {
    SendError::Transient(format!("print folder: {}", e.kind()))
}

impl PrintChannel {
    /// A channel writing under `root`.
    pub fn new(root: PathBuf, office: Office) -> Self {
        Self {
            root,
            office,
            manifest_lock: Arc::new(Mutex::new(())),
        }
    }

    /// The folder of one issue date.
    pub fn day_dir(&self, payload: &NoticePayload) -> PathBuf {
        self.root
            .join(payload.issued_on.format("%Y-%m-%d").to_string())
    }

    /// Renders the letter, writes it, and records it in the manifest once.
    pub async fn send(&self, key: &str, payload: &NoticePayload) -> Result<(), SendError> {
        let address = payload
            .address
            .as_ref()
            .ok_or_else(|| SendError::Permanent("no postal address in payload".into()))?;
        let notice = templates::render(payload, Channel::Letter, &self.office);
        let lang = notice.lang.code();
        let letter = letter::render(&notice, &payload.addressee_name, address, &self.office);
        let dir = self.day_dir(payload);
        tokio::fs::create_dir_all(&dir).await.map_err(io)?;
        let file = file_name(key);
        let tmp = dir.join(format!(".{file}.{}.tmp", uuid::Uuid::new_v4().simple()));
        tokio::fs::write(&tmp, &letter.pdf).await.map_err(io)?;
        tokio::fs::rename(&tmp, dir.join(&file)).await.map_err(io)?;
        let entry = ManifestEntry {
            file,
            key: key.to_string(),
            kind: payload.kind.as_str().into(),
            recipient: payload.recipient.as_str().into(),
            language: lang.into(),
            pages: letter.pages,
        };
        self.record(&dir, &entry).await
    }

    async fn record(&self, dir: &Path, entry: &ManifestEntry) -> Result<(), SendError> {
        let _guard = self.manifest_lock.lock().await;
        let path = dir.join(MANIFEST);
        if let Ok(text) = tokio::fs::read_to_string(&path).await {
            let seen = text
                .lines()
                .filter_map(|l| serde_json::from_str::<ManifestEntry>(l).ok())
                .any(|e| e.key == entry.key);
            if seen {
                return Ok(());
            }
        }
        let mut line = serde_json::to_string(entry)
            .map_err(|_| SendError::Permanent("manifest entry".into()))?;
        line.push('\n');
        // One write of a whole line with O_APPEND: lines of concurrent relays do not interleave.
        let mut f = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .await
            .map_err(io)?;
        f.write_all(line.as_bytes()).await.map_err(io)?;
        f.flush().await.map_err(io)?;
        Ok(())
    }
}

/// Reads a day's manifest (tests, `docket status`).
pub fn read_manifest(dir: &Path) -> std::io::Result<Vec<ManifestEntry>> {
    let text = std::fs::read_to_string(dir.join(MANIFEST))?;
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect())
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
