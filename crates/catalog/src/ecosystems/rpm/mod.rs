//! rpm: the rpm database, in whichever of its three formats the image's rpm wrote:
//! SQLite (`rpmdb.sqlite`, RHEL 9 and Fedora), Berkeley DB (`Packages`, RHEL ≤ 8, CentOS,
//! Amazon Linux 2) or NDB (`Packages.db`, SUSE), under `/var/lib/rpm` or
//! `/usr/lib/sysimage/rpm`. The format is told from the file's content, not its name. Each
//! record is an rpm header blob ([`header`]), which gives the name, `[epoch:]version-release`
//! (as rpm's `%{EVR}`), architecture, license, vendor, requirements and the source rpm
//! (`glibc-2.34-60.el9.src.rpm`), whose name and version Red Hat's advisories are keyed by.
//!
//! All three readers work on the file's bytes in memory (a database is read whole, up to
//! [`MAX_DATABASE_BYTES`]), follow only offsets they have checked, and read each page or
//! block at most once; a damaged record costs that package, with a warning, and the rest
//! of the database is still read.

pub mod bdb;
pub mod header;
pub mod ndb;
pub mod sqlite;

use std::collections::HashMap;
use std::io::Read;

use drydock_model::{Ecosystem, Package, SourcePackage};
use drydock_oci::engine::analyzer::{EntryMeta, Interest};

use self::header::HeaderInfo;
use crate::{Cataloger, CatalogerKind, Catalogued};

/// Larger than any real rpm database (a full Fedora desktop's is ~200 MiB).
pub const MAX_DATABASE_BYTES: u64 = 512 * 1024 * 1024;
/// Problems reported word for word per file; the rest are counted.
const MAX_WARNINGS: usize = 20;

pub struct Rpm;

impl Cataloger for Rpm {
    fn name(&self) -> &'static str {
        "rpm"
    }

    fn version(&self) -> u32 {
        1
    }

    fn kind(&self) -> CatalogerKind {
        CatalogerKind::Installed
    }

    fn interest(&self) -> Interest {
        let mut globs = Vec::new();
        for dir in ["/var/lib/rpm", "/usr/lib/sysimage/rpm"] {
            for file in ["rpmdb.sqlite", "Packages", "Packages.db"] {
                globs.push(format!("{dir}/{file}"));
            }
        }
        Interest {
            globs,
            ..Default::default()
        }
    }

    fn catalog(&self, file: &EntryMeta<'_>, content: &mut dyn Read) -> Result<Catalogued, String> {
        if file.size > MAX_DATABASE_BYTES {
            return Err(format!(
                "the database is {} bytes, more than the {MAX_DATABASE_BYTES} this cataloger reads",
                file.size
            ));
        }
        let mut bytes = Vec::with_capacity(file.size as usize);
        content
            .take(MAX_DATABASE_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("reading: {e}"))?;
        read_database(&bytes)
    }
}

/// Which backend wrote a database file, from its first bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Sqlite,
    BerkeleyDb,
    Ndb,
}

impl Format {
    pub fn detect(bytes: &[u8]) -> Option<Format> {
        let magic_at = |at: usize| -> Option<[u8; 4]> { bytes.get(at..at + 4)?.try_into().ok() };
        if bytes.starts_with(b"SQLite format 3\0") {
            Some(Format::Sqlite)
        } else if bytes.starts_with(b"RpmP") {
            Some(Format::Ndb)
        } else {
            // Berkeley DB's magic, in either byte order: a hash (rpm's) or a btree database.
            let magic = magic_at(12)?;
            let known = [0x0006_1561u32, 0x0005_3162];
            known
                .iter()
                .any(|m| magic == m.to_le_bytes() || magic == m.to_be_bytes())
                .then_some(Format::BerkeleyDb)
        }
    }
}

