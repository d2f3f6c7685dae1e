//! dpkg: `/var/lib/dpkg/status` and, in distroless images, one file per package under
//! `/var/lib/dpkg/status.d/`. Only paragraphs whose `Status` ends in `installed` count
//! (distroless files have no `Status`). `Source: name (version)` gives the source package
//! that Debian's advisories are keyed by.

use std::io::Read;

use drydock_model::{Ecosystem, Package, SourcePackage};
use drydock_oci::engine::analyzer::{EntryMeta, Interest};

use crate::{Cataloger, CatalogerKind, Catalogued};

const MAX_STATUS_BYTES: u64 = 256 * 1024 * 1024;

pub struct Dpkg;

impl Cataloger for Dpkg {
    fn name(&self) -> &'static str {
        "dpkg"
    }

    fn version(&self) -> u32 {
        1
    }

    fn kind(&self) -> CatalogerKind {
        CatalogerKind::Installed
    }

    fn interest(&self) -> Interest {
        Interest {
            globs: vec!["/var/lib/dpkg/status".into(), "/var/lib/dpkg/status.d/*".into()],
            max_size: Some(MAX_STATUS_BYTES),
            ..Default::default()
        }
    }

    fn catalog(&self, file: &EntryMeta<'_>, content: &mut dyn Read) -> Result<Catalogued, String> {
        // status.d holds `<pkg>.md5sums` beside the package files: those are not packages.
        if file.path.ends_with(".md5sums") {
            return Ok(Catalogued::default());
        }
        let mut bytes = Vec::new();
        content
            .take(MAX_STATUS_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("reading: {e}"))?;
        let text = String::from_utf8_lossy(&bytes);
        let in_status_d = file.path.starts_with("/var/lib/dpkg/status.d/");
        Ok(parse_status(&text, in_status_d))
    }
}

/// The installed packages of a dpkg status file (or one `status.d/` file, whose paragraphs
/// have no `Status` field); a corrupt paragraph is skipped with a warning.
pub fn parse_status(text: &str, in_status_d: bool) -> Catalogued {
    let mut found = Catalogued::default();
    for (number, paragraph) in paragraphs(text).enumerate() {
        match package_from(&paragraph, in_status_d) {
            Ok(Some(package)) => found.packages.push(package),
            Ok(None) => {}
            Err(reason) => found
                .warnings
                .push(format!("paragraph {} skipped: {reason}", number + 1)),
        }
    }
    found
}

/// One control paragraph: fields in order, continuation lines joined with `\n`.
pub type Paragraph = Vec<(String, String)>;

/// Splits control-file text into paragraphs of `Field: value` lines.
pub fn paragraphs(text: &str) -> impl Iterator<Item = Paragraph> + '_ {
    text.split("\n\n").filter_map(|block| {
        let mut fields: Paragraph = Vec::new();
        for line in block.lines() {
            if line.starts_with(' ') || line.starts_with('\t') {
                if let Some((_, value)) = fields.last_mut() {
                    value.push('\n');
                    value.push_str(line.trim());
                }
            } else if let Some((key, value)) = line.split_once(':') {
                fields.push((key.trim().to_string(), value.trim().to_string()));
            }
        }
        (!fields.is_empty()).then_some(fields)
    })
}

fn field<'a>(paragraph: &'a Paragraph, name: &str) -> Option<&'a str> {
    paragraph
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

fn package_from(paragraph: &Paragraph, in_status_d: bool) -> Result<Option<Package>, String> {
    let installed = match field(paragraph, "Status") {
        Some(status) => status.split_whitespace().last() == Some("installed"),
        None => in_status_d,
    };
    if !installed {
        return Ok(None);
    }
    let name = field(paragraph, "Package").ok_or("it has no Package field")?;
    let version = field(paragraph, "Version").ok_or_else(|| format!("package {name} has no Version field"))?;
    if name.is_empty() || version.is_empty() {
        return Err("an empty Package or Version field".into());
    }
    let mut package = Package::new(Ecosystem::Deb, name, version);
    let (source_name, source_version) = match field(paragraph, "Source") {
        Some(source) => match source.split_once('(') {
            Some((source_name, rest)) => (source_name.trim(), rest.trim_end_matches(')').trim()),
            None => (source.trim(), version),
        },
        None => (name, version),
    };
    package.source = Some(SourcePackage {
        name: source_name.to_string(),
        version: source_version.to_string(),
    });
    if let Some(architecture) = field(paragraph, "Architecture") {
        package
            .properties
            .insert("architecture".into(), architecture.to_string());
    }
    if let Some(depends) = field(paragraph, "Depends") {
        package.dependencies = dependency_names(depends);
    }
    if let Some(pre_depends) = field(paragraph, "Pre-Depends") {
        package.dependencies.extend(dependency_names(pre_depends));
        package.dependencies.sort();
        package.dependencies.dedup();
    }
    Ok(Some(package))
}

