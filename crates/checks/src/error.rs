//! The one error type of the crate.

use std::path::PathBuf;

/// What can go wrong before or after the layer walk (the walk itself never fails because
/// of a check: a file a check cannot read becomes an analyzer warning).
#[derive(Debug, thiserror::Error)]
pub enum ChecksError {
    #[error("reading the allow-list {path}: {source}")]
    ReadAllowList {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("allow-list {origin}: {reason}")]
    AllowList { origin: String, reason: String },

    #[error("layer {layer}, {path}: the {analyzer} result cannot be read: {reason}")]
    AnalyzerOutput {
        analyzer: String,
        path: String,
        layer: usize,
        reason: String,
    },
}
