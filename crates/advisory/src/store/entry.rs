//! What the store keeps of each advisory: the compact part matching reads for every
//! candidate ([`AffectedEntry`], one per affected package), and the part shown only for a
//! match ([`RecordInfo`], compressed).

use serde::{Deserialize, Serialize};

use crate::codec::{Decoder, Encoder, Truncated, u32_at};
use crate::osv::EventKind;

/// Which kind of OSV range: `ECOSYSTEM` or `SEMVER` (`GIT` ranges name commits, which no
/// installed package records, and are not stored).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RangeKind {
    Ecosystem,
    SemVer,
}

impl RangeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RangeKind::Ecosystem => "ECOSYSTEM",
            RangeKind::SemVer => "SEMVER",
        }
    }
}

/// One range with its events sorted in version order (`introduced: 0` first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredRange<'a> {
    pub kind: RangeKind,
    pub events: Vec<(EventKind, &'a str)>,
}

/// An advisory's statement about one package: the ranges and versions it affects.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AffectedEntry<'a> {
    /// The full OSV ecosystem (`Debian:12`, `PyPI`).
    pub ecosystem: &'a str,
    /// The package name as the advisory writes it.
    pub package: &'a str,
    pub ranges: Vec<StoredRange<'a>>,
    /// The explicit `versions` that parse in the ecosystem's order, sorted in it (so
    /// membership is a binary search: real lists run to hundreds of versions).
    pub versions: VersionList<'a>,
    /// Listed versions that do not parse, compared as written.
    pub raw_versions: Vec<&'a str>,
    /// Severity vectors given for this package only (`affected[].severity`).
    pub severity: Vec<(&'a str, &'a str)>,
    /// A rating word from `ecosystem_specific` / `database_specific` of this entry.
    pub rating: Option<&'a str>,
}

fn event_code(kind: EventKind) -> u8 {
    match kind {
        EventKind::Introduced => 0,
        EventKind::Fixed => 1,
        EventKind::LastAffected => 2,
        EventKind::Limit => 3,
    }
}

fn event_kind(code: u8) -> Result<EventKind, Truncated> {
    Ok(match code {
        0 => EventKind::Introduced,
        1 => EventKind::Fixed,
        2 => EventKind::LastAffected,
        3 => EventKind::Limit,
        _ => return Err(Truncated),
    })
}

impl<'a> AffectedEntry<'a> {
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Encoder::default();
        out.str(self.ecosystem);
        out.str(self.package);
        out.varint(self.ranges.len() as u64);
        for range in &self.ranges {
            out.u8(match range.kind {
                RangeKind::Ecosystem => 0,
                RangeKind::SemVer => 1,
            });
            out.varint(range.events.len() as u64);
            for (kind, version) in &range.events {
                out.u8(event_code(*kind));
                out.str(version);
            }
        }
        self.versions.encode(&mut out);
        out.varint(self.raw_versions.len() as u64);
        for version in &self.raw_versions {
            out.str(version);
        }
        out.varint(self.severity.len() as u64);
        for (kind, score) in &self.severity {
            out.str(kind);
            out.str(score);
        }
        out.str(self.rating.unwrap_or(""));
        out.buf
    }

    pub fn decode(bytes: &'a [u8]) -> Result<AffectedEntry<'a>, Truncated> {
        let mut input = Decoder::new(bytes);
        let ecosystem = input.str()?;
        let package = input.str()?;
        let mut ranges = Vec::with_capacity(input.count()?);
        for _ in 0..ranges.capacity() {
            let kind = match input.u8()? {
                0 => RangeKind::Ecosystem,
                1 => RangeKind::SemVer,
                _ => return Err(Truncated),
            };
            let mut events = Vec::with_capacity(input.count()?);
            for _ in 0..events.capacity() {
                let kind = event_kind(input.u8()?)?;
                events.push((kind, input.str()?));
            }
            ranges.push(StoredRange { kind, events });
        }
        let versions = VersionList::decode(&mut input)?;
        let mut raw_versions = Vec::with_capacity(input.count()?);
        for _ in 0..raw_versions.capacity() {
            raw_versions.push(input.str()?);
        }
        let mut severity = Vec::with_capacity(input.count()?);
        for _ in 0..severity.capacity() {
            severity.push((input.str()?, input.str()?));
        }
        let rating = Some(input.str()?).filter(|r| !r.is_empty());
        Ok(AffectedEntry {
            ecosystem,
            package,
            ranges,
            versions,
            raw_versions,
            severity,
            rating,
        })
    }
}

