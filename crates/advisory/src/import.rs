//! Building a store from OSV JSON: `all.zip` exports as osv.dev publishes them, folders of
//! `<ID>.json` files, or single files. Each record is checked and compiled on the way in
//! (events sorted in the ecosystem's version order, versions validated), so matching never
//! meets an unreadable version; a record that cannot be read is skipped with a warning
//! that names the file and the id, and the rest of the data is kept.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use drydock_model::DatabaseSource;
use drydock_version::Scheme;

use crate::error::AdvisoryError;
use crate::osv::{EventKind, OsvAffected, OsvRange, OsvRecord, rating_in};
use crate::store::{AffectedEntry, Meta, RangeKind, RecordInfo, StoreWriter, StoredRange, VersionList};

/// The largest single OSV document read (real ones are a few KiB; the biggest, with
/// thousands of listed versions, a few MiB).
const MAX_RECORD_BYTES: u64 = 32 << 20;

/// A problem with one record or file; the import goes on without it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportWarning {
    /// The file (and, for a zip, the member) it came from.
    pub file: String,
    pub id: Option<String>,
    pub message: String,
}

impl std::fmt::Display for ImportWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.id {
            Some(id) => write!(f, "{} ({id}): {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportSummary {
    pub meta: Meta,
    pub warnings: Vec<ImportWarning>,
    /// Affected entries skipped because drydock knows no version order for their
    /// ecosystem, per ecosystem.
    pub unsupported_ecosystems: BTreeMap<String, u64>,
    /// Bytes written.
    pub size: u64,
}

/// Collects sources and writes one store from all of them.
pub struct Importer {
    writer: StoreWriter,
    summary: ImportSummary,
    fetched: String,
}

impl Importer {
    /// `now` is the time recorded as the import time of each source (RFC 3339).
    pub fn new(now: &str) -> Result<Importer, AdvisoryError> {
        Ok(Importer {
            writer: StoreWriter::new()?,
            summary: ImportSummary::default(),
            fetched: now.to_string(),
        })
    }

    /// Adds a zip of OSV files, a folder of them (searched recursively) or one file.
    /// `name` is how `db status` will call this source (`PyPI`, or the path given).
    pub fn add_path(&mut self, path: &Path, name: &str, origin: &str) -> Result<(), AdvisoryError> {
        let metadata = std::fs::metadata(path).map_err(|e| AdvisoryError::io(path, "reading", e))?;
        let source = u32::try_from(self.summary.meta.sources.len()).unwrap_or(u32::MAX);
        let mut stats = SourceStats::default();
        if metadata.is_dir() {
            self.add_dir(path, source, &mut stats)?;
        } else if path.extension().is_some_and(|e| e.eq_ignore_ascii_case("zip")) {
            self.add_zip(path, source, &mut stats)?;
        } else {
            let bytes = read_limited(File::open(path).map_err(|e| AdvisoryError::io(path, "opening", e))?)
                .map_err(|reason| AdvisoryError::input(path, reason))?;
            self.add_document(&bytes, &path.display().to_string(), source, &mut stats);
        }
        if stats.documents == 0 {
            return Err(AdvisoryError::input(path, "holds no OSV JSON files (`*.json`)"));
        }
        self.summary.meta.sources.push(DatabaseSource {
            name: name.to_string(),
            origin: origin.to_string(),
            records: stats.records,
            newest_record: stats.newest,
            fetched: self.fetched.clone(),
        });
        Ok(())
    }

    /// Adds one OSV JSON document held in memory as a source of its own (tests, fuzzing).
    pub fn add_json(&mut self, bytes: &[u8], name: &str) {
        let source = u32::try_from(self.summary.meta.sources.len()).unwrap_or(u32::MAX);
        let mut stats = SourceStats::default();
        self.add_document(bytes, name, source, &mut stats);
        self.summary.meta.sources.push(DatabaseSource {
            name: name.to_string(),
            origin: name.to_string(),
            records: stats.records,
            newest_record: stats.newest,
            fetched: self.fetched.clone(),
        });
    }

    fn add_zip(&mut self, path: &Path, source: u32, stats: &mut SourceStats) -> Result<(), AdvisoryError> {
        let file = File::open(path).map_err(|e| AdvisoryError::io(path, "opening", e))?;
        let mut archive = zip::ZipArchive::new(std::io::BufReader::new(file))
            .map_err(|e| AdvisoryError::input(path, format!("not a readable zip archive: {e}")))?;
        for index in 0..archive.len() {
            let mut member = archive
                .by_index(index)
                .map_err(|e| AdvisoryError::input(path, format!("zip member {index}: {e}")))?;
            let name = member
                .name()
                .map(|name| name.into_owned())
                .map_err(|e| AdvisoryError::input(path, format!("zip member {index}: {e}")))?;
            if !member.is_file() || !name.ends_with(".json") {
                continue;
            }
            let label = format!("{}:{name}", path.display());
            match read_limited(&mut member) {
                Ok(bytes) => self.add_document(&bytes, &label, source, stats),
                Err(reason) => {
                    // A damaged member usually means a damaged archive: refuse it whole
                    // rather than build a database silently missing records.
                    return Err(AdvisoryError::input(path, format!("{name}: {reason}")));
                }
            }
        }
        Ok(())
    }

