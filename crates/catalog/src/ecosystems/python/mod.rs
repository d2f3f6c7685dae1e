//! Python (PyPI) packages, from two kinds of files.
//!
//! Installed: the core metadata every installer writes beside a package, `*.dist-info/METADATA`
//! (wheels, pip) and `*.egg-info/PKG-INFO` (setuptools; also a single `*.egg-info` file written
//! by distutils), and `.egg` zip archives holding `EGG-INFO/PKG-INFO`. This is what is really
//! on disk, so it is what advisories are matched against.
//!
//! Declared: what a project pins, for `fs:` targets and application directories in images:
//! `requirements*.txt` (only `==` pins: a range is not a version), `poetry.lock`,
//! `Pipfile.lock` and `uv.lock`.
//!
//! Names are kept as the file spells them (`PyYAML`); the purl uses the PEP 503 normalized
//! name (`pkg:pypi/pyyaml@5.3`), the form PyPI and OSV key packages by.

mod locks;
mod metadata;
mod requirements;

use std::io::Read;

use drydock_model::{Ecosystem, FileKind, Package, purl};
use drydock_oci::engine::analyzer::{EntryMeta, Interest};

use super::read_limited;
use crate::{Cataloger, CatalogerKind, Catalogued};

pub use locks::{parse_pipfile_lock, parse_poetry_lock, parse_uv_lock};
pub use metadata::{parse_egg, parse_metadata};
pub use requirements::parse_requirements;

/// METADATA and PKG-INFO files; their headers are all we need, but some embed a long README.
const MAX_METADATA_BYTES: u64 = 8 * 1024 * 1024;
/// `.egg` archives are read whole (zip needs its central directory at the end).
const MAX_EGG_BYTES: u64 = 64 * 1024 * 1024;
/// Lockfiles and requirements files.
const MAX_LOCK_BYTES: u64 = 64 * 1024 * 1024;

/// Installed packages: `*.dist-info/METADATA`, `*.egg-info/PKG-INFO`, `*.egg-info` files, `.egg` archives.
pub struct PythonInstalled;

impl Cataloger for PythonInstalled {
    fn name(&self) -> &'static str {
        "python-installed"
    }

    fn version(&self) -> u32 {
        1
    }

    fn kind(&self) -> CatalogerKind {
        CatalogerKind::Installed
    }

    fn interest(&self) -> Interest {
        Interest {
            globs: vec![
                "**/*.dist-info/METADATA".into(),
                "**/*.egg-info/PKG-INFO".into(),
                "**/*.egg-info".into(),
                "**/*.egg/EGG-INFO/PKG-INFO".into(),
                "**/*.egg".into(),
            ],
            max_size: Some(MAX_EGG_BYTES),
            ..Default::default()
        }
    }

    fn catalog(&self, file: &EntryMeta<'_>, content: &mut dyn Read) -> Result<Catalogued, String> {
        // `*.egg-info` and `*.egg` are directories as often as files; only files hold metadata.
        if file.kind != FileKind::File {
            return Ok(Catalogued::default());
        }
        if file.path.ends_with(".egg") {
            let bytes = read_limited(content, MAX_EGG_BYTES)?;
            return parse_egg(&bytes).map(|p| vec![p].into());
        }
        let bytes = read_limited(content, MAX_METADATA_BYTES)?;
        parse_metadata(&bytes).map(|p| vec![p].into())
    }
}

/// Declared packages: `requirements*.txt`, `poetry.lock`, `Pipfile.lock`, `uv.lock`.
pub struct PythonLock;

impl Cataloger for PythonLock {
    fn name(&self) -> &'static str {
        "python-lock"
    }

    fn version(&self) -> u32 {
        1
    }

    fn kind(&self) -> CatalogerKind {
        CatalogerKind::Declared
    }

    fn interest(&self) -> Interest {
        Interest {
            globs: vec!["**/requirements*.txt".into()],
            basenames: vec!["poetry.lock".into(), "Pipfile.lock".into(), "uv.lock".into()],
            max_size: Some(MAX_LOCK_BYTES),
            ..Default::default()
        }
    }

    fn catalog(&self, file: &EntryMeta<'_>, content: &mut dyn Read) -> Result<Catalogued, String> {
        if file.kind != FileKind::File || super::is_inside_installed_package(file.path) {
            return Ok(Catalogued::default());
        }
        let basename = file.path.rsplit('/').next().unwrap_or(file.path);
        // The glob's `*` also crosses `/` (`requirements-old/notes.txt`): check the file name.
        let requirements = basename.starts_with("requirements") && basename.ends_with(".txt");
        if !requirements && !matches!(basename, "poetry.lock" | "Pipfile.lock" | "uv.lock") {
            return Ok(Catalogued::default());
        }
        let bytes = read_limited(content, MAX_LOCK_BYTES)?;
        match basename {
            "poetry.lock" => parse_poetry_lock(&bytes),
            "Pipfile.lock" => parse_pipfile_lock(&bytes),
            "uv.lock" => parse_uv_lock(&bytes),
            _ => Ok(parse_requirements(&bytes)),
        }
    }
}

