//! Groups findings the way users think of an image: its OS packages, then each language
//! lockfile, package directory or binary (`/app/package-lock.json`,
//! `/usr/lib/python3/dist-packages`, `/usr/local/bin/app`).

use std::collections::BTreeMap;

use drydock_model::{Ecosystem, Inventory, Package, ScanTarget, TargetClass};

use crate::matcher::Matches;

/// One target per group of packages, OS packages first, each with its findings.
pub fn group(inventory: &Inventory, matches: Matches) -> Vec<ScanTarget> {
    let mut by_package: BTreeMap<usize, Vec<drydock_model::Finding>> = BTreeMap::new();
    for found in matches.packages {
        by_package.entry(found.package).or_default().extend(found.findings);
    }
    let mut targets: BTreeMap<(bool, String, Ecosystem), ScanTarget> = BTreeMap::new();
    for (index, package) in inventory.packages.iter().enumerate() {
        let (class, name) = target_of(package, inventory);
        let key = (class == TargetClass::LanguagePackages, name.clone(), package.ecosystem);
        let target = targets.entry(key).or_insert_with(|| ScanTarget {
            name,
            class,
            ecosystem: package.ecosystem,
            packages: 0,
            findings: Vec::new(),
        });
        target.packages += 1;
        if let Some(findings) = by_package.remove(&index) {
            target.findings.extend(findings);
        }
    }
    let mut targets: Vec<ScanTarget> = targets.into_values().collect();
    for target in &mut targets {
        target.findings.sort_by(|a, b| {
            b.severity
                .cmp(&a.severity)
                .then_with(|| a.package.name.cmp(&b.package.name))
                .then_with(|| a.id.cmp(&b.id))
        });
    }
    targets
}

fn target_of(package: &Package, inventory: &Inventory) -> (TargetClass, String) {
    if package.ecosystem.is_os() {
        let os = inventory
            .os
            .as_ref()
            .map(|os| match &os.version_id {
                Some(version) => format!("{} {version}", os.id),
                None => os.id.clone(),
            })
            .unwrap_or_else(|| "unknown OS".to_string());
        return (TargetClass::OsPackages, format!("{os} ({})", package.ecosystem));
    }
    let path = package.locations.first().map(|l| l.path.as_str()).unwrap_or("");
    (TargetClass::LanguagePackages, language_group(path))
}

/// The lockfile, package directory or binary a language package belongs to.
fn language_group(path: &str) -> String {
    if let Some(at) = path.find("/node_modules/") {
        return path[..at + "/node_modules".len()].to_string();
    }
    let components: Vec<&str> = path.split('/').collect();
    for (index, component) in components.iter().enumerate() {
        let package_dir = component.ends_with(".dist-info")
            || component.ends_with(".egg-info")
            || *component == "specifications"
            || *component == "vendor" && components.get(index + 1) == Some(&"composer");
        if package_dir && index > 0 {
            return components[..index].join("/");
        }
    }
    path.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_packages_group_by_lockfile_or_directory() {
        assert_eq!(
            language_group("/app/node_modules/lodash/package.json"),
            "/app/node_modules"
        );
        assert_eq!(
            language_group("/usr/lib/python3/dist-packages/requests-2.19.1.dist-info/METADATA"),
            "/usr/lib/python3/dist-packages"
        );
        assert_eq!(language_group("/src/demo/Cargo.lock"), "/src/demo/Cargo.lock");
        assert_eq!(
            language_group("/usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec"),
            "/usr/lib/ruby/gems/3.1.0"
        );
    }
}
