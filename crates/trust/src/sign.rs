//! Signing, attesting and attaching: building what cosign would store and storing it.

use std::collections::BTreeMap;

use drydock_oci::write::{Descriptor, Repository};

use crate::cosign::{
    self, Attachment, PREDICATE_TYPE_ANNOTATION, SIGNATURE_ANNOTATION, SIGNATURE_ARTIFACT_TYPE, Scheme,
};
use crate::dsse::{DSSE_MEDIA_TYPE, Envelope, IN_TOTO_PAYLOAD_TYPE};
use crate::error::Result;
use crate::intoto::Statement;
use crate::keys::PrivateKey;
use crate::payload::{SIMPLE_SIGNING_MEDIA_TYPE, SimpleSigning};
use crate::verify::base64;

/// Where to store a signature or attestation: the image, the identity to name, the schemes.
pub struct Placement<'a> {
    pub repository: &'a dyn Repository,
    /// The image as resolved once (digest, media type, size).
    pub image: Descriptor,
    /// What `docker-reference` / the statement subject names.
    pub identity: String,
    /// cosign's tag scheme (`.sig`/`.att`).
    pub tag: bool,
    /// An OCI 1.1 referrer as well (or instead).
    pub referrer: bool,
    /// RFC 3339 time for the referrer's `org.opencontainers.image.created`.
    pub created: String,
}

/// What was stored, per scheme: the manifest digest.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Stored {
    pub scheme: Scheme,
    pub manifest: drydock_model::Digest,
    pub layer: drydock_model::Digest,
}

/// Signs the image's simple-signing payload with `key`, with the signer `annotations`.
pub fn sign_image(
    place: &Placement<'_>,
    key: &PrivateKey,
    annotations: &BTreeMap<String, String>,
) -> Result<Vec<Stored>> {
    let payload = SimpleSigning::new(&place.identity, &place.image.digest, annotations).to_bytes();
    let signature = base64(&key.sign(&payload));
    let attachment = Attachment::new(
        SIMPLE_SIGNING_MEDIA_TYPE,
        payload,
        BTreeMap::from([(SIGNATURE_ANNOTATION.to_string(), signature)]),
    );
    store(place, "sig", SIGNATURE_ARTIFACT_TYPE, &attachment)
}

/// Wraps a statement about the image in a signed DSSE envelope and stores it.
pub fn attest_image(
    place: &Placement<'_>,
    key: &PrivateKey,
    predicate_type: &str,
    predicate: serde_json::Value,
) -> Result<Vec<Stored>> {
    let statement = Statement::new(&place.identity, &place.image.digest, predicate_type, predicate);
    let envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, &statement.to_bytes(), key);
    let attachment = Attachment::new(
        DSSE_MEDIA_TYPE,
        envelope.to_bytes(),
        BTreeMap::from([
            (SIGNATURE_ANNOTATION.to_string(), String::new()),
            (PREDICATE_TYPE_ANNOTATION.to_string(), predicate_type.to_string()),
        ]),
    );
    store(place, "att", DSSE_MEDIA_TYPE, &attachment)
}

/// Attaches an unsigned file (an SBOM or a scan report) for information only: a referrer
/// with `artifact_type`, and for SBOMs cosign's `.sbom` tag (`tag_suffix`).
pub fn attach(
    place: &Placement<'_>,
    media_type: &str,
    artifact_type: &str,
    tag_suffix: Option<&str>,
    bytes: Vec<u8>,
) -> Result<Vec<Stored>> {
    let attachment = Attachment::new(media_type, bytes, BTreeMap::new());
    let mut stored = Vec::new();
    if let Some(suffix) = tag_suffix.filter(|_| place.tag) {
        let tag = cosign::cosign_tag(&place.image.digest, suffix);
        let manifest = cosign::replace_tag(place.repository, &tag, &attachment)?;
        stored.push(Stored {
            scheme: Scheme::Tag,
            manifest,
            layer: attachment.descriptor.digest.clone(),
        });
    }
    if place.referrer || tag_suffix.is_none() {
        let manifest = cosign::push_referrer(
            place.repository,
            &place.image,
            artifact_type,
            &attachment,
            &place.created,
        )?;
        stored.push(Stored {
            scheme: Scheme::Referrer,
            manifest,
            layer: attachment.descriptor.digest.clone(),
        });
    }
    Ok(stored)
}

fn store(place: &Placement<'_>, suffix: &str, artifact_type: &str, attachment: &Attachment) -> Result<Vec<Stored>> {
    let mut stored = Vec::new();
    if place.tag {
        let tag = cosign::cosign_tag(&place.image.digest, suffix);
        let manifest = cosign::append_to_tag(place.repository, &tag, attachment)?;
        stored.push(Stored {
            scheme: Scheme::Tag,
            manifest,
            layer: attachment.descriptor.digest.clone(),
        });
    }
    if place.referrer {
        let manifest = cosign::push_referrer(
            place.repository,
            &place.image,
            artifact_type,
            attachment,
            &place.created,
        )?;
        stored.push(Stored {
            scheme: Scheme::Referrer,
            manifest,
            layer: attachment.descriptor.digest.clone(),
        });
    }
    Ok(stored)
}