/// PEP 503: lowercase, and every run of `-`, `_` and `.` becomes one `-`.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator {
                out.push('-');
            }
            in_separator = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_separator = false;
        }
    }
    out
}

/// A PyPI package whose purl names it by its normalized name.
fn pypi_package(name: &str, version: &str) -> Package {
    let mut package = Package::new(Ecosystem::PyPI, name, version);
    package.purl = purl::build(Ecosystem::PyPI.purl_type(), None, &normalize_name(name), version, &[]);
    package
}

/// Whether `name` is a valid distribution name (PEP 508: letters, digits, `-_.`, starting and
/// ending with a letter or digit).
fn is_valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    let edge_ok = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
    edge_ok(bytes.first())
        && edge_ok(bytes.last())
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn meta(path: &str, kind: FileKind) -> EntryMeta<'_> {
        EntryMeta {
            path,
            kind,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size: 0,
            link_target: None,
        }
    }

    #[test]
    fn normalizes_names_as_pep_503_says() {
        assert_eq!(normalize_name("PyYAML"), "pyyaml");
        assert_eq!(normalize_name("zope.interface"), "zope-interface");
        assert_eq!(normalize_name("Foo__Bar-.baz"), "foo-bar-baz");
        assert_eq!(pypi_package("Jinja2", "2.10").purl, "pkg:pypi/jinja2@2.10");
    }

    #[test]
    fn validates_names() {
        assert!(is_valid_name("a") && is_valid_name("zope.interface") && is_valid_name("A_1"));
        assert!(!is_valid_name("") && !is_valid_name("-a") && !is_valid_name("a b") && !is_valid_name("a."));
    }

    #[test]
    fn installed_cataloger_reads_metadata_and_skips_directories() {
        let text = "Metadata-Version: 2.1\nName: six\nVersion: 1.16.0\n";
        let found = PythonInstalled
            .catalog(
                &meta(
                    "/usr/lib/python3/dist-packages/six-1.16.0.dist-info/METADATA",
                    FileKind::File,
                ),
                &mut text.as_bytes(),
            )
            .unwrap();
        assert_eq!(found.packages.len(), 1);
        let dir = PythonInstalled
            .catalog(
                &meta("/usr/lib/python3/dist-packages/six.egg-info", FileKind::Dir),
                &mut "".as_bytes(),
            )
            .unwrap();
        assert!(dir.packages.is_empty() && dir.warnings.is_empty());
    }

    #[test]
    fn lock_cataloger_dispatches_on_the_file_name() {
        let found = PythonLock
            .catalog(
                &meta("/app/requirements-dev.txt", FileKind::File),
                &mut "pytest==8.0.0\n".as_bytes(),
            )
            .unwrap();
        assert_eq!(found.packages[0].name, "pytest");
        let elsewhere = PythonLock
            .catalog(
                &meta("/app/requirements-old/notes.txt", FileKind::File),
                &mut "pytest==8.0.0\n".as_bytes(),
            )
            .unwrap();
        assert!(elsewhere.packages.is_empty());
        let err = PythonLock
            .catalog(
                &meta("/app/poetry.lock", FileKind::File),
                &mut "[[package]\n".as_bytes(),
            )
            .unwrap_err();
        assert!(err.contains("TOML"), "{err}");
    }

    #[test]
    fn refuses_files_over_the_limit() {
        let err = read_limited(&mut [0u8; 11].as_slice(), 10).unwrap_err();
        assert!(err.contains("over the 10-byte limit"), "{err}");
        assert_eq!(read_limited(&mut [0u8; 10].as_slice(), 10).unwrap().len(), 10);
    }
}
