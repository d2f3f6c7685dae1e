//! PHP packages managed by Composer. Declared: `composer.lock`, whose `packages` and
//! `packages-dev` (property `dev`) pin every package of a project. Installed:
//! `<vendor>/composer/installed.json`, which Composer rewrites on every install: a JSON array in
//! Composer 1, `{"packages": […], "dev-package-names": […]}` in Composer 2. Versions are kept as
//! written (`v5.4.0`, `dev-main`), in the purl too, so both files give the same purl and merge.

use std::io::Read;

use drydock_model::{Ecosystem, FileKind, Package, purl};
use drydock_oci::engine::analyzer::{EntryMeta, Interest};
use serde_json::{Map, Value};

use crate::{Cataloger, CatalogerKind, Catalogued};

const MAX_JSON_BYTES: u64 = 64 * 1024 * 1024;

/// `composer.lock`.
pub struct ComposerLock;

impl Cataloger for ComposerLock {
    fn name(&self) -> &'static str {
        "php-lock"
    }

    fn version(&self) -> u32 {
        1
    }

    fn kind(&self) -> CatalogerKind {
        CatalogerKind::Declared
    }

    fn interest(&self) -> Interest {
        Interest {
            basenames: vec!["composer.lock".into()],
            ..Default::default()
        }
    }

    fn catalog(&self, file: &EntryMeta<'_>, content: &mut dyn Read) -> Result<Catalogued, String> {
        if file.kind != FileKind::File || super::is_inside_installed_package(file.path) {
            return Ok(Catalogued::default());
        }
        parse_composer_lock(&super::read_limited(content, MAX_JSON_BYTES)?)
    }
}

/// `vendor/composer/installed.json`.
pub struct ComposerInstalled;

impl Cataloger for ComposerInstalled {
    fn name(&self) -> &'static str {
        "php-installed"
    }

    fn version(&self) -> u32 {
        1
    }

    fn kind(&self) -> CatalogerKind {
        CatalogerKind::Installed
    }

    fn interest(&self) -> Interest {
        // Any vendor directory name (Composer's `vendor-dir` setting), so not `**/vendor/…`.
        Interest {
            globs: vec!["**/composer/installed.json".into()],
            ..Default::default()
        }
    }

    fn catalog(&self, file: &EntryMeta<'_>, content: &mut dyn Read) -> Result<Catalogued, String> {
        if file.kind != FileKind::File {
            return Ok(Catalogued::default());
        }
        parse_installed_json(&super::read_limited(content, MAX_JSON_BYTES)?)
    }
}

/// The packages of a `composer.lock`.
pub fn parse_composer_lock(bytes: &[u8]) -> Result<Catalogued, String> {
    let document: Value = serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    let lock = document.as_object().ok_or("not a JSON object")?;
    let mut found = Catalogued::default();
    for (key, dev) in [("packages", false), ("packages-dev", true)] {
        match lock.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Array(entries)) => read_entries(entries, key, |_| dev, &mut found),
            Some(_) => found.warnings.push(format!("`{key}` is not an array; skipped")),
        }
    }
    if !lock.contains_key("packages") && !lock.contains_key("packages-dev") {
        return Err("no `packages` or `packages-dev`: not a composer.lock".into());
    }
    Ok(found)
}

