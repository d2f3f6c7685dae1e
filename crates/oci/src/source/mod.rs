//! Image sources: the places an image's manifests and blobs are read from.
//!
//! Sources with manifests (an OCI layout, an OCI archive, a registry) implement
//! [`ManifestSource`]; [`crate::image`] turns any of them into a resolved image the same
//! way. `docker save` output and the Docker Engine have their own format
//! ([`docker_archive`]), and a plain directory ([`dir`]) has no layers at all.

pub mod dir;
pub mod docker_archive;
pub mod docker_engine;
pub mod layout;
pub mod registry;
pub mod tar_index;

use std::io::Read;

use drydock_model::Digest;

use crate::error::Result;

/// A manifest or index as fetched, with the digest of exactly these bytes.
#[derive(Clone, Debug)]
pub struct FetchedManifest {
    pub bytes: Vec<u8>,
    /// The media type the source reported (a registry's `Content-Type`, a descriptor's
    /// `mediaType`), if any. The JSON's own `mediaType` field is consulted when absent.
    pub media_type: Option<String>,
    /// sha256 of `bytes`. Sources verify it against the digest they were asked for.
    pub digest: Digest,
}

/// Where the manifests and blobs of an OCI-style image come from.
pub trait ManifestSource: Send + Sync {
    /// The manifest or index the user's reference names (tag, digest or the only one).
    fn root_manifest(&self) -> Result<FetchedManifest>;

    /// A manifest by digest, for the children of an index. The returned bytes have been
    /// checked against `digest`.
    fn manifest_by_digest(&self, digest: &Digest) -> Result<FetchedManifest>;

    /// The bytes of a blob as stored. The caller verifies the digest while reading, so the
    /// source need not; a registry source resumes dropped transfers behind this reader.
    fn open_blob(&self, digest: &Digest, size: Option<u64>) -> Result<Box<dyn Read + Send + '_>>;
}

/// Largest manifest, index or config drydock reads into memory (the distribution spec
/// lets registries refuse manifests over 4 MiB; configs of real images are far smaller).
pub const MAX_METADATA_BYTES: u64 = 16 * 1024 * 1024;

/// sha256 of a byte slice as a [`Digest`].
pub fn sha256_digest(bytes: &[u8]) -> Digest {
    use sha2::{Digest as _, Sha256};
    let hash = Sha256::digest(bytes);
    Digest::sha256_from_hex(&hex::encode(hash)).expect("sha256 hex is always well formed")
}

/// Checks fetched bytes against the digest they were asked for.
pub fn verify_bytes(what: &str, expected: &Digest, bytes: &[u8]) -> Result<Digest> {
    let actual = digest_with_algorithm(expected, bytes);
    if &actual != expected {
        return Err(crate::error::OciError::DigestMismatch {
            what: what.to_string(),
            expected: expected.clone(),
            actual,
        });
    }
    Ok(actual)
}

fn digest_with_algorithm(like: &Digest, bytes: &[u8]) -> Digest {
    use sha2::{Digest as _, Sha512};
    if like.is_sha256() {
        sha256_digest(bytes)
    } else {
        let hash = Sha512::digest(bytes);
        format!("sha512:{}", hex::encode(hash))
            .parse()
            .expect("sha512 hex is always well formed")
    }
}

/// Reads a whole small blob (manifest, config) with a size limit, verifying its digest.
pub fn read_small_blob(source: &dyn ManifestSource, what: &str, digest: &Digest, size: Option<u64>) -> Result<Vec<u8>> {
    if let Some(size) = size
        && size > MAX_METADATA_BYTES
    {
        return Err(crate::error::OciError::invalid(
            what,
            format!("its descriptor says {size} bytes, over the {MAX_METADATA_BYTES}-byte limit for metadata"),
        ));
    }
    // Say which blob is missing (the config), not only its digest.
    let reader = source.open_blob(digest, size).map_err(|e| match e {
        crate::error::OciError::NotFound { what: blob, detail } => crate::error::OciError::NotFound {
            what: format!("{what}: {blob}"),
            detail,
        },
        other => other,
    })?;
    let bytes = read_limited(reader, what)?;
    verify_bytes(what, digest, &bytes)?;
    // The content is the one the digest names; the descriptor's size must agree with it too.
    if let Some(expected) = size
        && expected != bytes.len() as u64
    {
        return Err(crate::error::OciError::SizeMismatch {
            what: what.to_string(),
            expected,
            actual: bytes.len() as u64,
        });
    }
    Ok(bytes)
}

/// Reads at most [`MAX_METADATA_BYTES`] bytes; more is an error, not a truncation.
pub fn read_limited(reader: impl Read, what: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_METADATA_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| crate::error::OciError::io(format!("reading {what}"), e))?;
    if bytes.len() as u64 > MAX_METADATA_BYTES {
        return Err(crate::error::OciError::invalid(
            what,
            format!("it is larger than the {MAX_METADATA_BYTES}-byte limit for metadata"),
        ));
    }
    Ok(bytes)
}
