//! `pnpm-lock.yaml`. Its `packages` keys changed with each lockfile version:
//!
//! - v5: `/name/1.0.0`, `/@scope/name/1.0.0_peer@2.0.0` (peers after `_`);
//! - v6: `/name@1.0.0`, `/@scope/name@1.0.0(peer@2.0.0)`;
//! - v9: `name@1.0.0` in `packages`, and the dependencies of each peer variant in `snapshots`.
//!
//! Non-registry entries (tarballs, git) carry explicit `name` and `version` fields, which win
//! over the key. The project and workspace members are `importers`, not packages.

use std::collections::HashMap;

use drydock_model::Package;
use yaml_serde::{Mapping, Value};

use super::package_lock::dedup;
use super::{checked_package, sorted, split_name_at};
use crate::Catalogued;

/// The packages a pnpm-lock.yaml locks.
pub fn parse_pnpm_lock(bytes: &[u8]) -> Result<Catalogued, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let document: Value = yaml_serde::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let document = document.as_mapping().ok_or("not a YAML mapping")?;
    let major = lockfile_major(document).ok_or("no readable lockfileVersion")?;
    let snapshots = snapshot_dependencies(document);
    let mut found = Catalogued::default();
    let Some(packages) = document.get("packages").and_then(Value::as_mapping) else {
        return Ok(found);
    };
    for (key, entry) in packages {
        let key = key.as_str().unwrap_or("?");
        match package(major, key, entry, &snapshots) {
            Ok(Some(package)) => found.packages.push(package),
            Ok(None) => {}
            Err(reason) => found.warnings.push(format!("{key}: {reason}")),
        }
    }
    found.packages = dedup(std::mem::take(&mut found.packages));
    Ok(found)
}

/// `lockfileVersion: 5.4`, `'6.0'` or `'9.0'` → 5, 6, 9.
fn lockfile_major(document: &Mapping) -> Option<u32> {
    let text = match document.get("lockfileVersion")? {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        _ => return None,
    };
    text.split('.').next()?.trim().parse().ok()
}

/// v9: dependency names of each `snapshots` entry, keyed without its peer suffix.
fn snapshot_dependencies(document: &Mapping) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    let Some(snapshots) = document.get("snapshots").and_then(Value::as_mapping) else {
        return out;
    };
    for (key, entry) in snapshots {
        let (Some(key), Some(entry)) = (key.as_str(), entry.as_mapping()) else {
            continue;
        };
        let base = key.split('(').next().unwrap_or(key).to_string();
        out.entry(base).or_default().extend(dependency_names(entry));
    }
    out
}

fn package(
    major: u32,
    key: &str,
    entry: &Value,
    snapshots: &HashMap<String, Vec<String>>,
) -> Result<Option<Package>, String> {
    let entry = entry.as_mapping().ok_or("not a mapping")?;
    let from_key = parse_key(major, key);
    let name = field(entry, "name").or_else(|| from_key.map(|(name, _)| name.to_string()));
    let version = field(entry, "version").or_else(|| from_key.map(|(_, version)| version.to_string()));
    let (Some(name), Some(version)) = (name, version) else {
        return Err("no name and version".into());
    };
    if version.starts_with("file:") || version.starts_with("link:") {
        return Ok(None);
    }
    let mut package = checked_package(&name, &version)?;
    let mut dependencies = dependency_names(entry);
    if let Some(snapshot) = snapshots.get(key.trim_start_matches('/')) {
        dependencies.extend(snapshot.iter().cloned());
    }
    package.dependencies = sorted(dependencies);
    for flag in ["dev", "optional"] {
        if entry.get(flag).and_then(Value::as_bool) == Some(true) {
            package.properties.insert(flag.into(), "true".into());
        }
    }
    Ok(Some(package))
}

/// The name and version a `packages` key names, without its peer suffix.
fn parse_key(major: u32, key: &str) -> Option<(&str, &str)> {
    let key = key.strip_prefix('/').unwrap_or(key);
    if major >= 6 {
        return split_name_at(key.split('(').next()?);
    }
    let name_segments = if key.starts_with('@') { 2 } else { 1 };
    let mut split = key.match_indices('/').map(|(at, _)| at);
    let at = split.nth(name_segments - 1)?;
    let name = key.get(..at)?;
    let rest = key.get(at + 1..)?;
    let version = rest.split('_').next()?;
    (!version.contains('/')).then_some((name, version))
}

