//! The letter channel: each letter becomes `<print_dir>/<issue date>/<key as file name>.pdf`, and
//! one line in that folder's `manifest.ndjson`, the way batches go to a print-and-mail vendor.
//!
//! Idempotent: the file name comes from the key and the bytes from the payload, so a retry
//! rewrites the same file (atomically, through a rename), and the manifest gets a key's line
//! once. The manifest names file, key, kind, recipient type, language and page count; the
//! address is printed on the letter itself, so the manifest needs none.
//!
//! The keys already listed are kept in memory per folder and brought up to date by reading only
//! what was appended since the last look (by this relay or another), so recording a letter costs
//! the same on the first day of a run as after 50,000 letters. It used to read and parse the whole
//! manifest for each letter: a 300,000-case demo spent 13 minutes of CPU on it. A manifest that
//! was taken away, replaced or truncated (a vendor picking up the day's batch) is read again from
//! its start, and only the most recently used folders are kept in memory.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use super::SendError;
use super::letter;
use super::offices::Offices;
use super::pdf::{FontSet, PdfError};
use super::templates::Templates;
use crate::domain::{Channel, NoticePayload};
use crate::files::Access;

/// Manifest file name in each day's folder.
pub const MANIFEST: &str = "manifest.ndjson";

/// Writes letters into the print folder.
#[derive(Clone)]
pub struct PrintChannel {
    access: Access,
    root: PathBuf,
    offices: Arc<Offices>,
    fonts: Arc<FontSet>,
    templates: Arc<Templates>,
    manifests: Arc<Mutex<Manifests>>,
}

/// The listed keys per folder, with a use counter to drop the least recently used folder.
#[derive(Default)]
struct Manifests {
    folders: HashMap<PathBuf, Listed>,
    uses: u64,
}

/// Folders whose listed keys stay in memory; letters go to the folder of their issue date, so
/// a relay rarely writes to more than two at a time.
const FOLDERS_KEPT: usize = 8;

/// The keys of one manifest file, read up to a byte offset.
#[derive(Default)]
struct Listed {
    /// The file read (device and inode): another file under the same name is read from its start.
    file: Option<(u64, u64)>,
    read_to: u64,
    keys: HashSet<String>,
    used: u64,
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

fn files_io(e: crate::files::FilesError) -> SendError {
    match e {
        crate::files::FilesError::Io(e) => io(e),
        other => SendError::Permanent(other.to_string()),
    }
}

fn io(e: std::io::Error) -> SendError {
    SendError::Transient(format!("print folder: {}", e.kind()))
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
            manifests: Arc::new(Mutex::new(Manifests::default())),
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
        let address = payload
            .address
            .as_ref()
            .ok_or_else(|| SendError::Permanent("no postal address in payload".into()))?;
        let office = super::office_for(&self.offices, payload)?;
        let notice = self
            .templates
            .render(payload, Channel::Letter, office)
            .map_err(|e| SendError::Permanent(e.to_string()))?;
        let lang = notice.lang.code().to_string();
        // Shaping, subsetting and compressing take milliseconds of CPU: on the blocking pool, so
        // a batch's letters are rendered on every core instead of one after another on this task.
        let (fonts, office, name, address) = (
            self.fonts.clone(),
            office.clone(),
            payload.addressee_name.clone(),
            address.clone(),
        );
        let letter = tokio::task::spawn_blocking(move || {
            letter::render(&fonts, &notice, &name, &address, &office)
        })
        .await
        .map_err(|_| SendError::Transient("letter renderer stopped".into()))?
        .map_err(|e| match e {
            PdfError::Write(_) => SendError::Permanent(e.to_string()),
            _ => SendError::Held(e.to_string()),
        })?;
        let dir = self.day_dir(payload);
        let file = file_name(key);
        let tmp = dir.join(format!(".{file}.{}.tmp", uuid::Uuid::new_v4().simple()));
        let (access, folder, target, pdf) = (self.access, dir.clone(), dir.join(&file), letter.pdf);
        tokio::task::spawn_blocking(move || {
            access.create_dir(&folder)?;
            access.write(&tmp, &pdf)?;
            std::fs::rename(&tmp, &target)?;
            Ok::<_, crate::files::FilesError>(())
        })
        .await
        .map_err(|_| SendError::Transient("print folder: writer stopped".into()))?
        .map_err(files_io)?;
        let entry = ManifestEntry {
            file,
            key: key.to_string(),
            kind: payload.kind.as_str().into(),
            recipient: payload.recipient.as_str().into(),
            language: lang,
            pages: letter.pages,
        };
        self.record(&dir, &entry).await
    }

    async fn record(&self, dir: &Path, entry: &ManifestEntry) -> Result<(), SendError> {
        let mut manifests = self.manifests.lock().await;
        let m = &mut *manifests;
        m.uses += 1;
        if !m.folders.contains_key(dir) && m.folders.len() >= FOLDERS_KEPT {
            let oldest = m
                .folders
                .iter()
                .min_by_key(|(_, l)| l.used)
                .map(|(d, _)| d.clone());
            oldest.map(|d| m.folders.remove(&d));
        }
        let listed = m.folders.entry(dir.to_path_buf()).or_default();
        listed.used = m.uses;
        let path = dir.join(MANIFEST);
        catch_up(&path, listed).await.map_err(io)?;
        if listed.keys.contains(&entry.key) {
            return Ok(());
        }
        let mut line = serde_json::to_string(entry)
            .map_err(|_| SendError::Permanent("manifest entry".into()))?;
        line.push('\n');
        // One write of a whole line with O_APPEND: lines of concurrent relays do not interleave.
        let f = self.access.append_file(&path).map_err(files_io)?;
        let mut f = tokio::fs::File::from_std(f);
        f.write_all(line.as_bytes()).await.map_err(io)?;
        f.flush().await.map_err(io)?;
        // Read back with the next catch-up like any other line.
        Ok(())
    }
}

