//! .NET: `<app>.deps.json`, which the SDK writes beside every published application and the
//! runtime reads to resolve its assemblies, so it lists exactly the NuGet packages the app
//! ships. Its `libraries` map holds `Name/Version` keys; only `type: package` entries are NuGet
//! packages (`project` is the app or one of its own projects, `reference`/`runtimepack` are not
//! from nuget.org). Each target's `dependencies` map gives a package's dependencies.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;

use drydock_model::{Ecosystem, FileKind, Package};
use drydock_oci::engine::analyzer::{EntryMeta, Interest};
use serde_json::{Map, Value};

use crate::{Cataloger, CatalogerKind, Catalogued};

const MAX_DEPS_JSON_BYTES: u64 = 64 * 1024 * 1024;

pub struct DotnetDeps;

impl Cataloger for DotnetDeps {
    fn name(&self) -> &'static str {
        "dotnet-deps"
    }

    fn version(&self) -> u32 {
        1
    }

    fn kind(&self) -> CatalogerKind {
        CatalogerKind::Installed
    }

    fn interest(&self) -> Interest {
        Interest {
            globs: vec!["**/*.deps.json".into()],
            ..Default::default()
        }
    }

    fn catalog(&self, file: &EntryMeta<'_>, content: &mut dyn Read) -> Result<Catalogued, String> {
        if file.kind != FileKind::File {
            return Ok(Catalogued::default());
        }
        parse_deps_json(&super::read_limited(content, MAX_DEPS_JSON_BYTES)?)
    }
}

/// The NuGet packages of a `*.deps.json`.
pub fn parse_deps_json(bytes: &[u8]) -> Result<Catalogued, String> {
    let document: Value = serde_json::from_slice(bytes).map_err(|e| format!("not valid JSON: {e}"))?;
    let libraries = document
        .get("libraries")
        .and_then(Value::as_object)
        .ok_or("no `libraries` object: not a .deps.json")?;
    let dependencies = dependencies_by_library(document.get("targets"));
    let mut found = Catalogued::default();
    for (key, library) in libraries {
        match nuget_package(key, library) {
            Ok(Some(mut package)) => {
                if let Some(names) = dependencies.get(key.as_str()) {
                    package.dependencies = names.iter().map(|n| n.to_string()).collect();
                }
                found.packages.push(package);
            }
            Ok(None) => {}
            Err(reason) => found.warnings.push(format!("library `{key}` skipped: {reason}")),
        }
    }
    Ok(found)
}

/// `Newtonsoft.Json/13.0.3` → a package when its `type` is `package`.
fn nuget_package(key: &str, library: &Value) -> Result<Option<Package>, String> {
    let library = library.as_object().ok_or("not an object")?;
    let kind = string(library, "type").ok_or("no `type`")?;
    if kind != "package" {
        return Ok(None);
    }
    let (name, version) = key
        .split_once('/')
        .filter(|(name, version)| !name.is_empty() && !version.is_empty() && !version.contains('/'))
        .ok_or("not a `Name/Version` key")?;
    let mut package = Package::new(Ecosystem::NuGet, name, version);
    for (field, property) in [("sha512", "sha512"), ("path", "path")] {
        if let Some(value) = string(library, field) {
            package.properties.insert(property.into(), value.to_string());
        }
    }
    Ok(Some(package))
}

/// For each `Name/Version` of every target framework, the names of what it depends on.
fn dependencies_by_library(targets: Option<&Value>) -> BTreeMap<&str, BTreeSet<&str>> {
    let mut dependencies: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let frameworks = targets.and_then(Value::as_object).into_iter().flat_map(Map::values);
    for framework in frameworks.filter_map(Value::as_object) {
        for (key, target) in framework {
            let names = target
                .get("dependencies")
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(Map::keys);
            dependencies
                .entry(key.as_str())
                .or_default()
                .extend(names.map(String::as_str));
        }
    }
    dependencies
}

fn string<'a>(object: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEPS: &str = r#"{
  "runtimeTarget": {"name": ".NETCoreApp,Version=v8.0/linux-x64", "signature": ""},
  "compilationOptions": {},
  "targets": {
    ".NETCoreApp,Version=v8.0": {
      "WebApp/1.0.0": {
        "dependencies": {"Newtonsoft.Json": "13.0.3", "Serilog": "3.0.1", "Shared": "1.0.0"},
        "runtime": {"WebApp.dll": {}}
      },
      "Newtonsoft.Json/13.0.3": {
        "runtime": {"lib/net6.0/Newtonsoft.Json.dll": {"assemblyVersion": "13.0.0.0", "fileVersion": "13.0.3.27908"}}
      },
      "Serilog/3.0.1": {
        "dependencies": {"System.Diagnostics.DiagnosticSource": "7.0.2"},
        "runtime": {"lib/net7.0/Serilog.dll": {}}
      },
      "Shared/1.0.0": {"runtime": {"Shared.dll": {}}}
    },
    ".NETCoreApp,Version=v8.0/linux-x64": {
      "Serilog/3.0.1": {"dependencies": {"System.Runtime": "4.3.0"}}
    }
  },
  "libraries": {
    "WebApp/1.0.0": {"type": "project", "serviceable": false, "sha512": ""},
    "Newtonsoft.Json/13.0.3": {
      "type": "package",
      "serviceable": true,
      "sha512": "sha512-HrC5BXdl00IP9zeV+0Z848QWPAoCr9P3bDEZguI+gkLcBKAOxix/tLEAAHC+UvDNPv4a2d18lOReHMOagPa+zQ==",
      "path": "newtonsoft.json/13.0.3",
      "hashPath": "newtonsoft.json.13.0.3.nupkg.sha512"
    },
    "Serilog/3.0.1": {"type": "package", "serviceable": true, "sha512": "sha512-abc", "path": "serilog/3.0.1"},
    "Shared/1.0.0": {"type": "project", "serviceable": false, "sha512": ""},
    "Broken": {"type": "package"},
    "NoType/1.0": {"serviceable": true}
  }
}"#;

    #[test]
    fn reads_package_libraries_with_their_dependencies() {
        let found = parse_deps_json(DEPS.as_bytes()).unwrap();
        let got: Vec<_> = found
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.purl.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("Newtonsoft.Json", "13.0.3", "pkg:nuget/Newtonsoft.Json@13.0.3"),
                ("Serilog", "3.0.1", "pkg:nuget/Serilog@3.0.1"),
            ]
        );
        assert_eq!(found.packages[0].properties["path"], "newtonsoft.json/13.0.3");
        assert!(found.packages[0].properties["sha512"].starts_with("sha512-"));
        assert_eq!(
            found.packages[1].dependencies,
            ["System.Diagnostics.DiagnosticSource", "System.Runtime"]
        );
        assert_eq!(
            found.warnings,
            [
                "library `Broken` skipped: not a `Name/Version` key",
                "library `NoType/1.0` skipped: no `type`"
            ]
        );
    }

    #[test]
    fn files_that_are_not_deps_json_are_errors() {
        assert!(parse_deps_json(b"{").unwrap_err().contains("not valid JSON"));
        assert!(
            parse_deps_json(b"{\"targets\": {}}")
                .unwrap_err()
                .contains("no `libraries`")
        );
        let odd = parse_deps_json(br#"{"targets": [1, 2], "libraries": {"A/1": {"type": "package"}}}"#).unwrap();
        assert_eq!(odd.packages.len(), 1);
        assert!(odd.packages[0].dependencies.is_empty());
    }
}
