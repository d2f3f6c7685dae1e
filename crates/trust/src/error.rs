use std::path::PathBuf;

use drydock_oci::OciError;

/// Every way a trust operation can fail. Each variant names the input that was wrong.
/// A signature that does not verify is not an error: it is a rejected candidate in a
/// verification report ([`crate::verify`]); errors are for inputs that cannot be used at all.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// A key file that cannot be read as what it claims to be, or a wrong password.
    #[error("key {what}: {reason}")]
    Key { what: String, reason: String },

    /// Outside data (a payload, an envelope, a predicate, a policy) that is malformed.
    #[error("{what} is not valid: {reason}")]
    Invalid { what: String, reason: String },

    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{0}")]
    Oci(#[from] OciError),
}

impl TrustError {
    pub(crate) fn key(what: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        TrustError::Key {
            what: what.into(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn invalid(what: impl Into<String>, reason: impl std::fmt::Display) -> Self {
        TrustError::Invalid {
            what: what.into(),
            reason: reason.to_string(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        TrustError::Io {
            path: path.into(),
            source,
        }
    }
}

pub type Result<T, E = TrustError> = std::result::Result<T, E>;
