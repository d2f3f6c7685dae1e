//! The analyzer API: how catalogers, checks and secret scanners plug into the layer walk.
//!
//! An [`Analyzer`] says up front which entries it wants ([`Interest`]: path globs,
//! basenames, mode bits, file magic). The walk builds one [`InterestIndex`] for all
//! analyzers and, for each tar entry, hands the content only to those that asked. Results
//! are JSON values so they can be cached per layer with the rest of the layer's facts.

use std::io::Read;

use drydock_model::FileKind;
use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::error::{OciError, Result};

/// What an analyzer sees of an entry besides its content.
#[derive(Clone, Debug)]
pub struct EntryMeta<'a> {
    /// Absolute path inside the image, normalized (`/etc/os-release`).
    pub path: &'a str,
    pub kind: FileKind,
    /// Permission bits including setuid (0o4000), setgid (0o2000) and sticky (0o1000).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub size: u64,
    pub link_target: Option<&'a str>,
}

/// File content signatures an analyzer can ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Magic {
    /// `\x7fELF`: executables and shared objects (Go and Rust binaries).
    Elf,
    /// `PK\x03\x04`: zip, jar, war, ear, wheel, egg.
    Zip,
}

impl Magic {
    fn matches(self, head: &[u8]) -> bool {
        match self {
            Magic::Elf => head.starts_with(b"\x7fELF"),
            Magic::Zip => head.starts_with(b"PK\x03\x04"),
        }
    }
}

/// Which entries an analyzer wants. An entry is wanted when any clause matches.
#[derive(Clone, Debug, Default)]
pub struct Interest {
    /// Globs on the absolute path, `/var/lib/dpkg/status.d/*` or `**/*.dist-info/METADATA`.
    pub globs: Vec<String>,
    /// Exact file names anywhere: `package.json`, `Cargo.lock`.
    pub basenames: Vec<String>,
    /// Any entry (of any kind) with one of these mode bits set, e.g. `0o6000` for setuid/setgid.
    pub mode_bits: u32,
    /// Regular files whose content starts with one of these signatures.
    pub magic: Vec<Magic>,
    /// Every regular file (secret scanners); pair with `max_size`.
    pub all_files: bool,
    /// Regular files larger than this are not handed over (`None`: no limit of its own).
    pub max_size: Option<u64>,
}

/// One piece of an analyzer's result about one entry.
pub type AnalyzerResult = std::result::Result<Option<serde_json::Value>, String>;

/// A plug-in of the layer walk.
pub trait Analyzer: Send + Sync {
    /// A stable name; results are stored under it.
    fn name(&self) -> &'static str;
    /// Bump when the output changes, so cached layer results are recomputed.
    fn version(&self) -> u32;
    fn interest(&self) -> Interest;
    /// Looks at one wanted entry. `Ok(None)`: nothing to record. `Err`: the entry was
    /// malformed for this analyzer; it is recorded as a warning and the walk goes on.
    fn analyze(&self, entry: &EntryMeta<'_>, content: &mut dyn Read) -> AnalyzerResult;
}

/// All analyzers' interests, compiled once per scan.
pub struct InterestIndex {
    interests: Vec<Interest>,
    globs: GlobSet,
    /// For each glob in `globs`, the analyzer it belongs to.
    glob_owner: Vec<usize>,
    wants_magic: bool,
}

impl InterestIndex {
    pub fn new(analyzers: &[std::sync::Arc<dyn Analyzer>]) -> Result<Self> {
        let interests: Vec<Interest> = analyzers.iter().map(|a| a.interest()).collect();
        let mut builder = GlobSetBuilder::new();
        let mut glob_owner = Vec::new();
        for (owner, (interest, analyzer)) in interests.iter().zip(analyzers).enumerate() {
            let basename_globs = interest.basenames.iter().map(|b| format!("**/{}", globset::escape(b)));
            for pattern in interest.globs.iter().cloned().chain(basename_globs) {
                let glob = Glob::new(&pattern).map_err(|e| OciError::Analyzer {
                    analyzer: analyzer.name().to_string(),
                    path: pattern.clone(),
                    reason: format!("invalid glob: {e}"),
                })?;
                builder.add(glob);
                glob_owner.push(owner);
            }
        }
        let globs = builder.build().map_err(|e| OciError::invalid("analyzer globs", e))?;
        let wants_magic = interests.iter().any(|i| !i.magic.is_empty());
        Ok(InterestIndex {
            interests,
            globs,
            glob_owner,
            wants_magic,
        })
    }

    /// The analyzers that want `entry` by path, name, kind or mode (not magic), as indexes.
    pub fn wanted_by_meta(&self, entry: &EntryMeta<'_>, out: &mut Vec<usize>) {
        out.clear();
        let is_file = entry.kind == FileKind::File;
        for glob_index in self.globs.matches(entry.path) {
            out.push(self.glob_owner[glob_index]);
        }
        for (owner, interest) in self.interests.iter().enumerate() {
            if (interest.all_files && is_file) || (interest.mode_bits != 0 && entry.mode & interest.mode_bits != 0) {
                out.push(owner);
            }
        }
        out.sort_unstable();
        out.dedup();
        out.retain(|&owner| self.size_ok(owner, entry));
    }

    /// Whether any analyzer asks for file magic, so the walk must peek at content.
    pub fn wants_magic(&self) -> bool {
        self.wants_magic
    }

    /// The analyzers (not already in `out`) that want a file starting with `head`.
    pub fn wanted_by_magic(&self, entry: &EntryMeta<'_>, head: &[u8], out: &mut Vec<usize>) {
        for (owner, interest) in self.interests.iter().enumerate() {
            if !out.contains(&owner) && interest.magic.iter().any(|m| m.matches(head)) && self.size_ok(owner, entry) {
                out.push(owner);
            }
        }
    }

    fn size_ok(&self, owner: usize, entry: &EntryMeta<'_>) -> bool {
        entry.kind != FileKind::File || self.interests[owner].max_size.is_none_or(|max| entry.size <= max)
    }
}
