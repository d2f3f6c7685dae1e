//! Writing an OCI image layout directory.
//!
//! Blobs go to a temporary file inside `blobs/<alg>/`, are checked against their digest and
//! size, then renamed into place, so a reader never sees a partial blob under a digest.
//! `index.json` is rewritten whole (temporary file and rename) while holding an exclusive
//! `flock` on the `oci-layout` file, which is never replaced, so concurrent drydock writers
//! never lose each other's entries. Tags are `org.opencontainers.image.ref.name`
//! annotations; tagging replaces the tag's previous entry. A directory that is not a layout
//! yet becomes one on the first write.

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use drydock_model::Digest;
use serde_json::Value;

use super::referrers::{as_referrer, declared_media_type, filter_by_type};
use super::{Descriptor, Manifest, Reference, Repository, verify_before_store};
use crate::error::{OciError, Result};
use crate::image::OCI_INDEX;
use crate::source::{MAX_METADATA_BYTES, read_limited, sha256_digest};

const REF_NAME: &str = "org.opencontainers.image.ref.name";
const LAYOUT_MARKER: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;

/// An OCI image layout directory, read and written in place.
pub struct LayoutRepository {
    root: PathBuf,
}

impl LayoutRepository {
    /// A layout at `root`. Nothing is created until the first write; a path that exists
    /// but is not a directory is refused now.
    pub fn open(root: &Path) -> Result<Self> {
        if root.exists() && !root.is_dir() {
            return Err(OciError::invalid(
                format!("OCI layout {}", root.display()),
                "it is a file, not a directory",
            ));
        }
        Ok(LayoutRepository {
            root: root.to_path_buf(),
        })
    }

    fn what(&self) -> String {
        format!("OCI layout {}", self.root.display())
    }

    fn io(&self, doing: impl std::fmt::Display, error: std::io::Error) -> OciError {
        OciError::io(format!("{} in {}", doing, self.what()), error)
    }

    /// Creates the directory, `oci-layout` and `blobs/<alg>` as needed, and checks that
    /// blobs cannot be written outside the layout through a symbolic link.
    fn prepare(&self, algorithm: &str) -> Result<PathBuf> {
        std::fs::create_dir_all(&self.root).map_err(|e| self.io("creating the directory", e))?;
        self.create_marker()?;
        let root = self.root.canonicalize().map_err(|e| self.io("resolving the path", e))?;
        let blobs = self.root.join("blobs");
        let blob_dir = blobs.join(algorithm);
        for dir in [&blobs, &blob_dir] {
            // Checked before anything is created inside, so an escaping link gets nothing.
            self.ensure_inside(dir, &root)?;
        }
        Ok(blob_dir)
    }

    /// Creates `dir` if missing; refuses it when it resolves outside `root`.
    fn ensure_inside(&self, dir: &Path, root: &Path) -> Result<()> {
        if let Err(e) = std::fs::create_dir(dir)
            && e.kind() != std::io::ErrorKind::AlreadyExists
        {
            return Err(self.io(format!("creating {}", dir.display()), e));
        }
        let real = dir
            .canonicalize()
            .map_err(|e| self.io(format!("resolving {}", dir.display()), e))?;
        if !real.starts_with(root) || !real.is_dir() {
            return Err(OciError::Path {
                path: dir.display().to_string(),
                reason: format!(
                    "it leads outside the layout or is not a directory (it is {}); drydock writes only inside {}",
                    real.display(),
                    root.display()
                ),
            });
        }
        Ok(())
    }