/// The packages of an rpm database file of any format.
pub fn read_database(bytes: &[u8]) -> Result<Catalogued, String> {
    let format = Format::detect(bytes).ok_or("not an rpm database (neither SQLite, Berkeley DB nor NDB)")?;
    let mut headers = Vec::new();
    let mut bad_headers = Problems::default();
    let mut each = |number: u64, blob: &[u8]| match header::parse(blob) {
        Ok(info) => headers.push(info),
        Err(problem) => bad_headers.push(format!("package record {number}: {problem}")),
    };
    let mut problems = match format {
        Format::Sqlite => sqlite::read_packages(bytes, &mut each)?,
        Format::BerkeleyDb => bdb::read_packages(bytes, &mut each)?,
        Format::Ndb => ndb::read_packages(bytes, &mut each)?,
    };
    problems.extend(bad_headers);
    let warnings = problems.into_warnings();
    if headers.is_empty() && !warnings.is_empty() {
        return Err(format!("no package could be read: {}", warnings.join("; ")));
    }
    Ok(Catalogued {
        packages: packages(&headers),
        warnings,
    })
}

/// Problems met while reading one database: the first [`MAX_WARNINGS`] kept word for word,
/// the rest only counted, so a corrupt file cannot make its warnings outgrow it.
#[derive(Debug, Default)]
pub struct Problems {
    kept: Vec<String>,
    more: usize,
}

impl Problems {
    pub fn push(&mut self, problem: String) {
        if self.kept.len() < MAX_WARNINGS {
            self.kept.push(problem);
        } else {
            self.more += 1;
        }
    }

    pub fn extend(&mut self, other: Problems) {
        let more = other.more;
        other.kept.into_iter().for_each(|problem| self.push(problem));
        self.more += more;
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    pub fn first(&self) -> Option<&str> {
        self.kept.first().map(String::as_str)
    }

    /// The kept problems, and one line counting the rest.
    pub fn into_warnings(self) -> Vec<String> {
        let mut warnings = self.kept;
        if self.more > 0 {
            warnings.push(format!("and {} more problems", self.more));
        }
        warnings
    }
}

/// Packages from headers, with requirements resolved to the installed packages that provide
/// them.
fn packages(headers: &[HeaderInfo]) -> Vec<Package> {
    let mut providers: HashMap<&str, &str> = HashMap::new();
    for info in headers {
        providers.entry(&info.name).or_insert(&info.name);
        for capability in &info.provides {
            providers.entry(capability).or_insert(&info.name);
        }
    }
    headers
        .iter()
        // Imported signing keys show up as `gpg-pubkey` records: keys, not software.
        .filter(|info| info.name != "gpg-pubkey")
        .map(|info| package(info, &providers))
        .collect()
}

fn package(info: &HeaderInfo, providers: &HashMap<&str, &str>) -> Package {
    let version = info.evr();
    let mut package = Package::new(Ecosystem::Rpm, &info.name, &version);
    let source = info
        .source_rpm
        .as_deref()
        .and_then(|file| source_package(file, info.epoch));
    package.source = Some(source.unwrap_or_else(|| SourcePackage {
        name: info.name.clone(),
        version: version.clone(),
    }));
    let properties = [
        ("architecture", info.arch.clone()),
        ("epoch", info.epoch.map(|epoch| epoch.to_string())),
        ("vendor", info.vendor.clone()),
        ("source_rpm", info.source_rpm.clone()),
    ];
    for (key, value) in properties {
        if let Some(value) = value {
            package.properties.insert(key.to_string(), value);
        }
    }
    package.licenses.extend(info.license.clone());
    package.dependencies = dependencies(info, providers);
    package
}

/// `glibc-2.34-60.el9.src.rpm` → glibc, `2.34-60.el9` (with the binary package's epoch,
/// which a source package shares with every package built from it).
fn source_package(file: &str, epoch: Option<u32>) -> Option<SourcePackage> {
    let stem = file
        .strip_suffix(".src.rpm")
        .or_else(|| file.strip_suffix(".nosrc.rpm"))?;
    let (rest, release) = stem.rsplit_once('-')?;
    let (name, version) = rest.rsplit_once('-')?;
    if name.is_empty() || version.is_empty() || release.is_empty() {
        return None;
    }
    let version = match epoch {
        Some(epoch) => format!("{epoch}:{version}-{release}"),
        None => format!("{version}-{release}"),
    };
    Some(SourcePackage {
        name: name.to_string(),
        version,
    })
}

/// Required capabilities as package names: one an installed package provides (a soname, a
/// file, a virtual name) becomes that package; an unprovided plain name stays; rpm's own
/// `rpmlib(…)` features and other unprovided capabilities go.
fn dependencies(info: &HeaderInfo, providers: &HashMap<&str, &str>) -> Vec<String> {
    let mut names: Vec<String> = info
        .requires
        .iter()
        .filter_map(|capability| match providers.get(capability.as_str()) {
            Some(provider) => Some(provider.to_string()),
            None if is_plain_name(capability) => Some(capability.clone()),
            None => None,
        })
        .filter(|name| *name != info.name)
        .collect();
    names.sort();
    names.dedup();
    names
}

fn is_plain_name(capability: &str) -> bool {
    !capability.is_empty() && !capability.starts_with('/') && !capability.contains('(')
}

#[cfg(test)]
mod tests {
    use super::header::build::{Value, blob};
    use super::header::*;
    use super::*;
    use drydock_model::FileKind;

