//! Python lockfiles: `poetry.lock` and `uv.lock` (TOML, one `[[package]]` table per package)
//! and `Pipfile.lock` (JSON, `default` and `develop` sections). An entry that cannot be read
//! is skipped with a warning; a file that is not TOML or JSON at all is an error.

use drydock_model::Package;
use serde_json::Value as Json;
use toml::{Table, Value as Toml};

use super::{is_valid_name, pypi_package};
use crate::Catalogued;

/// `poetry.lock`: `name`, `version`, `category = "dev"` (Poetry 1) or `groups` (Poetry 2),
/// `optional`, and a `[package.dependencies]` table.
pub fn parse_poetry_lock(bytes: &[u8]) -> Result<Catalogued, String> {
    let mut found = Catalogued::default();
    for (index, entry) in toml_packages(bytes)?.iter().enumerate() {
        match poetry_package(entry) {
            Ok(package) => found.packages.push(package),
            Err(reason) => found.warnings.push(format!("package {} skipped: {reason}", index + 1)),
        }
    }
    Ok(found)
}

fn poetry_package(entry: &Table) -> Result<Package, String> {
    let mut package = named_package(entry)?;
    let category_dev = entry.get("category").and_then(Toml::as_str) == Some("dev");
    let groups: Vec<&str> = entry
        .get("groups")
        .and_then(Toml::as_array)
        .map(|groups| groups.iter().filter_map(Toml::as_str).collect())
        .unwrap_or_default();
    if category_dev || (!groups.is_empty() && !groups.contains(&"main")) {
        package.properties.insert("dev".into(), "true".into());
    }
    if entry.get("optional").and_then(Toml::as_bool) == Some(true) {
        package.properties.insert("optional".into(), "true".into());
    }
    if let Some(dependencies) = entry.get("dependencies").and_then(Toml::as_table) {
        package.dependencies = sorted(dependencies.keys().cloned().collect());
    }
    Ok(package)
}

/// `uv.lock`: `name`, `version`, `source`, and `dependencies = [{ name = … }]`. The project
/// itself and workspace members (`source = { editable | virtual = … }`) are the user's own
/// code, not dependencies, and are left out.
pub fn parse_uv_lock(bytes: &[u8]) -> Result<Catalogued, String> {
    let mut found = Catalogued::default();
    for (index, entry) in toml_packages(bytes)?.iter().enumerate() {
        let source = entry.get("source").and_then(Toml::as_table);
        if source.is_some_and(|s| s.contains_key("editable") || s.contains_key("virtual")) {
            continue;
        }
        match uv_package(entry) {
            Ok(package) => found.packages.push(package),
            Err(reason) => found.warnings.push(format!("package {} skipped: {reason}", index + 1)),
        }
    }
    Ok(found)
}

fn uv_package(entry: &Table) -> Result<Package, String> {
    let mut package = named_package(entry)?;
    if let Some(dependencies) = entry.get("dependencies").and_then(Toml::as_array) {
        let names = dependencies
            .iter()
            .filter_map(|d| d.get("name").and_then(Toml::as_str))
            .map(str::to_string)
            .collect();
        package.dependencies = sorted(names);
    }
    Ok(package)
}

/// The `[[package]]` tables of a TOML lockfile.
fn toml_packages(bytes: &[u8]) -> Result<Vec<Table>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let mut document: Table = toml::from_str(text).map_err(|e| format!("not valid TOML: {e}"))?;
    match document.remove("package") {
        None => Ok(Vec::new()),
        Some(Toml::Array(entries)) => Ok(entries
            .into_iter()
            .filter_map(|entry| match entry {
                Toml::Table(table) => Some(table),
                _ => None,
            })
            .collect()),
        Some(_) => Err("`package` is not an array of tables".into()),
    }
}

fn named_package(entry: &Table) -> Result<Package, String> {
    let name = entry.get("name").and_then(Toml::as_str).ok_or("no name")?;
    let version = entry
        .get("version")
        .and_then(Toml::as_str)
        .ok_or_else(|| format!("{name} has no version"))?;
    checked_package(name, version)
}

fn checked_package(name: &str, version: &str) -> Result<Package, String> {
    if !is_valid_name(name) {
        return Err(format!("invalid name {name:?}"));
    }
    if version.is_empty() || version.contains(char::is_whitespace) {
        return Err(format!("{name}: invalid version {version:?}"));
    }
    Ok(pypi_package(name, version))
}

