//! Core metadata (`METADATA`, `PKG-INFO`): RFC 822-style headers, then an optional body that
//! holds the long description. Only the headers are read.

use std::io::{Cursor, Read};

use drydock_model::Package;

use super::{MAX_METADATA_BYTES, is_valid_name, pypi_package};

/// Where an egg archive keeps its metadata.
const EGG_PKG_INFO: &str = "EGG-INFO/PKG-INFO";

/// The package a METADATA or PKG-INFO file describes.
pub fn parse_metadata(bytes: &[u8]) -> Result<Package, String> {
    let text = String::from_utf8_lossy(bytes);
    let headers = headers(&text);
    let name = single(&headers, "Name").ok_or("no Name field")?;
    let version = single(&headers, "Version").ok_or("no Version field")?;
    if !is_valid_name(name) {
        return Err(format!("invalid Name {name:?}"));
    }
    if version.contains(char::is_whitespace) {
        return Err(format!("invalid Version {version:?}"));
    }
    let mut package = pypi_package(name, version);
    package.licenses = licenses(&headers);
    package.dependencies = dependencies(&headers);
    Ok(package)
}

/// The package of an `.egg` archive, from its `EGG-INFO/PKG-INFO`. Reads at most
/// [`MAX_METADATA_BYTES`] of it whatever the archive claims, so a zip bomb costs nothing.
pub fn parse_egg(bytes: &[u8]) -> Result<Package, String> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("not a readable zip: {e}"))?;
    let entry = archive
        .by_name(EGG_PKG_INFO)
        .map_err(|e| format!("{EGG_PKG_INFO}: {e}"))?;
    if entry.size() > MAX_METADATA_BYTES {
        return Err(format!("{EGG_PKG_INFO} claims {} bytes, over the limit", entry.size()));
    }
    let mut metadata = Vec::new();
    entry
        .take(MAX_METADATA_BYTES + 1)
        .read_to_end(&mut metadata)
        .map_err(|e| format!("{EGG_PKG_INFO}: {e}"))?;
    if metadata.len() as u64 > MAX_METADATA_BYTES {
        return Err(format!("{EGG_PKG_INFO} inflates beyond {MAX_METADATA_BYTES} bytes"));
    }
    parse_metadata(&metadata).map_err(|e| format!("{EGG_PKG_INFO}: {e}"))
}

/// The header fields in order, continuation lines joined with `\n`. Headers end at the first
/// empty line; the body after it is the description.
fn headers(text: &str) -> Vec<(&str, String)> {
    let mut fields: Vec<(&str, String)> = Vec::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = fields.last_mut() {
                value.push('\n');
                value.push_str(line.trim());
            }
        } else if let Some((key, value)) = line.split_once(':') {
            fields.push((key.trim(), value.trim().to_string()));
        }
    }
    fields
}

fn single<'a>(headers: &'a [(&str, String)], name: &'a str) -> Option<&'a str> {
    all(headers, name).next().filter(|v| !v.is_empty())
}

