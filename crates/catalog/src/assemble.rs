//! From per-layer cataloger results to one inventory of the merged image.

use std::collections::BTreeMap;

use drydock_model::{CatalogWarning, Ecosystem, Inventory, OsRelease, Package, purl};
use drydock_oci::ImageScan;

use crate::cataloger::{CATALOG_PREFIX, Catalogued};
use crate::os_release::{OS_FILES, OS_RELEASE_ANALYZER};

/// The inventory of a scanned image. Only results from files the merged view still shows
/// (as written by the layer that produced them) count.
pub fn inventory(scan: &ImageScan) -> Inventory {
    let mut packages: BTreeMap<(Ecosystem, String), Package> = BTreeMap::new();
    let mut warnings = Vec::new();
    for (layer, facts) in scan.layers.iter().enumerate() {
        let diff_id = scan.description.layers.get(layer).and_then(|l| l.diff_id.clone());
        for output in &facts.outputs {
            let Some(cataloger) = output.analyzer.strip_prefix(CATALOG_PREFIX) else {
                continue;
            };
            if !scan.merged.is_visible(&output.path, layer) {
                continue;
            }
            let found: Catalogued = match serde_json::from_value(output.value.clone()) {
                Ok(found) => found,
                Err(e) => {
                    warnings.push(warning(
                        cataloger,
                        &output.path,
                        layer,
                        format!("unreadable cached result: {e}"),
                    ));
                    continue;
                }
            };
            for message in found.warnings {
                warnings.push(warning(cataloger, &output.path, layer, message));
            }
            for mut package in found.packages {
                for location in &mut package.locations {
                    location.layer.get_or_insert(layer);
                    if location.layer == Some(layer) {
                        location.layer_diff_id = diff_id.clone();
                    }
                }
                merge_into(&mut packages, package);
            }
        }
        for problem in &facts.warnings {
            if let Some(cataloger) = problem.analyzer.strip_prefix(CATALOG_PREFIX)
                && scan.merged.is_visible(&problem.path, layer)
            {
                warnings.push(warning(cataloger, &problem.path, layer, problem.message.clone()));
            }
        }
    }
    let os = detect_os(scan);
    let mut packages: Vec<Package> = packages.into_values().collect();
    attach_dpkg_licenses(scan, &mut packages);
    for package in &mut packages {
        finish_os_purl(package, os.as_ref());
    }
    packages.sort_by(|a, b| (a.ecosystem, &a.name, &a.version).cmp(&(b.ecosystem, &b.name, &b.version)));
    Inventory { os, packages, warnings }
}

fn warning(cataloger: &str, path: &str, layer: usize, message: String) -> CatalogWarning {
    CatalogWarning {
        cataloger: cataloger.to_string(),
        path: path.to_string(),
        layer: Some(layer),
        message,
    }
}

/// Adds a package, or merges its locations, catalogers and facts into the one already found.
/// The purl is the identity: it carries the ecosystem's normalized name (`pkg:pypi/django`
/// for a lockfile's `django` and METADATA's `Django`) and the version.
fn merge_into(packages: &mut BTreeMap<(Ecosystem, String), Package>, package: Package) {
    let (ecosystem, purl) = package.identity();
    let key = (ecosystem, purl.to_string());
    match packages.get_mut(&key) {
        None => {
            packages.insert(key, package);
        }
        Some(existing) => {
            // Installed metadata spells the name as the package does; prefer it.
            if package.found_by.iter().any(|f| f.ends_with("installed")) {
                existing.name = package.name.clone();
            }
            for location in package.locations {
                if !existing.locations.contains(&location) {
                    existing.locations.push(location);
                }
            }
            existing.locations.sort();
            for name in package.found_by {
                if !existing.found_by.contains(&name) {
                    existing.found_by.push(name);
                }
            }
            for license in package.licenses {
                if !existing.licenses.contains(&license) {
                    existing.licenses.push(license);
                }
            }
            for dependency in package.dependencies {
                if !existing.dependencies.contains(&dependency) {
                    existing.dependencies.push(dependency);
                }
            }
            if existing.source.is_none() {
                existing.source = package.source;
            }
            for (key, value) in package.properties {
                existing.properties.entry(key).or_insert(value);
            }
        }
    }
}

