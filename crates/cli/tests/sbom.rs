//! `drydock sbom`: every format on real fixture images, `--output`, the `fs:` and `rootfs:`
//! targets on directories made here, and a bad target.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use assert_cmd::Command;
use serde_json::Value;

fn fixture(name: &str) -> String {
    let layout = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images/oci");
    format!("oci:{}:{name}", layout.display())
}

/// The layer cache shared by the tests of this file.
fn cache() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temp dir")).path()
}

fn drydock(args: &[&str]) -> Output {
    Command::cargo_bin("drydock")
        .expect("the drydock binary")
        .arg("--cache-dir")
        .arg(cache())
        .arg("sbom")
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1795340280")
        .output()
        .expect("run drydock")
}

fn sbom(args: &[&str]) -> Value {
    let output = drydock(args);
    assert!(
        output.status.success(),
        "drydock sbom {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the SBOM is JSON")
}

/// `(purl type, name, version)` of every package, as each format lists them.
fn packages_of(document: &Value) -> Vec<(String, String, String)> {
    let entries: Vec<(String, String, String)> = if document["bomFormat"] == "CycloneDX" {
        document["components"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["type"] == "library")
            .map(|c| {
                (
                    c["purl"].as_str().unwrap(),
                    c["name"].as_str().unwrap(),
                    c["version"].as_str().unwrap(),
                )
            })
            .map(|(purl, name, version)| (purl_type(purl), name.to_string(), version.to_string()))
            .collect()
    } else if document["spdxVersion"] == "SPDX-2.3" {
        document["packages"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| {
                let purl = p["externalRefs"][0]["referenceLocator"].as_str()?;
                Some((
                    purl_type(purl),
                    p["name"].as_str().unwrap().to_string(),
                    p["versionInfo"].as_str().unwrap().to_string(),
                ))
            })
            .collect()
    } else {
        document["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                (
                    purl_type(p["purl"].as_str().unwrap()),
                    p["name"].as_str().unwrap().to_string(),
                    p["version"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let mut entries = entries;
    entries.sort();
    entries
}

/// Validates documents against the official schemas (tests/fixtures/schemas/validate.py).
fn validate(schema: &str, documents: &[&Value]) {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (i, document) in documents.iter().enumerate() {
        let path = dir.path().join(format!("{i}.json"));
        std::fs::write(&path, serde_json::to_vec(document).unwrap()).unwrap();
        files.push(path);
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/schemas/validate.py");
    let output = std::process::Command::new("python3")
        .arg(script)
        .arg(schema)
        .args(&files)
        .output()
        .expect("python3 must be installed to validate SBOMs against the schemas");
    assert!(
        output.status.success(),
        "{schema}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn purl_type(purl: &str) -> String {
    purl.trim_start_matches("pkg:").split('/').next().unwrap().to_string()
}

#[test]
fn every_format_lists_the_same_packages() {
    for (image, types) in [("node-app", ["deb", "npm"]), ("debian-python", ["deb", "pypi"])] {
        let target = fixture(image);
        let default = sbom(&[&target]);
        assert_eq!(default["bomFormat"], "CycloneDX", "{image}: CycloneDX by default");
        assert_eq!(default["specVersion"], "1.6");
        assert_eq!(
            default["metadata"]["timestamp"], "2026-11-22T09:38:00Z",
            "SOURCE_DATE_EPOCH"
        );
        assert_eq!(default["metadata"]["component"]["type"], "container");
        let cyclonedx = sbom(&[&target, "--format", "cyclonedx"]);
        assert_eq!(cyclonedx, default, "{image}: deterministic");
        let spdx = sbom(&[&target, "--format", "spdx"]);
        assert_eq!(spdx["spdxVersion"], "SPDX-2.3");
        assert_eq!(spdx["creationInfo"]["created"], "2026-11-22T09:38:00Z");
        let json = sbom(&[&target, "--format", "json"]);
        assert_eq!(json["os"]["id"], "debian");
        let listed = packages_of(&json);
        for kind in types {
            assert!(listed.iter().any(|(t, _, _)| t == kind), "{image}: no {kind} package");
        }
        assert_eq!(packages_of(&cyclonedx), listed, "{image}: CycloneDX");
        assert_eq!(packages_of(&spdx), listed, "{image}: SPDX");
    }
}

#[test]
fn output_goes_to_the_file_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sbom.spdx.json");
    let path_text = path.to_str().unwrap();
    let output = drydock(&[&fixture("distroless-style"), "--format", "spdx", "--output", path_text]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(output.stdout.is_empty(), "nothing on stdout with --output");
    let written: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(written["spdxVersion"], "SPDX-2.3");
    assert_eq!(
        packages_of(&written).len(),
        3,
        "distroless-style: base-files, libc6, tzdata"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "no temporary file left"
    );
}

/// A directory holding a dpkg status file, an npm lockfile and a Cargo.lock.
fn mixed_tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let full: PathBuf = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    };
    write(
        "var/lib/dpkg/status",
        "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nSource: glibc\nVersion: 2.36-9+deb12u14\n\n\
         Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\nDepends: libc6 (>= 2.14)\n",
    );
    write(
        "app/package-lock.json",
        r#"{"name": "demo", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
            "packages": {"": {"name": "demo", "version": "1.0.0", "dependencies": {"lodash": "^4.17.21"}},
                         "node_modules/lodash": {"version": "4.17.21", "license": "MIT"}}}"#,
    );
    write(
        "src/demo/Cargo.lock",
        "version = 3\n\n[[package]]\nname = \"demo\"\nversion = \"0.1.0\"\ndependencies = [\n \"regex\",\n]\n\n\
         [[package]]\nname = \"regex\"\nversion = \"1.5.4\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    );
    dir
}

#[test]
fn fs_targets_read_declarations_only() {
    let tree = mixed_tree();
    let target = format!("fs:{}", tree.path().display());
    let listed = packages_of(&sbom(&[&target, "--format", "json"]));
    assert!(
        listed.contains(&("npm".into(), "lodash".into(), "4.17.21".into())),
        "{listed:?}"
    );
    assert!(
        listed.contains(&("cargo".into(), "regex".into(), "1.5.4".into())),
        "{listed:?}"
    );
    assert!(
        !listed.iter().any(|(t, _, _)| t == "deb"),
        "no installed packages: {listed:?}"
    );
    let bom = sbom(&[&target]);
    assert_eq!(bom["metadata"]["component"]["type"], "application");
    assert_eq!(bom["metadata"]["component"]["name"], target);
    validate("cyclonedx", &[&bom]);
    validate("spdx", &[&sbom(&[&target, "--format", "spdx"])]);
}

#[test]
fn rootfs_targets_read_installed_packages_only() {
    let tree = mixed_tree();
    let target = format!("rootfs:{}", tree.path().display());
    let json = sbom(&[&target, "--format", "json"]);
    assert_eq!(
        packages_of(&json),
        [
            ("deb".into(), "libc6".into(), "2.36-9+deb12u14".into()),
            ("deb".into(), "zlib1g".into(), "1:1.2.13.dfsg-1".into())
        ],
        "no lockfile packages"
    );
    let zlib = &json["packages"][1];
    assert_eq!(zlib["source"]["name"], "zlib");
    assert_eq!(zlib["locations"][0]["path"], "/var/lib/dpkg/status");
    let bom = sbom(&[&target]);
    assert_eq!(bom["metadata"]["component"]["type"], "file");
    let zlib_ref = bom["components"][1]["bom-ref"].clone();
    assert_eq!(bom["dependencies"][0]["ref"], zlib_ref);
    assert_eq!(bom["dependencies"][0]["dependsOn"][0], bom["components"][0]["bom-ref"]);
    validate("cyclonedx", &[&bom]);
    validate("spdx", &[&sbom(&[&target, "--format", "spdx"])]);
}

#[test]
fn a_bad_target_fails_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.json");
    let missing = dir.path().join("missing");
    for target in [
        format!("oci:{}:nothing", missing.display()),
        format!("fs:{}", missing.display()),
        "fs:".to_string(),
        fixture("no-such-image"),
    ] {
        let output = drydock(&[&target, "--output", path.to_str().unwrap()]);
        assert_eq!(output.status.code(), Some(1), "{target}");
        assert!(output.stdout.is_empty(), "{target}");
        assert!(String::from_utf8_lossy(&output.stderr).contains("error"), "{target}");
        assert!(!path.exists(), "{target}: no output file");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "{target}: no temporary file"
        );
    }
    let output = drydock(&[&fixture("debian-min"), "--format", "xml"]);
    assert_eq!(output.status.code(), Some(2), "clap rejects an unknown format");
}
