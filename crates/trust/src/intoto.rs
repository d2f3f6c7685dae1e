//! in-toto Statements and the predicates drydock attests: SBOMs (CycloneDX, SPDX), cosign's
//! vulnerability-scan record (from a drydock scan report), SLSA provenance v1 and custom ones.

use std::collections::BTreeMap;

use drydock_model::Digest;
use drydock_model::ScanReport;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::error::{Result, TrustError};

pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// What cosign still writes; read as well.
pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";

pub const CYCLONEDX: &str = "https://cyclonedx.org/bom";
pub const SPDX: &str = "https://spdx.dev/Document";
pub const SLSA_PROVENANCE_V1: &str = "https://slsa.dev/provenance/v1";
pub const COSIGN_VULN: &str = "https://cosign.sigstore.dev/attestation/vuln/v1";
pub const COSIGN_CUSTOM: &str = "https://cosign.sigstore.dev/attestation/v1";

/// The short names `--type` and trust policies accept for predicate types.
pub fn predicate_type_for_name(name: &str) -> Option<&'static str> {
    Some(match name {
        "cyclonedx" => CYCLONEDX,
        "spdx" | "spdxjson" => SPDX,
        "provenance" | "slsaprovenance1" | "slsa" => SLSA_PROVENANCE_V1,
        "vuln" => COSIGN_VULN,
        "custom" => COSIGN_CUSTOM,
        _ => return None,
    })
}

/// A policy or command line names a predicate type either by URI or by short name.
pub fn resolve_predicate_type(text: &str) -> String {
    predicate_type_for_name(text)
        .map(str::to_string)
        .unwrap_or_else(|| text.to_string())
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    #[serde(rename = "_type")]
    pub kind: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    #[serde(default)]
    pub predicate: Value,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    #[serde(default)]
    pub name: String,
    pub digest: BTreeMap<String, String>,
}

impl Statement {
    /// A v1 statement about the image `digest` in repository `name`.
    pub fn new(name: &str, digest: &Digest, predicate_type: &str, predicate: Value) -> Self {
        Statement {
            kind: STATEMENT_V1.to_string(),
            subject: vec![Subject {
                name: name.to_string(),
                digest: BTreeMap::from([(digest.algorithm().to_string(), digest.hex().to_string())]),
            }],
            predicate_type: predicate_type.to_string(),
            predicate,
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("JSON values serialize")
    }

    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let statement: Statement =
            serde_json::from_slice(bytes).map_err(|e| TrustError::invalid("in-toto statement", e))?;
        if statement.kind != STATEMENT_V1 && statement.kind != STATEMENT_V01 {
            return Err(TrustError::invalid(
                "in-toto statement",
                format!("unknown _type `{}` (expected {STATEMENT_V1})", statement.kind),
            ));
        }
        Ok(statement)
    }

    /// Whether any subject names `digest` (same algorithm, same hex).
    pub fn names_digest(&self, digest: &Digest) -> bool {
        self.subject
            .iter()
            .any(|s| s.digest.get(digest.algorithm()).is_some_and(|hex| hex == digest.hex()))
    }

    /// The subjects' digests, for messages.
    pub fn subject_digests(&self) -> Vec<String> {
        self.subject
            .iter()
            .flat_map(|s| s.digest.iter().map(|(alg, hex)| format!("{alg}:{hex}")))
            .collect()
    }
}

/// What `drydock attest --type` takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PredicateKind {
    /// A CycloneDX or SPDX JSON SBOM (told apart by its content).
    Sbom,
    /// A drydock scan report (`drydock scan --format json`), or a cosign vuln record as is.
    Vuln,
    /// A SLSA provenance v1 predicate.
    Provenance,
    /// Anything: JSON with `--predicate-type URI`, else cosign's generic predicate.
    Custom,
}