/// A sorted list of versions, read one at a time: decoding a list of hundreds of versions
/// for every candidate would cost more than the binary search that needs a handful.
///
/// Encoded as: count · total length of the strings · one `u32` start offset per version ·
/// the strings back to back.
#[derive(Clone, Debug)]
pub enum VersionList<'a> {
    Owned(Vec<&'a str>),
    Encoded {
        count: usize,
        offsets: &'a [u8],
        data: &'a [u8],
    },
}

impl<'a> VersionList<'a> {
    pub fn len(&self) -> usize {
        match self {
            VersionList::Owned(list) => list.len(),
            VersionList::Encoded { count, .. } => *count,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Version `index`; an error for a damaged list.
    pub fn get(&self, index: usize) -> Result<&'a str, Truncated> {
        match self {
            VersionList::Owned(list) => list.get(index).copied().ok_or(Truncated),
            VersionList::Encoded { count, offsets, data } => {
                if index >= *count {
                    return Err(Truncated);
                }
                let start = u32_at(offsets, index * 4)? as usize;
                let end = if index + 1 < *count {
                    u32_at(offsets, (index + 1) * 4)? as usize
                } else {
                    data.len()
                };
                let bytes = data.get(start..end).ok_or(Truncated)?;
                std::str::from_utf8(bytes).map_err(|_| Truncated)
            }
        }
    }

    fn encode(&self, out: &mut Encoder) {
        let versions: Vec<&str> = (0..self.len()).filter_map(|i| self.get(i).ok()).collect();
        let total: usize = versions.iter().map(|v| v.len()).sum();
        out.varint(versions.len() as u64);
        out.varint(total as u64);
        let mut offset = 0u32;
        for version in &versions {
            out.buf.extend_from_slice(&offset.to_le_bytes());
            offset += version.len() as u32;
        }
        for version in &versions {
            out.buf.extend_from_slice(version.as_bytes());
        }
    }

    fn decode(input: &mut Decoder<'a>) -> Result<VersionList<'a>, Truncated> {
        let count = input.count()?;
        let total = usize::try_from(input.varint()?).map_err(|_| Truncated)?;
        let offsets = input.bytes(count.checked_mul(4).ok_or(Truncated)?)?;
        let data = input.bytes(total)?;
        Ok(VersionList::Encoded { count, offsets, data })
    }
}

impl PartialEq for VersionList<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && (0..self.len()).all(|i| self.get(i) == other.get(i))
    }
}

impl Eq for VersionList<'_> {}

/// What a report shows of an advisory.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordInfo {
    pub id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub upstream: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String>,
    /// `(type, score)` pairs of the record's `severity` list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severity: Vec<(String, String)>,
    /// The database's own rating word.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rating: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    /// The import source it came from (index into the store's source list).
    pub source: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip() {
        let entry = AffectedEntry {
            ecosystem: "Debian:12",
            package: "openssl",
            ranges: vec![StoredRange {
                kind: RangeKind::Ecosystem,
                events: vec![(EventKind::Introduced, "0"), (EventKind::Fixed, "3.0.14-1~deb12u2")],
            }],
            versions: VersionList::Owned(vec!["3.0.11-1~deb12u1", "3.0.11-1~deb12u2"]),
            raw_versions: vec!["weird version"],
            severity: vec![("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H")],
            rating: Some("high"),
        };
        let bytes = entry.encode();
        assert_eq!(AffectedEntry::decode(&bytes).unwrap(), entry);
        for cut in 0..bytes.len() {
            assert!(AffectedEntry::decode(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }
}