    /// Writes `oci-layout` unless it exists: a temporary file hard-linked into place, which
    /// fails rather than replaces when another writer was first.
    fn create_marker(&self) -> Result<()> {
        let marker = self.root.join("oci-layout");
        if marker.exists() {
            return Ok(());
        }
        let temp = self.temp_file_in(&self.root, LAYOUT_MARKER)?;
        match std::fs::hard_link(temp.path(), &marker) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            Err(e) => Err(self.io("creating oci-layout", e)),
        }
    }

    fn temp_file_in(&self, dir: &Path, bytes: &[u8]) -> Result<tempfile::NamedTempFile> {
        let mut temp = tempfile::Builder::new()
            .prefix(".drydock-")
            .tempfile_in(dir)
            .map_err(|e| self.io("creating a temporary file", e))?;
        temp.write_all(bytes)
            .and_then(|()| temp.as_file().sync_all())
            .map_err(|e| self.io("writing a temporary file", e))?;
        Ok(temp)
    }

    fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.root.join("blobs").join(digest.algorithm()).join(digest.hex())
    }

    /// Holds an exclusive lock on `oci-layout` while `change` edits `index.json`.
    fn update_index(&self, change: impl FnOnce(&mut Vec<Value>)) -> Result<()> {
        self.prepare("sha256")?;
        let marker = File::open(self.root.join("oci-layout")).map_err(|e| self.io("opening oci-layout", e))?;
        let _lock = FileLock::exclusive(&marker).map_err(|e| self.io("locking oci-layout", e))?;
        let mut index = self.read_index_value()?;
        let manifests = index
            .get_mut("manifests")
            .and_then(Value::as_array_mut)
            .ok_or_else(|| OciError::invalid(self.index_what(), "it has no `manifests` list"))?;
        change(manifests);
        let bytes = serde_json::to_vec_pretty(&index).map_err(|e| OciError::invalid(self.index_what(), e))?;
        let temp = self.temp_file_in(&self.root, &bytes)?;
        temp.persist(self.root.join("index.json"))
            .map_err(|e| self.io("replacing index.json", e.error))?;
        Ok(())
    }

    fn index_what(&self) -> String {
        format!("index.json of {}", self.what())
    }

    /// `index.json` as JSON (unknown fields kept); an empty index when there is none yet.
    fn read_index_value(&self) -> Result<Value> {
        let path = self.root.join("index.json");
        match File::open(&path) {
            Ok(file) => {
                let bytes = read_limited(file, &self.index_what())?;
                let value: Value =
                    serde_json::from_slice(&bytes).map_err(|e| OciError::invalid(self.index_what(), e))?;
                if !value.is_object() {
                    return Err(OciError::invalid(self.index_what(), "it is not a JSON object"));
                }
                Ok(value)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(serde_json::json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [] }))
            }
            Err(e) => Err(self.io("reading index.json", e)),
        }
    }

    /// The descriptors of `index.json`, each with its tag when it has one.
    fn index_entries(&self) -> Result<Vec<Descriptor>> {
        let index = self.read_index_value()?;
        let manifests = index.get("manifests").cloned().unwrap_or(Value::Array(Vec::new()));
        serde_json::from_value(manifests).map_err(|e| OciError::invalid(self.index_what(), e))
    }

    fn read_blob_limited(&self, digest: &Digest, max_bytes: u64) -> Result<Vec<u8>> {
        let what = format!("blob {digest} in {}", self.what());
        let file = self.open_blob_file(digest)?;
        let mut bytes = Vec::new();
        file.take(max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| OciError::io(format!("reading {what}"), e))?;
        if bytes.len() as u64 > max_bytes {
            return Err(OciError::invalid(
                what,
                format!("it is larger than the {max_bytes} bytes allowed"),
            ));
        }
        verify_before_store(&what, digest, &bytes)?;
        Ok(bytes)
    }

    fn open_blob_file(&self, digest: &Digest) -> Result<File> {
        File::open(self.blob_path(digest)).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                OciError::not_found(format!("blob {digest} in {}", self.what()))
            } else {
                self.io(format!("opening blob {digest}"), e)
            }
        })
    }

    fn descriptor_for(&self, reference: &Reference) -> Result<Option<Descriptor>> {
        let entries = self.index_entries()?;
        match reference {
            Reference::Tag(tag) => {
                let tagged: Vec<&Descriptor> = entries
                    .iter()
                    .filter(|d| d.annotations.get(REF_NAME) == Some(tag))
                    .collect();
                match tagged.as_slice() {
                    [] => Ok(None),
                    [one] => Ok(Some((*one).clone())),
                    _ => Err(OciError::invalid(
                        self.what(),
                        format!("tag `{tag}` names {} manifests in index.json", tagged.len()),
                    )),
                }
            }
            Reference::Digest(digest) => {
                if let Some(found) = entries.iter().find(|d| &d.digest == digest) {
                    return Ok(Some(found.clone()));
                }
                // Not listed (an index's child): a manifest blob is still addressable.
                match self.read_blob_limited(digest, MAX_METADATA_BYTES) {
                    Ok(bytes) => {
                        let media_type = declared_media_type(&bytes).unwrap_or_default();
                        Ok(Some(Descriptor::new(media_type, digest.clone(), bytes.len() as u64)))
                    }
                    Err(OciError::NotFound { .. }) => Ok(None),
                    Err(other) => Err(other),
                }
            }
        }
    }
}

