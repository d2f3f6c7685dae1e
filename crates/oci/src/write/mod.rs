//! Writing images and artifacts: to a registry (push) or to an OCI image layout.
//!
//! A [`Repository`] is one place manifests and blobs can be read from and written to: a
//! registry repository ([`registry::RegistryRepository`], the OCI distribution API 1.1) or
//! an OCI image layout directory ([`layout::LayoutRepository`]). Both verify every digest:
//! a blob whose bytes do not match the digest it is pushed under is refused before anything
//! is stored, and a manifest's digest is computed from the exact bytes sent.
//!
//! [`open_repository`] takes the same target syntax the CLI uses for images
//! (`oci:PATH[:TAG|@DIGEST]`, `registry.example/team/app:tag`) and returns the repository
//! and the tag or digest part. [`copy`] copies an image from any readable source into a
//! repository, keeping digests when the source has registry manifests.
//!
//! Referrers (OCI 1.1 `subject`) are written and found the same way on both: a registry
//! without the referrers API gets the referrers tag schema (`sha256-<hex>` index) updated by
//! [`Repository::push_manifest`]; a layout lists referrers in its `index.json`.

pub mod copy;
mod hashing;
pub mod layout;
mod referrers;
pub mod registry;

use std::collections::BTreeMap;
use std::io::Read;

use drydock_model::Digest;
use serde::{Deserialize, Serialize};

use crate::error::{OciError, Result};
use crate::reference::{ImageRef, Selector};
use crate::source::registry::RegistryOptions;

pub use referrers::referrers_tag;

/// A content descriptor as OCI manifests and indexes write it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    pub media_type: String,
    pub digest: Digest,
    pub size: u64,
    /// For referrers: the artifact's type (its `artifactType`, else its config media type).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub artifact_type: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<serde_json::Value>,
}

impl Descriptor {
    /// A plain descriptor: media type, digest, size.
    pub fn new(media_type: impl Into<String>, digest: Digest, size: u64) -> Self {
        Descriptor {
            media_type: media_type.into(),
            digest,
            size,
            artifact_type: None,
            annotations: BTreeMap::new(),
            platform: None,
        }
    }
}

/// A manifest or index as stored: its exact bytes, media type and digest (of these bytes,
/// verified against the digest asked for or the registry's `Docker-Content-Digest`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    pub bytes: Vec<u8>,
    pub media_type: String,
    pub digest: Digest,
}

impl Manifest {
    /// The descriptor pointing at this manifest.
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(self.media_type.clone(), self.digest.clone(), self.bytes.len() as u64)
    }
}

/// A tag or a digest inside one repository.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Reference {
    Tag(String),
    Digest(Digest),
}

impl Reference {
    /// `sha256:…` is a digest, anything else a tag (validated by the repository).
    pub fn parse(text: &str) -> Result<Self> {
        if text.contains(':') {
            text.parse().map(Reference::Digest).map_err(|e| OciError::Reference {
                input: text.to_string(),
                reason: format!("{e}"),
            })
        } else {
            crate::reference::validate_tag(text).map_err(|reason| OciError::Reference {
                input: text.to_string(),
                reason,
            })?;
            Ok(Reference::Tag(text.to_string()))
        }
    }
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reference::Tag(tag) => f.write_str(tag),
            Reference::Digest(digest) => write!(f, "{digest}"),
        }
    }
}

/// One repository that manifests and blobs are read from and written to.
///
/// Every method is blocking and bounded: network waits have timeouts and retries as
/// [`RegistryOptions`] say; nothing waits forever.
pub trait Repository: Send + Sync {
    /// `127.0.0.1:5000/team/app` for a registry (what cosign puts in `docker-reference`:
    /// Docker Hub is `index.docker.io/library/debian`), `oci:/abs/path` for a layout.
    fn name(&self) -> String;

    /// The descriptor a tag or digest points at, `None` when there is no such manifest.
    fn resolve(&self, reference: &Reference) -> Result<Option<Descriptor>>;

    /// The manifest a tag or digest names, `None` when there is none. Its digest is
    /// verified (against the digest asked for, else the registry's `Docker-Content-Digest`).
    fn fetch_manifest(&self, reference: &Reference) -> Result<Option<Manifest>>;

