//! The inventory of every fixture image equals its ground truth
//! (`tests/fixtures/images/<name>.expected.json`): no package missing, none extra, versions,
//! source packages, locations and layers right.

mod common;

use std::collections::BTreeSet;

use common::{expected, inventory_of};
use drydock_model::Ecosystem;
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

fn deb_truth(truth: &Value) -> BTreeSet<(String, String, String, String, String, String, u64)> {
    truth["packages"]["deb"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let name = p["name"].as_str().unwrap().to_string();
            let version = p["version"].as_str().unwrap().to_string();
            let source = p["source"].as_str().map(str::to_string).unwrap_or_else(|| name.clone());
            let source_version = p["source_version"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| version.clone());
            (
                name,
                version,
                p["architecture"].as_str().unwrap().to_string(),
                source,
                source_version,
                p["location"].as_str().unwrap().to_string(),
                p["layer_index"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn os_and_deb_packages_match_the_ground_truth() {
    for name in IMAGES {
        let truth = expected(name);
        let inventory = inventory_of(name);
        let os = inventory
            .os
            .as_ref()
            .unwrap_or_else(|| panic!("{name}: no OS detected"));
        assert_eq!(os.id, truth["os"]["id"].as_str().unwrap(), "{name}");
        assert_eq!(os.version_id.as_deref(), truth["os"]["version_id"].as_str(), "{name}");
        assert_eq!(
            os.version_codename.as_deref(),
            truth["os"]["version_codename"].as_str(),
            "{name}"
        );
        let want_path = truth["os"]["resolved_path"]
            .as_str()
            .or(truth["os"]["path"].as_str())
            .unwrap();
        assert_eq!(os.path, want_path, "{name}");
        assert_eq!(
            os.layer,
            truth["os"]["layer_index"].as_u64().map(|l| l as usize),
            "{name}"
        );

        let got: BTreeSet<_> = inventory
            .packages
            .iter()
            .filter(|p| p.ecosystem == Ecosystem::Deb)
            .map(|p| {
                let source = p.source.clone().unwrap();
                assert_eq!(p.locations.len(), 1, "{name} {}", p.name);
                (
                    p.name.clone(),
                    p.version.clone(),
                    p.properties["architecture"].clone(),
                    source.name,
                    source.version,
                    p.locations[0].path.clone(),
                    p.locations[0].layer.unwrap() as u64,
                )
            })
            .collect();
        let want = deb_truth(&truth);
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{name}: missing {missing:#?}\nextra {extra:#?}"
        );
        assert!(inventory.warnings.is_empty(), "{name}: {:?}", inventory.warnings);
    }
}

#[test]
fn deb_purls_name_the_distribution() {
    let inventory = inventory_of("debian-min");
    let libc = inventory.packages.iter().find(|p| p.name == "libc6").unwrap();
    assert_eq!(
        libc.purl,
        format!(
            "pkg:deb/debian/libc6@{}?arch=amd64&distro=debian-12&upstream=glibc",
            libc.version.replace('+', "%2B")
        )
    );
}

#[test]
fn deb_licenses_come_from_machine_readable_copyright_files() {
    let inventory = inventory_of("debian-min");
    let deb: Vec<_> = inventory
        .packages
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Deb)
        .collect();
    let adduser = deb.iter().find(|p| p.name == "adduser").unwrap();
    assert_eq!(adduser.licenses, ["GPL-2+"]);
    let with_licenses = deb.iter().filter(|p| !p.licenses.is_empty()).count();
    assert!(
        with_licenses >= 70,
        "only {with_licenses} of {} deb packages have licenses",
        deb.len()
    );
}
