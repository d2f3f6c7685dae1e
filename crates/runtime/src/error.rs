//! The one error type of this crate.

use std::path::PathBuf;

/// Why an audit or a probe could not run. Every variant names the input that was wrong.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error("Docker Engine at {address}: {reason}")]
    Engine { address: String, reason: String },
    #[error("container inspect document {source_name}: {reason}")]
    Inspect { source_name: String, reason: String },
    #[error("reading {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("host root {path} is not a directory")]
    NotADirectory { path: PathBuf },
}

pub type Result<T, E = RuntimeError> = std::result::Result<T, E>;