    /// A whole blob, read into memory: at most `max_bytes`, digest verified. For small
    /// blobs (configs, signatures, attestations); a missing blob is [`OciError::NotFound`].
    fn fetch_blob(&self, digest: &Digest, max_bytes: u64) -> Result<Vec<u8>>;

    /// A blob as a stream; `size` when known (a registry then resumes dropped transfers).
    /// The caller verifies the digest while reading.
    fn open_blob(&self, digest: &Digest, size: Option<u64>) -> Result<Box<dyn Read + Send + '_>>;

    fn blob_exists(&self, digest: &Digest) -> Result<bool>;

    /// Stores a blob held in memory. Bytes that do not match `digest` are refused before
    /// anything is sent or written.
    fn push_blob(&self, digest: &Digest, bytes: &[u8]) -> Result<()>;

    /// Stores a blob of `size` bytes from a stream, never holding it whole in memory. The
    /// digest and size are checked as bytes pass; a mismatch fails the upload and leaves
    /// nothing behind under `digest`. A blob that exists already is not sent again.
    fn push_blob_stream(&self, digest: &Digest, size: u64, reader: &mut dyn Read) -> Result<()>;

    /// Makes a blob of another repository of the same store (`from` is that repository's
    /// [`Repository::name`]) available here without transferring it: a registry's
    /// cross-repository mount. `false` when it could not (another registry, a layout, a
    /// registry that declined); the caller then pushes the bytes.
    fn mount_blob(&self, digest: &Digest, from: &str) -> Result<bool> {
        let _ = (digest, from);
        Ok(false)
    }

    /// Stores a manifest or index (its blobs must be there already) and returns the
    /// digest of `bytes`. With a tag, the tag then points at it (replacing what it pointed
    /// at). A manifest with a `subject` is registered as a referrer of that subject.
    fn push_manifest(&self, bytes: &[u8], media_type: &str, tag: Option<&str>) -> Result<Digest>;

    /// Every tag, sorted as the repository lists them (all pages).
    fn tags(&self) -> Result<Vec<String>>;

    /// The manifests whose `subject` is `subject`, optionally only those of one
    /// `artifact_type`. Each descriptor carries its `artifactType` and annotations.
    fn referrers(&self, subject: &Digest, artifact_type: Option<&str>) -> Result<Vec<Descriptor>>;
}

/// A repository opened from a target string, with the tag or digest the target named.
pub struct Target {
    pub repository: Box<dyn Repository>,
    /// `None` for `oci:PATH` without a tag or digest.
    pub reference: Option<Reference>,
}

/// Opens `oci:PATH[:TAG|@DIGEST]` or a registry reference (`host:port/repo[:tag|@digest]`,
/// Docker Hub short names too) for reading and writing. A layout directory that does not
/// exist yet is created on the first write. Registry references without tag or digest
/// name `latest`, as the CLI does.
pub fn open_repository(target: &str, options: &RegistryOptions) -> Result<Target> {
    let reference: ImageRef = target.parse()?;
    match reference {
        ImageRef::OciLayout { path, selector } => Ok(Target {
            repository: Box::new(layout::LayoutRepository::open(&path)?),
            reference: match selector {
                Selector::Default => None,
                Selector::Tag(tag) => Some(Reference::Tag(tag)),
                Selector::Digest(digest) => Some(Reference::Digest(digest)),
            },
        }),
        ImageRef::Registry(registry_ref) => {
            let reference = match (&registry_ref.digest, &registry_ref.tag) {
                (Some(digest), _) => Some(Reference::Digest(digest.clone())),
                (None, Some(tag)) => Some(Reference::Tag(tag.clone())),
                (None, None) => None,
            };
            Ok(Target {
                repository: Box::new(registry::RegistryRepository::new(&registry_ref, options.clone())?),
                reference,
            })
        }
        other => Err(OciError::Reference {
            input: target.to_string(),
            reason: format!(
                "`{}:` sources can be read but not written; write to oci:PATH or a registry",
                other.kind()
            ),
        }),
    }
}

/// Checks bytes against a digest before they are stored.
pub(crate) fn verify_before_store(what: &str, digest: &Digest, bytes: &[u8]) -> Result<()> {
    crate::source::verify_bytes(what, digest, bytes).map(|_| ())
}
