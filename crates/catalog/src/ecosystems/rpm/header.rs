//! The rpm header blob, as every rpm database backend stores it (rpm's `headerExport`
//! format, without the 8-byte magic that precedes headers inside `.rpm` files):
//!
//! ```text
//! il: u32 BE   number of index entries
//! dl: u32 BE   length of the data store
//! il × { tag: u32 BE, type: u32 BE, offset: u32 BE, count: u32 BE }
//! dl bytes of data; each entry's value starts at `offset` into it
//! ```
//!
//! Only the tags a package inventory needs are decoded. Every offset and count comes from
//! the file, so each is checked against the data store before use and nothing is allocated
//! from a count.

/// Tags read by the cataloger (rpm's `rpmtag.h`).
pub const TAG_NAME: u32 = 1000;
pub const TAG_VERSION: u32 = 1001;
pub const TAG_RELEASE: u32 = 1002;
pub const TAG_EPOCH: u32 = 1003;
pub const TAG_VENDOR: u32 = 1011;
pub const TAG_LICENSE: u32 = 1014;
pub const TAG_ARCH: u32 = 1022;
pub const TAG_SOURCERPM: u32 = 1044;
pub const TAG_PROVIDENAME: u32 = 1047;
pub const TAG_REQUIRENAME: u32 = 1049;

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

const ENTRY_SIZE: usize = 16;
/// rpm itself refuses headers with more entries or a larger data store (`hdrchkTags`,
/// `hdrchkData`).
const MAX_ENTRIES: u32 = 0xffff;
const MAX_DATA: u32 = 0x00ff_ffff;

/// What one installed package's header says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeaderInfo {
    pub name: String,
    pub version: String,
    pub release: String,
    /// Present only when the package declares one (an explicit `Epoch: 0` included).
    pub epoch: Option<u32>,
    pub arch: Option<String>,
    pub license: Option<String>,
    pub vendor: Option<String>,
    /// `glibc-2.34-60.el9.src.rpm`
    pub source_rpm: Option<String>,
    pub provides: Vec<String>,
    pub requires: Vec<String>,
}

impl HeaderInfo {
    /// `[epoch:]version-release`, as rpm's own `%{EVR}` prints it.
    pub fn evr(&self) -> String {
        match self.epoch {
            Some(epoch) => format!("{epoch}:{}-{}", self.version, self.release),
            None => format!("{}-{}", self.version, self.release),
        }
    }
}

/// One index entry.
#[derive(Clone, Copy, Debug)]
struct Entry {
    tag: u32,
    kind: u32,
    offset: u32,
    count: u32,
}

/// A header blob split into its index and data store, both checked to lie inside the blob.
pub struct Header<'a> {
    index: &'a [u8],
    data: &'a [u8],
}

impl<'a> Header<'a> {
    pub fn new(blob: &'a [u8]) -> Result<Self, String> {
        let (Some(entries), Some(data_len)) = (be32(blob, 0), be32(blob, 4)) else {
            return Err(format!(
                "a header of {} bytes is shorter than its 8-byte preamble",
                blob.len()
            ));
        };
        if entries == 0 || entries > MAX_ENTRIES {
            return Err(format!("a header claims {entries} index entries"));
        }
        if data_len > MAX_DATA {
            return Err(format!("a header claims {data_len} bytes of data"));
        }
        let index_end = 8 + entries as usize * ENTRY_SIZE;
        let data_end = index_end + data_len as usize;
        let (Some(index), Some(data)) = (blob.get(8..index_end), blob.get(index_end..data_end)) else {
            return Err(format!(
                "a header of {} bytes is too short for its {entries} index entries and {data_len} bytes of data",
                blob.len()
            ));
        };
        Ok(Header { index, data })
    }