/// Builds the predicate type and predicate for `kind` from the file's bytes.
/// `file_time` is the file's modification time (RFC 3339), used where a time is needed and
/// the input has none; `now` for cosign's generic predicate timestamp.
pub fn build_predicate(
    kind: PredicateKind,
    bytes: &[u8],
    what: &str,
    custom_type: Option<&str>,
    file_time: &str,
    now: &str,
) -> Result<(String, Value)> {
    let json =
        || serde_json::from_slice::<Value>(bytes).map_err(|e| TrustError::invalid(what, format!("not JSON: {e}")));
    match kind {
        PredicateKind::Sbom => {
            let document = json()?;
            if document.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
                Ok((CYCLONEDX.to_string(), document))
            } else if document.get("spdxVersion").is_some() {
                Ok((SPDX.to_string(), document))
            } else {
                Err(TrustError::invalid(
                    what,
                    "neither a CycloneDX (`bomFormat`) nor an SPDX (`spdxVersion`) JSON SBOM",
                ))
            }
        }
        PredicateKind::Vuln => {
            let document = json()?;
            if document.get("scanner").is_some() && document.get("metadata").is_some() {
                return Ok((COSIGN_VULN.to_string(), document));
            }
            let report: ScanReport = serde_json::from_value(document).map_err(|e| {
                TrustError::invalid(
                    what,
                    format!("not a drydock scan report (`drydock scan --format json`): {e}"),
                )
            })?;
            Ok((COSIGN_VULN.to_string(), vuln_predicate(&report, file_time)))
        }
        PredicateKind::Provenance => {
            let document = json()?;
            for field in ["buildDefinition", "runDetails"] {
                if document.get(field).is_none() {
                    return Err(TrustError::invalid(
                        what,
                        format!("not a SLSA provenance v1 predicate: `{field}` is missing"),
                    ));
                }
            }
            Ok((SLSA_PROVENANCE_V1.to_string(), document))
        }
        PredicateKind::Custom => match custom_type {
            Some(uri) if uri != COSIGN_CUSTOM => Ok((uri.to_string(), json()?)),
            _ => {
                let data = std::str::from_utf8(bytes).map_err(|_| {
                    TrustError::invalid(what, "cosign's generic predicate holds text; the file is not UTF-8")
                })?;
                Ok((COSIGN_CUSTOM.to_string(), json!({ "Data": data, "Timestamp": now })))
            }
        },
    }
}

/// cosign's vulnerability-scan record for a drydock scan report. The report records no
/// scan times; both are `finished` (the report file's modification time).
pub fn vuln_predicate(report: &ScanReport, finished: &str) -> Value {
    let version = report.tool.strip_prefix("drydock ").unwrap_or(&report.tool);
    let sources: Vec<String> = report
        .database
        .sources
        .iter()
        .map(|s| format!("{}:{}", s.name, s.origin))
        .collect();
    json!({
        "invocation": {
            "parameters": { "target": report.target },
            "uri": "",
            "event_id": "",
            "builder.id": "",
        },
        "scanner": {
            "uri": format!("pkg:cargo/drydock@{version}"),
            "version": version,
            "db": {
                "uri": sources.join(","),
                "version": report.database.built,
            },
            "result": report,
        },
        "metadata": {
            "scanStartedOn": finished,
            "scanFinishedOn": finished,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_name_their_subject() {
        let digest: Digest = format!("sha256:{}", "a".repeat(64)).parse().unwrap();
        let statement = Statement::new("r/app", &digest, SPDX, json!({"spdxVersion": "SPDX-2.3"}));
        let parsed = Statement::parse(&statement.to_bytes()).unwrap();
        assert!(parsed.names_digest(&digest));
        let other: Digest = format!("sha256:{}", "b".repeat(64)).parse().unwrap();
        assert!(!parsed.names_digest(&other));
        let text = String::from_utf8(statement.to_bytes()).unwrap();
        assert!(text.starts_with(
            r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"r/app","digest":{"sha256":"aaaa"#
        ));
        assert!(Statement::parse(br#"{"_type":"x","subject":[],"predicateType":"p"}"#).is_err());
    }

    #[test]
    fn predicates_are_recognised_or_refused() {
        let (kind, _) = build_predicate(
            PredicateKind::Sbom,
            br#"{"bomFormat":"CycloneDX"}"#,
            "f",
            None,
            "t",
            "n",
        )
        .unwrap();
        assert_eq!(kind, CYCLONEDX);
        let (kind, _) = build_predicate(
            PredicateKind::Sbom,
            br#"{"spdxVersion":"SPDX-2.3"}"#,
            "f",
            None,
            "t",
            "n",
        )
        .unwrap();
        assert_eq!(kind, SPDX);
        assert!(build_predicate(PredicateKind::Sbom, br#"{"x":1}"#, "f", None, "t", "n").is_err());
        assert!(
            build_predicate(
                PredicateKind::Provenance,
                br#"{"buildDefinition":{}}"#,
                "f",
                None,
                "t",
                "n"
            )
            .is_err()
        );
        let (kind, value) = build_predicate(PredicateKind::Custom, b"hello", "f", None, "t", "now").unwrap();
        assert_eq!(kind, COSIGN_CUSTOM);
        assert_eq!(value, json!({"Data": "hello", "Timestamp": "now"}));
        let (kind, _) = build_predicate(
            PredicateKind::Custom,
            b"{}",
            "f",
            Some("https://example.com/p"),
            "t",
            "n",
        )
        .unwrap();
        assert_eq!(kind, "https://example.com/p");
        assert!(build_predicate(PredicateKind::Vuln, br#"{"schema_version":1}"#, "f", None, "t", "n").is_err());
    }
}
