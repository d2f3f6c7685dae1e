//! `drydock db import` and `drydock scan` end to end on the fixture images and the real OSV
//! data shipped in tests/fixtures/vulndb: the findings must be exactly the advisories
//! listed in expected-matches.md (language packages) and expected-debian-nosec.json
//! (Debian packages, matched through their source packages).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use assert_cmd::Command;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> String {
    format!("oci:{}:{name}", root().join("tests/fixtures/images/oci").display())
}

fn vulndb() -> PathBuf {
    root().join("tests/fixtures/vulndb")
}

/// A scratch directory for the layer cache and databases of this file.
fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temp dir")).path()
}

fn drydock(args: &[&str]) -> Output {
    Command::cargo_bin("drydock")
        .expect("the drydock binary")
        .arg("--cache-dir")
        .arg(scratch().join("cache"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1795340280")
        .env_remove("DRYDOCK_DB")
        .current_dir(scratch())
        .output()
        .expect("run drydock")
}

/// The database built from every OSV zip of the fixtures, once per test run.
fn database() -> &'static str {
    static DB: OnceLock<String> = OnceLock::new();
    DB.get_or_init(|| {
        let path = scratch().join("full.ddb");
        let osv = vulndb().join("osv");
        let zips = [
            "PyPI/all.zip",
            "PyPI/ghsa.zip",
            "npm/all.zip",
            "crates.io/all.zip",
            "Debian/all.zip",
        ];
        let mut args = vec![
            "db".to_string(),
            "import".to_string(),
            "--db".to_string(),
            path.display().to_string(),
        ];
        args.extend(zips.iter().map(|zip| osv.join(zip).display().to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = drydock(&args);
        assert!(
            output.status.success(),
            "db import: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        path.display().to_string()
    })
}

fn scan_json(image: &str, extra: &[&str]) -> Value {
    let target = fixture(image);
    let mut args = vec![
        "scan",
        &target,
        "--db",
        database(),
        "--format",
        "json",
        "--db-max-age",
        "0",
    ];
    args.extend_from_slice(extra);
    let output = drydock(&args);
    assert!(
        output.status.success(),
        "scan {image} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the report is JSON")
}

fn findings(report: &Value) -> Vec<&Value> {
    report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|t| t["findings"].as_array().unwrap())
        .collect()
}

/// `(name, version)` → every advisory record id matched for it (all aliased records).
fn matched_records(report: &Value, ecosystem: &str) -> BTreeMap<(String, String), BTreeSet<String>> {
    let mut out: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for finding in findings(report) {
        if finding["package"]["ecosystem"] != ecosystem {
            continue;
        }
        let key = (
            finding["package"]["name"].as_str().unwrap().to_string(),
            finding["package"]["version"].as_str().unwrap().to_string(),
        );
        for evidence in finding["matched_by"].as_array().unwrap() {
            out.entry(key.clone())
                .or_default()
                .insert(evidence["record"].as_str().unwrap().to_string());
        }
    }
    out
}

/// expected-matches.md: `**name version** — N advisories` followed by a table whose rows
/// start with the advisory id.
fn expected_matches() -> BTreeMap<(String, String), BTreeSet<String>> {
    let text = std::fs::read_to_string(vulndb().join("expected-matches.md")).unwrap();
    let mut out: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("**") {
            let heading = rest.split("**").next().unwrap();
            let (name, version) = heading.rsplit_once(' ').unwrap();
            current = Some((name.to_string(), version.to_string()));
            out.entry(current.clone().unwrap()).or_default();
        } else if let (Some(key), Some(row)) = (&current, line.strip_prefix("| ")) {
            let id = row.split(" |").next().unwrap().trim();
            if id != "id" && !id.starts_with("---") && !id.is_empty() {
                out.get_mut(key).unwrap().insert(id.to_string());
            }
        }
    }
    out
}

fn assert_language_matches(image: &str, ecosystem: &str) {
    let report = scan_json(image, &[]);
    let found = matched_records(&report, ecosystem);
    let packages: Vec<(String, String)> = report_packages(image, ecosystem);
    assert!(!packages.is_empty(), "{image} has {ecosystem} packages");
    let expected = expected_matches();
    let mut checked = 0;
    for package in packages {
        // expected-matches.md spells Django's `3.2` as the equal PEP 440 version `3.2.0`, and
        // leaves out the image's own root crate (`demo`), which no advisory names.
        let want = expected
            .iter()
            .find(|((name, version), _)| *name == package.0 && trim_zeros(version) == trim_zeros(&package.1))
            .map(|(_, ids)| ids.clone())
            .unwrap_or_default();
        checked += usize::from(!want.is_empty());
        let got = found.get(&package).cloned().unwrap_or_default();
        assert_eq!(got, want, "{image}: advisories of {} {}", package.0, package.1);
    }
    assert!(checked > 0, "{image}: no package with expected advisories was checked");
}

fn trim_zeros(version: &str) -> &str {
    let mut version = version;
    while let Some(shorter) = version.strip_suffix(".0") {
        version = shorter;
    }
    version
}

/// The packages of one ecosystem the image's expected inventory lists.
fn report_packages(image: &str, ecosystem: &str) -> Vec<(String, String)> {
    let path = root().join(format!("tests/fixtures/images/{image}.expected.json"));
    let expected: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let key = match ecosystem {
        "PyPI" => "python",
        "Cargo" => "rust",
        _ => "npm",
    };
    expected["packages"][key]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn python_packages_get_exactly_the_expected_advisories() {
    assert_language_matches("debian-python", "PyPI");
}

#[test]
fn npm_packages_get_exactly_the_expected_advisories() {
    assert_language_matches("node-app", "Npm");
}

#[test]
fn crates_get_exactly_the_expected_advisories() {
    assert_language_matches("rust-app", "Cargo");
}

#[test]
fn aliased_records_are_one_finding() {
    let report = scan_json("debian-python", &[]);
    let urllib3: Vec<&Value> = findings(&report)
        .into_iter()
        .filter(|f| f["package"]["name"] == "urllib3")
        .collect();
    // PYSEC-2023-212 and GHSA-g4mx-q9vg-27p4 are the same CVE-2023-45803.
    let merged = urllib3
        .iter()
        .find(|f| f["id"] == "CVE-2023-45803")
        .expect("CVE-2023-45803 reported for urllib3");
    let records: BTreeSet<&str> = merged["matched_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["record"].as_str().unwrap())
        .collect();
    assert_eq!(records, BTreeSet::from(["GHSA-g4mx-q9vg-27p4", "PYSEC-2023-212"]));
    let ids: Vec<&Value> = urllib3.iter().map(|f| &f["id"]).collect();
    let unique: BTreeSet<String> = ids.iter().map(|v| v.to_string()).collect();
    assert_eq!(ids.len(), unique.len(), "one finding per vulnerability: {ids:?}");
    assert_eq!(merged["fixed_versions"], serde_json::json!(["1.26.18"]));
    assert_eq!(merged["fix_state"], "fixed");
}

#[test]
fn debian_nosec_gets_exactly_the_expected_debian_advisories() {
    let report = scan_json("debian-nosec", &[]);
    let expected: Value =
        serde_json::from_slice(&std::fs::read(vulndb().join("expected-debian-nosec.json")).unwrap()).unwrap();
    let mut want: BTreeSet<(String, String, String)> = BTreeSet::new();
    for row in expected.as_array().unwrap() {
        for binary in row["binaries"].as_array().unwrap() {
            want.insert((
                binary.as_str().unwrap().to_string(),
                row["source"].as_str().unwrap().to_string(),
                row["id"].as_str().unwrap().to_string(),
            ));
        }
    }
    let mut got: BTreeSet<(String, String, String)> = BTreeSet::new();
    for finding in findings(&report) {
        assert_eq!(finding["package"]["ecosystem"], "Deb");
        for evidence in finding["matched_by"].as_array().unwrap() {
            assert_eq!(evidence["ecosystem"], "Debian:12");
            got.insert((
                finding["package"]["name"].as_str().unwrap().to_string(),
                finding["package"]["source"]["name"].as_str().unwrap().to_string(),
                evidence["record"].as_str().unwrap().to_string(),
            ));
        }
    }
    assert_eq!(want.len(), 16, "the expected file lists 16 binary × advisory pairs");
    assert_eq!(got, want);
    let perl = findings(&report)
        .into_iter()
        .find(|f| f["package"]["name"] == "perl-base")
        .unwrap();
    assert_eq!(perl["fixed_versions"], serde_json::json!(["5.36.0-7+deb12u4"]));
    assert_eq!(report["targets"][0]["name"], "debian 12 (deb)");
}

#[test]
fn updated_images_have_no_debian_findings() {
    for image in [
        "debian-min",
        "debian-python",
        "node-app",
        "rust-app",
        "layers-whiteout",
        "distroless-style",
    ] {
        let report = scan_json(image, &[]);
        let debian: Vec<&Value> = findings(&report)
            .into_iter()
            .filter(|f| f["package"]["ecosystem"] == "Deb")
            .collect();
        assert!(debian.is_empty(), "{image}: {debian:?}");
    }
}

#[test]
fn exit_code_severity_and_unfixed_filters() {
    let target = fixture("rust-app");
    let base = [
        "scan",
        target.as_str(),
        "--db",
        database(),
        "--db-max-age",
        "0",
        "--scanners",
        "vuln",
    ];
    let with = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        drydock(&args)
    };
    assert_eq!(with(&["--exit-code", "3"]).status.code(), Some(3));
    assert_eq!(with(&[]).status.code(), Some(0));
    // RUSTSEC-2022-0013 (regex) is high, the others are not critical.
    let critical_only = with(&["--exit-code", "3", "--severity", "critical", "--format", "json"]);
    let report: Value = serde_json::from_slice(&critical_only.stdout).unwrap();
    assert!(findings(&report).iter().all(|f| f["severity"] == "critical"));
    assert_eq!(
        critical_only.status.code(),
        Some(if findings(&report).is_empty() { 0 } else { 3 })
    );
    let table = with(&[]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("RUSTSEC-2022-0013") || text.contains("CVE-2022-24713"),
        "{text}"
    );
}

#[test]
fn ignore_files_and_vex_suppress_with_their_reasons() {
    let ignore = scratch().join("ignore.txt");
    std::fs::write(
        &ignore,
        "CVE-2022-24713 # regex is only fed our own patterns\nCVE-2020-26235 exp:2020-01-01 # long expired\n",
    )
    .unwrap();
    let vex = scratch().join("smallvec.vex.json");
    std::fs::write(
        &vex,
        r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"t","timestamp":"2026-11-22T00:00:00Z","version":1,
            "statements":[{"vulnerability":{"name":"RUSTSEC-2021-0003"},"products":[{"@id":"pkg:cargo/smallvec@1.6.0"}],
            "status":"not_affected","justification":"vulnerable_code_not_in_execute_path"}]}"#,
    )
    .unwrap();
    let ignore = ignore.display().to_string();
    let vex = vex.display().to_string();
    let report = scan_json(
        "rust-app",
        &["--ignore-file", &ignore, "--vex", &vex, "--exit-code", "0"],
    );
    let by_package: BTreeMap<&str, &Value> = findings(&report)
        .into_iter()
        .map(|f| (f["package"]["name"].as_str().unwrap(), f))
        .collect();
    assert_eq!(by_package["regex"]["suppressed"]["source"], "ignore-file");
    assert_eq!(
        by_package["regex"]["suppressed"]["justification"],
        "regex is only fed our own patterns"
    );
    assert_eq!(by_package["smallvec"]["suppressed"]["source"], "vex");
    assert_eq!(
        by_package["smallvec"]["suppressed"]["justification"],
        "vulnerable_code_not_in_execute_path"
    );
    assert!(
        by_package["time"].get("suppressed").is_none(),
        "an expired rule no longer suppresses"
    );
    let warnings = report["warnings"].to_string();
    assert!(warnings.contains("expired on 2020-01-01"), "{warnings}");
    // Everything left is suppressed except `time`: --exit-code fires because of it alone.
    let target = fixture("rust-app");
    let output = drydock(&[
        "scan",
        &target,
        "--db",
        database(),
        "--db-max-age",
        "0",
        "--ignore-file",
        &ignore,
        "--vex",
        &vex,
        "--exit-code",
        "4",
    ]);
    assert_eq!(output.status.code(), Some(4));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        !text.contains("RUSTSEC-2021-0003") && !text.contains("CVE-2021-25900"),
        "{text}"
    );
}

#[test]
fn sbom_targets_are_scanned_like_the_image() {
    let sbom = scratch().join("node-app.cdx.json");
    let target = fixture("node-app");
    let output = drydock(&["sbom", &target, "--output", &sbom.display().to_string()]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let from_sbom = format!("sbom:{}", sbom.display());
    let output = drydock(&[
        "scan",
        &from_sbom,
        "--db",
        database(),
        "--format",
        "json",
        "--db-max-age",
        "0",
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let image = scan_json("node-app", &[]);
    assert_eq!(matched_records(&report, "Npm"), matched_records(&image, "Npm"));
}

#[test]
fn a_missing_or_corrupt_database_says_what_to_do() {
    let target = fixture("rust-app");
    let missing = scratch().join("nowhere.ddb").display().to_string();
    let output = drydock(&["scan", &target, "--db", &missing]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("drydock db update"));
    let corrupt = scratch().join("corrupt.ddb");
    let mut bytes = std::fs::read(database()).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&corrupt, bytes).unwrap();
    let output = drydock(&["scan", &target, "--db", &corrupt.display().to_string()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("corrupt") && stderr.contains("checksum"), "{stderr}");
}

#[test]
fn db_status_lists_sources_and_counts() {
    let output = drydock(&["db", "status", "--db", database(), "--format", "json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let status: Value = serde_json::from_slice(&output.stdout).unwrap();
    let sources = status["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 5);
    let records: u64 = sources.iter().map(|s| s["records"].as_u64().unwrap()).sum();
    assert_eq!(records, status["records"].as_u64().unwrap());
    // Withdrawn records are left out: the README counts 10 in pypa and 13 in RustSec.
    assert_eq!(status["withdrawn"], 23);
    // The age warning: a database older than --db-max-age is reported as stale.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let stale = drydock(&["db", "status", "--db", database(), "--db-max-age", "1s"]);
    assert!(stale.status.success());
    assert!(String::from_utf8_lossy(&stale.stderr).contains("drydock db update"));
    let fresh = drydock(&["db", "status", "--db", database(), "--db-max-age", "7d"]);
    assert!(!String::from_utf8_lossy(&fresh.stderr).contains("drydock db update"));
}

#[test]
fn secrets_and_misconfiguration_come_in_the_same_report() {
    let report = scan_json("misconfig", &[]);
    let rules: BTreeSet<&str> = report["checks"]
        .as_array()
        .expect("check findings")
        .iter()
        .map(|c| c["rule"].as_str().unwrap())
        .collect();
    assert!(rules.iter().any(|r| r.starts_with("DD-SEC-")), "{rules:?}");
    assert!(rules.iter().any(|r| r.starts_with("DD-IMG-")), "{rules:?}");
    // Without the vulnerability scanner no database is needed.
    let target = fixture("misconfig");
    let missing = scratch().join("absent.ddb").display().to_string();
    let output = drydock(&[
        "scan",
        &target,
        "--db",
        &missing,
        "--scanners",
        "misconfig",
        "--format",
        "json",
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let only_misconfig: Value = serde_json::from_slice(&output.stdout).unwrap();
    let checks = only_misconfig["checks"].as_array().unwrap();
    assert!(
        !checks.is_empty()
            && checks
                .iter()
                .all(|c| c["rule"].as_str().unwrap().starts_with("DD-IMG-"))
    );
    assert!(findings(&only_misconfig).is_empty());
}

#[test]
fn project_directories_are_scanned_through_their_lockfiles() {
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join("requirements.txt"),
        "Django==3.2\nrequests==2.32.3\n",
    )
    .unwrap();
    std::fs::write(
        project.path().join("Cargo.lock"),
        "version = 3\n\n[[package]]\nname = \"smallvec\"\nversion = \"1.6.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    )
    .unwrap();
    let target = format!("fs:{}", project.path().display());
    let output = drydock(&[
        "scan",
        &target,
        "--db",
        database(),
        "--format",
        "json",
        "--db-max-age",
        "0",
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let django = matched_records(&report, "PyPI");
    assert_eq!(django[&("Django".to_string(), "3.2".to_string())].len(), 25);
    assert!(!django.contains_key(&("requests".to_string(), "2.32.3".to_string())));
    let crates = matched_records(&report, "Cargo");
    assert_eq!(
        crates[&("smallvec".to_string(), "1.6.0".to_string())],
        BTreeSet::from(["RUSTSEC-2021-0003".to_string()])
    );
    let names: Vec<&str> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(names.iter().any(|n| n.ends_with("/requirements.txt")), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with("/Cargo.lock")), "{names:?}");
}
