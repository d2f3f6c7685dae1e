//! Node.js (npm) packages, from two kinds of files.
//!
//! Installed: the `package.json` at the root of each package under a `node_modules`
//! directory (`node_modules/<name>/` or `node_modules/@scope/<name>/`, nested `node_modules`
//! and pnpm's `.pnpm` store included). Other `package.json` files inside a package
//! (`lib/package.json` holding `{"type": "module"}`) are not packages and are ignored.
//!
//! Declared: lockfiles, for `fs:` targets and application directories in images:
//! `package-lock.json` / `npm-shrinkwrap.json` (v1 `dependencies` tree, v2/v3 `packages`
//! map), `yarn.lock` (v1 text format and Berry's YAML) and `pnpm-lock.yaml` (v5, v6, v9).
//! npm's hidden `node_modules/.package-lock.json` repeats what the installed package.json
//! files say and is not read. The project itself and its workspace members are the user's
//! code, not packages.
//!
//! The lockfile entry and the installed package.json of one package get the same purl
//! (`pkg:npm/%40scope/name@1.0.0`), so assembly merges them into one package with both
//! locations.

mod package_json;
mod package_lock;
mod pnpm;
mod yarn;

use std::io::Read;

use drydock_model::{Ecosystem, FileKind, Package, purl};
use drydock_oci::engine::analyzer::{EntryMeta, Interest};

use crate::{Cataloger, CatalogerKind, Catalogued};

pub use package_json::{is_package_root, parse_package_json};

use super::is_inside_installed_package;
use super::read_limited;
pub use package_lock::parse_package_lock;
pub use pnpm::parse_pnpm_lock;
pub use yarn::parse_yarn_lock;

/// An installed package.json; real ones are a few KB.
const MAX_PACKAGE_JSON_BYTES: u64 = 4 * 1024 * 1024;
/// Lockfiles of large monorepos reach tens of MB.
const MAX_LOCK_BYTES: u64 = 128 * 1024 * 1024;

/// Installed packages: `**/node_modules/**/package.json` at a package root.
pub struct NpmInstalled;

impl Cataloger for NpmInstalled {
    fn name(&self) -> &'static str {
        "npm-installed"
    }

    fn version(&self) -> u32 {
        1
    }

    fn kind(&self) -> CatalogerKind {
        CatalogerKind::Installed
    }

    fn interest(&self) -> Interest {
        Interest {
            globs: vec![
                "**/node_modules/**/package.json".into(),
                "/usr/share/nodejs/**/package.json".into(),
                "/usr/lib/nodejs/**/package.json".into(),
            ],
            max_size: Some(MAX_PACKAGE_JSON_BYTES),
            ..Default::default()
        }
    }

    fn catalog(&self, file: &EntryMeta<'_>, content: &mut dyn Read) -> Result<Catalogued, String> {
        if file.kind != FileKind::File || !is_package_root(file.path) {
            return Ok(Catalogued::default());
        }
        let bytes = read_limited(content, MAX_PACKAGE_JSON_BYTES)?;
        parse_package_json(&bytes).map(|p| vec![p].into())
    }
}

/// Declared packages: `package-lock.json`, `npm-shrinkwrap.json`, `yarn.lock`, `pnpm-lock.yaml`.
pub struct NpmLock;

impl Cataloger for NpmLock {
    fn name(&self) -> &'static str {
        "npm-lock"
    }

    fn version(&self) -> u32 {
        1
    }

    fn kind(&self) -> CatalogerKind {
        CatalogerKind::Declared
    }

    fn interest(&self) -> Interest {
        Interest {
            basenames: vec![
                "package-lock.json".into(),
                "npm-shrinkwrap.json".into(),
                "yarn.lock".into(),
                "pnpm-lock.yaml".into(),
            ],
            max_size: Some(MAX_LOCK_BYTES),
            ..Default::default()
        }
    }

    fn catalog(&self, file: &EntryMeta<'_>, content: &mut dyn Read) -> Result<Catalogued, String> {
        if file.kind != FileKind::File || is_inside_installed_package(file.path) {
            return Ok(Catalogued::default());
        }
        let bytes = read_limited(content, MAX_LOCK_BYTES)?;
        match file.path.rsplit('/').next().unwrap_or(file.path) {
            "yarn.lock" => parse_yarn_lock(&bytes),
            "pnpm-lock.yaml" => parse_pnpm_lock(&bytes),
            _ => parse_package_lock(&bytes),
        }
    }
}

