use std::path::PathBuf;

use drydock_model::Digest;

/// Every way reading an image can fail. Each variant names the input and the place that was
/// wrong; [`OciError::InImage`] adds the image the user asked for on the way out.
#[derive(Debug, thiserror::Error)]
pub enum OciError {
    #[error("image {image}: {source}")]
    InImage {
        image: String,
        #[source]
        source: Box<OciError>,
    },

    #[error("invalid image reference `{input}`: {reason}")]
    Reference { input: String, reason: String },

    #[error("{context}: {source}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },

    #[error("{what} not found{}", detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default())]
    NotFound { what: String, detail: Option<String> },

    #[error("{what}: digest mismatch: expected {expected}, content has {actual}")]
    DigestMismatch {
        what: String,
        expected: Digest,
        actual: Digest,
    },

    #[error("{what}: size mismatch: the descriptor says {expected} bytes, the content has {actual}")]
    SizeMismatch { what: String, expected: u64, actual: u64 },

    #[error("{what} is not valid: {reason}")]
    Invalid { what: String, reason: String },

    #[error("{what} has unsupported media type `{media_type}`")]
    UnsupportedMediaType { what: String, media_type: String },

    #[error("no image for platform {wanted} in the index; it has: {}", if available.is_empty() { "none".to_string() } else { available.join(", ") })]
    NoMatchingPlatform { wanted: String, available: Vec<String> },

    #[error("layer {index} ({layer}){}: {reason}", entry.as_deref().map(|e| format!(", entry `{e}`")).unwrap_or_default())]
    Layer {
        index: usize,
        layer: String,
        entry: Option<String>,
        reason: String,
    },

    #[error("path `{path}`: {reason}")]
    Path { path: String, reason: String },

    #[error("registry {registry}: {reason}")]
    Registry { registry: String, reason: String },

    #[error("authentication to {registry} failed: {reason}")]
    Auth { registry: String, reason: String },

    #[error("Docker Engine: {reason}")]
    Docker { reason: String },

    #[error("layer cache at {}: {reason}", path.display())]
    Cache { path: PathBuf, reason: String },

    #[error("analyzer {analyzer} on `{path}`: {reason}")]
    Analyzer {
        analyzer: String,
        path: String,
        reason: String,
    },
}

impl OciError {
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        OciError::Io {
            context: context.into(),
            source,
        }
    }

    pub fn invalid(what: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        OciError::Invalid {
            what: what.into(),
            reason: reason.to_string(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        OciError::NotFound {
            what: what.into(),
            detail: None,
        }
    }

    /// Adds the image the user named, once: an error that already has it is left alone.
    pub fn in_image(self, image: &str) -> Self {
        match self {
            already @ OciError::InImage { .. } => already,
            other => OciError::InImage {
                image: image.to_string(),
                source: Box::new(other),
            },
        }
    }

    /// The error under any [`OciError::InImage`] wrapping, for matching on its kind.
    pub fn root(&self) -> &OciError {
        match self {
            OciError::InImage { source, .. } => source.root(),
            other => other,
        }
    }
}

pub type Result<T, E = OciError> = std::result::Result<T, E>;