    fn add_dir(&mut self, root: &Path, source: u32, stats: &mut SourceStats) -> Result<(), AdvisoryError> {
        let mut pending = vec![root.to_path_buf()];
        let mut files: Vec<PathBuf> = Vec::new();
        while let Some(dir) = pending.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|e| AdvisoryError::io(&dir, "listing", e))?;
            for entry in entries {
                let entry = entry.map_err(|e| AdvisoryError::io(&dir, "listing", e))?;
                let kind = entry
                    .file_type()
                    .map_err(|e| AdvisoryError::io(&entry.path(), "reading", e))?;
                let path = entry.path();
                if kind.is_dir() {
                    pending.push(path);
                } else if kind.is_file() && path.extension().is_some_and(|e| e == "json") {
                    files.push(path);
                }
            }
        }
        files.sort();
        for path in files {
            let label = path.display().to_string();
            let read = File::open(&path).map_err(|e| e.to_string()).and_then(read_limited);
            match read {
                Ok(bytes) => self.add_document(&bytes, &label, source, stats),
                Err(reason) => self.warn(&label, None, reason),
            }
        }
        Ok(())
    }

    fn warn(&mut self, file: &str, id: Option<&str>, message: impl Into<String>) {
        self.summary.warnings.push(ImportWarning {
            file: file.to_string(),
            id: id.map(str::to_string),
            message: message.into(),
        });
    }

    /// Compiles one OSV document into the store.
    fn add_document(&mut self, bytes: &[u8], label: &str, source: u32, stats: &mut SourceStats) {
        stats.documents += 1;
        let record = match OsvRecord::from_json(bytes) {
            Ok(record) => record,
            Err(reason) => {
                let id = guess_id(bytes);
                self.warn(label, id.as_deref(), format!("not a valid OSV record: {reason}"));
                self.summary.meta.rejected += 1;
                return;
            }
        };
        if record.withdrawn.is_some() {
            self.summary.meta.withdrawn += 1;
            return;
        }
        let mut entries = Vec::new();
        for (index, affected) in record.affected.iter().enumerate() {
            match self.compile_affected(affected) {
                Ok(Some(entry)) => entries.push(entry),
                Ok(None) => {}
                Err(reason) => {
                    let message = format!("affected[{index}]: {reason}");
                    self.summary.warnings.push(ImportWarning {
                        file: label.to_string(),
                        id: Some(record.id.clone()),
                        message,
                    });
                }
            }
        }
        if entries.is_empty() {
            return;
        }
        let info = RecordInfo {
            id: record.id.clone(),
            aliases: record.aliases.clone(),
            upstream: record.upstream.clone(),
            summary: record.summary.clone().filter(|s| !s.trim().is_empty()),
            details: record.details.clone().filter(|s| !s.trim().is_empty()),
            severity: record
                .severity
                .iter()
                .map(|s| (s.kind.clone(), s.score.clone()))
                .collect(),
            rating: record.database_rating(),
            references: record.references.iter().map(|r| r.url.clone()).collect(),
            published: record.published.clone(),
            modified: record.modified.clone(),
            source,
        };
        match self.writer.add(&info, &entries) {
            Ok(crate::store::Added::New) => {
                stats.records += 1;
                self.summary.meta.records += 1;
            }
            Ok(_) => {}
            Err(e) => self.warn(label, Some(&record.id), e.to_string()),
        }
        if let Some(modified) = &record.modified
            && stats.newest.as_deref() < Some(modified.as_str())
        {
            stats.newest = Some(modified.clone());
        }
    }

    /// One affected package, ready to store; `None` when there is nothing to match (only
    /// `GIT` ranges, or an ecosystem without a known version order, which is counted).
    fn compile_affected<'a>(&mut self, affected: &'a OsvAffected) -> Result<Option<AffectedEntry<'a>>, String> {
        let package = affected.package.as_ref().ok_or("it names no package")?;
        if package.name.trim().is_empty() || package.ecosystem.trim().is_empty() {
            return Err("its package has an empty name or ecosystem".into());
        }
        let Some(scheme) = Scheme::for_osv_ecosystem(&package.ecosystem) else {
            *self
                .summary
                .unsupported_ecosystems
                .entry(package.ecosystem.clone())
                .or_default() += 1;
            return Ok(None);
        };
        let mut ranges = Vec::new();
        for range in &affected.ranges {
            if let Some(compiled) = compile_range(range, scheme)? {
                ranges.push(compiled);
            }
        }
        if ranges.is_empty() && affected.versions.is_empty() {
            return Ok(None);
        }
        let (versions, raw_versions) = sort_versions(&affected.versions, scheme);
        Ok(Some(AffectedEntry {
            ecosystem: &package.ecosystem,
            package: &package.name,
            ranges,
            versions: VersionList::Owned(versions),
            raw_versions,
            severity: affected
                .severity
                .iter()
                .map(|s| (s.kind.as_str(), s.score.as_str()))
                .collect(),
            rating: rating_in(affected.ecosystem_specific.as_ref()).or(rating_in(affected.database_specific.as_ref())),
        }))
    }

    /// The store as bytes, without writing a file (tests, fuzzing).
    pub fn finish_in_memory(mut self, tool: &str) -> Result<(Vec<u8>, ImportSummary), AdvisoryError> {
        self.summary.meta.built = self.fetched.clone();
        self.summary.meta.tool = tool.to_string();
        let bytes = self.writer.to_bytes(&self.summary.meta)?;
        self.summary.size = bytes.len() as u64;
        Ok((bytes, self.summary))
    }

    /// Writes the store; nothing is replaced if this fails.
    pub fn finish(mut self, path: &Path, tool: &str) -> Result<ImportSummary, AdvisoryError> {
        if self.writer.is_empty() {
            return Err(AdvisoryError::Build(
                "no usable advisory records were found in the given sources".into(),
            ));
        }
        self.summary.meta.built = self.fetched.clone();
        self.summary.meta.tool = tool.to_string();
        self.summary.size = self.writer.write(path, &self.summary.meta)?;
        Ok(self.summary)
    }
}

