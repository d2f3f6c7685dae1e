//! Gathering what a policy decision needs from repositories: the image's layer diffIDs,
//! its signatures and attestations, and each base image's layers and trust.

use std::path::Path;

use drydock_model::Digest;
use drydock_oci::source::registry::RegistryOptions;
use drydock_oci::write::{Reference, Repository, open_repository};
use serde::Deserialize;

use crate::error::{Result, TrustError};
use crate::policy::{BaseEvidence, BaseImageSpec, Evidence, Policy};
use crate::verify::{self, Subject};

const MAX_CONFIG_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Deserialize)]
struct ManifestOrIndex {
    #[serde(default)]
    manifests: Option<Vec<drydock_oci::write::Descriptor>>,
    #[serde(default)]
    config: Option<drydock_oci::write::Descriptor>,
}

#[derive(Deserialize)]
struct ConfigRootfs {
    rootfs: Rootfs,
}

#[derive(Deserialize)]
struct Rootfs {
    #[serde(default)]
    diff_ids: Vec<Digest>,
}

/// The layer diffIDs (bottom first) of the image `digest` names; for an index, of its
/// linux/amd64 manifest, else its first.
pub fn image_diff_ids(repository: &dyn Repository, digest: &Digest) -> Result<Vec<Digest>> {
    let what = format!("{}@{digest}", repository.name());
    let manifest = repository
        .fetch_manifest(&Reference::Digest(digest.clone()))?
        .ok_or_else(|| TrustError::invalid(&what, "the manifest is gone"))?;
    let mut parsed: ManifestOrIndex =
        serde_json::from_slice(&manifest.bytes).map_err(|e| TrustError::invalid(&what, e))?;
    if let Some(manifests) = parsed.manifests.take() {
        let chosen = manifests
            .iter()
            .find(|m| {
                m.platform
                    .as_ref()
                    .is_some_and(|p| p["os"] == "linux" && p["architecture"] == "amd64")
            })
            .or(manifests.first())
            .ok_or_else(|| TrustError::invalid(&what, "the index lists no manifests"))?;
        let inner = repository
            .fetch_manifest(&Reference::Digest(chosen.digest.clone()))?
            .ok_or_else(|| TrustError::invalid(&what, format!("manifest {} of the index is missing", chosen.digest)))?;
        parsed = serde_json::from_slice(&inner.bytes).map_err(|e| TrustError::invalid(&what, e))?;
    }
    let config = parsed
        .config
        .ok_or_else(|| TrustError::invalid(&what, "the manifest has no config"))?;
    let bytes = repository.fetch_blob(&config.digest, MAX_CONFIG_BYTES)?;
    let config: ConfigRootfs = serde_json::from_slice(&bytes)
        .map_err(|e| TrustError::invalid(format!("config {} of {what}", config.digest), e))?;
    Ok(config.rootfs.diff_ids)
}

/// Signatures and attestations of the image, judged against every key of the policy.
pub fn gather(policy: &Policy, subject: &Subject<'_>) -> Result<Evidence> {
    Ok(Evidence {
        name: subject.repository.name(),
        digest: subject.digest.clone(),
        signatures: verify::verify_signatures(subject, &policy.keys)?,
        attestations: verify::verify_attestations(subject, &policy.keys)?,
        diff_ids: image_diff_ids(subject.repository, &subject.digest)?,
    })
}

/// Every base image of the policy: its diffIDs and whether it is trusted. A base that
/// cannot be read is untrusted with the reason, not an error: the decision explains it.
pub fn gather_bases(policy: &Policy, options: &RegistryOptions) -> Vec<BaseEvidence> {
    policy
        .file
        .base_images
        .iter()
        .map(|spec| match judge_base(policy, spec, options) {
            Ok(evidence) => evidence,
            Err(error) => BaseEvidence {
                name: spec.name.clone(),
                diff_ids: spec.diff_ids.clone(),
                trust: Err(error.to_string()),
            },
        })
        .collect()
}

fn judge_base(policy: &Policy, spec: &BaseImageSpec, options: &RegistryOptions) -> Result<BaseEvidence> {
    let Some(reference) = &spec.reference else {
        // Inline diffIDs with a digest: the policy's author vouches for both.
        return Ok(BaseEvidence {
            name: spec.name.clone(),
            diff_ids: spec.diff_ids.clone(),
            trust: Ok(format!(
                "by digest {} (layers given in the policy)",
                spec.digest.as_ref().map(ToString::to_string).unwrap_or_default()
            )),
        });
    };
    let target = open_repository(&relative_to(reference, &policy.base_dir), options)?;
    let wanted = target.reference.unwrap_or(Reference::Tag("latest".into()));
    let resolved = target.repository.resolve(&wanted)?.ok_or_else(|| {
        TrustError::invalid(
            format!("base image `{}`", spec.name),
            format!("{reference} does not exist"),
        )
    })?;
    let diff_ids = image_diff_ids(target.repository.as_ref(), &resolved.digest)?;
    let mut reasons = Vec::new();
    let mut failures = Vec::new();
    if let Some(pinned) = &spec.digest {
        if *pinned == resolved.digest {
            reasons.push(format!("by digest {pinned}"));
        } else {
            failures.push(format!(
                "{reference} resolves to {}, not the pinned {pinned}",
                resolved.digest
            ));
        }
    }
    if !spec.signed_by.is_empty() {
        let subject = Subject {
            repository: target.repository.as_ref(),
            identity: target.repository.name(),
            digest: resolved.digest.clone(),
        };
        let signatures = verify::verify_signatures(&subject, &policy.keys_named(&spec.signed_by))?;
        for key in &spec.signed_by {
            if signatures.iter().any(|c| c.key() == Some(key.as_str())) {
                reasons.push(format!("by signature of `{key}`"));
            } else {
                failures.push(format!("{reference} has no valid signature by `{key}`"));
            }
        }
    }
    let diff_ids = if spec.diff_ids.is_empty() {
        diff_ids
    } else {
        spec.diff_ids.clone()
    };
    Ok(BaseEvidence {
        name: spec.name.clone(),
        diff_ids,
        trust: if failures.is_empty() {
            Ok(reasons.join(" and "))
        } else {
            Err(failures.join("; "))
        },
    })
}

/// `oci:` paths in a policy are relative to the policy file.
fn relative_to(reference: &str, base_dir: &Path) -> String {
    match reference.strip_prefix("oci:") {
        Some(rest) if !rest.starts_with('/') => format!("oci:{}", base_dir.join(rest).display()),
        _ => reference.to_string(),
    }
}
