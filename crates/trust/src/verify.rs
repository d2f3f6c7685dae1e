//! Finding an image's signatures and attestations by both schemes and judging each one.
//!
//! The caller resolves the image reference once and passes the digest; everything here
//! is looked up by that digest, never by a tag again. Each candidate (one layer of a `.sig`
//! or `.att` manifest, or of a referrer) gets its own verdict: valid with the key that
//! verified it, or rejected with the reason. A candidate is valid only when all hold:
//! the blob matches its digest, the signature verifies with one of the keys, the payload
//! names exactly the pinned digest, and it names this repository.

use base64::Engine as _;
use drydock_model::Digest;
use drydock_oci::write::{Descriptor, Reference, Repository};
use serde::Serialize;

use crate::cosign::{self, PREDICATE_TYPE_ANNOTATION, SIGNATURE_ANNOTATION, SIGNATURE_ARTIFACT_TYPE, Scheme};
use crate::dsse::{DSSE_MEDIA_TYPE, Envelope, IN_TOTO_PAYLOAD_TYPE};
use crate::error::Result;
use crate::intoto::Statement;
use crate::keys::{PublicKey, SignatureFault};
use crate::payload::{COSIGN_SIGNATURE_TYPE, SIMPLE_SIGNING_MEDIA_TYPE, SimpleSigning};

/// Signature payloads are small; anything bigger is not one.
const MAX_PAYLOAD_BYTES: u64 = 1024 * 1024;
/// Attestations carry SBOMs and scan reports.
const MAX_ENVELOPE_BYTES: u64 = 64 * 1024 * 1024;

/// A verification key with the name reports show (its file path).
#[derive(Clone, Debug)]
pub struct NamedKey {
    pub name: String,
    pub key: PublicKey,
}

/// What was verified: the repository's identity and the pinned digest.
pub struct Subject<'a> {
    pub repository: &'a dyn Repository,
    /// The identity signatures must name (`docker-reference`): by default the repository's
    /// name.
    pub identity: String,
    pub digest: Digest,
}

/// The verdict on one signature or attestation.
#[derive(Clone, Debug, Serialize)]
pub struct Candidate {
    pub scheme: Scheme,
    /// The `.sig`/`.att` manifest or the referrer manifest holding it.
    pub manifest: Digest,
    /// The payload or envelope blob.
    pub layer: Digest,
    #[serde(flatten)]
    pub verdict: Verdict,
}

#[derive(Clone, Debug, Serialize)]
#[serde(tag = "verdict", rename_all = "lowercase")]
pub enum Verdict {
    Valid {
        /// The name of the key that verified it.
        key: String,
        /// The signed identity and the signer's annotations (signatures), or the predicate
        /// type (attestations).
        identity: String,
        #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        annotations: std::collections::BTreeMap<String, String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        predicate_type: Option<String>,
        #[serde(skip)]
        statement: Option<Box<Statement>>,
    },
    Rejected {
        reason: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        predicate_type: Option<String>,
    },
}

impl Candidate {
    pub fn is_valid(&self) -> bool {
        matches!(self.verdict, Verdict::Valid { .. })
    }

    pub fn key(&self) -> Option<&str> {
        match &self.verdict {
            Verdict::Valid { key, .. } => Some(key),
            Verdict::Rejected { .. } => None,
        }
    }

    pub fn predicate_type(&self) -> Option<&str> {
        match &self.verdict {
            Verdict::Valid { predicate_type, .. } | Verdict::Rejected { predicate_type, .. } => {
                predicate_type.as_deref()
            }
        }
    }
}

/// Every image signature of the subject (both schemes), each judged against `keys`.
pub fn verify_signatures(subject: &Subject<'_>, keys: &[NamedKey]) -> Result<Vec<Candidate>> {
    let layers = find_layers(subject, "sig", SIGNATURE_ARTIFACT_TYPE)?;
    Ok(layers
        .into_iter()
        .map(|(scheme, manifest, layer)| {
            let verdict = match judge_signature(subject, keys, &layer) {
                Ok(verdict) => verdict,
                Err(reason) => Verdict::Rejected {
                    reason,
                    predicate_type: None,
                },
            };
            Candidate {
                scheme,
                manifest,
                layer: layer.digest,
                verdict,
            }
        })
        .collect())
}

/// Every attestation of the subject (both schemes), each judged against `keys`.
pub fn verify_attestations(subject: &Subject<'_>, keys: &[NamedKey]) -> Result<Vec<Candidate>> {
    let layers = find_layers(subject, "att", DSSE_MEDIA_TYPE)?;
    Ok(layers
        .into_iter()
        .map(|(scheme, manifest, layer)| {
            let claimed = layer.annotations.get(PREDICATE_TYPE_ANNOTATION).cloned();
            let verdict = match judge_attestation(subject, keys, &layer) {
                Ok(verdict) => verdict,
                Err(reason) => Verdict::Rejected {
                    reason,
                    predicate_type: claimed,
                },
            };
            Candidate {
                scheme,
                manifest,
                layer: layer.digest,
                verdict,
            }
        })
        .collect())
}

