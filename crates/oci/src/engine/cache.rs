//! The per-layer result cache: [`LayerFacts`] stored by diffID, so an image that shares its
//! base with one already scanned costs only its own layers.
//!
//! Layout: `<root>/layers-v<FORMAT>/<fingerprint>/<algorithm>-<hex>.json`, where the
//! fingerprint covers the engine's format and every analyzer's name and version, so
//! changing an analyzer never serves stale results. Entries are written to a temporary file
//! and renamed into place, so concurrent drydock processes never see half an entry; an
//! unreadable entry is treated as a miss and rewritten.

use std::fs;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use drydock_model::Digest;
use sha2::{Digest as _, Sha256};

use super::analyzer::Analyzer;
use super::facts::LayerFacts;
use crate::error::{OciError, Result};

/// Bump when [`LayerFacts`] changes shape.
const FORMAT: u32 = 1;

/// A cache directory for layer results.
#[derive(Clone, Debug)]
pub struct LayerCache {
    root: PathBuf,
}

impl LayerCache {
    /// A cache under `root` (usually [`LayerCache::default_root`]).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LayerCache { root: root.into() }
    }

    /// `$XDG_CACHE_HOME/drydock`, else `$HOME/.cache/drydock`.
    pub fn default_root() -> Option<PathBuf> {
        let from_env = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        from_env("XDG_CACHE_HOME")
            .or_else(|| from_env("HOME").map(|home| home.join(".cache")))
            .map(|base| base.join("drydock"))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The fingerprint of an analyzer set: results of different sets never mix.
    pub fn fingerprint(analyzers: &[Arc<dyn Analyzer>]) -> String {
        let mut names: Vec<String> = analyzers
            .iter()
            .map(|a| format!("{}@{}", a.name(), a.version()))
            .collect();
        names.sort();
        let mut hasher = Sha256::new();
        // The release is part of the key too, so a new drydock never trusts results of an
        // older one whose analyzer forgot to bump its version.
        hasher.update(format!("engine-v{FORMAT};drydock-{};", env!("CARGO_PKG_VERSION")).as_bytes());
        for name in names {
            hasher.update(name.as_bytes());
            hasher.update(b";");
        }
        hex::encode(&hasher.finalize()[..8])
    }

    fn entry_path(&self, fingerprint: &str, diff_id: &Digest) -> PathBuf {
        self.root
            .join(format!("layers-v{FORMAT}"))
            .join(fingerprint)
            .join(format!("{}-{}.json", diff_id.algorithm(), diff_id.hex()))
    }

    /// The cached facts of a layer, if present and readable.
    pub fn get(&self, fingerprint: &str, diff_id: &Digest) -> Option<LayerFacts> {
        let path = self.entry_path(fingerprint, diff_id);
        let file = fs::File::open(&path).ok()?;
        match serde_json::from_reader::<_, LayerFacts>(BufReader::new(file)) {
            Ok(facts) if facts.diff_id.as_ref() == Some(diff_id) => Some(facts),
            Ok(_) | Err(_) => {
                tracing::warn!(path = %path.display(), "ignoring an unreadable layer cache entry");
                None
            }
        }
    }

    /// Stores the facts of a verified layer.
    pub fn put(&self, fingerprint: &str, diff_id: &Digest, facts: &LayerFacts) -> Result<()> {
        let path = self.entry_path(fingerprint, diff_id);
        let dir = path.parent().expect("cache entries always have a parent directory");
        let cache_error = |reason: String| OciError::Cache {
            path: path.clone(),
            reason,
        };
        fs::create_dir_all(dir).map_err(|e| cache_error(format!("creating the directory: {e}")))?;
        let temp =
            tempfile::NamedTempFile::new_in(dir).map_err(|e| cache_error(format!("creating a temporary file: {e}")))?;
        let mut writer = BufWriter::new(temp);
        serde_json::to_writer(&mut writer, facts).map_err(|e| cache_error(format!("writing: {e}")))?;
        writer.flush().map_err(|e| cache_error(format!("writing: {e}")))?;
        let temp = writer.into_inner().map_err(|e| cache_error(format!("writing: {e}")))?;
        temp.persist(&path)
            .map_err(|e| cache_error(format!("renaming into place: {e}")))?;
        Ok(())
    }

    /// Deletes everything under the cache root. Returns the bytes freed.
    pub fn clean(&self) -> Result<u64> {
        if !self.root.exists() {
            return Ok(0);
        }
        let freed = dir_size(&self.root);
        fs::remove_dir_all(&self.root).map_err(|e| OciError::Cache {
            path: self.root.clone(),
            reason: format!("removing: {e}"),
        })?;
        Ok(freed)
    }
}

fn dir_size(path: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.metadata() {
            Ok(meta) if meta.is_dir() => dir_size(&entry.path()),
            Ok(meta) => meta.len(),
            Err(_) => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_ignores_corrupt_entries() {
        let dir = tempfile::tempdir().unwrap();
        let cache = LayerCache::new(dir.path());
        let diff_id = Digest::sha256_from_hex(&"1".repeat(64)).unwrap();
        let facts = LayerFacts {
            diff_id: Some(diff_id.clone()),
            whiteouts: vec!["/x".into()],
            ..Default::default()
        };
        assert!(cache.get("fp", &diff_id).is_none());
        cache.put("fp", &diff_id, &facts).unwrap();
        assert_eq!(cache.get("fp", &diff_id), Some(facts));
        assert!(cache.get("other", &diff_id).is_none());
        fs::write(cache.entry_path("fp", &diff_id), b"{ not json").unwrap();
        assert!(cache.get("fp", &diff_id).is_none());
        assert!(cache.clean().unwrap() > 0);
        assert!(!dir.path().exists());
    }
}
