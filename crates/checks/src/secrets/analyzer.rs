//! Secret scanning as an analyzer of the layer walk: every regular file of every layer
//! (up to the size limit) is offered, so a secret a later layer deleted is still found,
//! with the layer that holds it.

use std::cell::RefCell;
use std::io::Read;
use std::sync::Arc;

use drydock_oci::engine::analyzer::{Analyzer, AnalyzerResult, EntryMeta, Interest};
use serde::{Deserialize, Serialize};

use super::filters::{self, PathFilters};
use super::{FileContext, SecretScanner};
use crate::allowlist::{AllowList, Candidate};

/// Analyzer names of the secret scanner start with this (options add a suffix).
pub const SECRETS_ANALYZER: &str = "checks/secrets";

/// What one file yielded: masked matches only, never a clear value (this is cached on disk).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct FileSecrets {
    pub secrets: Vec<SecretHit>,
}

/// One secret in one file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SecretHit {
    pub rule: String,
    pub line: u32,
    pub column: u32,
    pub masked: String,
}

/// Scans every regular file up to `max_size` bytes.
pub struct SecretAnalyzer {
    name: &'static str,
    max_size: u64,
    allow: Arc<AllowList>,
}

impl SecretAnalyzer {
    /// `name` must change whenever `max_size` or `allow` does (it keys the layer cache).
    pub fn new(name: &'static str, max_size: u64, allow: Arc<AllowList>) -> Self {
        SecretAnalyzer { name, max_size, allow }
    }
}

impl Analyzer for SecretAnalyzer {
    fn name(&self) -> &'static str {
        self.name
    }

    fn version(&self) -> u32 {
        1
    }

    fn interest(&self) -> Interest {
        Interest {
            all_files: true,
            max_size: Some(self.max_size),
            ..Default::default()
        }
    }

    fn analyze(&self, entry: &EntryMeta<'_>, content: &mut dyn Read) -> AnalyzerResult {
        let paths = PathFilters::get();
        if entry.size == 0 || entry.size > self.max_size || paths.skips(entry.path) {
            return Ok(None);
        }
        thread_local! {
            static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
        }
        BUFFER.with_borrow_mut(|buffer| {
            buffer.clear();
            if !read_text(content, self.max_size, buffer).map_err(|e| format!("reading: {e}"))? {
                return Ok(None);
            }
            if filters::is_certificate_only(entry.path, buffer) {
                return Ok(None);
            }
            let hits = scan_file(entry.path, buffer, &self.allow);
            if hits.is_empty() {
                return Ok(None);
            }
            serde_json::to_value(FileSecrets { secrets: hits })
                .map(Some)
                .map_err(|e| format!("encoding secrets: {e}"))
        })
    }
}

/// Reads a file into `buffer`, stopping early when its first bytes show it is binary.
/// Returns whether it is text worth scanning.
fn read_text(content: &mut dyn Read, max_size: u64, buffer: &mut Vec<u8>) -> std::io::Result<bool> {
    content.take(filters::BINARY_SNIFF_BYTES as u64).read_to_end(buffer)?;
    if filters::is_binary(buffer) {
        return Ok(false);
    }
    content
        .take(max_size.saturating_sub(buffer.len() as u64))
        .read_to_end(buffer)?;
    Ok(true)
}

/// The masked, allow-list-filtered secrets of one text file.
pub fn scan_file(path: &str, text: &[u8], allow: &AllowList) -> Vec<SecretHit> {
    let context = FileContext {
        in_package_tree: PathFilters::get().in_package_tree(path),
    };
    SecretScanner::get()
        .scan(text, context)
        .into_iter()
        .filter(|m| {
            !allow.allows(&Candidate {
                rule: m.rule.info.id,
                path: Some(path),
                value: Some(&text[m.span.clone()]),
            })
        })
        .map(|m| SecretHit {
            rule: m.rule.info.id.to_string(),
            line: m.line,
            column: m.column,
            masked: m.masked(text),
        })
        .collect()
}
