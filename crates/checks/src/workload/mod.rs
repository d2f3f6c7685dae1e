//! `drydock audit manifest`: how a container WILL run, read from a Kubernetes manifest, a
//! docker-compose file or an OCI runtime `config.json`. Each format is turned into the same
//! [`model::Workload`] and judged by the `DD-RUN` rules of [`rules`], the table the
//! live-container audit (`drydock-runtime`) uses too, so one setting has one id everywhere.

mod compose;
mod error;
mod evaluate;
mod kubernetes;
pub mod model;
mod oci_spec;
pub mod rules;

use std::path::Path;

use drydock_model::CheckFinding;
use serde::Deserialize;

pub use error::WorkloadError;
pub use evaluate::evaluate;
use model::Workload;

/// Larger manifests are refused: real ones are kilobytes.
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// More YAML documents than this in one file are refused.
const MAX_DOCUMENTS: usize = 10_000;

/// The findings of the manifest file at `path`, every workload in it.
pub fn audit_file(path: &Path) -> Result<Vec<CheckFinding>, WorkloadError> {
    let shown = path.display().to_string();
    let read_error = |source| WorkloadError::Read {
        path: shown.clone(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_error)?.len();
    if size > MAX_MANIFEST_BYTES {
        return Err(WorkloadError::Invalid {
            path: shown,
            reason: format!("{size} bytes, more than the {MAX_MANIFEST_BYTES} accepted for a manifest"),
        });
    }
    let bytes = std::fs::read(path).map_err(read_error)?;
    audit_bytes(&shown, &bytes)
}

/// The findings of a manifest's contents; `path` names it in findings and errors.
pub fn audit_bytes(path: &str, bytes: &[u8]) -> Result<Vec<CheckFinding>, WorkloadError> {
    let workloads = parse(path, bytes)?;
    Ok(workloads.iter().flat_map(|w| evaluate(path, w)).collect())
}

/// The workloads a manifest defines, whatever its format (detected from the content).
pub fn parse(path: &str, bytes: &[u8]) -> Result<Vec<Workload>, WorkloadError> {
    let invalid = |reason: String| WorkloadError::Invalid {
        path: path.to_string(),
        reason,
    };
    let text = std::str::from_utf8(bytes).map_err(|e| invalid(format!("not UTF-8 text: {e}")))?;
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(text)
        && oci_spec::is_runtime_spec(&json)
    {
        return oci_spec::workload(text).map(|w| vec![w]).map_err(invalid);
    }
    yaml_workloads(path, text)
}

/// Kubernetes objects (any number of documents) or one compose file.
fn yaml_workloads(path: &str, text: &str) -> Result<Vec<Workload>, WorkloadError> {
    let in_document = |document: usize, reason: String| WorkloadError::InvalidDocument {
        path: path.to_string(),
        document,
        reason,
    };
    let mut found = Vec::new();
    let mut documents = 0;
    for (index, deserializer) in yaml_serde::Deserializer::from_str(text).enumerate() {
        let number = index + 1;
        if number > MAX_DOCUMENTS {
            return Err(in_document(number, format!("more than {MAX_DOCUMENTS} documents")));
        }
        // A parse error ends the stream: the deserializer would repeat it forever.
        let value = yaml_serde::Value::deserialize(deserializer).map_err(|e| in_document(number, e.to_string()))?;
        if value.is_null() {
            continue;
        }
        let workloads = if compose::is_compose(&value) {
            compose::workloads(value)
        } else {
            kubernetes::workloads(value)
        };
        let workloads = workloads.map_err(|reason| in_document(number, reason))?;
        found.extend(workloads.into_iter().map(|w| Workload {
            document: Some(number),
            ..w
        }));
        documents = number;
    }
    if documents == 1 {
        // A single-document file: the document number would only add noise to locations.
        found.iter_mut().for_each(|w| w.document = None);
    }
    Ok(found)
}

#[cfg(test)]
mod tests;