/// An npm package; a scoped name's scope is the purl namespace (`pkg:npm/%40babel/core@7.0.0`).
fn npm_package(name: &str, version: &str) -> Package {
    let mut package = Package::new(Ecosystem::Npm, name, version);
    let (namespace, short_name) = match name.split_once('/') {
        Some((scope, rest)) if scope.starts_with('@') => (Some(scope.to_ascii_lowercase()), rest),
        _ => (None, name),
    };
    package.purl = purl::build(
        Ecosystem::Npm.purl_type(),
        namespace.as_deref(),
        short_name,
        version,
        &[],
    );
    package
}

/// Whether `name` can be an npm package name: `name` or `@scope/name`, no spaces or path tricks.
fn is_valid_name(name: &str) -> bool {
    let plain = |part: &str| {
        !part.is_empty()
            && !part.starts_with('.')
            && part
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '/' | '\\' | '@'))
    };
    match name.strip_prefix('@') {
        Some(scoped) => scoped
            .split_once('/')
            .is_some_and(|(scope, rest)| plain(scope) && plain(rest)),
        None => plain(name),
    }
}

/// Whether `version` can be a package version: not empty and no whitespace.
fn is_valid_version(version: &str) -> bool {
    !version.is_empty() && !version.contains(char::is_whitespace)
}

/// A package from a lockfile entry, after checking its name and version.
fn checked_package(name: &str, version: &str) -> Result<Package, String> {
    if !is_valid_name(name) {
        return Err(format!("invalid package name {name:?}"));
    }
    if !is_valid_version(version) {
        return Err(format!("{name}: invalid version {version:?}"));
    }
    Ok(npm_package(name, version))
}

/// Splits `name@range` (or `@scope/name@range`) at the `@` that ends the name.
fn split_name_at(spec: &str) -> Option<(&str, &str)> {
    let at = spec.get(1..)?.find('@')? + 1;
    Some((spec.get(..at)?, spec.get(at + 1..)?))
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(path: &str) -> EntryMeta<'_> {
        crate::ecosystems::test_file(path, 0)
    }

    #[test]
    fn purls_put_the_scope_in_the_namespace() {
        assert_eq!(npm_package("lodash", "4.17.15").purl, "pkg:npm/lodash@4.17.15");
        assert_eq!(npm_package("@babel/core", "7.0.0").purl, "pkg:npm/%40babel/core@7.0.0");
        assert_eq!(npm_package("JSONStream", "1.3.5").purl, "pkg:npm/JSONStream@1.3.5");
    }

    #[test]
    fn validates_names_and_splits_specs() {
        assert!(is_valid_name("lodash.once") && is_valid_name("@types/node"));
        assert!(!is_valid_name("") && !is_valid_name("@types") && !is_valid_name("a b") && !is_valid_name(".bin"));
        assert_eq!(split_name_at("@babel/core@^7.0.0"), Some(("@babel/core", "^7.0.0")));
        assert_eq!(split_name_at("ms@npm:2.1.3"), Some(("ms", "npm:2.1.3")));
        assert_eq!(split_name_at("ms"), None);
        assert_eq!(split_name_at("@"), None);
    }

    #[test]
    fn installed_cataloger_reads_only_package_roots() {
        let json = br#"{"name": "ms", "version": "2.1.3", "license": "MIT"}"#;
        let found = NpmInstalled
            .catalog(&meta("/app/node_modules/ms/package.json"), &mut json.as_slice())
            .unwrap();
        assert_eq!(found.packages.len(), 1);
        let inner = NpmInstalled
            .catalog(&meta("/app/node_modules/ms/dist/package.json"), &mut json.as_slice())
            .unwrap();
        assert!(inner.packages.is_empty());
    }

    #[test]
    fn lock_cataloger_dispatches_on_the_file_name() {
        let yarn = b"# yarn lockfile v1\n\nms@^2.1.1:\n  version \"2.1.3\"\n";
        let found = NpmLock.catalog(&meta("/app/yarn.lock"), &mut yarn.as_slice()).unwrap();
        assert_eq!(found.packages[0].name, "ms");
        let err = NpmLock
            .catalog(&meta("/app/package-lock.json"), &mut b"{".as_slice())
            .unwrap_err();
        assert!(err.contains("JSON"), "{err}");
    }
}
