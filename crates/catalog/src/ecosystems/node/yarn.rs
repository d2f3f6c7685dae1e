//! `yarn.lock`, in both of its formats.
//!
//! Yarn 1 writes its own indented text format: an unindented line lists the specs an entry
//! satisfies (`"@babel/core@^7.0.0", "@babel/core@^7.1.0":`), two-space lines hold its fields
//! (`version "7.1.2"`) and four-space lines the members of `dependencies:`.
//!
//! Yarn 2+ ("Berry") writes YAML with a `__metadata` entry; each entry has a `resolution`
//! (`@babel/core@npm:7.1.2`) whose protocol says where it came from. Workspaces, links,
//! portals (the user's own code) and patches (a variant of an entry already listed) are
//! left out.

use drydock_model::Package;
use yaml_serde::{Mapping, Value};

use super::package_lock::dedup;
use super::{checked_package, sorted, split_name_at};
use crate::Catalogued;

/// Protocols whose entries are not registry packages of their own.
const SKIPPED_PROTOCOLS: [&str; 5] = ["workspace", "link", "portal", "patch", "file"];

/// The packages a yarn.lock locks.
pub fn parse_yarn_lock(bytes: &[u8]) -> Result<Catalogued, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    let berry = text.lines().any(|line| line.starts_with("__metadata:"));
    let mut found = if berry { parse_berry(text)? } else { parse_classic(text) };
    found.packages = dedup(std::mem::take(&mut found.packages));
    Ok(found)
}

/// One Yarn 1 entry while it is being read.
struct ClassicEntry {
    line: usize,
    spec: String,
    version: Option<String>,
    dependencies: Vec<String>,
    in_dependencies: bool,
}

fn parse_classic(text: &str) -> Catalogued {
    let mut found = Catalogued::default();
    let mut current: Option<ClassicEntry> = None;
    for (index, line) in text.lines().enumerate() {
        let line = line.trim_end();
        if line.is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if indent == 0 {
            finish_classic(current.take(), &mut found);
            match line.strip_suffix(':') {
                Some(header) => current = Some(classic_entry(index + 1, header)),
                None => found.warnings.push(format!("line {}: not an entry header", index + 1)),
            }
        } else if let Some(entry) = current.as_mut() {
            classic_field(entry, indent, line.trim_start());
        }
    }
    finish_classic(current, &mut found);
    found
}

fn classic_entry(line: usize, header: &str) -> ClassicEntry {
    let first = header.split(',').next().unwrap_or("");
    ClassicEntry {
        line,
        spec: unquote(first.trim()).to_string(),
        version: None,
        dependencies: Vec::new(),
        in_dependencies: false,
    }
}

fn classic_field(entry: &mut ClassicEntry, indent: usize, content: &str) {
    if indent <= 2 {
        entry.in_dependencies = matches!(content, "dependencies:" | "optionalDependencies:");
        if let Some(("version", value)) = content.split_once(char::is_whitespace) {
            entry.version = Some(unquote(value.trim()).to_string());
        }
    } else if entry.in_dependencies {
        let name = match content.strip_prefix('"') {
            Some(quoted) => quoted.split('"').next().unwrap_or(""),
            None => content.split_whitespace().next().unwrap_or(""),
        };
        if !name.is_empty() {
            entry.dependencies.push(name.to_string());
        }
    }
}

fn finish_classic(entry: Option<ClassicEntry>, found: &mut Catalogued) {
    let Some(entry) = entry else {
        return;
    };
    let Some((name, range)) = split_name_at(&entry.spec) else {
        found
            .warnings
            .push(format!("line {}: no package name in {:?}", entry.line, entry.spec));
        return;
    };
    if SKIPPED_PROTOCOLS.iter().any(|p| range.starts_with(&format!("{p}:"))) {
        return;
    }
    // `alias@npm:real@^1.0.0` installs `real`.
    let name = range
        .strip_prefix("npm:")
        .and_then(split_name_at)
        .map_or(name, |(real, _)| real);
    let Some(version) = entry.version else {
        found
            .warnings
            .push(format!("line {}: {name} has no version", entry.line));
        return;
    };
    match checked_package(name, &version) {
        Ok(mut package) => {
            package.dependencies = sorted(entry.dependencies);
            found.packages.push(package);
        }
        Err(reason) => found.warnings.push(format!("line {}: {reason}", entry.line)),
    }
}

fn unquote(text: &str) -> &str {
    text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text)
}

fn parse_berry(text: &str) -> Result<Catalogued, String> {
    let document: Value = yaml_serde::from_str(text).map_err(|e| format!("not valid YAML: {e}"))?;
    let entries = document.as_mapping().ok_or("not a YAML mapping")?;
    let mut found = Catalogued::default();
    for (key, entry) in entries {
        let key = key.as_str().unwrap_or("?");
        if key == "__metadata" {
            continue;
        }
        match berry_package(entry) {
            Ok(Some(package)) => found.packages.push(package),
            Ok(None) => {}
            Err(reason) => found.warnings.push(format!("{key}: {reason}")),
        }
    }
    Ok(found)
}

