//! DSSE v1 envelopes (Dead Simple Signing Envelope), as cosign stores attestations.
//!
//! The signature is over the pre-authentication encoding
//! `"DSSEv1" SP len(type) SP type SP len(payload) SP payload` (lengths in ASCII decimal),
//! never over the bare payload, so a payload cannot be reinterpreted as another type.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrustError};
use crate::keys::{PrivateKey, PublicKey, SignatureFault};

pub const DSSE_MEDIA_TYPE: &str = "application/vnd.dsse.envelope.v1+json";
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// An envelope as stored: field order and names as cosign writes them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    pub payload_type: String,
    /// Base64 (standard alphabet) of the payload.
    pub payload: String,
    pub signatures: Vec<EnvelopeSignature>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvelopeSignature {
    #[serde(default)]
    pub keyid: String,
    pub sig: String,
}

/// The pre-authentication encoding DSSE signs.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!("DSSEv1 {} {} {} ", payload_type.len(), payload_type, payload.len()).into_bytes();
    out.extend_from_slice(payload);
    out
}

impl Envelope {
    /// Signs `payload` with `key`. The key id is empty, as cosign leaves it for key pairs.
    pub fn sign(payload_type: &str, payload: &[u8], key: &PrivateKey) -> Self {
        let signature = key.sign(&pae(payload_type, payload));
        Envelope {
            payload_type: payload_type.to_string(),
            payload: STANDARD.encode(payload),
            signatures: vec![EnvelopeSignature {
                keyid: String::new(),
                sig: STANDARD.encode(signature),
            }],
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("plain structs serialize")
    }

    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let envelope: Envelope = serde_json::from_slice(bytes).map_err(|e| TrustError::invalid("DSSE envelope", e))?;
        if envelope.signatures.is_empty() {
            return Err(TrustError::invalid("DSSE envelope", "it has no signatures"));
        }
        Ok(envelope)
    }

    /// The decoded payload.
    pub fn payload_bytes(&self) -> Result<Vec<u8>> {
        STANDARD
            .decode(self.payload.as_bytes())
            .map_err(|e| TrustError::invalid("DSSE envelope", format!("its payload is not base64 ({e})")))
    }

    /// `Ok` when any signature of the envelope verifies with `key`; otherwise the fault of
    /// the first signature (the only one, for envelopes cosign writes).
    pub fn verify(&self, key: &PublicKey) -> Result<(), SignatureFault> {
        let payload = self.payload_bytes().map_err(|_| SignatureFault::NotBase64)?;
        let message = pae(&self.payload_type, &payload);
        let mut first_fault = None;
        for signature in &self.signatures {
            match key.verify_base64(&message, &signature.sig) {
                Ok(()) => return Ok(()),
                Err(fault) => {
                    first_fault.get_or_insert(fault);
                }
            }
        }
        Err(first_fault.unwrap_or(SignatureFault::Mismatch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_specification_example() {
        // DSSE protocol.md's test vector.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }

    #[test]
    fn envelopes_verify_and_reject_changes() {
        let key = PrivateKey::generate().unwrap();
        let envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, b"{\"a\":1}", &key);
        let parsed = Envelope::parse(&envelope.to_bytes()).unwrap();
        assert!(String::from_utf8(envelope.to_bytes()).unwrap().starts_with(r#"{"payloadType":"application/vnd.in-toto+json","payload":"eyJhIjoxfQ==","signatures":[{"keyid":"","sig":""#));
        parsed.verify(&key.public_key()).unwrap();
        let mut changed = parsed.clone();
        changed.payload = STANDARD.encode(b"{\"a\":2}");
        assert_eq!(changed.verify(&key.public_key()), Err(SignatureFault::Mismatch));
        let mut retyped = parsed.clone();
        retyped.payload_type = "text/plain".into();
        assert_eq!(retyped.verify(&key.public_key()), Err(SignatureFault::Mismatch));
        let other = PrivateKey::generate().unwrap();
        assert_eq!(parsed.verify(&other.public_key()), Err(SignatureFault::Mismatch));
        assert!(Envelope::parse(br#"{"payloadType":"x","payload":"","signatures":[]}"#).is_err());
    }
}