/// The packages of an `installed.json`, either generation.
pub fn parse_installed_json(bytes: &[u8]) -> Result<Catalogued, String> {
    let document: Value = serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    let mut found = Catalogued::default();
    match &document {
        Value::Array(entries) => read_entries(entries, "packages", |_| false, &mut found),
        Value::Object(installed) => {
            let entries = installed
                .get("packages")
                .and_then(Value::as_array)
                .ok_or("no `packages` array: not a Composer installed.json")?;
            let dev_names: Vec<&str> = installed
                .get("dev-package-names")
                .and_then(Value::as_array)
                .map(|names| names.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            read_entries(entries, "packages", |name| dev_names.contains(&name), &mut found);
        }
        _ => return Err("neither an array nor an object: not a Composer installed.json".into()),
    }
    Ok(found)
}

fn read_entries(entries: &[Value], list: &str, is_dev: impl Fn(&str) -> bool, found: &mut Catalogued) {
    for (index, entry) in entries.iter().enumerate() {
        match composer_package(entry) {
            Ok(mut package) => {
                if is_dev(&package.name) {
                    package.properties.insert("dev".into(), "true".into());
                }
                found.packages.push(package);
            }
            Err(reason) => found.warnings.push(format!("`{list}` entry {index} skipped: {reason}")),
        }
    }
}

fn composer_package(entry: &Value) -> Result<Package, String> {
    let entry = entry.as_object().ok_or("not an object")?;
    let name = string(entry, "name").ok_or("no `name`")?;
    let version = string(entry, "version").ok_or_else(|| format!("{name} has no `version`"))?;
    let (vendor, project) = name
        .split_once('/')
        .filter(|(vendor, project)| !vendor.is_empty() && !project.is_empty() && !project.contains('/'))
        .ok_or_else(|| format!("`{name}` is not a `vendor/name` package name"))?;
    let mut package = Package::new(Ecosystem::Packagist, name, version);
    package.purl = purl::build(Ecosystem::Packagist.purl_type(), Some(vendor), project, version, &[]);
    package.licenses = match entry.get("license") {
        Some(Value::String(license)) => vec![license.clone()],
        Some(Value::Array(licenses)) => licenses.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    };
    // Platform requirements (`php`, `ext-json`, `lib-icu`) have no vendor: not packages.
    if let Some(Value::Object(require)) = entry.get("require") {
        package.dependencies = require.keys().filter(|k| k.contains('/')).cloned().collect();
        package.dependencies.sort();
    }
    for (key, property) in [("type", "type"), ("install-path", "install_path")] {
        if let Some(value) = string(entry, key) {
            package.properties.insert(property.into(), value.to_string());
        }
    }
    Ok(package)
}

fn string<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"{
    "_readme": ["This file locks the dependencies of your project to a known state"],
    "content-hash": "4b3c2e1f",
    "packages": [
        {
            "name": "monolog/monolog",
            "version": "3.4.0",
            "source": {"type": "git", "url": "https://github.com/Seldaek/monolog.git", "reference": "e2392369686d420ca32df3803de28b5d6f76867d"},
            "require": {"php": ">=8.1", "psr/log": "^2.0 || ^3.0"},
            "type": "library",
            "license": ["MIT"]
        },
        {"name": "psr/log", "version": "3.0.0", "type": "library", "license": ["MIT"]},
        {"name": "symfony/console", "version": "v6.3.4", "license": "MIT", "require": {"ext-mbstring": "*"}},
        {"name": "broken", "version": "1.0"},
        {"version": "1.0"}
    ],
    "packages-dev": [
        {"name": "phpunit/phpunit", "version": "10.3.2", "license": ["BSD-3-Clause"]}
    ],
    "aliases": [],
    "minimum-stability": "stable"
}"#;

    #[test]
    fn reads_composer_lock_packages_and_dev_packages() {
        let found = parse_composer_lock(LOCK.as_bytes()).unwrap();
        let got: Vec<_> = found
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.purl.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("monolog/monolog", "3.4.0", "pkg:composer/monolog/monolog@3.4.0"),
                ("psr/log", "3.0.0", "pkg:composer/psr/log@3.0.0"),
                ("symfony/console", "v6.3.4", "pkg:composer/symfony/console@v6.3.4"),
                ("phpunit/phpunit", "10.3.2", "pkg:composer/phpunit/phpunit@10.3.2"),
            ]
        );
        assert_eq!(found.packages[0].dependencies, ["psr/log"]);
        assert_eq!(found.packages[0].licenses, ["MIT"]);
        assert_eq!(found.packages[2].licenses, ["MIT"]);
        assert!(found.packages[2].dependencies.is_empty());
        assert_eq!(found.packages[3].properties["dev"], "true");
        assert!(!found.packages[0].properties.contains_key("dev"));
        assert_eq!(
            found.warnings,
            [
                "`packages` entry 3 skipped: `broken` is not a `vendor/name` package name",
                "`packages` entry 4 skipped: no `name`"
            ]
        );
    }

    #[test]
    fn reads_both_installed_json_generations() {
        let v2 = r#"{"packages": [
            {"name": "psr/log", "version": "3.0.0", "version_normalized": "3.0.0.0", "type": "library", "install-path": "../psr/log", "license": ["MIT"]},
            {"name": "phpunit/phpunit", "version": "10.3.2", "install-path": "../phpunit/phpunit"}
        ], "dev": true, "dev-package-names": ["phpunit/phpunit"]}"#;
        let found = parse_installed_json(v2.as_bytes()).unwrap();
        assert_eq!(found.packages.len(), 2);
        assert_eq!(found.packages[0].properties["install_path"], "../psr/log");
        assert!(!found.packages[0].properties.contains_key("dev"));
        assert_eq!(found.packages[1].properties["dev"], "true");

        let v1 = r#"[{"name": "psr/log", "version": "1.1.4", "license": ["MIT"]}]"#;
        let found = parse_installed_json(v1.as_bytes()).unwrap();
        assert_eq!(found.packages[0].purl, "pkg:composer/psr/log@1.1.4");
    }

    #[test]
    fn files_that_are_not_composer_files_are_errors() {
        assert!(
            parse_composer_lock(b"{not json")
                .unwrap_err()
                .contains("not valid JSON")
        );
        assert!(parse_composer_lock(b"[]").unwrap_err().contains("not a JSON object"));
        assert!(parse_composer_lock(b"{}").unwrap_err().contains("not a composer.lock"));
        assert!(
            parse_installed_json(b"{\"dev\": true}")
                .unwrap_err()
                .contains("no `packages`")
        );
        assert!(parse_installed_json(b"42").is_err());
        let odd = parse_composer_lock(br#"{"packages": {"a": 1}, "packages-dev": []}"#).unwrap();
        assert_eq!(odd.warnings, ["`packages` is not an array; skipped"]);
    }
}
