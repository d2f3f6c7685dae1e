//! What one walk of one layer yields, and the part of the walk shared by every kind of
//! layer (tar stream or plain directory): recording entries and feeding analyzers.

use std::io::{Cursor, Read};
use std::sync::Arc;

use drydock_model::{Digest, FileKind};
use serde::{Deserialize, Serialize};

use super::analyzer::{Analyzer, EntryMeta, InterestIndex};
use super::limits::Limits;

/// An entry of one layer (before merging).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LayerEntry {
    pub path: String,
    pub kind: FileKind,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub size: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_target: Option<String>,
}

impl LayerEntry {
    /// What analyzers see of this entry.
    pub fn meta(&self) -> EntryMeta<'_> {
        EntryMeta {
            path: &self.path,
            kind: self.kind,
            mode: self.mode,
            uid: self.uid,
            gid: self.gid,
            size: self.size,
            link_target: self.link_target.as_deref(),
        }
    }
}

/// An analyzer's result about one entry of one layer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AnalyzerOutput {
    pub analyzer: String,
    pub path: String,
    pub value: serde_json::Value,
}

/// An analyzer that could not make sense of an entry; reported, not fatal.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AnalyzerWarning {
    pub analyzer: String,
    pub path: String,
    pub message: String,
}

/// Everything drydock learned from one layer: this is what the cache stores by diffID.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct LayerFacts {
    /// sha256 of the uncompressed tar, as computed while reading.
    pub diff_id: Option<Digest>,
    /// Entries in tar order; a later entry for the same path replaces an earlier one.
    pub entries: Vec<LayerEntry>,
    /// Paths this layer deletes from the layers below (`.wh.<name>`).
    pub whiteouts: Vec<String>,
    /// Directories whose lower-layer content this layer hides (`.wh..wh..opq`).
    pub opaque_dirs: Vec<String>,
    pub outputs: Vec<AnalyzerOutput>,
    pub warnings: Vec<AnalyzerWarning>,
}

/// Hands entries to the analyzers that want them and records the results.
pub struct Dispatcher<'a> {
    analyzers: &'a [Arc<dyn Analyzer>],
    index: &'a InterestIndex,
    limits: &'a Limits,
    wanted: Vec<usize>,
}

impl<'a> Dispatcher<'a> {
    pub fn new(analyzers: &'a [Arc<dyn Analyzer>], index: &'a InterestIndex, limits: &'a Limits) -> Self {
        Dispatcher {
            analyzers,
            index,
            limits,
            wanted: Vec::new(),
        }
    }

    /// Offers one entry. Reads from `content` only if some analyzer wants the entry.
    pub fn offer(
        &mut self,
        meta: &EntryMeta<'_>,
        content: &mut dyn Read,
        facts: &mut LayerFacts,
    ) -> std::io::Result<()> {
        if self.analyzers.is_empty() {
            return Ok(());
        }
        let mut wanted = std::mem::take(&mut self.wanted);
        self.index.wanted_by_meta(meta, &mut wanted);
        let mut head = Vec::new();
        if meta.kind == FileKind::File && self.index.wants_magic() && meta.size >= 4 {
            (&mut *content).take(8).read_to_end(&mut head)?;
            self.index.wanted_by_magic(meta, &head, &mut wanted);
        }
        let mut content = Cursor::new(head).chain(content);
        match wanted.as_slice() {
            [] => {}
            [only] => self.run(*only, meta, &mut content, facts),
            several => {
                // Several analyzers read the same bytes: buffer them once, within the limit.
                if meta.size <= self.limits.max_shared_file_bytes {
                    let mut bytes = Vec::with_capacity(meta.size as usize);
                    content.read_to_end(&mut bytes)?;
                    for &owner in several {
                        self.run(owner, meta, &mut bytes.as_slice(), facts);
                    }
                } else {
                    for &owner in several {
                        facts.warnings.push(AnalyzerWarning {
                            analyzer: self.analyzers[owner].name().to_string(),
                            path: meta.path.to_string(),
                            message: format!(
                                "skipped: {} bytes is over the {}-byte limit for files read by several analyzers",
                                meta.size, self.limits.max_shared_file_bytes
                            ),
                        });
                    }
                }
            }
        }
        self.wanted = wanted;
        Ok(())
    }

    fn run(&self, owner: usize, meta: &EntryMeta<'_>, content: &mut dyn Read, facts: &mut LayerFacts) {
        let analyzer = &self.analyzers[owner];
        match analyzer.analyze(meta, content) {
            Ok(Some(value)) => facts.outputs.push(AnalyzerOutput {
                analyzer: analyzer.name().to_string(),
                path: meta.path.to_string(),
                value,
            }),
            Ok(None) => {}
            Err(message) => facts.warnings.push(AnalyzerWarning {
                analyzer: analyzer.name().to_string(),
                path: meta.path.to_string(),
                message,
            }),
        }
    }
}
