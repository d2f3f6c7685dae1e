//! Import of real and broken OSV data, the store's integrity checks, and matching rules
//! (ranges, versions lists, releases, aliases, malware) on small hand-written records.

use std::io::Write;
use std::path::{Path, PathBuf};

use drydock_advisory::import::Importer;
use drydock_advisory::matcher::match_inventory;
use drydock_advisory::{AdvisoryError, Database};
use drydock_model::{Ecosystem, FindingKind, FixState, Inventory, OsRelease, Package, Severity, SourcePackage};

fn osv_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/vulndb/osv")
}

/// A store built from in-memory records.
fn store(records: &[&str]) -> Database {
    let mut importer = Importer::new("2026-11-22T00:00:00Z").unwrap();
    for (index, record) in records.iter().enumerate() {
        importer.add_json(record.as_bytes(), &format!("record-{index}.json"));
    }
    let (bytes, _) = importer.finish_in_memory("test").unwrap();
    Database::from_vec(Path::new("test.ddb"), bytes).unwrap()
}

fn inventory(os: Option<(&str, &str)>, packages: Vec<Package>) -> Inventory {
    Inventory {
        os: os.map(|(id, version)| OsRelease {
            id: id.into(),
            version_id: Some(version.into()),
            ..OsRelease::default()
        }),
        packages,
        warnings: Vec::new(),
    }
}

fn deb(name: &str, version: &str, source: &str, source_version: &str) -> Package {
    let mut package = Package::new(Ecosystem::Deb, name, version);
    package.source = Some(SourcePackage {
        name: source.into(),
        version: source_version.into(),
    });
    package
}

fn ids(database: &Database, inventory: &Inventory) -> Vec<(String, String)> {
    let matches = match_inventory(database, inventory).unwrap();
    let mut out = Vec::new();
    for found in &matches.packages {
        for finding in &found.findings {
            out.push((inventory.packages[found.package].name.clone(), finding.id.clone()));
        }
    }
    out.sort();
    out
}

const LODASH: &str = r#"{"id":"GHSA-p6mc-m468-83gw","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2020-8203"],
  "summary":"Prototype Pollution in lodash","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:H/A:H"}],
  "affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"3.7.0"},{"fixed":"4.17.19"}]}]}]}"#;

#[test]
fn ranges_include_introduced_and_exclude_fixed() {
    let db = store(&[LODASH]);
    for (version, affected) in [
        ("3.6.9", false),
        ("3.7.0", true),
        ("4.17.18", true),
        ("4.17.19", false),
        ("5.0.0", false),
    ] {
        let found = ids(
            &db,
            &inventory(None, vec![Package::new(Ecosystem::Npm, "lodash", version)]),
        );
        assert_eq!(!found.is_empty(), affected, "lodash {version}");
    }
    // npm names are case-sensitive.
    assert!(
        ids(
            &db,
            &inventory(None, vec![Package::new(Ecosystem::Npm, "Lodash", "4.0.0")])
        )
        .is_empty()
    );
}

#[test]
fn last_affected_limit_and_unsorted_events() {
    let record = r#"{"id":"X-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"Some_Pkg"},
      "ranges":[{"type":"ECOSYSTEM","events":[{"last_affected":"2.0"},{"introduced":"1.0"},{"introduced":"3.0"},{"limit":"3.5"}]}]}]}"#;
    let db = store(&[record]);
    for (version, affected) in [
        ("0.9", false),
        ("1.0", true),
        ("2.0", true),
        ("2.0.1", false),
        ("3.1", true),
        ("3.5", false),
        ("4", false),
    ] {
        let found = ids(
            &db,
            &inventory(None, vec![Package::new(Ecosystem::PyPI, "some.pkg", version)]),
        );
        assert_eq!(!found.is_empty(), affected, "some.pkg {version}");
    }
}

#[test]
fn versions_lists_match_equal_versions() {
    let record = r#"{"id":"PYSEC-1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"django"},"versions":["3.2","3.2.1"]}]}"#;
    let db = store(&[record]);
    assert_eq!(
        ids(
            &db,
            &inventory(None, vec![Package::new(Ecosystem::PyPI, "Django", "3.2.0")])
        )
        .len(),
        1
    );
    assert!(
        ids(
            &db,
            &inventory(None, vec![Package::new(Ecosystem::PyPI, "Django", "3.2.2")])
        )
        .is_empty()
    );
}

