//! Interoperability with cosign: keys and signatures cosign produced (tests/fixtures/trust,
//! see its README for where each came from), and formats checked byte for byte against
//! cosign's specification.

use std::collections::BTreeMap;
use std::path::PathBuf;

use drydock_model::Digest;
use drydock_trust::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE, pae};
use drydock_trust::payload::SimpleSigning;
use drydock_trust::{PrivateKey, PublicKey};
use sha2::{Digest as _, Sha256};

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/trust")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn cosign_generated_key_with_empty_password_opens_and_signs() {
    let key =
        PrivateKey::from_encrypted_pem(&fixture("cosign-generated-empty-password.key"), b"", "cosign key").unwrap();
    let signature = key.sign(b"drydock");
    key.public_key().verify(b"drydock", &signature).unwrap();
    let wrong = PrivateKey::from_encrypted_pem(&fixture("cosign-generated-empty-password.key"), b"x", "cosign key")
        .unwrap_err()
        .to_string();
    assert!(wrong.contains("wrong password"), "{wrong}");
}

#[test]
fn older_cosign_private_key_label_is_read() {
    let key = PrivateKey::from_encrypted_pem(&fixture("sigstore-rs-password-123.key"), b"123", "old key").unwrap();
    // Re-encrypted by drydock, it opens again and is the same key.
    let again = PrivateKey::from_encrypted_pem(&key.to_encrypted_pem(b"new").unwrap(), b"new", "re-encrypted").unwrap();
    assert_eq!(again.public_key(), key.public_key());
}

#[test]
fn signature_cosign_made_verifies_over_drydocks_payload_bytes() {
    let digest: Digest = "sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b"
        .parse()
        .unwrap();
    let payload = SimpleSigning::new("registry-testing.svc.lan/busybox", &digest, &BTreeMap::new()).to_bytes();
    let key = PublicKey::from_pem(&fixture("cosign-busybox.pub"), "cosign-busybox.pub").unwrap();
    key.verify_base64(&payload, &fixture("cosign-busybox.sig")).unwrap();
    // One byte different and it no longer verifies.
    let mut changed = payload.clone();
    changed[10] ^= 1;
    assert!(key.verify_base64(&changed, &fixture("cosign-busybox.sig")).is_err());
}

#[test]
fn keyless_payload_bytes_equal_what_rekor_recorded_and_verify() {
    let digest: Digest = "sha256:5f481572d088dc4023afb35fced9530ced3d9b03bf7299c6f492163cb9f0452e"
        .parse()
        .unwrap();
    let payload = SimpleSigning::new(
        "registry-testing.svc.lan/kubewarden/disallow-service-nodeport",
        &digest,
        &BTreeMap::new(),
    )
    .to_bytes();
    assert_eq!(
        hex::encode(Sha256::digest(&payload)),
        "e7801de935512e22b237c7b57e42ca4d20e2134bdf1b98f976c8f55d9cfe4067"
    );
    let key = PublicKey::from_pem(&fixture("keyless-cert-key.pub"), "keyless-cert-key.pub").unwrap();
    key.verify_base64(&payload, &fixture("keyless-nodeport.sig")).unwrap();
    let other = PublicKey::from_pem(&fixture("cosign-busybox.pub"), "cosign-busybox.pub").unwrap();
    assert!(other.verify_base64(&payload, &fixture("keyless-nodeport.sig")).is_err());
}

#[test]
fn dsse_signatures_are_over_the_pre_authentication_encoding() {
    // What a DSSE verifier (cosign's, in-toto's) recomputes: ECDSA P-256 SHA-256 over
    // "DSSEv1 <len> <type> <len> <payload>".
    let key = PrivateKey::generate().unwrap();
    let statement = br#"{"_type":"https://in-toto.io/Statement/v1"}"#;
    let envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, statement, &key);
    let expected_message = [b"DSSEv1 28 application/vnd.in-toto+json 43 ".as_slice(), statement].concat();
    assert_eq!(pae(IN_TOTO_PAYLOAD_TYPE, statement), expected_message);
    key.public_key()
        .verify_base64(&expected_message, &envelope.signatures[0].sig)
        .unwrap();
}