/// The listed versions that parse, sorted in the scheme's order without repeats, and
/// those that do not, as written.
fn sort_versions(listed: &[String], scheme: Scheme) -> (Vec<&str>, Vec<&str>) {
    let mut parsed = Vec::with_capacity(listed.len());
    let mut raw = Vec::new();
    for text in listed {
        match scheme.parse(text) {
            Ok(version) => parsed.push((version, text.as_str())),
            Err(_) => raw.push(text.as_str()),
        }
    }
    parsed.sort_by(|a, b| a.0.cmp(&b.0));
    parsed.dedup_by(|a, b| a.0 == b.0);
    (parsed.into_iter().map(|(_, text)| text).collect(), raw)
}

/// An `ECOSYSTEM` or `SEMVER` range with its events checked and sorted; `None` for `GIT`.
fn compile_range(range: &OsvRange, scheme: Scheme) -> Result<Option<StoredRange<'_>>, String> {
    let (kind, scheme) = match range.kind.as_str() {
        "ECOSYSTEM" => (RangeKind::Ecosystem, scheme),
        "SEMVER" => (RangeKind::SemVer, Scheme::SemVer),
        "GIT" => return Ok(None),
        other => return Err(format!("unknown range type `{other}`")),
    };
    let mut events = Vec::with_capacity(range.events.len());
    for event in &range.events {
        let (event_kind, version) = event
            .single()
            .ok_or("a range event must set exactly one of introduced, fixed, last_affected, limit")?;
        events.push((event_kind, version));
    }
    if !events.iter().any(|(kind, _)| *kind == EventKind::Introduced) {
        return Err(format!("a {} range has no `introduced` event", kind.as_str()));
    }
    let mut keyed = Vec::with_capacity(events.len());
    for (event_kind, version) in events {
        let parsed = if event_kind == EventKind::Introduced && version == "0" {
            None
        } else {
            Some(
                scheme
                    .parse(version)
                    .map_err(|e| format!("{} event: {e}", event_kind.as_str()))?,
            )
        };
        keyed.push((parsed, event_kind, version));
    }
    // `introduced: 0` sorts first; equal versions keep the record's order.
    keyed.sort_by(|a, b| match (&a.0, &b.0) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, Some(_)) => std::cmp::Ordering::Less,
        (Some(_), None) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) => x.cmp(y),
    });
    Ok(Some(StoredRange {
        kind,
        events: keyed.into_iter().map(|(_, kind, version)| (kind, version)).collect(),
    }))
}

#[derive(Default)]
struct SourceStats {
    documents: u64,
    records: u64,
    newest: Option<String>,
}

fn read_limited(reader: impl Read) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_RECORD_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > MAX_RECORD_BYTES {
        return Err(format!("larger than {} MiB", MAX_RECORD_BYTES >> 20));
    }
    Ok(bytes)
}

/// The `id` of a document too broken to parse, for the warning, when it can be seen.
fn guess_id(bytes: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    value.get("id")?.as_str().map(str::to_string)
}
