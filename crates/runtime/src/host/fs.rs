//! A host filesystem seen from a root directory: `/` for the running host, or an unpacked
//! or mounted one with `--root`. Absolute symbolic links are resolved inside the root, so
//! an offline audit never reads the auditing machine's own files by accident.

use std::fs::Metadata;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Most bytes read from one configuration file.
const MAX_FILE_BYTES: u64 = 1 << 20;
/// Most symbolic links followed while resolving one path (as the kernel's ELOOP limit).
const MAX_LINKS: usize = 40;

pub struct HostFs {
    root: PathBuf,
}

impl HostFs {
    pub fn new(root: &Path) -> HostFs {
        HostFs {
            root: root.to_path_buf(),
        }
    }

    pub fn is_live(&self) -> bool {
        self.root == Path::new("/")
    }

    /// Where `path` (absolute on the audited host) is on this machine, symlinks resolved
    /// inside the root. `None` when a link loops or the path does not exist.
    pub fn resolve(&self, path: &str) -> Option<PathBuf> {
        let mut pending: Vec<String> = components(path);
        pending.reverse();
        let mut resolved: Vec<String> = Vec::new();
        let mut links = 0;
        while let Some(part) = pending.pop() {
            if part == ".." {
                resolved.pop();
                continue;
            }
            resolved.push(part);
            let here = self.join(&resolved);
            let metadata = std::fs::symlink_metadata(&here).ok()?;
            if !metadata.file_type().is_symlink() {
                continue;
            }
            links += 1;
            if links > MAX_LINKS {
                return None;
            }
            let target = std::fs::read_link(&here).ok()?;
            resolved.pop();
            let target = target.to_string_lossy().into_owned();
            if target.starts_with('/') {
                resolved.clear();
            }
            let mut parts = components(&target);
            parts.reverse();
            pending.extend(parts);
        }
        Some(self.join(&resolved))
    }

    fn join(&self, parts: &[String]) -> PathBuf {
        let mut path = self.root.clone();
        path.extend(parts);
        path
    }

    pub fn metadata(&self, path: &str) -> Option<Metadata> {
        std::fs::metadata(self.resolve(path)?).ok()
    }

    pub fn exists(&self, path: &str) -> bool {
        self.metadata(path).is_some()
    }

    /// The file's text (at most 1 MiB), or `None` when it cannot be read.
    pub fn read(&self, path: &str) -> Option<String> {
        let file = std::fs::File::open(self.resolve(path)?).ok()?;
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES).read_to_end(&mut bytes).ok()?;
        Some(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// A one-line value such as a sysctl (`/proc/sys/kernel/kptr_restrict`), trimmed.
    pub fn read_value(&self, path: &str) -> Option<String> {
        self.read(path).map(|text| text.trim().to_string())
    }

    /// The names in a directory, sorted; empty when it cannot be read.
    pub fn list(&self, path: &str) -> Vec<String> {
        let Some(dir) = self.resolve(path) else {
            return Vec::new();
        };
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// The normal components of `path`, `..` kept for the resolver.
fn components(path: &str) -> Vec<String> {
    Path::new(path)
        .components()
        .filter_map(|c| match c {
            Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".to_string()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_links_stay_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("etc")).unwrap();
        std::fs::write(dir.path().join("etc/real"), "inside").unwrap();
        std::os::unix::fs::symlink("/etc/real", dir.path().join("etc/link")).unwrap();
        std::os::unix::fs::symlink("../../../../etc/real", dir.path().join("etc/up")).unwrap();
        std::os::unix::fs::symlink("/etc/loop", dir.path().join("etc/loop")).unwrap();
        let fs = HostFs::new(dir.path());
        assert_eq!(fs.read("/etc/link").as_deref(), Some("inside"));
        assert_eq!(fs.read("/etc/up").as_deref(), Some("inside"));
        assert_eq!(fs.read("/etc/loop"), None);
        assert_eq!(fs.read("/etc/missing"), None);
    }
}
