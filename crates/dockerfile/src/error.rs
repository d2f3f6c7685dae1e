use std::path::PathBuf;

/// Every way reading a Dockerfile can fail. Each variant names the file and, for syntax
/// errors, the line and column of the problem.
#[derive(Debug, thiserror::Error)]
pub enum DockerfileError {
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        path: String,
        line: u32,
        column: u32,
        message: String,
    },

    #[error("{path}: {message}")]
    Invalid { path: String, message: String },

    #[error("reading {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