/// `Pipfile.lock`: `{"default": {name: {"version": "==1.2", "markers": …}}, "develop": {…}}`.
/// Entries without an `==` version (editable or VCS checkouts) name no release and are skipped.
pub fn parse_pipfile_lock(bytes: &[u8]) -> Result<Catalogued, String> {
    let document: Json = serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    if !document.is_object() {
        return Err("not a JSON object".into());
    }
    let mut found = Catalogued::default();
    for (section, dev) in [("default", false), ("develop", true)] {
        let Some(entries) = document.get(section).and_then(Json::as_object) else {
            continue;
        };
        for (name, entry) in entries {
            let Some(version) = entry
                .get("version")
                .and_then(Json::as_str)
                .and_then(|v| v.strip_prefix("=="))
            else {
                continue;
            };
            match checked_package(name, version.trim_start_matches('=')) {
                Ok(mut package) => {
                    if dev {
                        package.properties.insert("dev".into(), "true".into());
                    }
                    if let Some(markers) = entry.get("markers").and_then(Json::as_str) {
                        package.properties.insert("markers".into(), markers.to_string());
                    }
                    found.packages.push(package);
                }
                Err(reason) => found.warnings.push(format!("{section}: {reason}")),
            }
        }
    }
    Ok(found)
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pins(found: &Catalogued) -> Vec<(&str, &str)> {
        found
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect()
    }

    const POETRY: &str = r#"
[[package]]
name = "certifi"
version = "2023.7.22"
description = "Python package for providing Mozilla's CA Bundle."
optional = false
python-versions = ">=3.6"
files = [{file = "certifi-2023.7.22.tar.gz", hash = "sha256:abc"}]

[[package]]
name = "pytest"
version = "7.4.0"
category = "dev"
optional = false

[package.dependencies]
iniconfig = "*"
pluggy = ">=0.12,<2.0"

[[package]]
name = "rich"
version = "13.0.0"
groups = ["docs"]
optional = true

[[package]]
name = "broken"

[metadata]
lock-version = "2.0"
"#;

    #[test]
    fn reads_poetry_lock() {
        let found = parse_poetry_lock(POETRY.as_bytes()).unwrap();
        assert_eq!(
            pins(&found),
            [("certifi", "2023.7.22"), ("pytest", "7.4.0"), ("rich", "13.0.0")]
        );
        assert!(!found.packages[0].properties.contains_key("dev"));
        assert_eq!(found.packages[1].properties["dev"], "true");
        assert_eq!(found.packages[1].dependencies, ["iniconfig", "pluggy"]);
        assert_eq!(found.packages[2].properties["dev"], "true");
        assert_eq!(found.packages[2].properties["optional"], "true");
        assert_eq!(found.warnings, ["package 4 skipped: broken has no version"]);
    }

    #[test]
    fn broken_toml_is_an_error() {
        assert!(
            parse_poetry_lock(b"[[package]\nname=")
                .unwrap_err()
                .starts_with("not valid TOML")
        );
        assert!(parse_uv_lock(b"package = 3").unwrap_err().contains("not an array"));
        assert!(parse_uv_lock(&[0xff]).unwrap_err().starts_with("not UTF-8"));
        assert!(parse_uv_lock(b"version = 1").unwrap().packages.is_empty());
    }

    const UV: &str = r#"
version = 1
requires-python = ">=3.12"

[[package]]
name = "demo"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "httpx" }]

[[package]]
name = "httpx"
version = "0.27.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "anyio" },
    { name = "certifi" },
]

[[package]]
name = "anyio"
version = "4.4.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "bad name"
version = "1.0"
"#;

    #[test]
    fn reads_uv_lock_without_the_project() {
        let found = parse_uv_lock(UV.as_bytes()).unwrap();
        assert_eq!(pins(&found), [("httpx", "0.27.0"), ("anyio", "4.4.0")]);
        assert_eq!(found.packages[0].dependencies, ["anyio", "certifi"]);
        assert_eq!(found.warnings, ["package 4 skipped: invalid name \"bad name\""]);
    }

    const PIPFILE: &str = r#"{
  "_meta": {"hash": {"sha256": "x"}, "pipfile-spec": 6},
  "default": {
    "requests": {"hashes": ["sha256:a"], "index": "pypi", "version": "==2.31.0", "markers": "python_version >= '3.7'"},
    "mylib": {"editable": true, "path": "."},
    "Bad Name": {"version": "==1.0"}
  },
  "develop": {
    "pytest": {"version": "==7.4.0"}
  }
}"#;

    #[test]
    fn reads_pipfile_lock_with_dev_packages() {
        let found = parse_pipfile_lock(PIPFILE.as_bytes()).unwrap();
        assert_eq!(pins(&found), [("requests", "2.31.0"), ("pytest", "7.4.0")]);
        assert_eq!(found.packages[0].properties["markers"], "python_version >= '3.7'");
        assert!(!found.packages[0].properties.contains_key("dev"));
        assert_eq!(found.packages[1].properties["dev"], "true");
        assert_eq!(found.warnings, ["default: invalid name \"Bad Name\""]);
    }

    #[test]
    fn broken_pipfile_lock_is_an_error() {
        assert!(
            parse_pipfile_lock(b"{\"default\": ")
                .unwrap_err()
                .starts_with("not valid JSON")
        );
        assert_eq!(parse_pipfile_lock(b"[]").unwrap_err(), "not a JSON object");
    }
}
