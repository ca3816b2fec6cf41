//! A day's `manifest.ndjson`: one line per letter (file, key, kind, recipient type, language,
//! pages; no name or address), each key listed once however many relays write to the folder.
//!
//! The keys already listed are kept in memory per folder and brought up to date by reading only
//! what was appended since the last look (by this relay or another), so recording a letter costs
//! the same on the first day of a run as after 50,000 letters. It used to read and parse the whole
//! manifest for each letter: a 300,000-case demo spent 13 minutes of CPU on it. A manifest that
//! was taken away, replaced or truncated (a vendor picking up the day's batch) is read again from
//! its start, and only the most recently used folders are kept in memory.
//!
//! A relay records a whole batch of letters at once: one look at what was appended, then the
//! batch's new lines in one `O_APPEND` write, instead of both per letter.

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use crate::files::{Access, FilesError};

/// Manifest file name in each day's folder.
pub const MANIFEST: &str = "manifest.ndjson";

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

/// The listed keys per folder, with a use counter to drop the least recently used folder.
#[derive(Default)]
pub struct Manifests {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
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

impl Manifests {
    /// Appends to `dir`'s manifest the lines of `entries` whose keys it does not list yet (a
    /// retried letter's line is not repeated), in one write. Blocking: file system calls.
    pub fn record(
        &self,
        access: Access,
        dir: &Path,
        entries: &[ManifestEntry],
    ) -> Result<(), FilesError> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let s = &mut *state;
        s.uses += 1;
        if !s.folders.contains_key(dir) && s.folders.len() >= FOLDERS_KEPT {
            let oldest = s
                .folders
                .iter()
                .min_by_key(|(_, l)| l.used)
                .map(|(d, _)| d.clone());
            oldest.map(|d| s.folders.remove(&d));
        }
        let listed = s.folders.entry(dir.to_path_buf()).or_default();
        listed.used = s.uses;
        let path = dir.join(MANIFEST);
        catch_up(&path, listed)?;
        let mut lines = Vec::with_capacity(entries.len() * 160);
        let mut batch = HashSet::new();
        for e in entries {
            if listed.keys.contains(&e.key) || !batch.insert(e.key.as_str()) {
                continue;
            }
            serde_json::to_writer(&mut lines, e).map_err(std::io::Error::other)?;
            lines.push(b'\n');
        }
        if lines.is_empty() {
            return Ok(());
        }
        // One write of whole lines with O_APPEND: lines of concurrent relays do not interleave.
        // They are read back with the next catch-up like any other lines.
        access.append_file(&path)?.write_all(&lines)?;
        Ok(())
    }

    #[cfg(test)]
    fn folders(&self) -> Vec<PathBuf> {
        let s = self.state.lock().unwrap_or_else(|e| e.into_inner());
        s.folders.keys().cloned().collect()
    }
}

/// Adds the keys of the manifest's lines appended since `listed.read_to` (whole lines only).
/// When the file is gone, is another file, or is shorter than what was read, starts over.
fn catch_up(path: &Path, listed: &mut Listed) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let mut f = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            listed.start_over(None);
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let meta = f.metadata()?;
    let file = Some((meta.dev(), meta.ino()));
    if listed.file != file || meta.len() < listed.read_to {
        listed.start_over(file);
    }
    if meta.len() == listed.read_to {
        return Ok(());
    }
    f.seek(std::io::SeekFrom::Start(listed.read_to))?;
    let mut new = Vec::new();
    f.read_to_end(&mut new)?;
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

    fn entry(key: &str) -> ManifestEntry {
        ManifestEntry {
            file: crate::notify::print::file_name(key),
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

    fn record(m: &Manifests, dir: &Path, keys: &[&str]) {
        let entries: Vec<_> = keys.iter().map(|k| entry(k)).collect();
        m.record(Access::default(), dir, &entries).unwrap();
    }

    #[test]
    fn a_key_is_listed_once_whichever_relay_wrote_it_first() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path();
        let (a, b) = (Manifests::default(), Manifests::default());

        // b reads the manifest before a appends k1; it must still see k1 afterwards.
        record(&b, dir, &["k0"]);
        record(&a, dir, &["k1"]);
        record(&a, dir, &["k1"]);
        record(&b, dir, &["k1", "k2"]);
        record(&a, dir, &["k2", "k3", "k3"]);

        assert_eq!(listed_keys(dir), ["k0", "k1", "k2", "k3"]);
    }

    #[test]
    fn a_manifest_taken_away_or_replaced_is_read_again_from_its_start() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path();
        let relay = Manifests::default();
        record(&relay, dir, &["k1", "k2"]);

        // The vendor takes the day's manifest away: a retried k1 is listed in the new one.
        std::fs::rename(dir.join(MANIFEST), dir.join("taken.ndjson")).unwrap();
        record(&relay, dir, &["k1"]);
        // Replaced by a shorter file under the same name, holding k3 only.
        let k3 = serde_json::to_string(&entry("k3")).unwrap();
        std::fs::write(dir.join("new.ndjson"), format!("{k3}\n")).unwrap();
        std::fs::rename(dir.join("new.ndjson"), dir.join(MANIFEST)).unwrap();
        record(&relay, dir, &["k3", "k2"]);

        assert_eq!(listed_keys(dir), ["k3", "k2"]);
    }

    #[test]
    fn only_the_most_recently_used_folders_are_kept() {
        let root = tempfile::tempdir().unwrap();
        let relay = Manifests::default();
        let day = |i: usize| root.path().join(format!("day-{i}"));
        for i in 0..20 {
            std::fs::create_dir_all(day(i)).unwrap();
            record(&relay, &day(i), &["k"]);
            record(&relay, &day(0), &["k"]);
        }
        let folders = relay.folders();
        assert_eq!(folders.len(), FOLDERS_KEPT);
        assert!(folders.contains(&day(0)), "the folder in use stays");
        assert!(folders.contains(&day(19)));
        assert_eq!(read_manifest(&day(0)).unwrap().len(), 1);
    }
}
