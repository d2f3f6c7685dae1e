//! What can go wrong reading a workload manifest.

/// A manifest that cannot be read or understood; the message names the file, and the YAML
/// document or line and column when known.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    #[error("reading {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{path}: {reason}")]
    Invalid { path: String, reason: String },

    #[error("{path}, YAML document {document}: {reason}")]
    InvalidDocument {
        path: String,
        document: usize,
        reason: String,
    },
}
