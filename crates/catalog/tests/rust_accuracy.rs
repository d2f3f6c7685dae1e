//! Rust crates of every fixture image equal the ground truth (`packages.rust` of
//! `tests/fixtures/images/<name>.expected.json`): name, version, whether the crate is in the
//! cargo-auditable binary and in the Cargo.lock, the paths it was found at, the layer of the
//! binary, the root crate and the source. A binary whose `.dep-v0` section is corrupt gives
//! a warning naming it, and the lock file's crates are still produced.

mod common;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;

use common::{expected, fixtures, inventory_of};
use drydock_model::{Ecosystem, Inventory, Package};
use drydock_oci::{ImageRef, OpenOptions, ScanOptions};
use serde_json::Value;

const IMAGES: [&str; 8] = [
    "debian-min",
    "debian-python",
    "node-app",
    "rust-app",
    "misconfig",
    "layers-whiteout",
    "distroless-style",
    "debian-nosec",
];

/// The analyzers this file's catalogers run as.
const MINE: [&str; 2] = ["elf-binary", "cargo-lock"];

/// name, version, in the binary, in a lock file, the paths it was found at.
type Fact = (String, String, bool, bool, BTreeSet<String>);

fn truth_facts(truth: &Value) -> BTreeSet<Fact> {
    truth["packages"]["rust"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let paths = p["found_in"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["path"].as_str().unwrap().to_string())
                .collect();
            (
                p["name"].as_str().unwrap().to_string(),
                p["version"].as_str().unwrap().to_string(),
                p["in_binary"].as_bool().unwrap(),
                p["in_lockfile"].as_bool().unwrap(),
                paths,
            )
        })
        .collect()
}

fn crates(inventory: &Inventory) -> impl Iterator<Item = &Package> {
    inventory.packages.iter().filter(|p| p.ecosystem == Ecosystem::Cargo)
}

fn found_facts(inventory: &Inventory) -> BTreeSet<Fact> {
    crates(inventory)
        .map(|p| {
            (
                p.name.clone(),
                p.version.clone(),
                p.found_by.iter().any(|f| f == "cargo-auditable"),
                p.found_by.iter().any(|f| f == "cargo-lock"),
                p.locations.iter().map(|l| l.path.clone()).collect(),
            )
        })
        .collect()
}

fn my_warnings(inventory: &Inventory) -> Vec<String> {
    inventory
        .warnings
        .iter()
        .filter(|w| MINE.contains(&w.cataloger.as_str()))
        .map(|w| format!("{}: {}", w.path, w.message))
        .collect()
}

#[test]
fn crates_match_the_ground_truth() {
    for name in IMAGES {
        let truth = expected(name);
        let inventory = inventory_of(name);
        assert!(
            my_warnings(&inventory).is_empty(),
            "{name}: {:?}",
            my_warnings(&inventory)
        );
        assert_eq!(found_facts(&inventory), truth_facts(&truth), "{name}");

        for want in truth["packages"]["rust"].as_array().unwrap() {
            let got = crates(&inventory)
                .find(|p| p.name == want["name"].as_str().unwrap())
                .unwrap();
            assert_eq!(got.properties["source"], want["source"].as_str().unwrap(), "{name}");
            assert_eq!(
                got.properties.get("root").map(String::as_str),
                want["root"].as_bool().filter(|&r| r).map(|_| "true"),
                "{name}: {}",
                got.name
            );
            assert_eq!(got.purl, format!("pkg:cargo/{}@{}", got.name, got.version));
            for found_in in want["found_in"].as_array().unwrap() {
                let Some(layer) = found_in["layer_index"].as_u64() else {
                    continue;
                };
                let location = got
                    .locations
                    .iter()
                    .find(|l| l.path == found_in["path"].as_str().unwrap())
                    .unwrap();
                assert_eq!(location.layer, Some(layer as usize), "{name}: {}", got.name);
                assert_eq!(
                    location.layer_diff_id.as_ref().map(|d| d.to_string()).as_deref(),
                    found_in["layer_diff_id"].as_str(),
                    "{name}: {}",
                    got.name
                );
            }
        }
    }
}

/// The files of the rust-app image's top layer (the binary and the lock file).
fn rust_app_files() -> Vec<(String, Vec<u8>)> {
    let truth = expected("rust-app");
    let digest = truth["layers"][1]["digest"].as_str().unwrap();
    let blob = fixtures()
        .join("oci/blobs/sha256")
        .join(digest.trim_start_matches("sha256:"));
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(blob).unwrap());
    let mut archive = tar::Archive::new(gz);
    let mut files = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.header().entry_type().is_file() {
            let path = format!("/{}", entry.path().unwrap().display());
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            files.push((path.trim_start_matches("/.").to_string(), bytes));
        }
    }
    files
}

/// Where the `.dep-v0` zlib stream sits: the one offset at which inflating gives the
/// cargo-auditable JSON.
fn dep_v0_offset(binary: &[u8]) -> usize {
    (0..binary.len() - 2)
        .find(|&at| {
            binary[at] == 0x78 && {
                let mut head = [0u8; 12];
                let mut decoder = flate2::read::ZlibDecoder::new(&binary[at..]);
                decoder.read_exact(&mut head).is_ok() && &head == b"{\"packages\":"
            }
        })
        .unwrap()
}

#[test]
fn a_corrupt_dep_v0_section_is_a_warning_naming_the_binary() {
    let root = tempfile::tempdir().unwrap();
    for (path, mut bytes) in rust_app_files() {
        if path == "/usr/local/bin/demo" {
            let at = dep_v0_offset(&bytes);
            bytes[at + 20..at + 60].fill(0xff);
        }
        let target = root.path().join(path.trim_start_matches('/'));
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, bytes).unwrap();
    }
    let inventory = scan_dir(root.path());
    assert_eq!(inventory.warnings.len(), 1, "{:?}", inventory.warnings);
    let warning = &inventory.warnings[0];
    assert_eq!(
        (warning.cataloger.as_str(), warning.path.as_str()),
        ("elf-binary", "/usr/local/bin/demo")
    );
    assert!(warning.message.contains(".dep-v0"), "{warning:?}");
    let facts = found_facts(&inventory);
    assert_eq!(facts.len(), 11, "the lock file's crates are all still there");
    assert!(facts.iter().all(|(_, _, in_binary, in_lock, _)| !in_binary && *in_lock));
}

fn scan_dir(root: &Path) -> Inventory {
    let text = format!("dir:{}", root.display());
    let reference: ImageRef = text.parse().unwrap();
    let opened = drydock_oci::open(&reference, &text, &OpenOptions::default()).unwrap();
    let options = ScanOptions {
        cache: None,
        ..ScanOptions::default()
    };
    let scan = drydock_oci::scan(opened, &drydock_catalog::analyzers(), &options).unwrap();
    drydock_catalog::inventory(&scan)
}