    fn entries(&self) -> impl Iterator<Item = Entry> + '_ {
        self.index.chunks_exact(ENTRY_SIZE).filter_map(|raw| {
            Some(Entry {
                tag: be32(raw, 0)?,
                kind: be32(raw, 4)?,
                offset: be32(raw, 8)?,
                count: be32(raw, 12)?,
            })
        })
    }

    fn find(&self, tag: u32) -> Option<Entry> {
        self.entries().find(|entry| entry.tag == tag)
    }

    /// A STRING tag, or the first string of an I18NSTRING or STRING_ARRAY one.
    pub fn string(&self, tag: u32) -> Result<Option<String>, String> {
        let Some(entry) = self.find(tag) else {
            return Ok(None);
        };
        match entry.kind {
            TYPE_STRING | TYPE_I18NSTRING | TYPE_STRING_ARRAY => {
                let (text, _) = self.c_string(entry.offset as usize, tag)?;
                Ok(Some(text))
            }
            other => Err(format!("tag {tag} has type {other}, not a string")),
        }
    }

    /// Every string of a STRING_ARRAY tag (a STRING tag gives one).
    pub fn strings(&self, tag: u32) -> Result<Vec<String>, String> {
        let Some(entry) = self.find(tag) else {
            return Ok(Vec::new());
        };
        if entry.kind == TYPE_STRING {
            return Ok(vec![self.c_string(entry.offset as usize, tag)?.0]);
        }
        if entry.kind != TYPE_STRING_ARRAY && entry.kind != TYPE_I18NSTRING {
            return Err(format!("tag {tag} has type {}, not a string array", entry.kind));
        }
        let mut strings = Vec::new();
        let mut at = entry.offset as usize;
        // Each string takes at least its NUL byte, so a count larger than the data fails
        // on the data, not on memory.
        for _ in 0..entry.count {
            let (text, next) = self.c_string(at, tag)?;
            strings.push(text);
            at = next;
        }
        Ok(strings)
    }

    /// The first value of an INT32 tag.
    pub fn int32(&self, tag: u32) -> Result<Option<u32>, String> {
        let Some(entry) = self.find(tag) else {
            return Ok(None);
        };
        if entry.kind != TYPE_INT32 {
            return Err(format!("tag {tag} has type {}, not INT32", entry.kind));
        }
        if entry.count == 0 {
            return Err(format!("tag {tag} has no values"));
        }
        be32(self.data, entry.offset as usize)
            .map(Some)
            .ok_or_else(|| format!("tag {tag} points past the header's data"))
    }

    /// The NUL-terminated string at `at`, and where the next one starts.
    fn c_string(&self, at: usize, tag: u32) -> Result<(String, usize), String> {
        let rest = self
            .data
            .get(at..)
            .ok_or_else(|| format!("tag {tag} points past the header's data"))?;
        let length = rest
            .iter()
            .position(|&byte| byte == 0)
            .ok_or_else(|| format!("tag {tag} has a string without its terminating NUL"))?;
        let text = String::from_utf8_lossy(rest.get(..length).unwrap_or_default()).into_owned();
        Ok((text, at + length + 1))
    }
}

/// Decodes the tags of one installed package.
pub fn parse(blob: &[u8]) -> Result<HeaderInfo, String> {
    let header = Header::new(blob)?;
    let required = |tag: u32, what: &str| -> Result<String, String> {
        header
            .string(tag)?
            .filter(|value| !value.is_empty())
            .ok_or_else(|| format!("a header has no {what}"))
    };
    let name = required(TAG_NAME, "NAME")?;
    let version = required(TAG_VERSION, "VERSION").map_err(|e| format!("{name}: {e}"))?;
    let release = required(TAG_RELEASE, "RELEASE").map_err(|e| format!("{name}: {e}"))?;
    let in_package = |e: String| format!("{name}: {e}");
    let optional = |tag: u32| -> Result<Option<String>, String> {
        Ok(header
            .string(tag)
            .map_err(in_package)?
            .filter(|value| !value.is_empty() && value != "(none)"))
    };
    Ok(HeaderInfo {
        epoch: header.int32(TAG_EPOCH).map_err(in_package)?,
        arch: optional(TAG_ARCH)?,
        license: optional(TAG_LICENSE)?,
        vendor: optional(TAG_VENDOR)?,
        source_rpm: optional(TAG_SOURCERPM)?,
        provides: header.strings(TAG_PROVIDENAME).map_err(in_package)?,
        requires: header.strings(TAG_REQUIRENAME).map_err(in_package)?,
        name,
        version,
        release,
    })
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    let raw: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_be_bytes(raw))
}

/// Builds header blobs for tests (here and in the database readers' tests).
#[cfg(test)]
pub(crate) mod build {
    use super::*;