impl LayoutRepository {
    /// Refuses a manifest whose config, layers or (for an index) manifests are not stored
    /// yet, as a registry does (`MANIFEST_BLOB_UNKNOWN`). A `subject` may be absent.
    fn require_references(&self, bytes: &[u8], what: &str) -> Result<()> {
        #[derive(serde::Deserialize)]
        struct References {
            #[serde(default)]
            config: Option<Descriptor>,
            #[serde(default)]
            layers: Vec<Descriptor>,
            #[serde(default)]
            manifests: Vec<Descriptor>,
        }
        let references: References = serde_json::from_slice(bytes).map_err(|e| OciError::invalid(what, e))?;
        let all = references
            .config
            .iter()
            .chain(&references.layers)
            .chain(&references.manifests);
        for descriptor in all {
            if !self.blob_exists(&descriptor.digest)? {
                return Err(OciError::NotFound {
                    what: format!("blob {} that {what} references", descriptor.digest),
                    detail: Some("push the blobs and child manifests before the manifest".into()),
                });
            }
        }
        Ok(())
    }
}

impl Repository for LayoutRepository {
    fn name(&self) -> String {
        let path = std::path::absolute(&self.root).unwrap_or_else(|_| self.root.clone());
        format!("oci:{}", path.display())
    }

    fn resolve(&self, reference: &Reference) -> Result<Option<Descriptor>> {
        let mut descriptor = self.descriptor_for(reference)?;
        if let Some(d) = &mut descriptor {
            d.annotations.remove(REF_NAME);
        }
        Ok(descriptor)
    }

    fn fetch_manifest(&self, reference: &Reference) -> Result<Option<Manifest>> {
        let Some(descriptor) = self.descriptor_for(reference)? else {
            return Ok(None);
        };
        let bytes = self.read_blob_limited(&descriptor.digest, MAX_METADATA_BYTES)?;
        let media_type = if descriptor.media_type.is_empty() {
            declared_media_type(&bytes).unwrap_or_default()
        } else {
            descriptor.media_type
        };
        Ok(Some(Manifest {
            bytes,
            media_type,
            digest: descriptor.digest,
        }))
    }

    fn fetch_blob(&self, digest: &Digest, max_bytes: u64) -> Result<Vec<u8>> {
        self.read_blob_limited(digest, max_bytes)
    }

