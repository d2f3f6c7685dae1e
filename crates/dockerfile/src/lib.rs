//! Dockerfiles: a parser for BuildKit's whole syntax and the `DD-DF` lint rules.
//!
//! [`parse`] turns a Dockerfile into a [`Dockerfile`] tree: parser directives (`# syntax=`,
//! `# escape=`, `# check=`), comments, continuation lines (with comments and blank lines
//! inside them dropped as BuildKit drops them), heredocs, flags, the JSON (exec) and shell
//! forms, and every instruction, each node with its line and column. [`shell::split`] cuts a
//! RUN script into simple commands so rules can look at `apt-get install` and its packages.
//! [`lint`] runs every rule of [`rules::RULES`] over a parsed file and returns
//! [`drydock_model::CheckFinding`]s, minus those silenced by `# hadolint ignore=` /
//! `# drydock ignore=` comments, the `# check=skip=` directive or the [`LintConfig`].
//! Nothing here reads images: the crate builds and is fuzzed on its own.

mod error;
mod lint;
mod parser;
pub mod rules;
pub mod shell;
pub mod syntax;

pub use error::DockerfileError;
pub use lint::{LintConfig, lint, rules_markdown};
pub use parser::{MAX_DOCKERFILE_BYTES, parse, parse_file};
pub use syntax::{Dockerfile, Instruction, Keyword, Position};
