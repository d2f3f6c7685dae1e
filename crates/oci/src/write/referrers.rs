//! OCI 1.1 referrers: what a manifest with a `subject` looks like in a referrers list, and
//! the referrers tag schema (`<alg>-<hex>` index) registries without the API use.

use std::collections::BTreeMap;

use drydock_model::Digest;
use serde::Deserialize;

use super::Descriptor;
use crate::error::{OciError, Result};
use crate::image::OCI_INDEX;

/// The tag of the referrers index for `subject` in the tag schema: `sha256-<hex>`.
pub fn referrers_tag(subject: &Digest) -> String {
    format!("{}-{}", subject.algorithm(), subject.hex())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ManifestFields {
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    artifact_type: Option<String>,
    #[serde(default)]
    config: Option<ConfigField>,
    #[serde(default)]
    subject: Option<SubjectField>,
    #[serde(default)]
    annotations: Option<BTreeMap<String, String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigField {
    #[serde(default)]
    media_type: Option<String>,
}

#[derive(Deserialize)]
struct SubjectField {
    digest: String,
}

/// A manifest's `subject` and the descriptor that lists it among its subject's referrers
/// (`artifactType` from the manifest, else its config's media type; its annotations).
/// `None` when it has no subject.
pub(crate) fn as_referrer(
    bytes: &[u8],
    media_type: &str,
    digest: &Digest,
    what: &str,
) -> Result<Option<(Digest, Descriptor)>> {
    let fields: ManifestFields = serde_json::from_slice(bytes).map_err(|e| OciError::invalid(what, e))?;
    let Some(subject) = fields.subject else {
        return Ok(None);
    };
    let subject: Digest = subject
        .digest
        .parse()
        .map_err(|e| OciError::invalid(what, format!("its subject: {e}")))?;
    let media_type = if media_type.is_empty() {
        fields.media_type.unwrap_or_default()
    } else {
        media_type.to_string()
    };
    let mut descriptor = Descriptor::new(media_type, digest.clone(), bytes.len() as u64);
    descriptor.artifact_type = fields.artifact_type.or(fields.config.and_then(|c| c.media_type));
    descriptor.annotations = fields.annotations.unwrap_or_default();
    Ok(Some((subject, descriptor)))
}

/// The `mediaType` a manifest's JSON declares, if any.
pub(crate) fn declared_media_type(bytes: &[u8]) -> Option<String> {
    serde_json::from_slice::<ManifestFields>(bytes).ok()?.media_type
}

#[derive(Deserialize)]
struct IndexFields {
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

/// The descriptors of an index (a referrers response or a tag-schema index).
pub(crate) fn index_descriptors(bytes: &[u8], what: &str) -> Result<Vec<Descriptor>> {
    let index: IndexFields = serde_json::from_slice(bytes).map_err(|e| OciError::invalid(what, e))?;
    Ok(index.manifests)
}

/// The referrers index with `descriptor` added, or `None` when it lists that digest already.
/// Other fields of an existing index are kept.
pub(crate) fn index_with(existing: Option<&[u8]>, descriptor: &Descriptor, what: &str) -> Result<Option<Vec<u8>>> {
    let mut index: serde_json::Value = match existing {
        Some(bytes) => serde_json::from_slice(bytes).map_err(|e| OciError::invalid(what, e))?,
        None => serde_json::json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [] }),
    };
    let manifests = index
        .get_mut("manifests")
        .and_then(|m| m.as_array_mut())
        .ok_or_else(|| OciError::invalid(what, "it has no `manifests` list"))?;
    let digest = descriptor.digest.to_string();
    if manifests
        .iter()
        .any(|m| m.get("digest").and_then(|d| d.as_str()) == Some(digest.as_str()))
    {
        return Ok(None);
    }
    manifests.push(serde_json::to_value(descriptor).map_err(|e| OciError::invalid(what, e))?);
    serde_json::to_vec(&index)
        .map(Some)
        .map_err(|e| OciError::invalid(what, e))
}

/// Keeps the descriptors of one artifact type (all when `artifact_type` is `None`).
pub(crate) fn filter_by_type(descriptors: Vec<Descriptor>, artifact_type: Option<&str>) -> Vec<Descriptor> {
    match artifact_type {
        None => descriptors,
        Some(wanted) => descriptors
            .into_iter()
            .filter(|d| d.artifact_type.as_deref() == Some(wanted))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::sha256_digest;

    const SUBJECT: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    fn artifact(artifact_type: Option<&str>) -> Vec<u8> {
        let mut manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.dev.cosign.artifact.sig.v1+json", "digest": SUBJECT, "size": 2},
            "layers": [],
            "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": SUBJECT, "size": 10},
            "annotations": {"created": "now"}
        });
        if let Some(t) = artifact_type {
            manifest["artifactType"] = t.into();
        }
        serde_json::to_vec(&manifest).unwrap()
    }

    #[test]
    fn referrer_descriptors_take_artifact_type_then_config_type() {
        let bytes = artifact(Some("application/spdx+json"));
        let digest = sha256_digest(&bytes);
        let (subject, descriptor) = as_referrer(&bytes, "", &digest, "m").unwrap().unwrap();
        assert_eq!(subject.to_string(), SUBJECT);
        assert_eq!(descriptor.artifact_type.as_deref(), Some("application/spdx+json"));
        assert_eq!(descriptor.media_type, "application/vnd.oci.image.manifest.v1+json");
        assert_eq!(descriptor.annotations.get("created").map(String::as_str), Some("now"));
        let bytes = artifact(None);
        let (_, descriptor) = as_referrer(&bytes, "x", &sha256_digest(&bytes), "m").unwrap().unwrap();
        assert_eq!(
            descriptor.artifact_type.as_deref(),
            Some("application/vnd.dev.cosign.artifact.sig.v1+json")
        );
        assert!(as_referrer(br#"{"layers":[]}"#, "", &digest, "m").unwrap().is_none());
    }

    #[test]
    fn index_gains_each_digest_once() {
        let bytes = artifact(None);
        let (_, descriptor) = as_referrer(&bytes, "", &sha256_digest(&bytes), "m").unwrap().unwrap();
        let first = index_with(None, &descriptor, "i").unwrap().unwrap();
        assert_eq!(index_descriptors(&first, "i").unwrap(), vec![descriptor.clone()]);
        assert!(index_with(Some(&first), &descriptor, "i").unwrap().is_none());
        assert!(index_with(Some(b"{}"), &descriptor, "i").is_err());
        assert_eq!(
            referrers_tag(&SUBJECT.parse().unwrap()),
            format!("sha256-{}", "a".repeat(64))
        );
    }
}
