//! What can go wrong loading or evaluating custom policies. Every error names the policy
//! file (and the line, for parse and evaluation errors) or the directory that was wrong.

use std::path::PathBuf;

use crate::workload::WorkloadError;

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("reading the policy {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("policy directory {path}: {reason}")]
    Directory { path: PathBuf, reason: String },

    #[error("policy {path}: {reason}")]
    Parse { path: String, reason: String },

    #[error("policy package {package} ({files}): {reason}")]
    Package {
        package: String,
        files: String,
        reason: String,
    },

    #[error("policies {first} and {second} both use the id {id}: every custom rule needs its own id")]
    DuplicateId { id: String, first: String, second: String },

    #[error("evaluating {rule} of policy package {package} ({files}): {reason}")]
    Evaluation {
        package: String,
        rule: String,
        files: String,
        reason: String,
    },

    #[error("the input document for {what}: {reason}")]
    Input { what: String, reason: String },

    #[error(transparent)]
    Manifest(#[from] WorkloadError),
}
