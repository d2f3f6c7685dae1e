//! Random access to the regular files of a tar archive without extracting it.
//!
//! One pass over the headers (seeking past the data) records where each file's bytes are;
//! after that any entry can be read in place, by several threads at once, each with its own
//! file handle. Used for OCI archives and `docker save` archives.

use std::collections::HashMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Take};
use std::path::{Path, PathBuf};

use crate::error::{OciError, Result};

#[derive(Clone, Copy, Debug)]
struct Span {
    offset: u64,
    size: u64,
}

/// The regular files of a tar, by normalized path (`blobs/sha256/ab…`, `manifest.json`).
pub struct TarIndex {
    path: PathBuf,
    entries: HashMap<String, Span>,
    /// Symlinks inside the archive (`<id>/layer.tar -> ../<hex>.tar` in `docker save`
    /// output), as normalized archive paths.
    links: HashMap<String, String>,
}

/// Archive-internal symlinks followed before giving up.
const MAX_LINK_HOPS: usize = 8;

impl TarIndex {
    /// Reads every header of the tar at `path`.
    pub fn build(path: &Path) -> Result<Self> {
        let what = || format!("archive {}", path.display());
        let file = File::open(path).map_err(|e| OciError::io(format!("opening {}", what()), e))?;
        let mut archive = tar::Archive::new(file);
        let mut entries = HashMap::new();
        let mut links = HashMap::new();
        let iter = archive
            .entries_with_seek()
            .map_err(|e| OciError::invalid(what(), format!("not a readable tar: {e}")))?;
        for entry in iter {
            let entry = entry.map_err(|e| OciError::invalid(what(), format!("not a readable tar: {e}")))?;
            let kind = entry.header().entry_type();
            let raw = entry.path_bytes();
            let name = normalize_archive_path(&String::from_utf8_lossy(&raw));
            if kind.is_symlink() {
                if let Some(target) = entry.link_name_bytes() {
                    let target = String::from_utf8_lossy(&target).into_owned();
                    if let Some(resolved) = resolve_relative(&name, &target) {
                        links.insert(name, resolved);
                    }
                }
                continue;
            }
            if !(kind.is_file() || kind == tar::EntryType::Continuous) {
                continue;
            }
            entries.insert(
                name,
                Span {
                    offset: entry.raw_file_position(),
                    size: entry.size(),
                },
            );
        }
        Ok(TarIndex {
            path: path.to_path_buf(),
            entries,
            links,
        })
    }

    pub fn contains(&self, name: &str) -> bool {
        self.span(name).is_some()
    }

    /// The span of a file, following archive-internal symlinks.
    fn span(&self, name: &str) -> Option<Span> {
        let mut current = normalize_archive_path(name);
        for _ in 0..=MAX_LINK_HOPS {
            if let Some(span) = self.entries.get(&current) {
                return Some(*span);
            }
            current = self.links.get(&current)?.clone();
        }
        None
    }

    /// The names of all regular files.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    pub fn size_of(&self, name: &str) -> Option<u64> {
        self.span(name).map(|s| s.size)
    }

    /// Opens one entry for reading, with a file handle of its own.
    pub fn open(&self, name: &str) -> Result<Take<File>> {
        let span = self
            .span(name)
            .ok_or_else(|| OciError::not_found(format!("`{name}` in archive {}", self.path.display())))?;
        let mut file =
            File::open(&self.path).map_err(|e| OciError::io(format!("opening {}", self.path.display()), e))?;
        file.seek(SeekFrom::Start(span.offset))
            .map_err(|e| OciError::io(format!("seeking in {}", self.path.display()), e))?;
        Ok(file.take(span.size))
    }
}

/// `./blobs/sha256/x` and `blobs/sha256/x` name the same entry.
pub fn normalize_archive_path(raw: &str) -> String {
    let mut trimmed = raw;
    while let Some(rest) = trimmed.strip_prefix("./") {
        trimmed = rest;
    }
    trimmed.trim_start_matches('/').to_string()
}

/// A symlink target relative to the link's directory, as an archive path; `None` when it
/// would leave the archive.
fn resolve_relative(link: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = if target.starts_with('/') {
        Vec::new()
    } else {
        link.split('/').collect::<Vec<_>>()[..link.split('/').count() - 1].to_vec()
    };
    for component in target.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn archive_links_resolve_relative_to_their_directory() {
        assert_eq!(resolve_relative("abc/layer.tar", "../x.tar").as_deref(), Some("x.tar"));
        assert_eq!(resolve_relative("a/b", "c").as_deref(), Some("a/c"));
        assert_eq!(resolve_relative("a", "../../x"), None);
        assert_eq!(normalize_archive_path("./blobs/sha256/x"), "blobs/sha256/x");
    }
}
