use std::path::{Path, PathBuf};

/// Everything that can go wrong with advisory data.
#[derive(Debug, thiserror::Error)]
pub enum AdvisoryError {
    #[error("{action} {}: {source}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("no advisory database at {}: run `drydock db update` (online) or `drydock db import PATH` (offline)", path.display())]
    Missing { path: PathBuf },
    #[error("the advisory database {} is corrupt ({reason}): run `drydock db update` or `drydock db import` to rebuild it", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error("the advisory database {} has format {found}, this drydock reads format {expected}: run `drydock db update` or `drydock db import` to rebuild it", path.display())]
    OldFormat { path: PathBuf, found: u32, expected: u32 },
    #[error("building the advisory database: {0}")]
    Build(String),
    #[error("{}: {reason}", path.display())]
    Input { path: PathBuf, reason: String },
    #[error("downloading {url}: {reason}")]
    Download { url: String, reason: String },
    #[error("{}:{line}: {reason}", path.display())]
    Rule { path: PathBuf, line: usize, reason: String },
}

impl AdvisoryError {
    pub fn io(path: &Path, action: &'static str, source: std::io::Error) -> AdvisoryError {
        AdvisoryError::Io {
            path: path.to_path_buf(),
            action,
            source,
        }
    }

    pub fn input(path: &Path, reason: impl Into<String>) -> AdvisoryError {
        AdvisoryError::Input {
            path: path.to_path_buf(),
            reason: reason.into(),
        }
    }
}
