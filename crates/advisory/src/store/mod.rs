//! The advisory store: one file, memory-mapped, opened in milliseconds.
//!
//! Layout (all integers little-endian):
//!
//! ```text
//! header   magic "DDOSVDB\0" · format u32 · crc32 u32 of everything after it · file length u64
//!          · 5 × (offset u64, length u64) for the sections below
//! meta     JSON: build time, tool, sources with record counts
//! keys     sorted table of 24-byte rows: key offset u64 (in blob) · key length u32 · first posting u32
//!          · posting count u32 · unused u32. A key is `family \0 normalized name \0 ecosystem`.
//! postings 16-byte rows: record u32 · entry length u32 · entry offset u64 (in blob)
//! records  24-byte rows: id offset u64 · id length u32 · info length u32 · info offset u64
//!          (info: zstd-compressed JSON of a RecordInfo, prefixed by its uncompressed length u32)
//! blob     the bytes the tables point into
//! ```
//!
//! The checksum is verified on open (CRC-32 runs at memory speed), so a damaged file is
//! refused with a message telling the user to rebuild it; every read is still
//! bounds-checked, since a file can be damaged in ways a checksum cannot see (a crafted one).

mod entry;
mod writer;

use std::fs::File;
use std::path::{Path, PathBuf};

use drydock_model::DatabaseSource;
use serde::{Deserialize, Serialize};

use crate::codec::{Truncated, u32_at, u64_at};
use crate::error::AdvisoryError;

pub use entry::{AffectedEntry, RangeKind, RecordInfo, StoredRange, VersionList};
pub use writer::{Added, StoreWriter};

const MAGIC: &[u8; 8] = b"DDOSVDB\0";
/// Bumped on any change of the layout; an older file is refused and rebuilt.
pub const FORMAT_VERSION: u32 = 3;
const SECTIONS: usize = 5;
/// The checksum covers everything after itself: the length, the section table and the body.
const CHECKSUMMED_FROM: usize = 16;
const HEADER_LEN: usize = 8 + 4 + 4 + 8 + SECTIONS * 16;
const KEY_ROW: usize = 24;
const POSTING_ROW: usize = 16;
const RECORD_ROW: usize = 24;

/// What the store says about itself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub format: u32,
    /// When the file was built (RFC 3339).
    pub built: String,
    /// `drydock <version>` that built it.
    pub tool: String,
    pub sources: Vec<DatabaseSource>,
    pub records: u64,
    /// Withdrawn records left out.
    pub withdrawn: u64,
    /// Records left out because they could not be read (each was reported at import).
    pub rejected: u64,
}

impl Default for Meta {
    fn default() -> Self {
        Meta {
            format: FORMAT_VERSION,
            built: String::new(),
            tool: String::new(),
            sources: Vec::new(),
            records: 0,
            withdrawn: 0,
            rejected: 0,
        }
    }
}

/// The file's bytes: mapped when it can be, read otherwise.
enum Bytes {
    Mapped(memmap2::Mmap),
    Owned(Vec<u8>),
}

impl Bytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Mapped(map) => map,
            Bytes::Owned(bytes) => bytes,
        }
    }
}

/// An opened advisory store.
pub struct Database {
    path: PathBuf,
    bytes: Bytes,
    sections: [(usize, usize); SECTIONS],
    meta: Meta,
}

const META: usize = 0;
const KEYS: usize = 1;
const POSTINGS: usize = 2;
const RECORDS: usize = 3;
const BLOB: usize = 4;

impl Database {
    /// Opens and verifies a store file.
    pub fn open(path: &Path) -> Result<Database, AdvisoryError> {
        let file = File::open(path).map_err(|e| AdvisoryError::io(path, "opening the advisory database", e))?;
        // SAFETY: the file is only ever replaced by rename, never written in place, so the
        // mapped inode does not change under us; a file damaged by other means is caught
        // by the checksum and by bounds-checked reads.
        let bytes = match unsafe { memmap2::Mmap::map(&file) } {
            Ok(map) => Bytes::Mapped(map),
            Err(_) => Bytes::Owned(std::fs::read(path).map_err(|e| AdvisoryError::io(path, "reading", e))?),
        };
        Self::from_bytes(path, bytes)
    }

