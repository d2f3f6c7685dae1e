//! cosign's simple-signing payload: the JSON document an image signature signs.
//!
//! ```json
//! {"critical":{"identity":{"docker-reference":"127.0.0.1:5000/team/app"},
//!  "image":{"docker-manifest-digest":"sha256:…"},"type":"cosign container image signature"},
//!  "optional":null}
//! ```
//!
//! Written byte for byte as cosign (Go's `encoding/json`) writes it: no spaces, fields in
//! this order, `optional` `null` without annotations or an object with sorted keys, and
//! `<`, `>`, `&`, U+2028, U+2029 escaped as `\u003c`-style sequences.

use std::collections::BTreeMap;

use drydock_model::Digest;
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrustError};

pub const SIMPLE_SIGNING_MEDIA_TYPE: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
pub const COSIGN_SIGNATURE_TYPE: &str = "cosign container image signature";

/// A parsed simple-signing payload.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SimpleSigning {
    pub critical: Critical,
    /// Signer annotations (`-a key=value`), `None` when there were none.
    pub optional: Option<BTreeMap<String, serde_json::Value>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Critical {
    pub identity: Identity,
    pub image: Image,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Identity {
    #[serde(rename = "docker-reference")]
    pub docker_reference: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Image {
    #[serde(rename = "docker-manifest-digest")]
    pub docker_manifest_digest: String,
}

impl SimpleSigning {
    pub fn new(docker_reference: &str, digest: &Digest, annotations: &BTreeMap<String, String>) -> Self {
        SimpleSigning {
            critical: Critical {
                identity: Identity {
                    docker_reference: docker_reference.to_string(),
                },
                image: Image {
                    docker_manifest_digest: digest.to_string(),
                },
                kind: COSIGN_SIGNATURE_TYPE.to_string(),
            },
            optional: (!annotations.is_empty()).then(|| {
                annotations
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect()
            }),
        }
    }

    /// The bytes to sign, as cosign writes them.
    pub fn to_bytes(&self) -> Vec<u8> {
        let json = serde_json::to_string(self).expect("plain structs serialize");
        go_html_escape(&json).into_bytes()
    }

    /// Parses a payload. Duplicate fields are refused (two readers must never disagree on
    /// which digest was signed); unknown fields are allowed, as cosign allows them.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        serde_json::from_slice(bytes).map_err(|e| TrustError::invalid("simple-signing payload", e))
    }

    /// The signer annotations as text (strings as they are, other JSON values as JSON).
    pub fn annotations(&self) -> BTreeMap<String, String> {
        self.optional
            .iter()
            .flatten()
            .map(|(k, v)| {
                let text = match v {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), text)
            })
            .collect()
    }
}

/// Go's `encoding/json` escapes these inside strings; they occur nowhere else in JSON text.
pub(crate) fn go_html_escape(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b";

    #[test]
    fn bytes_are_what_cosign_writes() {
        let digest: Digest = DIGEST.parse().unwrap();
        let payload = SimpleSigning::new("registry-testing.svc.lan/busybox", &digest, &BTreeMap::new());
        assert_eq!(
            String::from_utf8(payload.to_bytes()).unwrap(),
            format!(
                r#"{{"critical":{{"identity":{{"docker-reference":"registry-testing.svc.lan/busybox"}},"image":{{"docker-manifest-digest":"{DIGEST}"}},"type":"cosign container image signature"}},"optional":null}}"#
            )
        );
        let annotations = BTreeMap::from([
            ("team".to_string(), "a&b".to_string()),
            ("env".to_string(), "<prod>".to_string()),
        ]);
        let payload = SimpleSigning::new("r/app", &digest, &annotations);
        let text = String::from_utf8(payload.to_bytes()).unwrap();
        assert!(
            text.ends_with(r#""optional":{"env":"\u003cprod\u003e","team":"a\u0026b"}}"#),
            "{text}"
        );
        let back = SimpleSigning::parse(text.as_bytes()).unwrap();
        assert_eq!(back.annotations(), annotations);
    }

    #[test]
    fn duplicate_digest_fields_are_refused() {
        let text = format!(
            r#"{{"critical":{{"identity":{{"docker-reference":"r"}},"image":{{"docker-manifest-digest":"{DIGEST}","docker-manifest-digest":"sha256:00"}},"type":"t"}},"optional":null}}"#
        );
        let error = SimpleSigning::parse(text.as_bytes()).unwrap_err().to_string();
        assert!(error.contains("duplicate field"), "{error}");
    }
}
