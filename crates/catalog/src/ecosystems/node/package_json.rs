//! An installed package's `package.json`: `name`, `version`, `license` (a string, the legacy
//! `{"type": …}` object, or a legacy `licenses` array) and dependency names.

use drydock_model::Package;
use serde_json::Value;

use super::{checked_package, sorted};

/// Whether `path` is a package root's package.json: `…/node_modules/<name>/package.json` or
/// `…/node_modules/@scope/<name>/package.json`.
pub fn is_package_root(path: &str) -> bool {
    let Some(start) = INSTALL_DIRS
        .iter()
        .filter_map(|dir| path.rfind(dir).map(|at| at + dir.len()))
        .max()
    else {
        return false;
    };
    let rest = path.get(start..).unwrap_or("");
    let segments: Vec<&str> = rest.split('/').collect();
    let visible = |s: &&str| !s.is_empty() && !s.starts_with('.');
    match segments.as_slice() {
        [name, "package.json"] => visible(name) && !name.starts_with('@'),
        [scope, name, "package.json"] => scope.starts_with('@') && scope.len() > 1 && visible(name),
        _ => false,
    }
}

/// Directories whose children are installed packages: npm's `node_modules`, and the
/// directories Debian's `node-*` packages install into (Debian's node searches them).
pub const INSTALL_DIRS: [&str; 3] = ["/node_modules/", "/usr/share/nodejs/", "/usr/lib/nodejs/"];

/// The package an installed package.json describes.
pub fn parse_package_json(bytes: &[u8]) -> Result<Package, String> {
    let manifest: Value = serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    if !manifest.is_object() {
        return Err("not a JSON object".into());
    }
    let name = manifest.get("name").and_then(Value::as_str).ok_or("no name")?;
    let version = manifest
        .get("version")
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{name} has no version"))?;
    let mut package = checked_package(name, version)?;
    package.licenses = licenses(&manifest);
    package.dependencies = dependency_names(&manifest);
    Ok(package)
}

/// `"license": "MIT"`, `"license": {"type": "MIT"}`, or `"licenses": [{"type": "MIT"}, "BSD"]`.
pub(super) fn licenses(manifest: &Value) -> Vec<String> {
    let one = |value: &Value| -> Option<String> {
        let text = value
            .as_str()
            .or_else(|| value.get("type").and_then(Value::as_str))?
            .trim();
        (!text.is_empty()).then(|| text.to_string())
    };
    if let Some(license) = manifest.get("license").and_then(one) {
        return vec![license];
    }
    let listed = manifest.get("licenses").and_then(Value::as_array);
    listed
        .map(|all| all.iter().filter_map(one).collect())
        .unwrap_or_default()
}

/// The names in `dependencies` and `optionalDependencies`.
pub(super) fn dependency_names(manifest: &Value) -> Vec<String> {
    let names = ["dependencies", "optionalDependencies"]
        .iter()
        .filter_map(|field| manifest.get(field).and_then(Value::as_object))
        .flat_map(|deps| deps.keys().cloned())
        .collect();
    sorted(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_package_roots() {
        assert!(is_package_root("/app/node_modules/lodash/package.json"));
        assert!(is_package_root("/app/node_modules/@babel/core/package.json"));
        assert!(is_package_root("/app/node_modules/a/node_modules/b/package.json"));
        assert!(is_package_root(
            "/app/node_modules/.pnpm/ms@2.1.3/node_modules/ms/package.json"
        ));
        assert!(!is_package_root("/app/package.json"));
        assert!(!is_package_root("/app/node_modules/lodash/fp/package.json"));
        assert!(!is_package_root("/app/node_modules/@babel/package.json"));
        assert!(!is_package_root("/app/node_modules/.cache/package.json"));
        assert!(!is_package_root("/app/node_modules/@/x/package.json"));
    }

    #[test]
    fn knows_debian_node_module_roots() {
        assert!(is_package_root("/usr/share/nodejs/lodash/package.json"));
        assert!(is_package_root("/usr/share/nodejs/@types/node/package.json"));
        assert!(is_package_root("/usr/lib/nodejs/acorn/package.json"));
        assert!(!is_package_root("/usr/share/nodejs/lodash/fp/package.json"));
    }

    #[test]
    fn reads_name_version_license_and_dependencies() {
        let json = br#"{"name": "@scope/pkg", "version": "1.2.3", "license": {"type": "ISC"},
            "dependencies": {"ms": "^2.0.0", "debug": "4"}, "optionalDependencies": {"fsevents": "*"},
            "devDependencies": {"mocha": "*"}}"#;
        let package = parse_package_json(json).unwrap();
        assert_eq!(
            (package.name.as_str(), package.version.as_str()),
            ("@scope/pkg", "1.2.3")
        );
        assert_eq!(package.purl, "pkg:npm/%40scope/pkg@1.2.3");
        assert_eq!(package.licenses, ["ISC"]);
        assert_eq!(package.dependencies, ["debug", "fsevents", "ms"]);
    }

    #[test]
    fn reads_legacy_license_arrays() {
        let json = br#"{"name": "a", "version": "1.0.0", "licenses": [{"type": "MIT"}, "Apache-2.0", {"url": "x"}]}"#;
        assert_eq!(parse_package_json(json).unwrap().licenses, ["MIT", "Apache-2.0"]);
    }

    #[test]
    fn malformed_manifests_are_errors() {
        assert!(
            parse_package_json(b"{\"name\": ")
                .unwrap_err()
                .starts_with("not valid JSON")
        );
        assert_eq!(parse_package_json(b"[1]").unwrap_err(), "not a JSON object");
        assert_eq!(parse_package_json(b"{\"version\": \"1\"}").unwrap_err(), "no name");
        assert_eq!(
            parse_package_json(b"{\"name\": \"a\"}").unwrap_err(),
            "a has no version"
        );
        assert!(
            parse_package_json(br#"{"name": "a b", "version": "1"}"#)
                .unwrap_err()
                .contains("invalid package name")
        );
    }
}