fn field(entry: &Mapping, name: &str) -> Option<String> {
    match entry.get(name)? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn dependency_names(entry: &Mapping) -> Vec<String> {
    ["dependencies", "optionalDependencies"]
        .iter()
        .filter_map(|field| entry.get(field).and_then(Value::as_mapping))
        .flat_map(|deps| deps.keys().filter_map(Value::as_str).map(str::to_string))
        .collect()
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

    #[test]
    fn parses_keys_of_every_version() {
        assert_eq!(parse_key(5, "/ms/2.1.3"), Some(("ms", "2.1.3")));
        assert_eq!(
            parse_key(5, "/@babel/core/7.0.0_supports-color@5.0.0"),
            Some(("@babel/core", "7.0.0"))
        );
        assert_eq!(parse_key(5, "registry.npmjs.org/x/-/x-1.0.0.tgz"), None);
        assert_eq!(
            parse_key(6, "/@babel/core@7.0.0(react@18.2.0)"),
            Some(("@babel/core", "7.0.0"))
        );
        assert_eq!(parse_key(9, "ms@2.1.3"), Some(("ms", "2.1.3")));
        assert_eq!(parse_key(9, "/"), None);
        assert_eq!(parse_key(5, "/@scope"), None);
    }

    const V5: &str = "lockfileVersion: 5.4

importers:
  .:
    specifiers:
      ms: ^2.1.3

packages:

  /ms/2.1.3:
    resolution: {integrity: sha512-abc}
    dev: false

  /debug/4.3.4_supports-color@8.1.1:
    resolution: {integrity: sha512-def}
    dependencies:
      ms: 2.1.2
      supports-color: 8.1.1
    dev: true

  /debug/4.3.4:
    resolution: {integrity: sha512-def}
    dependencies:
      ms: 2.1.2
    dev: true

  registry.npmjs.org/tarball-pkg/-/tarball-pkg-1.0.0.tgz:
    resolution: {tarball: https://registry.npmjs.org/tarball-pkg/-/tarball-pkg-1.0.0.tgz}
    name: tarball-pkg
    version: 1.0.0
    optional: true

  /broken/:
    resolution: {integrity: x}
";

    #[test]
    fn reads_v5() {
        let found = parse_pnpm_lock(V5.as_bytes()).unwrap();
        assert_eq!(
            pins(&found),
            [("debug", "4.3.4"), ("ms", "2.1.3"), ("tarball-pkg", "1.0.0")]
        );
        let debug = found.packages.iter().find(|p| p.name == "debug").unwrap();
        assert_eq!(debug.dependencies, ["ms", "supports-color"]);
        assert_eq!(debug.properties["dev"], "true");
        let tarball = found.packages.iter().find(|p| p.name == "tarball-pkg").unwrap();
        assert_eq!(tarball.properties["optional"], "true");
        assert_eq!(found.warnings, ["/broken/: broken: invalid version \"\""]);
    }

    const V6: &str = "lockfileVersion: '6.0'

dependencies:
  react-dom:
    specifier: ^18.2.0
    version: 18.2.0(react@18.2.0)

packages:

  /@types/node@20.1.0:
    resolution: {integrity: sha512-a}
    dev: true

  /react-dom@18.2.0(react@18.2.0):
    resolution: {integrity: sha512-b}
    peerDependencies:
      react: ^18.2.0
    dependencies:
      loose-envify: 1.4.0
      react: 18.2.0
    dev: false

  /local@file:../local:
    resolution: {directory: ../local, type: directory}
    name: local
    version: file:../local
";

    #[test]
    fn reads_v6() {
        let found = parse_pnpm_lock(V6.as_bytes()).unwrap();
        assert_eq!(pins(&found), [("@types/node", "20.1.0"), ("react-dom", "18.2.0")]);
        let types = &found.packages[0];
        assert_eq!(types.purl, "pkg:npm/%40types/node@20.1.0");
        assert_eq!(types.properties["dev"], "true");
        assert_eq!(found.packages[1].dependencies, ["loose-envify", "react"]);
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    }

    const V9: &str = "lockfileVersion: '9.0'

settings:
  autoInstallPeers: true

importers:
  .:
    dependencies:
      react-dom:
        specifier: ^18.2.0
        version: 18.2.0(react@18.2.0)

packages:

  react-dom@18.2.0:
    resolution: {integrity: sha512-b}
    peerDependencies:
      react: ^18.2.0

  react@18.2.0:
    resolution: {integrity: sha512-c}

  '@scope/lib@https://codeload.github.com/x/lib/tar.gz/abc':
    resolution: {tarball: https://codeload.github.com/x/lib/tar.gz/abc}
    version: 3.0.0

  bad:
    resolution: {integrity: sha512-d}

snapshots:

  react-dom@18.2.0(react@18.2.0):
    dependencies:
      loose-envify: 1.4.0
      react: 18.2.0

  react@18.2.0:
    dependencies:
      loose-envify: 1.4.0
";

    #[test]
    fn reads_v9_with_dependencies_from_snapshots() {
        let found = parse_pnpm_lock(V9.as_bytes()).unwrap();
        assert_eq!(
            pins(&found),
            [("@scope/lib", "3.0.0"), ("react", "18.2.0"), ("react-dom", "18.2.0")]
        );
        let react_dom = found.packages.iter().find(|p| p.name == "react-dom").unwrap();
        assert_eq!(react_dom.dependencies, ["loose-envify", "react"]);
        assert_eq!(found.warnings, ["bad: no name and version"]);
    }

    #[test]
    fn malformed_pnpm_locks() {
        assert!(
            parse_pnpm_lock(b"packages: [")
                .unwrap_err()
                .starts_with("not valid YAML")
        );
        assert_eq!(parse_pnpm_lock(b"- a").unwrap_err(), "not a YAML mapping");
        assert_eq!(
            parse_pnpm_lock(b"packages: {}").unwrap_err(),
            "no readable lockfileVersion"
        );
        assert!(
            parse_pnpm_lock(b"lockfileVersion: '9.0'\n")
                .unwrap()
                .packages
                .is_empty()
        );
    }
}
