//! The Dockerfile parser: BuildKit's grammar, with the position of every node.

mod instructions;
mod lines;
pub(crate) mod words;

use std::path::Path;

use crate::DockerfileError;
use crate::syntax::{Dockerfile, Keyword, Position};

/// Dockerfiles larger than this are refused (real ones are a few KiB).
pub const MAX_DOCKERFILE_BYTES: usize = 4 << 20;

/// Parses a Dockerfile. `path` only names the file in errors and findings.
pub fn parse(path: &str, text: &str) -> Result<Dockerfile, DockerfileError> {
    let syntax = |(position, message): (Position, String)| DockerfileError::Syntax {
        path: path.to_string(),
        line: position.line,
        column: position.column,
        message,
    };
    if text.len() > MAX_DOCKERFILE_BYTES {
        return Err(DockerfileError::Invalid {
            path: path.to_string(),
            message: format!(
                "{} bytes is more than the {MAX_DOCKERFILE_BYTES} a Dockerfile may have",
                text.len()
            ),
        });
    }
    let document = lines::read(text).map_err(syntax)?;
    let instructions = document
        .lines
        .iter()
        .map(|line| instructions::instruction(line, document.escape, 0))
        .collect::<Result<Vec<_>, _>>()
        .map_err(syntax)?;
    let first_stage = instructions.iter().find(|i| i.keyword != Keyword::Arg);
    match first_stage {
        None => {
            return Err(DockerfileError::Invalid {
                path: path.to_string(),
                message: "no FROM instruction: a Dockerfile needs at least one build stage".to_string(),
            });
        }
        Some(first) if first.keyword != Keyword::From => {
            let message = format!("{} before the first FROM: only ARG may come before FROM", first.keyword);
            return Err(syntax((first.position, message)));
        }
        Some(_) => {}
    }
    Ok(Dockerfile {
        path: path.to_string(),
        escape: document.escape,
        directives: document.directives,
        comments: document.comments,
        instructions,
    })
}

/// Reads and parses the Dockerfile at `path` (UTF-8, with or without a byte-order mark).
pub fn parse_file(path: &Path) -> Result<Dockerfile, DockerfileError> {
    let name = path.display().to_string();
    let bytes = read_bounded(path)?;
    let text = String::from_utf8(bytes).map_err(|e| DockerfileError::Invalid {
        path: name.clone(),
        message: format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })?;
    parse(&name, &text)
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, DockerfileError> {
    use std::io::Read;
    let io = |source| DockerfileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_DOCKERFILE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() > MAX_DOCKERFILE_BYTES {
        return Err(DockerfileError::Invalid {
            path: path.display().to_string(),
            message: format!("larger than the {MAX_DOCKERFILE_BYTES} bytes a Dockerfile may have"),
        });
    }
    Ok(bytes)
}
