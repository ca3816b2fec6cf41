//! Files that hold personal data (letters, `.eml` files, import rejects): created readable by
//! docket's user only (0600 in 0700 folders), or also by one group when `files.pickup_group`
//! names the group a print vendor's or mail pickup runs as (0640 in 0750 folders).

use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

use serde::Deserialize;

/// The `[files]` settings.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    /// Group (name or numeric id) that may read letters and `.eml` files; none by default.
    #[serde(default)]
    pub pickup_group: Option<String>,
}

/// Why a file setting or a private file failed.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    /// `files.pickup_group` names no group of this system.
    #[error("files.pickup_group: names no group of this system (see /etc/group)")]
    UnknownGroup,
    /// A file or folder could not be created or given its mode.
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// Who may read the files: the owner only, or the owner and one group.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Access {
    /// The group that may read them too.
    pub group: Option<u32>,
}

impl Access {
    /// The access the settings ask for (the group's name looked up in `/etc/group`).
    pub fn from_settings(s: &FileSettings) -> Result<Self, FilesError> {
        let Some(name) = s.pickup_group.as_deref().filter(|g| !g.is_empty()) else {
            return Ok(Self::default());
        };
        if let Ok(gid) = name.parse::<u32>() {
            return Ok(Self { group: Some(gid) });
        }
        let groups = std::fs::read_to_string("/etc/group").unwrap_or_default();
        groups
            .lines()
            .filter_map(|l| {
                let mut f = l.split(':');
                Some((f.next()?, f.nth(1)?))
            })
            .find(|(n, _)| *n == name)
            .and_then(|(_, gid)| gid.parse().ok())
            .map(|gid| Self { group: Some(gid) })
            .ok_or(FilesError::UnknownGroup)
    }

    /// Mode of a folder: 0700, or 0750 with a group.
    pub fn dir_mode(self) -> u32 {
        if self.group.is_some() { 0o750 } else { 0o700 }
    }

    /// Mode of a file: 0600, or 0640 with a group.
    pub fn file_mode(self) -> u32 {
        if self.group.is_some() { 0o640 } else { 0o600 }
    }

    /// Creates `dir` and its missing parents with the folder mode, and gives `dir` itself that
    /// mode and group even when it existed.
    pub fn create_dir(self, dir: &Path) -> Result<(), FilesError> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(self.dir_mode())
            .create(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(self.dir_mode()))?;
        self.chgrp(dir)
    }

    /// Opens `path` for writing with the file mode (created, truncated).
    pub fn create_file(self, path: &Path) -> Result<std::fs::File, FilesError> {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(self.file_mode())
            .open(path)?;
        file.set_permissions(std::fs::Permissions::from_mode(self.file_mode()))?;
        self.chgrp(path)?;
        Ok(file)
    }

    /// Opens `path` for appending with the file mode (created if missing).
    pub fn append_file(self, path: &Path) -> Result<std::fs::File, FilesError> {
        let file = std::fs::OpenOptions::new()
            .append(true)
            .create(true)
            .mode(self.file_mode())
            .open(path)?;
        self.chgrp(path)?;
        Ok(file)
    }

    /// Writes `bytes` to a new file at `path` with the file mode.
    pub fn write(self, path: &Path, bytes: &[u8]) -> Result<(), FilesError> {
        use std::io::Write;
        let mut f = self.create_file(path)?;
        f.write_all(bytes)?;
        Ok(())
    }

    /// Writes `bytes` to `dir/name` whole or not at all: into a temporary file of its own
    /// (named after this process and a counter, so concurrent writers never share one), renamed
    /// over `name`. A reader sees the old file or the new one, never a part.
    pub fn replace(self, dir: &Path, name: &str, bytes: &[u8]) -> Result<(), FilesError> {
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let tmp = dir.join(format!(".{name}.{}-{n}.tmp", std::process::id()));
        self.write(&tmp, bytes)?;
        std::fs::rename(&tmp, dir.join(name)).inspect_err(|_| {
            std::fs::remove_file(&tmp).ok();
        })?;
        Ok(())
    }

    fn chgrp(self, path: &Path) -> Result<(), FilesError> {
        if let Some(gid) = self.group {
            std::os::unix::fs::chown(path, None, Some(gid))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::*;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().mode() & 0o777
    }

    #[test]
    fn files_are_0600_in_0700_folders_by_default_even_in_an_open_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("print/2011-12-01");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let access = Access::default();
        access.create_dir(&dir).unwrap();
        access.write(&dir.join("a.pdf"), b"%PDF").unwrap();
        let nested = tmp.path().join("new/deeper");
        access.create_dir(&nested).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("a.pdf")), 0o600);
        assert_eq!(mode(&nested), 0o700);
        assert_eq!(mode(&tmp.path().join("new")), 0o700);
        access.append_file(&dir.join("m.ndjson")).unwrap();
        assert_eq!(mode(&dir.join("m.ndjson")), 0o600);
    }

    #[test]
    fn a_pickup_group_may_read_and_owns_the_files() {
        let tmp = tempfile::tempdir().unwrap();
        let own_gid = std::fs::metadata(tmp.path()).unwrap().gid();
        let s = FileSettings {
            pickup_group: Some(own_gid.to_string()),
        };
        let access = Access::from_settings(&s).unwrap();
        let dir = tmp.path().join("day");
        access.create_dir(&dir).unwrap();
        access.write(&dir.join("a.eml"), b"x").unwrap();
        assert_eq!(mode(&dir), 0o750);
        assert_eq!(mode(&dir.join("a.eml")), 0o640);
        let meta = std::fs::metadata(dir.join("a.eml")).unwrap();
        assert_eq!(meta.gid(), own_gid);
    }

    #[test]
    fn an_unknown_group_name_is_refused_with_the_setting_named() {
        let s = FileSettings {
            pickup_group: Some("no-such-group-for-docket".into()),
        };
        let e = Access::from_settings(&s).unwrap_err();
        assert!(e.to_string().starts_with("files.pickup_group:"), "{e}");
        let root = Access::from_settings(&FileSettings {
            pickup_group: Some("root".into()),
        });
        assert_eq!(root.unwrap().group, Some(0));
    }
}
