//! Where cosign keeps signatures and attestations, and how drydock writes them there.
//!
//! Tag scheme (cosign's default): an OCI image manifest tagged `sha256-<hex>.sig` (`.att`
//! for attestations, `.sbom` for attached SBOMs) in the image's repository, one layer per
//! signature. Signing again appends a layer (a layer equal to one already there is not
//! added twice), and the config is rewritten with one diffID per layer, the shape
//! go-containerregistry gives the images cosign builds.
//!
//! Referrers scheme (OCI 1.1, cosign's `--registry-referrers-mode=oci-1-1`): one manifest
//! per signature with `artifactType` `application/vnd.dev.cosign.artifact.sig.v1+json`
//! (attestations: the DSSE media type), the empty config, and `subject` naming the image.

use std::collections::BTreeMap;

use drydock_model::Digest;
use drydock_oci::source::sha256_digest;
use drydock_oci::write::{Descriptor, Manifest, Reference, Repository};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{Result, TrustError};

pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";
pub const PREDICATE_TYPE_ANNOTATION: &str = "predicateType";
pub const SIGNATURE_ARTIFACT_TYPE: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
const EMPTY_JSON: &[u8] = b"{}";
pub const CREATED_ANNOTATION: &str = "org.opencontainers.image.created";

/// How a signature or attestation is stored and found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// cosign's `sha256-<hex>.sig` / `.att` tag.
    Tag,
    /// An OCI 1.1 referrer (`subject`).
    Referrer,
}

impl std::fmt::Display for Scheme {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Scheme::Tag => "tag",
            Scheme::Referrer => "referrer",
        })
    }
}

/// The tag cosign uses for `suffix` (`sig`, `att`, `sbom`) of the image `digest`.
pub fn cosign_tag(digest: &Digest, suffix: &str) -> String {
    format!("{}-{}.{suffix}", digest.algorithm(), digest.hex())
}

/// One blob to attach, with the descriptor that will name it.
pub struct Attachment {
    pub bytes: Vec<u8>,
    pub descriptor: Descriptor,
}

impl Attachment {
    pub fn new(media_type: &str, bytes: Vec<u8>, annotations: BTreeMap<String, String>) -> Self {
        let mut descriptor = Descriptor::new(media_type, sha256_digest(&bytes), bytes.len() as u64);
        descriptor.annotations = annotations;
        Attachment { bytes, descriptor }
    }
}

#[derive(Deserialize)]
struct LayersOnly {
    #[serde(default)]
    layers: Vec<Descriptor>,
    #[serde(default)]
    subject: Option<Descriptor>,
}

/// The layers of a signature/attestation manifest and its subject, if any.
pub fn manifest_layers(manifest: &Manifest, what: &str) -> Result<(Vec<Descriptor>, Option<Descriptor>)> {
    let parsed: LayersOnly = serde_json::from_slice(&manifest.bytes).map_err(|e| TrustError::invalid(what, e))?;
    Ok((parsed.layers, parsed.subject))
}

/// Makes the manifest tagged `tag` hold `attachment` as its only layer (cosign's `attach
/// sbom` replaces the `.sbom` image).
pub fn replace_tag(repository: &dyn Repository, tag: &str, attachment: &Attachment) -> Result<Digest> {
    push_layered(repository, tag, vec![attachment.descriptor.clone()], attachment)
}

/// Appends `attachment` as a layer of the manifest tagged `tag` (created when absent) and
/// returns the new manifest's digest.
pub fn append_to_tag(repository: &dyn Repository, tag: &str, attachment: &Attachment) -> Result<Digest> {
    let what = format!("{} in {}", tag, repository.name());
    let existing = repository.fetch_manifest(&Reference::Tag(tag.to_string()))?;
    let mut layers = match &existing {
        Some(manifest) => manifest_layers(manifest, &what)?.0,
        None => Vec::new(),
    };
    if let Some(manifest) = existing.as_ref().filter(|_| layers.contains(&attachment.descriptor)) {
        return Ok(manifest.digest.clone());
    }
    layers.push(attachment.descriptor.clone());
    push_layered(repository, tag, layers, attachment)
}

fn push_layered(
    repository: &dyn Repository,
    tag: &str,
    layers: Vec<Descriptor>,
    attachment: &Attachment,
) -> Result<Digest> {
    repository.push_blob(&attachment.descriptor.digest, &attachment.bytes)?;
    let config = layered_config(&layers);
    let config_descriptor = Descriptor::new(OCI_CONFIG, sha256_digest(&config), config.len() as u64);
    repository.push_blob(&config_descriptor.digest, &config)?;
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": config_descriptor,
        "layers": layers,
    });
    let bytes = serde_json::to_vec(&manifest).expect("JSON values serialize");
    Ok(repository.push_manifest(&bytes, OCI_MANIFEST, Some(tag))?)
}

/// The config go-containerregistry writes for an image of uncompressed layers built on
/// `empty.Image`: one diffID (= digest) and one history entry per layer.
fn layered_config(layers: &[Descriptor]) -> Vec<u8> {
    let zero_time = "0001-01-01T00:00:00Z";
    let config = json!({
        "architecture": "",
        "created": zero_time,
        "history": layers.iter().map(|_| json!({"created": zero_time})).collect::<Vec<_>>(),
        "os": "",
        "rootfs": {
            "type": "layers",
            "diff_ids": layers.iter().map(|l| l.digest.to_string()).collect::<Vec<_>>(),
        },
        "config": {},
    });
    serde_json::to_vec(&config).expect("JSON values serialize")
}

/// Stores `attachment` as an OCI 1.1 referrer of `subject` with `artifact_type`, and
/// returns the referrer manifest's digest.
pub fn push_referrer(
    repository: &dyn Repository,
    subject: &Descriptor,
    artifact_type: &str,
    attachment: &Attachment,
    created: &str,
) -> Result<Digest> {
    repository.push_blob(&attachment.descriptor.digest, &attachment.bytes)?;
    let empty = Descriptor::new(OCI_EMPTY, sha256_digest(EMPTY_JSON), EMPTY_JSON.len() as u64);
    repository.push_blob(&empty.digest, EMPTY_JSON)?;
    let subject = Descriptor::new(subject.media_type.clone(), subject.digest.clone(), subject.size);
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": empty,
        "layers": [attachment.descriptor],
        "subject": subject,
        "annotations": { CREATED_ANNOTATION: created },
    });
    let bytes = serde_json::to_vec(&manifest).expect("JSON values serialize");
    Ok(repository.push_manifest(&bytes, OCI_MANIFEST, None)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_follow_cosigns_rule() {
        let digest: Digest = format!("sha256:{}", "9".repeat(64)).parse().unwrap();
        assert_eq!(cosign_tag(&digest, "sig"), format!("sha256-{}.sig", "9".repeat(64)));
    }

    #[test]
    fn config_lists_one_diff_id_per_layer() {
        let layer = Descriptor::new("x", sha256_digest(b"a"), 1);
        let config: serde_json::Value = serde_json::from_slice(&layered_config(&[layer.clone(), layer])).unwrap();
        assert_eq!(config["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
        assert_eq!(config["history"].as_array().unwrap().len(), 2);
    }
}
