//! SBOMs of every fixture image, in both formats: they validate against the official JSON
//! schemas (tests/fixtures/schemas, checked by python-jsonschema through `validate.py`
//! there), and read back into the very packages of the inventory they were written from.

#[allow(dead_code)]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use drydock_catalog::TargetKind;
use drydock_catalog::sbom::{self, SbomDocument, SbomFormat, Subject};
use drydock_model::{Ecosystem, Inventory, OsRelease, Package, PackageLocation, SourcePackage};
use drydock_oci::{ImageRef, OpenOptions, ScanOptions};

/// The image names of the shared fixture layout.
fn fixture_names() -> Vec<String> {
    let index: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(common::fixtures().join("oci/index.json")).unwrap()).unwrap();
    let names: Vec<String> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["annotations"]["org.opencontainers.image.ref.name"].as_str())
        .map(str::to_string)
        .collect();
    assert!(names.len() >= 8, "{names:?}");
    names
}

fn scan(name: &str) -> (Inventory, Subject) {
    let text = format!("oci:{}:{name}", common::fixtures().join("oci").display());
    let reference: ImageRef = text.parse().unwrap();
    let opened = drydock_oci::open(&reference, &text, &OpenOptions::default()).unwrap();
    let options = ScanOptions {
        cache: None,
        ..ScanOptions::default()
    };
    let scan = drydock_oci::scan(opened, &drydock_catalog::analyzers(), &options).unwrap();
    let inventory = drydock_catalog::inventory(&scan);
    let subject = Subject::new(&text, &reference, &scan.description, TargetKind::Image);
    (inventory, subject)
}

fn render(format: SbomFormat, inventory: &Inventory, subject: &Subject) -> Vec<u8> {
    let document = SbomDocument {
        inventory,
        subject,
        tool_version: "0.1.0",
        created: 1_795_340_280,
    };
    sbom::render(format, &document).unwrap()
}