fn berry_package(entry: &Value) -> Result<Option<Package>, String> {
    let entry = entry.as_mapping().ok_or("not a mapping")?;
    let resolution = entry.get("resolution").and_then(Value::as_str).ok_or("no resolution")?;
    let (name, reference) = split_name_at(resolution).ok_or_else(|| format!("unreadable resolution {resolution:?}"))?;
    let protocol = reference.split_once(':').map_or("", |(p, _)| p);
    if SKIPPED_PROTOCOLS.contains(&protocol) || entry.get("linkType").and_then(Value::as_str) == Some("soft") {
        return Ok(None);
    }
    let version = match reference.strip_prefix("npm:") {
        Some(version) => version.to_string(),
        None => scalar(entry, "version").ok_or_else(|| format!("{name} has no version"))?,
    };
    let mut package = checked_package(name, &version)?;
    if let Some(dependencies) = entry.get("dependencies").and_then(Value::as_mapping) {
        let names = dependencies
            .keys()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        package.dependencies = sorted(names);
    }
    Ok(Some(package))
}

/// A string or number field as text (YAML reads an unquoted `version: 2` as a number).
fn scalar(entry: &Mapping, field: &str) -> Option<String> {
    match entry.get(field)? {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
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

    const CLASSIC: &str = r#"# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
  version "7.12.13"
  resolved "https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz#dcfc826beef65e75c50e21d3837d7d95798dd658"
  integrity sha512-HV1Cm0Q3ZrpCR93tkWOYiuYIgLxZXZFVG2VgK+MBWjUqZTundupbfx2aXarXuw5Ko5aMcjtJgbSs4vUGBS5v6g==
  dependencies:
    "@babel/highlight" "^7.12.13"
    js-tokens "^4.0.0"

js-tokens@^4.0.0:
  version "4.0.0"

string-width-cjs@npm:string-width@^4.2.0:
  version "4.2.3"

mine@file:../mine:
  version "1.0.0"

no-version@^1.0.0:
  resolved "x"

this line is broken
"#;

    #[test]
    fn reads_yarn_classic() {
        let found = parse_yarn_lock(CLASSIC.as_bytes()).unwrap();
        assert_eq!(
            pins(&found),
            [
                ("@babel/code-frame", "7.12.13"),
                ("js-tokens", "4.0.0"),
                ("string-width", "4.2.3")
            ]
        );
        let frame = &found.packages[0];
        assert_eq!(frame.dependencies, ["@babel/highlight", "js-tokens"]);
        assert_eq!(frame.purl, "pkg:npm/%40babel/code-frame@7.12.13");
        assert_eq!(
            found.warnings,
            ["line 22: no-version has no version", "line 25: not an entry header"]
        );
    }

    const BERRY: &str = r#"# This file is generated by running "yarn install" inside your project.
# Manual changes might be lost - proceed with caution!

__metadata:
  version: 8
  cacheKey: 10c0

"@babel/code-frame@npm:^7.0.0, @babel/code-frame@npm:^7.10.4":
  version: 7.12.13
  resolution: "@babel/code-frame@npm:7.12.13"
  dependencies:
    "@babel/highlight": "npm:^7.12.13"
  checksum: 10c0/abc
  languageName: node
  linkType: hard

"demo@workspace:.":
  version: 0.0.0-use.local
  resolution: "demo@workspace:."
  dependencies:
    "@babel/code-frame": "npm:^7.0.0"
  languageName: unknown
  linkType: soft

"resolve@patch:resolve@npm%3A^1.22.1#optional!builtin<compat/resolve>":
  version: 1.22.8
  resolution: "resolve@patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>::version=1.22.8&hash=c3c19d"
  languageName: node
  linkType: hard

"resolve@npm:^1.22.1":
  version: 1.22.8
  resolution: "resolve@npm:1.22.8"
  languageName: node
  linkType: hard

"lib@git+https://example.com/lib.git#commit=abc":
  version: 2
  resolution: "lib@git+https://example.com/lib.git#commit=abc"
  linkType: hard

"broken@npm:1":
  version: 1.0.0
"#;

    #[test]
    fn reads_yarn_berry_without_workspaces_or_patches() {
        let found = parse_yarn_lock(BERRY.as_bytes()).unwrap();
        assert_eq!(
            pins(&found),
            [("@babel/code-frame", "7.12.13"), ("lib", "2"), ("resolve", "1.22.8")]
        );
        let frame = found.packages.iter().find(|p| p.name == "@babel/code-frame").unwrap();
        assert_eq!(frame.dependencies, ["@babel/highlight"]);
        assert_eq!(found.warnings, ["broken@npm:1: no resolution"]);
    }

    #[test]
    fn malformed_yarn_locks() {
        assert!(parse_yarn_lock(&[0xff]).unwrap_err().starts_with("not UTF-8"));
        let err = parse_yarn_lock(b"__metadata:\n  version: 8\n x: [").unwrap_err();
        assert!(err.starts_with("not valid YAML"), "{err}");
        let found = parse_yarn_lock(b"@^1:\n  version \"1\"\n").unwrap();
        assert!(found.packages.is_empty());
        assert_eq!(found.warnings, ["line 1: no package name in \"@^1\""]);
    }
}