/// `libc6 (>= 2.34), debconf (>= 0.5) | debconf-2.0` → `libc6`, `debconf`, `debconf-2.0`.
fn dependency_names(field: &str) -> Vec<String> {
    let mut names: Vec<String> = field
        .split([',', '|'])
        .filter_map(|alternative| {
            let name = alternative.split(['(', '[', '<']).next()?.trim();
            let name = name.split(':').next()?.trim();
            (!name.is_empty()).then(|| name.to_string())
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(path: &str) -> EntryMeta<'_> {
        crate::ecosystems::test_file(path, 0)
    }

    const STATUS: &str = "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u14\nDepends: libgcc-s1\nDescription: GNU C Library\n multi-line\n\nPackage: e2fsprogs\nStatus: deinstall ok config-files\nVersion: 1.47.0-2\n\nPackage: tzdata\nStatus: install ok installed\nVersion: 2026f-0+deb12u1\nSource: tzdata (2026f-0+deb12u1)\nPre-Depends: debconf (>= 0.5) | debconf-2.0\n";

    #[test]
    fn reads_installed_packages_with_sources() {
        let packages = Dpkg
            .catalog(&meta("/var/lib/dpkg/status"), &mut STATUS.as_bytes())
            .unwrap()
            .packages;
        assert_eq!(packages.len(), 2, "e2fsprogs is not installed");
        let libc = &packages[0];
        assert_eq!(
            (libc.name.as_str(), libc.version.as_str()),
            ("libc6", "2.36-9+deb12u14")
        );
        assert_eq!(libc.source.as_ref().unwrap().name, "glibc");
        assert_eq!(libc.source.as_ref().unwrap().version, "2.36-9+deb12u14");
        assert_eq!(libc.properties["architecture"], "amd64");
        assert_eq!(packages[1].dependencies, ["debconf", "debconf-2.0"]);
    }

    #[test]
    fn source_with_its_own_version() {
        let text =
            "Package: libpcre2-8-0\nStatus: install ok installed\nSource: pcre2 (10.42-1)\nVersion: 10.42-1+b1\n";
        let packages = Dpkg
            .catalog(&meta("/var/lib/dpkg/status"), &mut text.as_bytes())
            .unwrap()
            .packages;
        let source = packages[0].source.as_ref().unwrap();
        assert_eq!((source.name.as_str(), source.version.as_str()), ("pcre2", "10.42-1"));
    }

    #[test]
    fn distroless_files_have_no_status_and_md5sums_are_skipped() {
        let text = "Package: base-files\nVersion: 12.4+deb12u15\nArchitecture: amd64\n";
        let packages = Dpkg
            .catalog(&meta("/var/lib/dpkg/status.d/base-files"), &mut text.as_bytes())
            .unwrap()
            .packages;
        assert_eq!(packages.len(), 1);
        let none = Dpkg
            .catalog(
                &meta("/var/lib/dpkg/status.d/base-files.md5sums"),
                &mut "abc  /x\n".as_bytes(),
            )
            .unwrap();
        assert!(none.packages.is_empty());
    }

    #[test]
    fn a_corrupt_paragraph_is_skipped_with_a_warning_and_the_rest_kept() {
        let text =
            "Package: ok\nStatus: install ok installed\nVersion: 1\n\nStatus: install ok installed\nVersion: 2\n";
        let found = Dpkg
            .catalog(&meta("/var/lib/dpkg/status"), &mut text.as_bytes())
            .unwrap();
        assert_eq!(found.packages.len(), 1);
        assert!(
            found.warnings[0].contains("paragraph 2") && found.warnings[0].contains("no Package field"),
            "{:?}",
            found.warnings
        );
    }
}

/// The analyzer name of [`DpkgCopyright`]'s results.
pub const COPYRIGHT_ANALYZER: &str = "dpkg-copyright";

const MAX_COPYRIGHT_BYTES: u64 = 1024 * 1024;

/// Declared licenses of Debian packages: the `License:` fields of machine-readable
/// (DEP-5) `/usr/share/doc/<package>/copyright` files. Assembly attaches them to the
/// package of that name; free-text copyright files give none.
pub struct DpkgCopyright;

impl drydock_oci::engine::analyzer::Analyzer for DpkgCopyright {
    fn name(&self) -> &'static str {
        COPYRIGHT_ANALYZER
    }

    fn version(&self) -> u32 {
        1
    }

    fn interest(&self) -> Interest {
        Interest {
            globs: vec!["/usr/share/doc/*/copyright".into()],
            max_size: Some(MAX_COPYRIGHT_BYTES),
            ..Default::default()
        }
    }

    fn analyze(&self, entry: &EntryMeta<'_>, content: &mut dyn Read) -> drydock_oci::engine::analyzer::AnalyzerResult {
        let package = entry.path.split('/').nth(4).unwrap_or_default();
        let mut bytes = Vec::new();
        content
            .take(MAX_COPYRIGHT_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("reading: {e}"))?;
        let licenses = copyright_licenses(&String::from_utf8_lossy(&bytes));
        if package.is_empty() || licenses.is_empty() {
            return Ok(None);
        }
        Ok(Some(serde_json::json!({ "package": package, "licenses": licenses })))
    }
}

/// The distinct `License:` short names of a DEP-5 copyright file, in order of appearance.
pub fn copyright_licenses(text: &str) -> Vec<String> {
    let mut licenses: Vec<String> = Vec::new();
    for line in text.lines() {
        let Some(value) = line.strip_prefix("License:") else {
            continue;
        };
        let name = value.trim();
        if !name.is_empty() && !licenses.iter().any(|l| l == name) {
            licenses.push(name.to_string());
        }
    }
    licenses
}

#[cfg(test)]
mod copyright_tests {
    use super::*;

    #[test]
    fn reads_dep5_license_fields_once_each() {
        let text = "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: 2000 A\nLicense: GPL-2+\n\nFiles: lib/*\nLicense: BSD-3-clause\n\nLicense: GPL-2+\n This program is free software\n";
        assert_eq!(copyright_licenses(text), ["GPL-2+", "BSD-3-clause"]);
        assert!(copyright_licenses("This is free text with no fields.\n").is_empty());
    }
}