    fn open_blob(&self, digest: &Digest, _size: Option<u64>) -> Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(self.open_blob_file(digest)?))
    }

    fn blob_exists(&self, digest: &Digest) -> Result<bool> {
        match std::fs::metadata(self.blob_path(digest)) {
            Ok(meta) => Ok(meta.is_file()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(self.io(format!("looking for blob {digest}"), e)),
        }
    }

    fn push_blob(&self, digest: &Digest, bytes: &[u8]) -> Result<()> {
        let what = format!("blob {digest} for {}", self.what());
        verify_before_store(&what, digest, bytes)?;
        self.push_blob_stream(digest, bytes.len() as u64, &mut &bytes[..])
    }

    fn push_blob_stream(&self, digest: &Digest, size: u64, reader: &mut dyn Read) -> Result<()> {
        if self.blob_exists(digest)? {
            return Ok(());
        }
        let blob_dir = self.prepare(digest.algorithm())?;
        let what = format!("blob {digest} for {}", self.what());
        let mut temp = tempfile::Builder::new()
            .prefix(".drydock-")
            .tempfile_in(&blob_dir)
            .map_err(|e| self.io("creating a temporary blob", e))?;
        let (actual, written) = copy_hashing(digest, reader, temp.as_file_mut(), size)
            .map_err(|e| OciError::io(format!("writing {what}"), e))?;
        if written != size {
            return Err(OciError::SizeMismatch {
                what,
                expected: size,
                actual: written,
            });
        }
        if &actual != digest {
            return Err(OciError::DigestMismatch {
                what,
                expected: digest.clone(),
                actual,
            });
        }
        temp.as_file()
            .sync_all()
            .map_err(|e| OciError::io(format!("writing {what}"), e))?;
        temp.persist(self.blob_path(digest))
            .map_err(|e| OciError::io(format!("storing {what}"), e.error))?;
        Ok(())
    }

    fn push_manifest(&self, bytes: &[u8], media_type: &str, tag: Option<&str>) -> Result<Digest> {
        let digest = sha256_digest(bytes);
        let what = format!("manifest {digest} for {}", self.what());
        if let Some(tag) = tag {
            crate::reference::validate_tag(tag).map_err(|reason| OciError::invalid(&what, reason))?;
        }
        let referrer = as_referrer(bytes, media_type, &digest, &what)?;
        self.require_references(bytes, &what)?;
        self.push_blob(&digest, bytes)?;
        let media_type = if media_type.is_empty() {
            declared_media_type(bytes).unwrap_or_default()
        } else {
            media_type.to_string()
        };
        if tag.is_none() && referrer.is_none() {
            return Ok(digest);
        }
        let mut entry = match referrer {
            Some((_, descriptor)) => descriptor,
            None => Descriptor::new(media_type, digest.clone(), bytes.len() as u64),
        };
        if let Some(tag) = tag {
            entry.annotations.insert(REF_NAME.to_string(), tag.to_string());
        }
        let entry = serde_json::to_value(&entry).map_err(|e| OciError::invalid(&what, e))?;
        let digest_text = digest.to_string();
        self.update_index(|manifests| {
            manifests.retain(|m| match tag {
                Some(tag) => {
                    m.pointer(&format!("/annotations/{}", REF_NAME.replace('/', "~1"))) != Some(&Value::from(tag))
                }
                // An untagged referrer listed already stays listed once.
                None => {
                    m.get("digest").and_then(Value::as_str) != Some(digest_text.as_str())
                        || m.pointer("/annotations").and_then(|a| a.get(REF_NAME)).is_some()
                }
            });
            manifests.push(entry);
        })?;
        Ok(digest)
    }

    fn tags(&self) -> Result<Vec<String>> {
        let mut tags: Vec<String> = Vec::new();
        for entry in self.index_entries()? {
            if let Some(tag) = entry.annotations.get(REF_NAME)
                && !tags.contains(tag)
            {
                tags.push(tag.clone());
            }
        }
        Ok(tags)
    }

    fn referrers(&self, subject: &Digest, artifact_type: Option<&str>) -> Result<Vec<Descriptor>> {
        let mut found: Vec<Descriptor> = Vec::new();
        for entry in self.index_entries()? {
            if found.iter().any(|d| d.digest == entry.digest) || !looks_like_manifest(&entry.media_type) {
                continue;
            }
            let bytes = match self.read_blob_limited(&entry.digest, MAX_METADATA_BYTES) {
                Ok(bytes) => bytes,
                Err(OciError::NotFound { .. }) => continue,
                Err(other) => return Err(other),
            };
            let what = format!("manifest {} in {}", entry.digest, self.what());
            if let Some((of, descriptor)) = as_referrer(&bytes, &entry.media_type, &entry.digest, &what)?
                && &of == subject
            {
                found.push(descriptor);
            }
        }
        Ok(filter_by_type(found, artifact_type))
    }
}

fn looks_like_manifest(media_type: &str) -> bool {
    media_type.is_empty() || media_type.ends_with("+json")
}

/// Copies exactly up to `size + 1` bytes (one more reveals a too-long stream) while hashing
/// with the digest's algorithm.
fn copy_hashing(like: &Digest, reader: &mut dyn Read, out: &mut File, size: u64) -> std::io::Result<(Digest, u64)> {
    let mut hasher = crate::write::hashing::Hasher::for_digest(like);
    let mut limited = reader.take(size.saturating_add(1));
    let mut buffer = vec![0u8; 256 * 1024];
    let mut written = 0u64;
    loop {
        let n = match limited.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buffer[..n]);
        out.write_all(&buffer[..n])?;
        written += n as u64;
    }
    Ok((hasher.finish(), written))
}

/// Longest wait for another writer's `index.json` update (they take milliseconds).
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// An exclusive `flock`, released when dropped (and by the kernel if the process dies).
struct FileLock<'a> {
    file: &'a File,
}

impl<'a> FileLock<'a> {
    /// Waits for the lock, polling, up to [`LOCK_WAIT`]; then a `TimedOut` error.
    fn exclusive(file: &'a File) -> std::io::Result<Self> {
        let deadline = std::time::Instant::now() + LOCK_WAIT;
        loop {
            // SAFETY: flock on a file descriptor that outlives the lock.
            let result = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if result == 0 {
                return Ok(FileLock { file });
            }
            let error = std::io::Error::last_os_error();
            match error.kind() {
                std::io::ErrorKind::Interrupted => {}
                std::io::ErrorKind::WouldBlock if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
                std::io::ErrorKind::WouldBlock => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("another writer held the lock for over {} s", LOCK_WAIT.as_secs()),
                    ));
                }
                _ => return Err(error),
            }
        }
    }
}

impl Drop for FileLock<'_> {
    fn drop(&mut self) {
        // SAFETY: as above; unlocking a lock this process holds.
        unsafe {
            libc::flock(self.file.as_raw_fd(), libc::LOCK_UN);
        }
    }
}
