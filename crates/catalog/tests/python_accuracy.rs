//! The Python packages of every fixture image equal its ground truth (`packages.python` of
//! `tests/fixtures/images/<name>.expected.json`): names as METADATA spells them, versions,
//! the METADATA file and the layer that provides it, and purls by PEP 503 name.

mod common;

use std::collections::BTreeSet;

use common::{expected, fixtures, inventory_of};
use drydock_model::Ecosystem;

type Row = (String, String, String, String, u64);

fn images() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".expected.json").map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

fn truth(name: &str) -> BTreeSet<Row> {
    let truth = expected(name);
    let Some(packages) = truth["packages"]["python"].as_array() else {
        return BTreeSet::new();
    };
    packages
        .iter()
        .map(|p| {
            let normalized = p["normalized_name"].as_str().unwrap();
            let version = p["version"].as_str().unwrap();
            (
                p["name"].as_str().unwrap().to_string(),
                version.to_string(),
                format!("pkg:pypi/{normalized}@{version}"),
                p["location"].as_str().unwrap().to_string(),
                p["layer_index"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn python_packages_match_the_ground_truth() {
    let images = images();
    assert!(images.len() >= 8, "fixtures missing: {images:?}");
    for name in &images {
        let inventory = inventory_of(name);
        let mut got = BTreeSet::new();
        for package in inventory.packages.iter().filter(|p| p.ecosystem == Ecosystem::PyPI) {
            assert_eq!(package.locations.len(), 1, "{name}: {package:?}");
            let location = &package.locations[0];
            got.insert((
                package.name.clone(),
                package.version.clone(),
                package.purl.clone(),
                location.path.clone(),
                location.layer.unwrap() as u64,
            ));
        }
        let count = inventory
            .packages
            .iter()
            .filter(|p| p.ecosystem == Ecosystem::PyPI)
            .count();
        assert_eq!(count, got.len(), "{name}: duplicate Python packages");
        let want = truth(name);
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{name}: missing {missing:#?}\nextra {extra:#?}"
        );
        let ours: Vec<_> = inventory
            .warnings
            .iter()
            .filter(|w| w.cataloger.starts_with("python-"))
            .collect();
        assert!(ours.is_empty(), "{name}: {ours:?}");
    }
}

#[test]
fn python_packages_carry_licenses_and_dependencies() {
    let inventory = inventory_of("debian-python");
    let requests = inventory
        .packages
        .iter()
        .find(|p| p.ecosystem == Ecosystem::PyPI && p.name == "requests")
        .unwrap();
    assert_eq!(requests.licenses, ["Apache 2.0"]);
    assert_eq!(requests.dependencies, ["certifi", "chardet", "idna", "urllib3"]);
    assert_eq!(requests.found_by, ["python-installed"]);
}