    fn meta(path: &str, size: u64) -> EntryMeta<'_> {
        EntryMeta {
            path,
            kind: FileKind::File,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size,
            link_target: None,
        }
    }

    fn glibc_headers() -> Vec<Vec<u8>> {
        vec![
            blob(&[
                (TAG_NAME, Value::Str("glibc")),
                (TAG_VERSION, Value::Str("2.34")),
                (TAG_RELEASE, Value::Str("60.el9")),
                (TAG_ARCH, Value::Str("x86_64")),
                (TAG_LICENSE, Value::Str("LGPLv2+ and GPLv2+")),
                (TAG_VENDOR, Value::Str("Red Hat, Inc.")),
                (TAG_SOURCERPM, Value::Str("glibc-2.34-60.el9.src.rpm")),
                (TAG_PROVIDENAME, Value::Strs(&["glibc", "libc.so.6()(64bit)"])),
                (
                    TAG_REQUIRENAME,
                    Value::Strs(&["rpmlib(CompressedFileNames)", "/bin/sh", "basesystem"]),
                ),
            ]),
            blob(&[
                (TAG_NAME, Value::Str("bash")),
                (TAG_VERSION, Value::Str("5.1.8")),
                (TAG_RELEASE, Value::Str("9.el9")),
                (TAG_ARCH, Value::Str("x86_64")),
                (TAG_SOURCERPM, Value::Str("bash-5.1.8-9.el9.src.rpm")),
                (TAG_PROVIDENAME, Value::Strs(&["bash", "/bin/sh"])),
                (
                    TAG_REQUIRENAME,
                    Value::Strs(&["libc.so.6()(64bit)", "/bin/sh", "config(bash)"]),
                ),
            ]),
            blob(&[
                (TAG_NAME, Value::Str("openssl-libs")),
                (TAG_VERSION, Value::Str("3.0.7")),
                (TAG_RELEASE, Value::Str("27.el9")),
                (TAG_EPOCH, Value::Int(1)),
                (TAG_ARCH, Value::Str("x86_64")),
                (TAG_SOURCERPM, Value::Str("openssl-3.0.7-27.el9.src.rpm")),
            ]),
            blob(&[
                (TAG_NAME, Value::Str("gpg-pubkey")),
                (TAG_VERSION, Value::Str("fd431d51")),
                (TAG_RELEASE, Value::Str("4ae0493b")),
            ]),
        ]
    }

    fn ndb_of(blobs: &[Vec<u8>]) -> Vec<u8> {
        let blobs: Vec<&[u8]> = blobs.iter().map(Vec::as_slice).collect();
        ndb::build::database(&blobs)
    }