/// The layers of the `.suffix` tag manifest and of every referrer of `artifact_type`,
/// each with its scheme and manifest digest. A referrer whose manifest does not name the
/// pinned digest as its subject is left out (an index cannot make a manifest a referrer).
fn find_layers(subject: &Subject<'_>, suffix: &str, artifact_type: &str) -> Result<Vec<(Scheme, Digest, Descriptor)>> {
    let repository = subject.repository;
    let mut found = Vec::new();
    let tag = cosign::cosign_tag(&subject.digest, suffix);
    if let Some(manifest) = repository.fetch_manifest(&Reference::Tag(tag.clone()))? {
        let what = format!("{tag} in {}", repository.name());
        for layer in cosign::manifest_layers(&manifest, &what)?.0 {
            found.push((Scheme::Tag, manifest.digest.clone(), layer));
        }
    }
    for referrer in repository.referrers(&subject.digest, Some(artifact_type))? {
        let Some(manifest) = repository.fetch_manifest(&Reference::Digest(referrer.digest.clone()))? else {
            continue;
        };
        let what = format!("referrer {} in {}", manifest.digest, repository.name());
        let (layers, manifest_subject) = cosign::manifest_layers(&manifest, &what)?;
        if manifest_subject.map(|s| s.digest) != Some(subject.digest.clone()) {
            continue;
        }
        for layer in layers {
            found.push((Scheme::Referrer, manifest.digest.clone(), layer));
        }
    }
    Ok(found)
}

fn judge_signature(subject: &Subject<'_>, keys: &[NamedKey], layer: &Descriptor) -> Result<Verdict, String> {
    if layer.media_type != SIMPLE_SIGNING_MEDIA_TYPE {
        return Err(format!(
            "layer media type `{}` is not a cosign signature ({SIMPLE_SIGNING_MEDIA_TYPE})",
            layer.media_type
        ));
    }
    let signature = layer
        .annotations
        .get(SIGNATURE_ANNOTATION)
        .ok_or_else(|| format!("the layer has no `{SIGNATURE_ANNOTATION}` annotation"))?;
    let payload = fetch(subject, &layer.digest, MAX_PAYLOAD_BYTES)?;
    let key = first_key_that_verifies(keys, |key| key.verify_base64(&payload, signature))?;
    let parsed = SimpleSigning::parse(&payload).map_err(|e| e.to_string())?;
    if parsed.critical.kind != COSIGN_SIGNATURE_TYPE {
        return Err(format!(
            "the payload's type is `{}`, not `{COSIGN_SIGNATURE_TYPE}`",
            parsed.critical.kind
        ));
    }
    let signed_digest = &parsed.critical.image.docker_manifest_digest;
    if *signed_digest != subject.digest.to_string() {
        return Err(format!(
            "the signature is for another image: it signs {signed_digest}, the image is {}",
            subject.digest
        ));
    }
    let signed_identity = &parsed.critical.identity.docker_reference;
    if !same_identity(signed_identity, &subject.identity) {
        return Err(format!(
            "the signature was made for another repository: it names `{signed_identity}`, this is `{}`",
            subject.identity
        ));
    }
    Ok(Verdict::Valid {
        key: key.name.clone(),
        identity: signed_identity.clone(),
        annotations: parsed.annotations(),
        predicate_type: None,
        statement: None,
    })
}

fn judge_attestation(subject: &Subject<'_>, keys: &[NamedKey], layer: &Descriptor) -> Result<Verdict, String> {
    if layer.media_type != DSSE_MEDIA_TYPE {
        return Err(format!(
            "layer media type `{}` is not a DSSE envelope ({DSSE_MEDIA_TYPE})",
            layer.media_type
        ));
    }
    let bytes = fetch(subject, &layer.digest, MAX_ENVELOPE_BYTES)?;
    let envelope = Envelope::parse(&bytes).map_err(|e| e.to_string())?;
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(format!(
            "the envelope's payload type is `{}`, not `{IN_TOTO_PAYLOAD_TYPE}`",
            envelope.payload_type
        ));
    }
    let key = first_key_that_verifies(keys, |key| envelope.verify(key))?;
    let payload = envelope.payload_bytes().map_err(|e| e.to_string())?;
    let statement = Statement::parse(&payload).map_err(|e| e.to_string())?;
    if !statement.names_digest(&subject.digest) {
        return Err(format!(
            "the attestation is about another image: its subject is {}, the image is {}",
            display_list(&statement.subject_digests()),
            subject.digest
        ));
    }
    if let Some(claimed) = layer
        .annotations
        .get(PREDICATE_TYPE_ANNOTATION)
        .filter(|claimed| **claimed != statement.predicate_type)
    {
        return Err(format!(
            "the layer's `predicateType` annotation says `{claimed}` but the signed statement is `{}`",
            statement.predicate_type
        ));
    }
    Ok(Verdict::Valid {
        key: key.name.clone(),
        identity: statement.subject.first().map(|s| s.name.clone()).unwrap_or_default(),
        annotations: Default::default(),
        predicate_type: Some(statement.predicate_type.clone()),
        statement: Some(Box::new(statement)),
    })
}

fn fetch(subject: &Subject<'_>, digest: &Digest, max: u64) -> Result<Vec<u8>, String> {
    subject
        .repository
        .fetch_blob(digest, max)
        .map_err(|e| format!("its blob cannot be used: {e}"))
}

fn first_key_that_verifies(
    keys: &[NamedKey],
    verify: impl Fn(&PublicKey) -> Result<(), SignatureFault>,
) -> Result<&NamedKey, String> {
    let mut faults = Vec::new();
    for key in keys {
        match verify(&key.key) {
            Ok(()) => return Ok(key),
            Err(fault) => faults.push(format!("{}: {fault}", key.name)),
        }
    }
    if faults.is_empty() {
        return Err("no key to verify with".into());
    }
    Err(faults.join("; "))
}

/// `docker.io` and `index.docker.io` name the same registry (go-containerregistry writes
/// the latter into payloads).
fn same_identity(signed: &str, expected: &str) -> bool {
    fn canonical(name: &str) -> String {
        match name.strip_prefix("index.docker.io/") {
            Some(rest) => format!("docker.io/{rest}"),
            None => name.to_string(),
        }
    }
    canonical(signed) == canonical(expected)
}

fn display_list(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_string()
    } else {
        items.join(", ")
    }
}

/// The base64 of `bytes` (for callers building annotations).
pub fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
