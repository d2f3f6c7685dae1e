//! `package-lock.json` and `npm-shrinkwrap.json`.
//!
//! v2 and v3 lockfiles have a `packages` map keyed by install path: `""` is the project
//! itself, `node_modules/a/node_modules/@s/b` is `@s/b` installed inside `a`, keys without
//! `node_modules/` are workspace members, and `link: true` entries point at one of those.
//! v1 lockfiles (npm 5 and 6) only have the nested `dependencies` tree; v2 has both, and the
//! `packages` map wins.

use drydock_model::Package;
use serde_json::{Map, Value};

use super::package_json::{dependency_names, licenses};
use super::{checked_package, sorted};
use crate::Catalogued;

const NODE_MODULES: &str = "node_modules/";

/// The packages a package-lock.json locks.
pub fn parse_package_lock(bytes: &[u8]) -> Result<Catalogued, String> {
    let lock: Value = serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    if let Some(packages) = lock.get("packages").and_then(Value::as_object) {
        return Ok(from_packages(packages));
    }
    if let Some(dependencies) = lock.get("dependencies").and_then(Value::as_object) {
        return Ok(from_dependencies(dependencies));
    }
    if lock.is_object() && lock.get("lockfileVersion").is_some() {
        // A project without dependencies (v1 leaves `dependencies` out).
        return Ok(Catalogued::default());
    }
    Err("not a package-lock: no `packages` or `dependencies` object".into())
}

fn from_packages(packages: &Map<String, Value>) -> Catalogued {
    let mut found = Catalogued::default();
    for (key, entry) in packages {
        let Some(at) = key.rfind(NODE_MODULES) else {
            continue;
        };
        if entry.get("link").and_then(Value::as_bool) == Some(true) {
            continue;
        }
        let key_name = key.get(at + NODE_MODULES.len()..).unwrap_or("");
        let name = entry.get("name").and_then(Value::as_str).unwrap_or(key_name);
        let Some(version) = entry.get("version").and_then(Value::as_str) else {
            found.warnings.push(format!("{key}: no version"));
            continue;
        };
        match checked_package(name, version) {
            Ok(mut package) => {
                package.licenses = licenses(entry);
                package.dependencies = dependency_names(entry);
                flags(entry, &mut package);
                found.packages.push(package);
            }
            Err(reason) => found.warnings.push(format!("{key}: {reason}")),
        }
    }
    found.packages = dedup(std::mem::take(&mut found.packages));
    found
}

/// The v1 tree, walked with an explicit stack: `name → {version, dev, optional, requires,
/// dependencies: {…}}`.
fn from_dependencies(top: &Map<String, Value>) -> Catalogued {
    let mut found = Catalogued::default();
    let mut stack: Vec<(String, &Map<String, Value>)> = vec![(String::new(), top)];
    while let Some((parent, dependencies)) = stack.pop() {
        for (key, entry) in dependencies {
            let path = format!("{parent}{key}");
            if let Some(nested) = entry.get("dependencies").and_then(Value::as_object) {
                stack.push((format!("{path} > "), nested));
            }
            match v1_package(key, entry) {
                Ok(Some(package)) => found.packages.push(package),
                Ok(None) => {}
                Err(reason) => found.warnings.push(format!("{path}: {reason}")),
            }
        }
    }
    found.packages = dedup(std::mem::take(&mut found.packages));
    found
}

fn v1_package(key: &str, entry: &Value) -> Result<Option<Package>, String> {
    let version = entry.get("version").and_then(Value::as_str).ok_or("no version")?;
    // Local directories are the user's code; `npm:` aliases name the real package.
    if version.starts_with("file:") || version.starts_with("link:") {
        return Ok(None);
    }
    let (name, version) = match version.strip_prefix("npm:").and_then(super::split_name_at) {
        Some((real, real_version)) => (real, real_version),
        None => (key, version),
    };
    let mut package = checked_package(name, version)?;
    if let Some(requires) = entry.get("requires").and_then(Value::as_object) {
        package.dependencies = sorted(requires.keys().cloned().collect());
    }
    flags(entry, &mut package);
    Ok(Some(package))
}

/// npm's `dev`, `optional` and `devOptional` markers as properties.
fn flags(entry: &Value, package: &mut Package) {
    for (field, property) in [
        ("dev", "dev"),
        ("optional", "optional"),
        ("devOptional", "dev_optional"),
    ] {
        if entry.get(field).and_then(Value::as_bool) == Some(true) {
            package.properties.insert(property.into(), "true".into());
        }
    }
}