/// The OS from the first of [`OS_FILES`] that exists in the merged view, following
/// symlinks (`/etc/os-release -> ../usr/lib/os-release`) inside the image.
fn detect_os(scan: &ImageScan) -> Option<OsRelease> {
    for wanted in OS_FILES {
        let Ok(Some((resolved, entry))) = scan.merged.resolve(wanted) else {
            continue;
        };
        let facts = scan.layers.get(entry.layer)?;
        let output = facts
            .outputs
            .iter()
            .find(|o| o.analyzer == OS_RELEASE_ANALYZER && o.path == resolved);
        if let Some(output) = output
            && let Ok(mut os) = serde_json::from_value::<OsRelease>(output.value.clone())
        {
            os.path = resolved;
            os.layer = Some(entry.layer);
            return Some(os);
        }
    }
    None
}

/// Distribution packages' purls name the distribution: `pkg:deb/debian/libc6@…?arch=amd64&distro=debian-12`.
fn finish_os_purl(package: &mut Package, os: Option<&OsRelease>) {
    if !package.ecosystem.is_os() {
        return;
    }
    let default_namespace = match package.ecosystem {
        Ecosystem::Deb => "debian",
        Ecosystem::Apk => "alpine",
        _ => "redhat",
    };
    let namespace = os.map(|o| o.id.as_str()).unwrap_or(default_namespace);
    let distro = os.and_then(|o| o.version_id.as_ref().map(|v| format!("{}-{v}", o.id)));
    let arch = package.properties.get("architecture").cloned().unwrap_or_default();
    let epoch = package.properties.get("epoch").cloned().unwrap_or_default();
    let upstream = package
        .source
        .as_ref()
        .filter(|s| s.name != package.name)
        .map(|s| s.name.clone());
    let mut qualifiers: Vec<(&str, &str)> = vec![("arch", &arch), ("distro", distro.as_deref().unwrap_or(""))];
    if package.ecosystem == Ecosystem::Rpm {
        qualifiers.push(("epoch", &epoch));
    }
    let upstream = upstream.unwrap_or_default();
    qualifiers.push(("upstream", &upstream));
    // rpm keeps the epoch in its own qualifier, not in the purl's version.
    let version = match package.ecosystem {
        Ecosystem::Rpm => package
            .version
            .split_once(':')
            .map_or(package.version.as_str(), |(_, v)| v),
        _ => package.version.as_str(),
    };
    package.purl = purl::build(
        package.ecosystem.purl_type(),
        Some(namespace),
        &package.name,
        version,
        &qualifiers,
    );
}

/// Debian packages declare licenses in `/usr/share/doc/<name>/copyright`, not in dpkg's
/// status: attach what [`crate::ecosystems::dpkg::DpkgCopyright`] found to packages of that name.
fn attach_dpkg_licenses(scan: &ImageScan, packages: &mut [Package]) {
    let mut by_package: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (layer, facts) in scan.layers.iter().enumerate() {
        for output in facts
            .outputs
            .iter()
            .filter(|o| o.analyzer == crate::ecosystems::dpkg::COPYRIGHT_ANALYZER)
        {
            if !scan.merged.is_visible(&output.path, layer) {
                continue;
            }
            let name = output.value.get("package").and_then(|v| v.as_str());
            let licenses = output.value.get("licenses").and_then(|v| v.as_array());
            if let (Some(name), Some(licenses)) = (name, licenses) {
                let licenses = licenses.iter().filter_map(|l| l.as_str().map(str::to_string)).collect();
                by_package.insert(name.to_string(), licenses);
            }
        }
    }
    for package in packages
        .iter_mut()
        .filter(|p| p.ecosystem == Ecosystem::Deb && p.licenses.is_empty())
    {
        if let Some(licenses) = by_package.get(&package.name) {
            package.licenses = licenses.clone();
        }
    }
}
