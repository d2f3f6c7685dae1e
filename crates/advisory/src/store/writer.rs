//! Writes a store file (layout in the module above): records and their affected entries
//! go in, in any order; the file comes out sorted, checksummed and renamed into place in
//! one step, so a reader sees the old file or the new one, never a half-written one.

use std::collections::HashMap;
use std::path::Path;

use super::{CHECKSUMMED_FROM, FORMAT_VERSION, HEADER_LEN, MAGIC, Meta, RecordInfo, SECTIONS};
use crate::ecosystem::{family, normalize_name};
use crate::error::AdvisoryError;
use crate::store::AffectedEntry;

struct PendingRecord {
    id: String,
    modified: Option<String>,
    /// Uncompressed length (u32) followed by the zstd frame.
    info: Vec<u8>,
    /// (key, encoded entry) for each affected package.
    postings: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Collects records, then writes the store.
pub struct StoreWriter {
    records: Vec<PendingRecord>,
    by_id: HashMap<String, usize>,
    compressor: zstd::bulk::Compressor<'static>,
}

/// What [`StoreWriter::add`] did with a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Added {
    New,
    /// It replaced an older copy of the same id.
    Replaced,
    /// A newer copy of the same id was already there; this one was dropped.
    Older,
}

impl StoreWriter {
    pub fn new() -> Result<StoreWriter, AdvisoryError> {
        let compressor = zstd::bulk::Compressor::new(3).map_err(|e| AdvisoryError::Build(format!("zstd: {e}")))?;
        Ok(StoreWriter {
            records: Vec::new(),
            by_id: HashMap::new(),
            compressor,
        })
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Adds a record. When the same id comes twice (the same advisory in two sources), the
    /// copy with the later `modified` time is kept.
    pub fn add(&mut self, info: &RecordInfo, entries: &[AffectedEntry<'_>]) -> Result<Added, AdvisoryError> {
        let existing = self.by_id.get(&info.id).copied();
        if let Some(index) = existing
            && self.records[index].modified.as_deref() >= info.modified.as_deref()
        {
            return Ok(Added::Older);
        }
        let json = serde_json::to_vec(info).map_err(|e| AdvisoryError::Build(e.to_string()))?;
        let plain_len = u32::try_from(json.len())
            .map_err(|_| AdvisoryError::Build(format!("record {} is larger than 4 GiB", info.id)))?;
        let compressed = self
            .compressor
            .compress(&json)
            .map_err(|e| AdvisoryError::Build(format!("compressing record {}: {e}", info.id)))?;
        let mut blob = Vec::with_capacity(4 + compressed.len());
        blob.extend_from_slice(&plain_len.to_le_bytes());
        blob.extend_from_slice(&compressed);
        let postings = entries.iter().map(|entry| (key_of(entry), entry.encode())).collect();
        let record = PendingRecord {
            id: info.id.clone(),
            modified: info.modified.clone(),
            info: blob,
            postings,
        };
        match existing {
            Some(index) => {
                self.records[index] = record;
                Ok(Added::Replaced)
            }
            None => {
                self.by_id.insert(info.id.clone(), self.records.len());
                self.records.push(record);
                Ok(Added::New)
            }
        }
    }

    /// Writes the store to `path`, replacing any file there only once the new one is
    /// complete and synced.
    pub fn write(self, path: &Path, meta: &Meta) -> Result<u64, AdvisoryError> {
        let bytes = self.to_bytes(meta)?;
        crate::atomic::write(path, &bytes)?;
        Ok(bytes.len() as u64)
    }

    /// The whole store file as bytes.
    pub fn to_bytes(self, meta: &Meta) -> Result<Vec<u8>, AdvisoryError> {
        let too_big = || AdvisoryError::Build("the database would exceed the format's 4-billion-entry limit".into());
        let mut blob = Vec::new();
        let mut postings: Vec<(Vec<u8>, u32, Vec<u8>)> = Vec::new();
        let mut record_rows = Vec::with_capacity(self.records.len() * super::RECORD_ROW);
        for (index, record) in self.records.into_iter().enumerate() {
            let index = u32::try_from(index).map_err(|_| too_big())?;
            let id_offset = blob.len() as u64;
            blob.extend_from_slice(record.id.as_bytes());
            let info_offset = blob.len() as u64;
            blob.extend_from_slice(&record.info);
            record_rows.extend_from_slice(&id_offset.to_le_bytes());
            record_rows.extend_from_slice(&(record.id.len() as u32).to_le_bytes());
            record_rows.extend_from_slice(&(record.info.len() as u32).to_le_bytes());
            record_rows.extend_from_slice(&info_offset.to_le_bytes());
            for (key, entry) in record.postings {
                postings.push((key, index, entry));
            }
        }
        postings.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut key_rows = Vec::new();
        let mut posting_rows = Vec::with_capacity(postings.len() * super::POSTING_ROW);
        let mut position = 0;
        while position < postings.len() {
            let key = &postings[position].0;
            let run = postings[position..].iter().take_while(|p| &p.0 == key).count();
            let key_offset = blob.len() as u64;
            blob.extend_from_slice(key);
            key_rows.extend_from_slice(&key_offset.to_le_bytes());
            key_rows.extend_from_slice(&u32::try_from(key.len()).map_err(|_| too_big())?.to_le_bytes());
            key_rows.extend_from_slice(&u32::try_from(position).map_err(|_| too_big())?.to_le_bytes());
            key_rows.extend_from_slice(&u32::try_from(run).map_err(|_| too_big())?.to_le_bytes());
            key_rows.extend_from_slice(&0u32.to_le_bytes());
            for (_, record, entry) in &postings[position..position + run] {
                let entry_offset = blob.len() as u64;
                blob.extend_from_slice(entry);
                posting_rows.extend_from_slice(&record.to_le_bytes());
                posting_rows.extend_from_slice(&u32::try_from(entry.len()).map_err(|_| too_big())?.to_le_bytes());
                posting_rows.extend_from_slice(&entry_offset.to_le_bytes());
            }
            position += run;
        }
        let meta_json = serde_json::to_vec(meta).map_err(|e| AdvisoryError::Build(e.to_string()))?;
        let sections: [&[u8]; SECTIONS] = [&meta_json, &key_rows, &posting_rows, &record_rows, &blob];
        assemble(&sections)
    }
}

/// Header, then the sections back to back; the blob offsets inside the tables are
/// relative to the blob section.
fn assemble(sections: &[&[u8]; SECTIONS]) -> Result<Vec<u8>, AdvisoryError> {
    let body_len: usize = sections.iter().map(|s| s.len()).sum();
    let mut out = Vec::with_capacity(HEADER_LEN + body_len);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes()); // checksum, filled in below
    out.extend_from_slice(&((HEADER_LEN + body_len) as u64).to_le_bytes());
    let mut offset = HEADER_LEN as u64;
    for section in sections {
        out.extend_from_slice(&offset.to_le_bytes());
        out.extend_from_slice(&(section.len() as u64).to_le_bytes());
        offset += section.len() as u64;
    }
    debug_assert_eq!(out.len(), HEADER_LEN);
    for section in sections {
        out.extend_from_slice(section);
    }
    let checksum = crc32fast::hash(&out[CHECKSUMMED_FROM..]);
    out[12..16].copy_from_slice(&checksum.to_le_bytes());
    Ok(out)
}

/// `family \0 normalized name \0 ecosystem`: lookups by family and name find every
/// release of a distribution in one contiguous run.
fn key_of(entry: &AffectedEntry<'_>) -> Vec<u8> {
    let family = family(entry.ecosystem);
    let name = normalize_name(family, entry.package);
    let mut key = Vec::with_capacity(family.len() + name.len() + entry.ecosystem.len() + 2);
    key.extend_from_slice(family.as_bytes());
    key.push(0);
    key.extend_from_slice(name.as_bytes());
    key.push(0);
    key.extend_from_slice(entry.ecosystem.as_bytes());
    key
}