/// One package per name and version (a lockfile installs the same release at several
/// paths): dependencies are merged, and it is `dev` only if every copy is.
pub(super) fn dedup(packages: Vec<Package>) -> Vec<Package> {
    let mut out: Vec<Package> = Vec::with_capacity(packages.len());
    let mut index = std::collections::HashMap::new();
    for package in packages {
        let key = (package.name.clone(), package.version.clone());
        match index.get(&key).and_then(|&i| out.get_mut(i)) {
            None => {
                index.insert(key, out.len());
                out.push(package);
            }
            Some(existing) => {
                existing.dependencies.extend(package.dependencies);
                existing.dependencies = sorted(std::mem::take(&mut existing.dependencies));
                for flag in ["dev", "optional", "dev_optional"] {
                    if !package.properties.contains_key(flag) {
                        existing.properties.remove(flag);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pins(found: &Catalogued) -> Vec<(&str, &str)> {
        let mut pins: Vec<(&str, &str)> = found
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        pins.sort();
        pins
    }

    const V3: &str = r#"{
  "name": "demo", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": {
    "": {"name": "demo", "version": "1.0.0", "workspaces": ["packages/*"], "dependencies": {"ms": "2.1.3"}},
    "node_modules/ms": {"version": "2.1.3", "resolved": "https://registry.npmjs.org/ms/-/ms-2.1.3.tgz", "license": "MIT"},
    "node_modules/@types/node": {"version": "20.1.0", "dev": true, "license": "MIT"},
    "node_modules/debug": {"version": "4.3.4", "dependencies": {"ms": "2.1.2"}, "optional": true},
    "node_modules/debug/node_modules/ms": {"version": "2.1.2", "devOptional": true},
    "node_modules/string-width-cjs": {"name": "string-width", "version": "4.2.3"},
    "node_modules/local-lib": {"resolved": "packages/local-lib", "link": true},
    "packages/local-lib": {"name": "local-lib", "version": "0.0.1"},
    "node_modules/broken": {"resolved": "x"},
    "node_modules/bad name": {"version": "1.0.0"}
  }
}"#;

    #[test]
    fn reads_v3_packages_without_the_project_or_workspaces() {
        let found = parse_package_lock(V3.as_bytes()).unwrap();
        assert_eq!(
            pins(&found),
            [
                ("@types/node", "20.1.0"),
                ("debug", "4.3.4"),
                ("ms", "2.1.2"),
                ("ms", "2.1.3"),
                ("string-width", "4.2.3")
            ]
        );
        let find = |name: &str, version: &str| {
            found
                .packages
                .iter()
                .find(|p| p.name == name && p.version == version)
                .unwrap()
        };
        assert_eq!(find("@types/node", "20.1.0").properties["dev"], "true");
        assert_eq!(find("@types/node", "20.1.0").purl, "pkg:npm/%40types/node@20.1.0");
        assert_eq!(find("debug", "4.3.4").properties["optional"], "true");
        assert_eq!(find("debug", "4.3.4").dependencies, ["ms"]);
        assert_eq!(find("ms", "2.1.2").properties["dev_optional"], "true");
        assert_eq!(find("ms", "2.1.3").licenses, ["MIT"]);
        let mut warnings = found.warnings.clone();
        warnings.sort();
        assert_eq!(
            warnings,
            [
                "node_modules/bad name: invalid package name \"bad name\"",
                "node_modules/broken: no version"
            ]
        );
    }

    const V1: &str = r#"{
  "name": "demo", "version": "1.0.0", "lockfileVersion": 1, "requires": true,
  "dependencies": {
    "axios": {"version": "0.21.0", "requires": {"follow-redirects": "^1.10.0"},
      "dependencies": {"follow-redirects": {"version": "1.13.0"}}},
    "follow-redirects": {"version": "1.16.3", "dev": true},
    "sw": {"version": "npm:string-width@4.2.3"},
    "mine": {"version": "file:../mine"},
    "broken": {"resolved": "x"}
  }
}"#;

    #[test]
    fn reads_the_v1_tree() {
        let found = parse_package_lock(V1.as_bytes()).unwrap();
        assert_eq!(
            pins(&found),
            [
                ("axios", "0.21.0"),
                ("follow-redirects", "1.13.0"),
                ("follow-redirects", "1.16.3"),
                ("string-width", "4.2.3")
            ]
        );
        let axios = found.packages.iter().find(|p| p.name == "axios").unwrap();
        assert_eq!(axios.dependencies, ["follow-redirects"]);
        assert_eq!(found.warnings, ["broken: no version"]);
    }

    #[test]
    fn a_package_installed_twice_is_one_package_and_dev_only_if_both_are() {
        let lock = r#"{"lockfileVersion": 3, "packages": {
            "node_modules/a/node_modules/ms": {"version": "2.1.3", "dev": true},
            "node_modules/b/node_modules/ms": {"version": "2.1.3"}}}"#;
        let found = parse_package_lock(lock.as_bytes()).unwrap();
        assert_eq!(found.packages.len(), 1);
        assert!(found.packages[0].properties.is_empty());
    }

    #[test]
    fn malformed_lockfiles() {
        assert!(
            parse_package_lock(b"{\"packages\": {")
                .unwrap_err()
                .starts_with("not valid JSON")
        );
        assert!(parse_package_lock(b"[]").unwrap_err().starts_with("not a package-lock"));
        let empty = parse_package_lock(br#"{"lockfileVersion": 1}"#).unwrap();
        assert!(empty.packages.is_empty() && empty.warnings.is_empty());
    }
}