/// Adds the keys of the manifest's lines appended since `listed.read_to` (whole lines only).
/// When the file is gone, is another file, or is shorter than what was read, starts over.
async fn catch_up(path: &Path, listed: &mut Listed) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let mut f = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            listed.start_over(None);
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let meta = f.metadata().await?;
    let file = Some((meta.dev(), meta.ino()));
    if listed.file != file || meta.len() < listed.read_to {
        listed.start_over(file);
    }
    f.seek(std::io::SeekFrom::Start(listed.read_to)).await?;
    let mut new = Vec::new();
    f.read_to_end(&mut new).await?;
    let Some(end) = new.iter().rposition(|&b| b == b'\n') else {
        return Ok(());
    };
    #[derive(serde::Deserialize)]
    struct Key<'a> {
        #[serde(borrow)]
        key: std::borrow::Cow<'a, str>,
    }
    for line in new[..=end].split(|&b| b == b'\n') {
        if let Ok(k) = serde_json::from_slice::<Key>(line) {
            listed.keys.insert(k.key.into_owned());
        }
    }
    listed.read_to += end as u64 + 1;
    Ok(())
}

impl Listed {
    /// Forgets what was read: `file` is read from its start next.
    fn start_over(&mut self, file: Option<(u64, u64)>) {
        self.file = file;
        self.read_to = 0;
        self.keys.clear();
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
    use crate::notify::templates::tests::fonts;

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

    fn entry(key: &str) -> ManifestEntry {
        ManifestEntry {
            file: file_name(key),
            key: key.into(),
            kind: "offer".into(),
            recipient: "respondent".into(),
            language: "en".into(),
            pages: 1,
        }
    }

    /// The keys a day's manifest lists, in order.
    fn listed_keys(dir: &Path) -> Vec<String> {
        read_manifest(dir)
            .unwrap()
            .into_iter()
            .map(|e| e.key)
            .collect()
    }

    #[tokio::test]
    async fn a_key_is_listed_once_whichever_relay_wrote_it_first() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().to_path_buf();
        let office = Arc::new(Offices::builtin());
        let a = PrintChannel::new(dir.clone(), office.clone(), fonts());
        let b = PrintChannel::new(dir.clone(), office, fonts());

        // b reads the manifest before a appends k1; it must still see k1 afterwards.
        b.record(&dir, &entry("k0")).await.unwrap();
        a.record(&dir, &entry("k1")).await.unwrap();
        a.record(&dir, &entry("k1")).await.unwrap();
        b.record(&dir, &entry("k1")).await.unwrap();
        b.record(&dir, &entry("k2")).await.unwrap();
        a.record(&dir, &entry("k2")).await.unwrap();

        let keys = listed_keys(&dir);
        assert_eq!(keys, ["k0", "k1", "k2"]);
    }

    #[tokio::test]
    async fn a_manifest_taken_away_or_replaced_is_read_again_from_its_start() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().to_path_buf();
        let office = Arc::new(Offices::builtin());
        let relay = PrintChannel::new(dir.clone(), office, fonts());
        relay.record(&dir, &entry("k1")).await.unwrap();
        relay.record(&dir, &entry("k2")).await.unwrap();

        // The vendor takes the day's manifest away: a retried k1 is listed in the new one.
        std::fs::rename(dir.join(MANIFEST), dir.join("taken.ndjson")).unwrap();
        relay.record(&dir, &entry("k1")).await.unwrap();
        // Replaced by a shorter file under the same name, holding k3 only.
        let k3 = serde_json::to_string(&entry("k3")).unwrap();
        std::fs::write(dir.join("new.ndjson"), format!("{k3}\n")).unwrap();
        std::fs::rename(dir.join("new.ndjson"), dir.join(MANIFEST)).unwrap();
        relay.record(&dir, &entry("k3")).await.unwrap();
        relay.record(&dir, &entry("k2")).await.unwrap();

        let keys = listed_keys(&dir);
        assert_eq!(keys, ["k3", "k2"]);
    }

    #[tokio::test]
    async fn only_the_most_recently_used_folders_are_kept() {
        let root = tempfile::tempdir().unwrap();
        let office = Arc::new(Offices::builtin());
        let relay = PrintChannel::new(root.path().to_path_buf(), office, fonts());
        let day = |i: usize| root.path().join(format!("day-{i}"));
        for i in 0..20 {
            std::fs::create_dir_all(day(i)).unwrap();
            relay.record(&day(i), &entry("k")).await.unwrap();
            relay.record(&day(0), &entry("k")).await.unwrap();
        }
        let m = relay.manifests.lock().await;
        assert_eq!(m.folders.len(), FOLDERS_KEPT);
        assert!(m.folders.contains_key(&day(0)), "the folder in use stays");
        assert!(m.folders.contains_key(&day(19)));
        drop(m);
        assert_eq!(read_manifest(&day(0)).unwrap().len(), 1);
    }
}