#[test]
fn distribution_records_match_by_source_package_and_release() {
    let record = r#"{"id":"DEBIAN-CVE-2023-4911","modified":"2024-01-01T00:00:00Z","upstream":["CVE-2023-4911"],
      "affected":[{"package":{"ecosystem":"Debian:12","name":"glibc"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.36-9+deb12u3"}]}]},
                  {"package":{"ecosystem":"Debian:11","name":"glibc"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.31-13+deb11u7"}]}]}]}"#;
    let db = store(&[record]);
    let old = deb("libc6", "2.36-9+deb12u1", "glibc", "2.36-9+deb12u1");
    let fixed = deb("libc6", "2.36-9+deb12u3", "glibc", "2.36-9+deb12u3");
    assert_eq!(
        ids(&db, &inventory(Some(("debian", "12")), vec![old.clone(), fixed])),
        [("libc6".to_string(), "CVE-2023-4911".to_string())]
    );
    // Debian 11's range says nothing about a Debian 12 system, and vice versa.
    let bullseye = deb("libc6", "2.31-13+deb11u7", "glibc", "2.31-13+deb11u7");
    assert!(ids(&db, &inventory(Some(("debian", "11")), vec![bullseye])).is_empty());
    // A binary named like the source does not match when its source differs.
    let unrelated = deb("glibc", "1.0", "other", "1.0");
    assert!(ids(&db, &inventory(Some(("debian", "12")), vec![unrelated])).is_empty());
    // Without os-release there is no release to match against: a warning, no guess.
    let matches = match_inventory(&db, &inventory(None, vec![old])).unwrap();
    assert!(matches.packages.is_empty());
    assert!(matches.warnings[0].message.contains("operating system is unknown"));
}

#[test]
fn aliases_merge_and_severity_comes_from_cvss_or_rating() {
    let pysec = r#"{"id":"PYSEC-2023-212","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2023-45803","GHSA-g4mx-q9vg-27p4"],
      "affected":[{"package":{"ecosystem":"PyPI","name":"urllib3"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.26.18"}]}]}]}"#;
    let ghsa = r#"{"id":"GHSA-g4mx-q9vg-27p4","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2023-45803"],
      "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:A/AC:H/PR:H/UI:R/S:U/C:H/I:N/A:N"}],"database_specific":{"severity":"MODERATE"},
      "affected":[{"package":{"ecosystem":"PyPI","name":"urllib3"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.26.18"}]},
                   {"type":"ECOSYSTEM","events":[{"introduced":"2.0.0"},{"fixed":"2.0.7"}]}]}]}"#;
    let rated = r#"{"id":"GHSA-only-rating","modified":"2024-01-01T00:00:00Z","database_specific":{"severity":"HIGH"},
      "affected":[{"package":{"ecosystem":"PyPI","name":"urllib3"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}"#;
    let db = store(&[pysec, ghsa, rated]);
    let inventory = inventory(None, vec![Package::new(Ecosystem::PyPI, "urllib3", "1.24.1")]);
    let matches = match_inventory(&db, &inventory).unwrap();
    let findings = &matches.packages[0].findings;
    assert_eq!(findings.len(), 2);
    let merged = findings.iter().find(|f| f.id == "CVE-2023-45803").unwrap();
    assert_eq!(merged.aliases, ["GHSA-g4mx-q9vg-27p4", "PYSEC-2023-212"]);
    assert_eq!(merged.matched_by.len(), 2);
    assert_eq!(merged.severity, Severity::Medium); // CVSS 4.2 wins over the rating word
    assert_eq!(merged.fixed_versions, ["1.26.18"]);
    let unfixed = findings.iter().find(|f| f.id == "GHSA-only-rating").unwrap();
    assert_eq!(
        (unfixed.severity, unfixed.fix_state),
        (Severity::High, FixState::NotFixed)
    );
}

#[test]
fn malware_records_are_malware() {
    let record = r#"{"id":"MAL-2024-1234","modified":"2024-01-01T00:00:00Z","summary":"Malicious code in evil-pkg",
      "affected":[{"package":{"ecosystem":"npm","name":"evil-pkg"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}]}]}"#;
    let db = store(&[record]);
    let inventory = inventory(None, vec![Package::new(Ecosystem::Npm, "evil-pkg", "1.0.0")]);
    let matches = match_inventory(&db, &inventory).unwrap();
    assert_eq!(matches.packages[0].findings[0].kind, FindingKind::Malware);
}

#[test]
fn unparseable_installed_versions_are_reported_not_guessed() {
    let db = store(&[LODASH]);
    let matches = match_inventory(
        &db,
        &inventory(None, vec![Package::new(Ecosystem::Npm, "lodash", "not a version")]),
    )
    .unwrap();
    assert!(matches.packages.is_empty());
    assert!(
        matches.warnings[0].message.contains("cannot be read"),
        "{:?}",
        matches.warnings
    );
}

#[test]
fn malformed_records_are_skipped_with_the_file_and_id() {
    let mut importer = Importer::new("2026-11-22T00:00:00Z").unwrap();
    importer.add_json(b"{not json", "broken.json");
    importer.add_json(br#"{"id":"BAD-EVENT","affected":[{"package":{"ecosystem":"PyPI","name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0","fixed":"1"}]}]}]}"#, "two-kinds.json");
    importer.add_json(br#"{"id":"BAD-VERSION","affected":[{"package":{"ecosystem":"PyPI","name":"x"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"not..a..version!"}]}]}]}"#, "bad-version.json");
    importer.add_json(
        br#"{"id":"ODD-ECO","affected":[{"package":{"ecosystem":"Martian","name":"x"},"versions":["1"]}]}"#,
        "odd.json",
    );
    importer.add_json(br#"{"id":"GONE","withdrawn":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"PyPI","name":"x"},"versions":["1"]}]}"#, "gone.json");
    importer.add_json(LODASH.as_bytes(), "good.json");
    let (bytes, summary) = importer.finish_in_memory("test").unwrap();
    let messages: Vec<String> = summary.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(messages.len(), 3, "{messages:?}");
    assert!(
        messages[0].starts_with("broken.json: not a valid OSV record"),
        "{messages:?}"
    );
    assert!(
        messages[1].starts_with("two-kinds.json (BAD-EVENT): affected[0]"),
        "{messages:?}"
    );
    assert!(
        messages[2].starts_with("bad-version.json (BAD-VERSION): affected[0]"),
        "{messages:?}"
    );
    assert_eq!(summary.unsupported_ecosystems.get("Martian"), Some(&1));
    assert_eq!(
        (summary.meta.records, summary.meta.withdrawn, summary.meta.rejected),
        (1, 1, 1)
    );
    let db = Database::from_vec(Path::new("x"), bytes).unwrap();
    assert_eq!(db.record_count(), 1);
}

#[test]
fn every_damaged_byte_is_detected() {
    let mut importer = Importer::new("2026-11-22T00:00:00Z").unwrap();
    importer.add_json(LODASH.as_bytes(), "good.json");
    let (bytes, _) = importer.finish_in_memory("test").unwrap();
    for position in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[position] ^= 0x01;
        assert!(
            Database::from_vec(Path::new("x"), damaged).is_err(),
            "a flipped bit at byte {position} went unnoticed"
        );
    }
    for cut in [0, 10, bytes.len() / 2, bytes.len() - 1] {
        let error = Database::from_vec(Path::new("db"), bytes[..cut].to_vec())
            .err()
            .unwrap();
        assert!(matches!(error, AdvisoryError::Corrupt { .. }), "{error}");
        assert!(error.to_string().contains("drydock db update"));
    }
}

#[test]
fn real_exports_import_and_a_truncated_zip_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut importer = Importer::new("2026-11-22T00:00:00Z").unwrap();
    importer
        .add_path(&osv_dir().join("crates.io/all.zip"), "crates.io", "fixture")
        .unwrap();
    let summary = importer.finish(&dir.path().join("db"), "test").unwrap();
    // RustSec's export: 1206 records, 13 withdrawn.
    assert_eq!(summary.meta.withdrawn, 13);
    assert_eq!(summary.meta.records + summary.meta.withdrawn, 1206);
    assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);
    let whole = std::fs::read(osv_dir().join("npm/all.zip")).unwrap();
    let truncated = dir.path().join("truncated.zip");
    std::fs::File::create(&truncated)
        .unwrap()
        .write_all(&whole[..whole.len() * 2 / 3])
        .unwrap();
    let mut importer = Importer::new("2026-11-22T00:00:00Z").unwrap();
    let error = importer.add_path(&truncated, "npm", "x").unwrap_err();
    assert!(error.to_string().contains("truncated.zip"), "{error}");
    let empty = tempfile::tempdir().unwrap();
    let error = importer.add_path(empty.path(), "empty", "x").unwrap_err();
    assert!(error.to_string().contains("no OSV JSON files"), "{error}");
}