    /// A store held in memory (tests, fuzzing).
    pub fn from_vec(path: &Path, bytes: Vec<u8>) -> Result<Database, AdvisoryError> {
        Self::from_bytes(path, Bytes::Owned(bytes))
    }

    fn from_bytes(path: &Path, bytes: Bytes) -> Result<Database, AdvisoryError> {
        let corrupt = |reason: String| AdvisoryError::Corrupt {
            path: path.to_path_buf(),
            reason,
        };
        let data = bytes.as_slice();
        if data.len() < HEADER_LEN || &data[..8] != MAGIC {
            return Err(corrupt("it is not a drydock advisory database".into()));
        }
        let format = u32_at(data, 8).map_err(|_| corrupt("short header".into()))?;
        if format != FORMAT_VERSION {
            return Err(AdvisoryError::OldFormat {
                path: path.to_path_buf(),
                found: format,
                expected: FORMAT_VERSION,
            });
        }
        let checksum = u32_at(data, 12).map_err(|_| corrupt("short header".into()))?;
        let length = u64_at(data, 16).map_err(|_| corrupt("short header".into()))?;
        if length != data.len() as u64 {
            return Err(corrupt(format!(
                "it is {} bytes long, its header says {length}",
                data.len()
            )));
        }
        if crc32fast::hash(&data[CHECKSUMMED_FROM..]) != checksum {
            return Err(corrupt("its checksum does not match its content".into()));
        }
        let mut sections = [(0usize, 0usize); SECTIONS];
        for (index, section) in sections.iter_mut().enumerate() {
            let at = 24 + index * 16;
            let offset = u64_at(data, at).map_err(|_| corrupt("short header".into()))?;
            let len = u64_at(data, at + 8).map_err(|_| corrupt("short header".into()))?;
            let end = offset.checked_add(len).filter(|&end| end <= data.len() as u64);
            if end.is_none() || offset < HEADER_LEN as u64 {
                return Err(corrupt(format!("section {index} lies outside the file")));
            }
            *section = (offset as usize, len as usize);
        }
        let (meta_at, meta_len) = sections[META];
        let meta: Meta = serde_json::from_slice(&data[meta_at..meta_at + meta_len])
            .map_err(|e| corrupt(format!("its description is not readable: {e}")))?;
        Ok(Database {
            path: path.to_path_buf(),
            bytes,
            sections,
            meta,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn meta(&self) -> &Meta {
        &self.meta
    }

    fn section(&self, index: usize) -> &[u8] {
        let (offset, len) = self.sections[index];
        &self.bytes.as_slice()[offset..offset + len]
    }

    fn blob(&self, offset: u64, len: u64) -> Result<&[u8], Truncated> {
        let start = usize::try_from(offset).map_err(|_| Truncated)?;
        let end = start
            .checked_add(usize::try_from(len).map_err(|_| Truncated)?)
            .ok_or(Truncated)?;
        self.section(BLOB).get(start..end).ok_or(Truncated)
    }

    fn damaged(&self, what: &str) -> AdvisoryError {
        AdvisoryError::Corrupt {
            path: self.path.clone(),
            reason: format!("damaged {what}"),
        }
    }

    /// How many distinct keys (family, package, ecosystem) the index holds.
    pub fn key_count(&self) -> usize {
        self.section(KEYS).len() / KEY_ROW
    }

    /// How many records the store holds.
    pub fn record_count(&self) -> usize {
        self.section(RECORDS).len() / RECORD_ROW
    }

    fn key(&self, row: usize) -> Result<(&[u8], u32, u32), Truncated> {
        let keys = self.section(KEYS);
        let at = row * KEY_ROW;
        let offset = u64_at(keys, at)?;
        let len = u32_at(keys, at + 8)?;
        let first = u32_at(keys, at + 12)?;
        let count = u32_at(keys, at + 16)?;
        Ok((self.blob(offset, u64::from(len))?, first, count))
    }

    /// Every affected entry for a package of an OSV family (`Debian`, `PyPI`), in any of
    /// the family's ecosystems, with the index of the record it belongs to. `name` must be
    /// normalized ([`crate::ecosystem::normalize_name`]).
    pub fn lookup(&self, family: &str, name: &str) -> Result<Vec<(u32, AffectedEntry<'_>)>, AdvisoryError> {
        let mut prefix = Vec::with_capacity(family.len() + name.len() + 2);
        prefix.extend_from_slice(family.as_bytes());
        prefix.push(0);
        prefix.extend_from_slice(name.as_bytes());
        prefix.push(0);
        let mut found = Vec::new();
        let rows = self.key_count();
        let start = self.lower_bound(&prefix, rows).map_err(|_| self.damaged("index"))?;
        for row in start..rows {
            let (key, first, count) = self.key(row).map_err(|_| self.damaged("index"))?;
            if !key.starts_with(&prefix) {
                break;
            }
            for posting in first..first.saturating_add(count) {
                found.push(self.posting(posting).map_err(|_| self.damaged("posting"))?);
            }
        }
        Ok(found)
    }

    fn lower_bound(&self, prefix: &[u8], rows: usize) -> Result<usize, Truncated> {
        let (mut low, mut high) = (0, rows);
        while low < high {
            let middle = low + (high - low) / 2;
            if self.key(middle)?.0 < prefix {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        Ok(low)
    }

    fn posting(&self, index: u32) -> Result<(u32, AffectedEntry<'_>), Truncated> {
        let postings = self.section(POSTINGS);
        let at = (index as usize).checked_mul(POSTING_ROW).ok_or(Truncated)?;
        let record = u32_at(postings, at)?;
        let len = u32_at(postings, at + 4)?;
        let offset = u64_at(postings, at + 8)?;
        let entry = AffectedEntry::decode(self.blob(offset, u64::from(len))?)?;
        Ok((record, entry))
    }

    /// What a report shows of record `index`.
    pub fn record(&self, index: u32) -> Result<RecordInfo, AdvisoryError> {
        self.read_record(index)
            .map_err(|_| self.damaged(&format!("record {index}")))
    }

    fn read_record(&self, index: u32) -> Result<RecordInfo, Truncated> {
        let records = self.section(RECORDS);
        let at = (index as usize).checked_mul(RECORD_ROW).ok_or(Truncated)?;
        let info_len = u32_at(records, at + 12)?;
        let info_offset = u64_at(records, at + 16)?;
        let info = self.blob(info_offset, u64::from(info_len))?;
        let plain_len = u32_at(info, 0)? as usize;
        // The length prefix bounds the allocation; a lying prefix fails decompression.
        let plain = zstd::bulk::decompress(&info[4..], plain_len).map_err(|_| Truncated)?;
        serde_json::from_slice(&plain).map_err(|_| Truncated)
    }

    /// The id of record `index`, without decompressing it.
    pub fn record_id(&self, index: u32) -> Result<&str, AdvisoryError> {
        let read = || -> Result<&str, Truncated> {
            let records = self.section(RECORDS);
            let at = (index as usize).checked_mul(RECORD_ROW).ok_or(Truncated)?;
            let offset = u64_at(records, at)?;
            let len = u32_at(records, at + 8)?;
            std::str::from_utf8(self.blob(offset, u64::from(len))?).map_err(|_| Truncated)
        };
        read().map_err(|_| self.damaged(&format!("record {index}")))
    }
}