fn all<'a>(headers: &'a [(&str, String)], name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    headers
        .iter()
        .filter(move |(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

/// `License-Expression` (SPDX, metadata 2.4) when present; else a one-line `License` (some
/// packages paste the whole license text there, which is no license name); else the
/// `License ::` classifiers.
fn licenses(headers: &[(&str, String)]) -> Vec<String> {
    if let Some(expression) = single(headers, "License-Expression") {
        return vec![expression.to_string()];
    }
    if let Some(license) = single(headers, "License")
        && !license.contains('\n')
        && !license.eq_ignore_ascii_case("UNKNOWN")
    {
        return vec![license.to_string()];
    }
    let mut from_classifiers: Vec<String> = all(headers, "Classifier")
        .filter_map(|classifier| {
            let mut parts = classifier.split("::").map(str::trim);
            if parts.next() != Some("License") {
                return None;
            }
            // `License :: OSI Approved` alone names no license.
            let last = parts.last()?;
            (last != "OSI Approved").then(|| last.to_string())
        })
        .collect();
    from_classifiers.dedup();
    from_classifiers
}

/// Names from `Requires-Dist`, leaving out requirements that only an extra pulls in.
fn dependencies(headers: &[(&str, String)]) -> Vec<String> {
    let mut names: Vec<String> = all(headers, "Requires-Dist")
        .filter_map(|requirement| {
            let (spec, marker) = requirement.split_once(';').unwrap_or((requirement, ""));
            if marker.contains("extra") {
                return None;
            }
            let name: String = spec
                .trim_start()
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                .collect();
            is_valid_name(&name).then_some(name)
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    const METADATA: &str = "Metadata-Version: 2.1
Name: requests
Version: 2.19.1
Summary: Python HTTP for Humans.
License: Apache 2.0
Classifier: License :: OSI Approved :: Apache Software License
Requires-Dist: chardet (<3.1.0,>=3.0.2)
Requires-Dist: idna (<2.8,>=2.5)
Requires-Dist: urllib3 (<1.24,>=1.21.1)
Requires-Dist: PySocks (!=1.5.7,>=1.5.6) ; extra == 'socks'
Requires-Dist: win-inet-pton ; sys_platform == \"win32\" and python_version == \"2.7\" and extra == 'socks'
Requires-Dist: certifi>=2017.4.17

Name: not-a-header
Requests is an HTTP library.
";

    #[test]
    fn reads_name_version_license_and_dependencies() {
        let package = parse_metadata(METADATA.as_bytes()).unwrap();
        assert_eq!(
            (package.name.as_str(), package.version.as_str()),
            ("requests", "2.19.1")
        );
        assert_eq!(package.purl, "pkg:pypi/requests@2.19.1");
        assert_eq!(package.licenses, ["Apache 2.0"]);
        assert_eq!(package.dependencies, ["certifi", "chardet", "idna", "urllib3"]);
    }

    #[test]
    fn prefers_license_expression_and_falls_back_to_classifiers() {
        let with_expression = "Name: a\nVersion: 1\nLicense-Expression: MIT OR Apache-2.0\nLicense: MIT\n";
        assert_eq!(
            parse_metadata(with_expression.as_bytes()).unwrap().licenses,
            ["MIT OR Apache-2.0"]
        );
        let long_text = "Name: a\nVersion: 1\nLicense: Copyright (c) someone\n        Permission is hereby granted\nClassifier: License :: OSI Approved :: BSD License\nClassifier: License :: OSI Approved\n";
        assert_eq!(parse_metadata(long_text.as_bytes()).unwrap().licenses, ["BSD License"]);
        let unknown = "Name: a\nVersion: 1\nLicense: UNKNOWN\n";
        assert!(parse_metadata(unknown.as_bytes()).unwrap().licenses.is_empty());
    }

    #[test]
    fn keeps_the_name_as_spelled() {
        let package = parse_metadata(b"Name: PyYAML\r\nVersion: 5.3\r\n").unwrap();
        assert_eq!(package.name, "PyYAML");
        assert_eq!(package.purl, "pkg:pypi/pyyaml@5.3");
    }

    #[test]
    fn rejects_metadata_without_name_or_version() {
        assert_eq!(parse_metadata(b"Version: 1.0\n").unwrap_err(), "no Name field");
        assert_eq!(parse_metadata(b"Name: a\nVersion:\n").unwrap_err(), "no Version field");
        assert!(
            parse_metadata(b"Name: a b\nVersion: 1\n")
                .unwrap_err()
                .contains("invalid Name")
        );
        // The body is not headers.
        assert_eq!(
            parse_metadata(b"Name: a\n\nVersion: 1\n").unwrap_err(),
            "no Version field"
        );
        assert_eq!(parse_metadata(&[0xff, 0xfe, 0x00]).unwrap_err(), "no Name field");
    }

    fn egg(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Cursor::new(Vec::new());
        let mut writer = zip::ZipWriter::new(&mut out);
        let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            writer.start_file(*name, options).unwrap();
            writer.write_all(data).unwrap();
        }
        writer.finish().unwrap();
        out.into_inner()
    }

    #[test]
    fn reads_eggs() {
        let bytes = egg(&[
            (
                "EGG-INFO/PKG-INFO",
                b"Metadata-Version: 1.1\nName: zope.interface\nVersion: 5.4.0\n",
            ),
            ("zope/interface/__init__.py", b""),
        ]);
        let package = parse_egg(&bytes).unwrap();
        assert_eq!(package.name, "zope.interface");
        assert_eq!(package.purl, "pkg:pypi/zope-interface@5.4.0");
    }

    #[test]
    fn bad_eggs_are_errors() {
        assert!(
            parse_egg(b"PK\x03\x04 truncated")
                .unwrap_err()
                .contains("not a readable zip")
        );
        let without = egg(&[("x.py", b"")]);
        assert!(parse_egg(&without).unwrap_err().contains(EGG_PKG_INFO));
        let broken = egg(&[("EGG-INFO/PKG-INFO", b"Version: 1\n")]);
        assert!(parse_egg(&broken).unwrap_err().contains("no Name field"));
    }

    #[test]
    fn a_zip_bomb_is_refused_after_a_bounded_read() {
        let zeros = vec![b' '; (MAX_METADATA_BYTES + 1024) as usize];
        let bomb = egg(&[("EGG-INFO/PKG-INFO", &zeros)]);
        assert!(bomb.len() < 1024 * 1024, "deflate squeezes spaces");
        let err = parse_egg(&bomb).unwrap_err();
        assert!(
            err.contains("over the limit") || err.contains("inflates beyond"),
            "{err}"
        );
    }

    #[test]
    fn an_egg_that_understates_its_size_is_still_read_bounded() {
        let zeros = vec![b' '; (MAX_METADATA_BYTES + 1024) as usize];
        let mut bomb = egg(&[("EGG-INFO/PKG-INFO", &zeros)]);
        // Claim 16 bytes in the local header (offset 22) and the central directory (offset 24).
        let claim = 16u32.to_le_bytes();
        bomb[22..26].copy_from_slice(&claim);
        let central = bomb.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap();
        bomb[central + 24..central + 28].copy_from_slice(&claim);
        assert!(parse_egg(&bomb).is_err());
    }
}