/// Runs the schema validator on `files`; panics with its report when any is invalid.
fn validate(schema: &str, files: &[PathBuf]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/schemas/validate.py");
    let output = Command::new("python3")
        .arg(&script)
        .arg(schema)
        .args(files)
        .output()
        .expect("python3 must be installed to validate SBOMs against the schemas");
    assert!(
        output.status.success(),
        "{schema} schema validation failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Everything of a package an SBOM carries exactly, in both formats.
fn core(package: &Package) -> (String, String, Ecosystem, String, Vec<PackageLocation>) {
    (
        package.name.clone(),
        package.version.clone(),
        package.ecosystem,
        package.purl.clone(),
        package.locations.clone(),
    )
}

/// Reads `bytes` back and compares with `inventory`; `licenses_exact` for CycloneDX,
/// which keeps each declared license apart.
fn assert_reads_back(label: &str, bytes: &[u8], inventory: &Inventory, licenses_exact: bool) {
    let read = sbom::read(bytes, label).unwrap_or_else(|e| panic!("{label}: {e}"));
    assert!(read.warnings.is_empty(), "{label}: {:?}", read.warnings);
    assert_eq!(read.os, inventory.os, "{label}: OS");
    let expected: Vec<_> = inventory.packages.iter().map(core).collect();
    let got: Vec<_> = read.packages.iter().map(core).collect();
    assert_eq!(got, expected, "{label}: name, version, ecosystem, purl, locations");
    for (back, original) in read.packages.iter().zip(&inventory.packages) {
        let what = format!("{label}: {}", original.purl);
        assert_eq!(back.source, original.source, "{what}");
        assert_eq!(back.found_by, original.found_by, "{what}");
        assert_eq!(back.properties, original.properties, "{what}");
        if licenses_exact || original.licenses.len() < 2 {
            let mut licenses = original.licenses.clone();
            licenses.retain(|l| !l.trim().is_empty());
            assert_eq!(back.licenses, licenses, "{what}");
        }
        for dependency in &back.dependencies {
            assert!(original.dependencies.contains(dependency), "{what}: {dependency}");
        }
    }
}

#[test]
fn fixture_sboms_validate_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut cyclonedx_files = Vec::new();
    let mut spdx_files = Vec::new();
    let mut with_dependencies = 0;
    for name in fixture_names() {
        let (inventory, subject) = scan(&name);
        assert!(!inventory.packages.is_empty(), "{name}");
        let cyclonedx = render(SbomFormat::CycloneDx, &inventory, &subject);
        assert_eq!(
            cyclonedx,
            render(SbomFormat::CycloneDx, &inventory, &subject),
            "{name}: deterministic"
        );
        assert_reads_back(&format!("{name}.cdx.json"), &cyclonedx, &inventory, true);
        let spdx = render(SbomFormat::Spdx, &inventory, &subject);
        assert_reads_back(&format!("{name}.spdx.json"), &spdx, &inventory, false);
        let bom: serde_json::Value = serde_json::from_slice(&cyclonedx).unwrap();
        assert_eq!(
            bom["metadata"]["component"]["version"].as_str(),
            subject.digest.as_ref().map(|d| d.to_string()).as_deref(),
            "{name}"
        );
        let has_graph = bom["dependencies"].as_array().is_some_and(|d| !d.is_empty());
        if inventory.packages.len() > 10 {
            assert!(has_graph, "{name}: dpkg's Depends give a dependency graph");
            with_dependencies += 1;
        }
        let path = dir.path().join(format!("{name}.cdx.json"));
        std::fs::write(&path, &cyclonedx).unwrap();
        cyclonedx_files.push(path);
        let path = dir.path().join(format!("{name}.spdx.json"));
        std::fs::write(&path, &spdx).unwrap();
        spdx_files.push(path);
    }
    assert!(with_dependencies >= 7, "{with_dependencies}");
    let (synthetic, subject) = synthetic();
    for (format, files) in [
        (SbomFormat::CycloneDx, &mut cyclonedx_files),
        (SbomFormat::Spdx, &mut spdx_files),
    ] {
        let bytes = render(format, &synthetic, &subject);
        assert_reads_back(
            &format!("synthetic {format:?}"),
            &bytes,
            &synthetic,
            format == SbomFormat::CycloneDx,
        );
        let path = dir.path().join(format!("synthetic-{format:?}.json"));
        std::fs::write(&path, bytes).unwrap();
        files.push(path);
    }
    validate("cyclonedx", &cyclonedx_files);
    validate("spdx", &spdx_files);
}

/// An inventory with what the fixtures lack: every ecosystem, licenses of every form,
/// several locations, a sha1, odd characters in names, and an empty subject digest.
fn synthetic() -> (Inventory, Subject) {
    let location = |path: &str, layer: Option<usize>| PackageLocation {
        path: path.to_string(),
        layer,
        layer_diff_id: layer.map(|l| format!("sha256:{}", l.to_string().repeat(64)).parse().unwrap()),
    };
    let mut packages = Vec::new();
    let mut rpm = Package::new(Ecosystem::Rpm, "glibc", "2.34-60.el9");
    rpm.source = Some(SourcePackage {
        name: "glibc".into(),
        version: "2.34-60.el9".into(),
    });
    rpm.licenses = vec!["LGPLv2+ and GPLv2+ with exceptions".into()];
    rpm.properties.insert("epoch".into(), "2".into());
    packages.push(rpm);
    let mut npm = Package::new(Ecosystem::Npm, "@types/node", "20.1.0");
    npm.purl = "pkg:npm/%40types/node@20.1.0".into();
    npm.licenses = vec!["(MIT OR Apache-2.0)".into()];
    npm.locations = vec![
        location("/app/node_modules/@types/node/package.json", Some(1)),
        location("/app/package-lock.json", Some(2)),
    ];
    npm.found_by = vec!["npm-installed".into(), "npm-lock".into()];
    npm.dependencies = vec!["undici-types".into()];
    packages.push(npm);
    let mut undici = Package::new(Ecosystem::Npm, "undici-types", "5.26.5");
    undici.licenses = vec![
        "MIT".into(),
        "Custom license with ümlauts & spaces".into(),
        "MIT OR ISC".into(),
    ];
    undici.locations = vec![location("/app/package-lock.json", Some(2))];
    packages.push(undici);
    let mut jar = Package::new(Ecosystem::Maven, "org.apache.logging.log4j:log4j-core", "2.14.1");
    jar.purl = "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1".into();
    jar.properties
        .insert("sha1".into(), "9c6d4c4d0e1b2d4d28bf4bfbdbc8a1cc7ce4f3a1".into());
    jar.licenses = vec!["Apache-2.0".into()];
    packages.push(jar);
    let mut go = Package::new(Ecosystem::Go, "github.com/gorilla/mux", "v1.8.0");
    go.purl = "pkg:golang/github.com/gorilla/mux@v1.8.0".into();
    packages.push(go);
    for (ecosystem, name, version) in [
        (Ecosystem::Apk, "musl", "1.2.5-r0"),
        (Ecosystem::Cargo, "regex", "1.5.4"),
        (Ecosystem::RubyGems, "rails", "7.0.0"),
        (Ecosystem::Packagist, "monolog/monolog", "3.0.0"),
        (Ecosystem::NuGet, "Newtonsoft.Json", "13.0.1"),
        (Ecosystem::PyPI, "Zope.Interface", "6.0"),
    ] {
        let mut package = Package::new(ecosystem, name, version);
        if ecosystem == Ecosystem::Packagist {
            package.purl = "pkg:composer/monolog/monolog@3.0.0".into();
        }
        if ecosystem == Ecosystem::PyPI {
            package.purl = "pkg:pypi/zope-interface@6.0".into();
        }
        packages.push(package);
    }
    packages.sort_by(|a, b| (a.ecosystem, &a.name, &a.version).cmp(&(b.ecosystem, &b.name, &b.version)));
    let inventory = Inventory {
        os: Some(OsRelease {
            id: "rhel".into(),
            version_id: Some("9.4".into()),
            id_like: vec!["fedora".into()],
            path: "/etc/os-release".into(),
            ..OsRelease::default()
        }),
        packages,
        warnings: Vec::new(),
    };
    let subject = Subject {
        name: "fs:/tmp/a project (copy)".into(),
        kind: TargetKind::Project,
        digest: None,
        purl: None,
        properties: Vec::new(),
    };
    (inventory, subject)
}