    /// A tag's value in a test header.
    pub enum Value<'a> {
        Str(&'a str),
        Strs(&'a [&'a str]),
        Int(u32),
    }

    /// Encodes entries the way rpm does: index first, then the data store.
    pub fn blob(tags: &[(u32, Value<'_>)]) -> Vec<u8> {
        let mut index = Vec::new();
        let mut data: Vec<u8> = Vec::new();
        for (tag, value) in tags {
            let (kind, count) = match value {
                Value::Str(_) => (TYPE_STRING, 1),
                Value::Strs(list) => (TYPE_STRING_ARRAY, list.len() as u32),
                Value::Int(_) => (TYPE_INT32, 1),
            };
            if kind == TYPE_INT32 {
                while !data.len().is_multiple_of(4) {
                    data.push(0);
                }
            }
            for field in [*tag, kind, data.len() as u32, count] {
                index.extend_from_slice(&field.to_be_bytes());
            }
            match value {
                Value::Str(text) => push_c_string(&mut data, text),
                Value::Strs(list) => list.iter().for_each(|text| push_c_string(&mut data, text)),
                Value::Int(number) => data.extend_from_slice(&number.to_be_bytes()),
            }
        }
        let mut blob = Vec::new();
        blob.extend_from_slice(&(tags.len() as u32).to_be_bytes());
        blob.extend_from_slice(&(data.len() as u32).to_be_bytes());
        blob.extend_from_slice(&index);
        blob.extend_from_slice(&data);
        blob
    }

    fn push_c_string(data: &mut Vec<u8>, text: &str) {
        data.extend_from_slice(text.as_bytes());
        data.push(0);
    }

    /// A typical package header.
    pub fn package(name: &str, version: &str, release: &str) -> Vec<u8> {
        let source = format!("{name}-{version}-{release}.src.rpm");
        blob(&[
            (TAG_NAME, Value::Str(name)),
            (TAG_VERSION, Value::Str(version)),
            (TAG_RELEASE, Value::Str(release)),
            (TAG_ARCH, Value::Str("x86_64")),
            (TAG_SOURCERPM, Value::Str(&source)),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::build::{Value, blob, package};
    use super::*;

    #[test]
    fn reads_the_package_tags() {
        let bytes = blob(&[
            (TAG_NAME, Value::Str("openssl-libs")),
            (TAG_VERSION, Value::Str("3.0.7")),
            (TAG_RELEASE, Value::Str("27.el9")),
            (TAG_EPOCH, Value::Int(1)),
            (TAG_ARCH, Value::Str("x86_64")),
            (TAG_LICENSE, Value::Str("ASL 2.0")),
            (TAG_VENDOR, Value::Str("Red Hat, Inc.")),
            (TAG_SOURCERPM, Value::Str("openssl-3.0.7-27.el9.src.rpm")),
            (TAG_REQUIRENAME, Value::Strs(&["ca-certificates", "libc.so.6()(64bit)"])),
        ]);
        let info = parse(&bytes).unwrap();
        assert_eq!(info.name, "openssl-libs");
        assert_eq!(info.evr(), "1:3.0.7-27.el9");
        assert_eq!(info.arch.as_deref(), Some("x86_64"));
        assert_eq!(info.license.as_deref(), Some("ASL 2.0"));
        assert_eq!(info.vendor.as_deref(), Some("Red Hat, Inc."));
        assert_eq!(info.source_rpm.as_deref(), Some("openssl-3.0.7-27.el9.src.rpm"));
        assert_eq!(info.requires, ["ca-certificates", "libc.so.6()(64bit)"]);
    }

    #[test]
    fn no_epoch_tag_means_no_epoch() {
        let info = parse(&package("bash", "5.1.8", "9.el9")).unwrap();
        assert_eq!(info.epoch, None);
        assert_eq!(info.evr(), "5.1.8-9.el9");
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let bytes = package("bash", "5.1.8", "9.el9");
        for length in 0..bytes.len() {
            assert!(parse(&bytes[..length]).is_err(), "truncated to {length}");
        }
    }

    #[test]
    fn counts_and_offsets_from_the_data_are_not_trusted() {
        let mut bytes = package("bash", "5.1.8", "9.el9");
        bytes[0..4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(parse(&bytes).unwrap_err().contains("index entries"));

        let mut bytes = blob(&[
            (TAG_NAME, Value::Str("x")),
            (TAG_VERSION, Value::Str("1")),
            (TAG_RELEASE, Value::Str("1")),
            (TAG_REQUIRENAME, Value::Strs(&["a"])),
        ]);
        // The REQUIRENAME entry's count (4th entry, last field) claims four billion strings.
        let count_at = 8 + 3 * ENTRY_SIZE + 12;
        bytes[count_at..count_at + 4].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(parse(&bytes).unwrap_err().contains("tag 1049"));

        let mut bytes = package("bash", "5.1.8", "9.el9");
        // NAME's offset far outside the data.
        bytes[16..20].copy_from_slice(&0x7fff_0000u32.to_be_bytes());
        assert!(parse(&bytes).is_err());
    }

    #[test]
    fn a_header_without_a_name_is_refused() {
        let bytes = blob(&[(TAG_VERSION, Value::Str("1")), (TAG_RELEASE, Value::Str("1"))]);
        assert!(parse(&bytes).unwrap_err().contains("no NAME"));
    }

    #[test]
    fn a_string_tag_of_the_wrong_type_is_an_error() {
        let bytes = blob(&[
            (TAG_NAME, Value::Int(7)),
            (TAG_VERSION, Value::Str("1")),
            (TAG_RELEASE, Value::Str("1")),
        ]);
        assert!(parse(&bytes).unwrap_err().contains("not a string"));
    }
}
