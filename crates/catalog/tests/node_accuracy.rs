//! The npm packages of every fixture image equal its ground truth (`packages.npm` of
//! `tests/fixtures/images/<name>.expected.json`): names, versions, licenses, and for each
//! package both files that describe it, the installed package.json and the lockfile, with
//! their layer. The project itself (`npm_projects`) is not a package.

mod common;

use std::collections::BTreeSet;

use common::{expected, fixtures, inventory_of};
use drydock_model::Ecosystem;
use serde_json::Value;

/// Name, version, licenses, and (path, layer) of every location.
type Row = (String, String, Vec<String>, Vec<(String, u64)>);

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

/// Both the installed package.json and the lockfile come from the layer the ground truth
/// names for the package (the fixture copies /app in one layer).
fn truth_row(p: &Value) -> Row {
    let layer = p["layer_index"].as_u64().unwrap();
    let mut locations = Vec::new();
    if p["installed"].as_bool() == Some(true) {
        locations.push((p["location"].as_str().unwrap().to_string(), layer));
    }
    if let Some(lockfile) = p["lockfile"].as_str() {
        locations.push((lockfile.to_string(), layer));
    }
    locations.sort();
    let licenses = p["license"].as_str().map(|l| vec![l.to_string()]).unwrap_or_default();
    (
        p["name"].as_str().unwrap().to_string(),
        p["version"].as_str().unwrap().to_string(),
        licenses,
        locations,
    )
}

fn truth(name: &str) -> BTreeSet<Row> {
    let truth = expected(name);
    truth["packages"]["npm"]
        .as_array()
        .map(|packages| packages.iter().map(truth_row).collect())
        .unwrap_or_default()
}

#[test]
fn npm_packages_match_the_ground_truth() {
    let images = images();
    assert!(images.len() >= 8, "fixtures missing: {images:?}");
    for name in &images {
        let inventory = inventory_of(name);
        let got: BTreeSet<Row> = inventory
            .packages
            .iter()
            .filter(|p| p.ecosystem == Ecosystem::Npm)
            .map(|p| {
                let mut locations: Vec<(String, u64)> = p
                    .locations
                    .iter()
                    .map(|l| (l.path.clone(), l.layer.unwrap() as u64))
                    .collect();
                locations.sort();
                (p.name.clone(), p.version.clone(), p.licenses.clone(), locations)
            })
            .collect();
        let count = inventory
            .packages
            .iter()
            .filter(|p| p.ecosystem == Ecosystem::Npm)
            .count();
        assert_eq!(count, got.len(), "{name}: duplicate npm packages");
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
            .filter(|w| w.cataloger.starts_with("npm-"))
            .collect();
        assert!(ours.is_empty(), "{name}: {ours:?}");
    }
}

#[test]
fn the_project_is_not_a_package_and_both_catalogers_found_each_package() {
    let truth = expected("node-app");
    let project = truth["npm_projects"][0]["name"].as_str().unwrap();
    let inventory = inventory_of("node-app");
    let npm: Vec<_> = inventory
        .packages
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Npm)
        .collect();
    assert!(npm.iter().all(|p| p.name != project));
    for package in npm {
        let mut found_by = package.found_by.clone();
        found_by.sort();
        assert_eq!(found_by, ["npm-installed", "npm-lock"], "{}", package.name);
        assert_eq!(package.purl, format!("pkg:npm/{}@{}", package.name, package.version));
    }
}