    #[test]
    fn reads_packages_with_sources_epochs_and_resolved_dependencies() {
        let file = ndb_of(&glibc_headers());
        let found = Rpm
            .catalog(
                &meta("/var/lib/rpm/Packages.db", file.len() as u64),
                &mut file.as_slice(),
            )
            .unwrap();
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        let names: Vec<&str> = found.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["glibc", "bash", "openssl-libs"], "gpg-pubkey is not a package");
        let glibc = &found.packages[0];
        assert_eq!(glibc.version, "2.34-60.el9");
        let source = glibc.source.as_ref().unwrap();
        assert_eq!(
            (source.name.as_str(), source.version.as_str()),
            ("glibc", "2.34-60.el9")
        );
        assert_eq!(glibc.licenses, ["LGPLv2+ and GPLv2+"]);
        assert_eq!(glibc.properties["architecture"], "x86_64");
        assert_eq!(glibc.properties["vendor"], "Red Hat, Inc.");
        assert_eq!(glibc.properties["source_rpm"], "glibc-2.34-60.el9.src.rpm");
        assert!(!glibc.properties.contains_key("epoch"));
        assert_eq!(
            glibc.dependencies,
            ["basesystem", "bash"],
            "/bin/sh is provided by bash"
        );
        assert_eq!(found.packages[1].dependencies, ["glibc"], "the soname is glibc's");
        let openssl = &found.packages[2];
        assert_eq!(openssl.version, "1:3.0.7-27.el9");
        assert_eq!(openssl.properties["epoch"], "1");
        let source = openssl.source.as_ref().unwrap();
        assert_eq!(
            (source.name.as_str(), source.version.as_str()),
            ("openssl", "1:3.0.7-27.el9")
        );
    }

    #[test]
    fn each_format_is_told_by_its_content() {
        let blobs = glibc_headers();
        let pairs: Vec<(u32, &[u8])> = blobs
            .iter()
            .enumerate()
            .map(|(i, b)| (i as u32 + 1, b.as_slice()))
            .collect();
        let bdb = bdb::build::database(&pairs, 64);
        assert_eq!(Format::detect(&bdb), Some(Format::BerkeleyDb));
        assert_eq!(Format::detect(&ndb_of(&blobs)), Some(Format::Ndb));
        assert_eq!(Format::detect(b"SQLite format 3\0"), Some(Format::Sqlite));
        let from_bdb = read_database(&bdb).unwrap();
        let from_ndb = read_database(&ndb_of(&blobs)).unwrap();
        assert_eq!(from_bdb.packages, from_ndb.packages);
        assert!(read_database(b"<html>").unwrap_err().contains("not an rpm database"));
    }

    #[test]
    fn a_bad_header_is_skipped_with_a_warning() {
        let mut blobs = glibc_headers();
        blobs[1].truncate(20);
        let found = read_database(&ndb_of(&blobs)).unwrap();
        assert_eq!(found.packages.len(), 2);
        assert!(
            found.warnings[0].starts_with("package record 2: ") && found.warnings[0].contains("too short"),
            "{:?}",
            found.warnings
        );
    }

    #[test]
    fn nothing_readable_is_an_error() {
        let mut file = ndb_of(&glibc_headers());
        file.truncate(4096);
        // The slots remain, every blob is gone.
        let problem = read_database(&file).unwrap_err();
        assert!(problem.contains("past the end of the file"), "{problem}");
    }

    #[test]
    fn many_problems_are_summarized() {
        let mut problems = Problems::default();
        (0..40).for_each(|i| problems.push(format!("problem {i}")));
        let mut others = Problems::default();
        (0..10).for_each(|i| others.push(format!("other {i}")));
        problems.extend(others);
        let summary = problems.into_warnings();
        assert_eq!(summary.len(), MAX_WARNINGS + 1);
        assert_eq!(summary.last().unwrap(), "and 30 more problems");
    }

    #[test]
    fn source_rpm_names() {
        let parsed = source_package("python3.11-3.11.2-2.el9.src.rpm", None).unwrap();
        assert_eq!(
            (parsed.name.as_str(), parsed.version.as_str()),
            ("python3.11", "3.11.2-2.el9")
        );
        assert!(source_package("nonsense", None).is_none());
        assert!(source_package("-1.src.rpm", None).is_none());
    }

    #[test]
    fn an_oversized_database_is_refused_before_reading() {
        let problem = Rpm
            .catalog(
                &meta("/var/lib/rpm/Packages", MAX_DATABASE_BYTES + 1),
                &mut std::io::empty(),
            )
            .unwrap_err();
        assert!(problem.contains("more than"), "{problem}");
    }
}
