//! The merged filesystem: layers applied bottom to top with the OCI whiteout rules, and
//! path resolution that follows symlinks without ever leaving the image root.

use std::collections::BTreeMap;

use drydock_model::{FileKind, FileRecord};

use super::facts::{LayerEntry, LayerFacts};
use super::path::{normalize_entry_path, parent};
use crate::error::{OciError, Result};

/// Symlinks followed while resolving one path before it is called a loop (Linux's limit).
pub const MAX_SYMLINK_HOPS: usize = 40;

/// An entry of the merged view and the layer that last wrote it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergedEntry {
    pub entry: LayerEntry,
    pub layer: usize,
}

/// The image's filesystem as a container would see it.
#[derive(Clone, Debug, Default)]
pub struct MergedFs {
    entries: BTreeMap<String, MergedEntry>,
}

impl MergedFs {
    /// Applies the layers in order (index 0 first).
    pub fn build<'a>(layers: impl IntoIterator<Item = (usize, &'a LayerFacts)>) -> Result<Self> {
        let mut merged = MergedFs::default();
        for (index, facts) in layers {
            merged.apply(index, facts)?;
        }
        Ok(merged)
    }

    fn apply(&mut self, index: usize, facts: &LayerFacts) -> Result<()> {
        // Whiteouts hide what the layers below have; this layer's own entries then land.
        for dir in &facts.opaque_dirs {
            self.remove_children(dir);
        }
        for path in &facts.whiteouts {
            self.entries.remove(path);
            self.remove_children(path);
        }
        for entry in &facts.entries {
            let replaces_dir = self
                .entries
                .get(&entry.path)
                .is_some_and(|old| old.entry.kind == FileKind::Dir && entry.kind != FileKind::Dir);
            if replaces_dir {
                self.remove_children(&entry.path);
            }
            let mut entry = entry.clone();
            if entry.kind == FileKind::Hardlink {
                let target = entry.link_target.as_deref().unwrap_or_default();
                let found = self.entries.get(target).ok_or_else(|| OciError::Layer {
                    index,
                    layer: facts
                        .diff_id
                        .as_ref()
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| format!("#{index}")),
                    entry: Some(entry.path.clone()),
                    reason: format!("hardlink to `{target}`, which no layer up to this one has"),
                })?;
                entry.size = found.entry.size;
            }
            self.entries
                .insert(entry.path.clone(), MergedEntry { entry, layer: index });
        }
        Ok(())
    }

    fn remove_children(&mut self, dir: &str) {
        let prefix = if dir == "/" { "/".to_string() } else { format!("{dir}/") };
        let doomed: Vec<String> = self
            .entries
            .range(prefix.clone()..)
            .take_while(|(path, _)| path.starts_with(&prefix))
            .map(|(path, _)| path.clone())
            .collect();
        for path in doomed {
            self.entries.remove(&path);
        }
    }

    /// The entry at exactly this path, without following symlinks.
    pub fn get(&self, path: &str) -> Option<&MergedEntry> {
        self.entries.get(path)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry in path order.
    pub fn iter(&self) -> impl Iterator<Item = &MergedEntry> {
        self.entries.values()
    }

    /// Whether the file `path` as written by layer `layer` is what the merged view shows,
    /// i.e. no higher layer replaced or deleted it.
    pub fn is_visible(&self, path: &str, layer: usize) -> bool {
        self.entries.get(path).is_some_and(|e| e.layer == layer)
    }

    /// The records `image inspect --files` prints.
    pub fn records(&self) -> Vec<FileRecord> {
        self.entries
            .values()
            .map(|m| FileRecord {
                path: m.entry.path.clone(),
                kind: m.entry.kind,
                mode: m.entry.mode,
                uid: m.entry.uid,
                gid: m.entry.gid,
                size: m.entry.size,
                link_target: m.entry.link_target.clone(),
                layer: m.layer,
            })
            .collect()
    }

    /// Resolves `path` inside the image, following symlinks in every component including
    /// the last, as `open(2)` would in a container. Absolute targets start again at the
    /// image root and `..` stops at it, so resolution never leaves the image. Returns the
    /// resolved path and its entry, `None` when it does not exist, and an error for loops.
    pub fn resolve(&self, path: &str) -> Result<Option<(String, &MergedEntry)>> {
        let start = normalize_entry_path(path).map_err(|p| OciError::Path {
            path: path.to_string(),
            reason: p.to_string(),
        })?;
        let mut pending: Vec<String> = start
            .split('/')
            .filter(|c| !c.is_empty())
            .rev()
            .map(str::to_string)
            .collect();
        let mut current = String::from("/");
        let mut hops = 0;
        while let Some(component) = pending.pop() {
            match component.as_str() {
                "." => continue,
                ".." => {
                    current = parent(&current).to_string();
                    continue;
                }
                _ => {}
            }
            let candidate = if current == "/" {
                format!("/{component}")
            } else {
                format!("{current}/{component}")
            };
            match self.entries.get(&candidate) {
                Some(found) if found.entry.kind == FileKind::Symlink => {
                    hops += 1;
                    if hops > MAX_SYMLINK_HOPS {
                        return Err(OciError::Path {
                            path: path.to_string(),
                            reason: format!(
                                "symlink loop: more than {MAX_SYMLINK_HOPS} links followed (at `{candidate}`)"
                            ),
                        });
                    }
                    let target = found.entry.link_target.as_deref().unwrap_or_default();
                    if target.starts_with('/') {
                        current = String::from("/");
                    }
                    pending.extend(target.split('/').filter(|c| !c.is_empty()).rev().map(str::to_string));
                }
                Some(_) => current = candidate,
                None => return Ok(None),
            }
        }
        Ok(self.entries.get(&current).map(|entry| (current.clone(), entry)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, kind: FileKind, target: Option<&str>) -> LayerEntry {
        LayerEntry {
            path: path.into(),
            kind,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size: 3,
            link_target: target.map(str::to_string),
        }
    }

    fn file(path: &str) -> LayerEntry {
        entry(path, FileKind::File, None)
    }

    fn dir(path: &str) -> LayerEntry {
        entry(path, FileKind::Dir, None)
    }

    fn layer(entries: Vec<LayerEntry>, whiteouts: &[&str], opaque: &[&str]) -> LayerFacts {
        LayerFacts {
            entries,
            whiteouts: whiteouts.iter().map(|s| s.to_string()).collect(),
            opaque_dirs: opaque.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn paths(fs: &MergedFs) -> Vec<String> {
        fs.iter().map(|e| e.entry.path.clone()).collect()
    }

    #[test]
    fn whiteouts_and_opaque_dirs_hide_lower_layers_only() {
        let base = layer(
            vec![dir("/a"), file("/a/x"), file("/a/y"), dir("/b"), file("/b/z")],
            &[],
            &[],
        );
        let top = layer(vec![file("/b/new")], &["/a/x"], &["/b"]);
        let fs = MergedFs::build([(0, &base), (1, &top)]).unwrap();
        assert_eq!(paths(&fs), ["/a", "/a/y", "/b", "/b/new"]);
        assert!(fs.is_visible("/a/y", 0));
        assert!(fs.is_visible("/b/new", 1));
        assert!(!fs.is_visible("/a/x", 0));
    }

    #[test]
    fn whiteout_of_a_directory_removes_its_subtree_and_recreation_wins() {
        let base = layer(vec![dir("/d"), file("/d/1"), file("/d/2")], &[], &[]);
        let top = layer(vec![dir("/d"), file("/d/3")], &["/d"], &[]);
        let fs = MergedFs::build([(0, &base), (1, &top)]).unwrap();
        assert_eq!(paths(&fs), ["/d", "/d/3"]);
    }

    #[test]
    fn file_replacing_directory_hides_children() {
        let base = layer(vec![dir("/d"), file("/d/1")], &[], &[]);
        let top = layer(vec![file("/d")], &[], &[]);
        let fs = MergedFs::build([(0, &base), (1, &top)]).unwrap();
        assert_eq!(paths(&fs), ["/d"]);
    }

    #[test]
    fn hardlinks_need_an_existing_target() {
        let ok = layer(vec![file("/a"), entry("/b", FileKind::Hardlink, Some("/a"))], &[], &[]);
        let fs = MergedFs::build([(0, &ok)]).unwrap();
        assert_eq!(fs.get("/b").unwrap().entry.size, 3);
        let bad = layer(vec![entry("/b", FileKind::Hardlink, Some("/missing"))], &[], &[]);
        let err = MergedFs::build([(0, &bad)]).unwrap_err().to_string();
        assert!(err.contains("hardlink to `/missing`"), "{err}");
    }

    #[test]
    fn symlinks_resolve_inside_the_root() {
        let base = layer(
            vec![
                dir("/etc"),
                dir("/usr"),
                dir("/usr/lib"),
                file("/usr/lib/os-release"),
                entry("/etc/os-release", FileKind::Symlink, Some("../usr/lib/os-release")),
                entry("/escape", FileKind::Symlink, Some("../../../../etc/os-release")),
                entry("/abs", FileKind::Symlink, Some("/usr/lib")),
                entry("/loop1", FileKind::Symlink, Some("loop2")),
                entry("/loop2", FileKind::Symlink, Some("/loop1")),
            ],
            &[],
            &[],
        );
        let fs = MergedFs::build([(0, &base)]).unwrap();
        assert_eq!(fs.resolve("/etc/os-release").unwrap().unwrap().0, "/usr/lib/os-release");
        assert_eq!(fs.resolve("/escape").unwrap().unwrap().0, "/usr/lib/os-release");
        assert_eq!(fs.resolve("/abs/os-release").unwrap().unwrap().0, "/usr/lib/os-release");
        assert!(fs.resolve("/nope").unwrap().is_none());
        let err = fs.resolve("/loop1").unwrap_err().to_string();
        assert!(err.contains("symlink loop"), "{err}");
    }
}
