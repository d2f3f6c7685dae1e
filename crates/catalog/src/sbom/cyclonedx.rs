//! CycloneDX 1.6 JSON (<https://cyclonedx.org/docs/1.6/json/>), with serde types of our own:
//! the `cyclonedx-bom` crate writes 1.5 at most.
//!
//! The scanned image is `metadata.component` (type `container`; `application` for a
//! project directory, `file` for a root filesystem), the operating system an
//! `operating-system` component, and every package a `library` component whose
//! `bom-ref` is its purl. Files a package was found in are `evidence.occurrences`, and
//! with their layers `drydock:location:*` properties. The dependency graph lists the
//! resolved dependencies of each package that has any.

use serde::Serialize;

use drydock_model::{OsRelease, Package};

use super::graph::dependency_graph;
use super::license::{LicenseForm, classify};
use super::{SbomDocument, Subject, names, package_facts, sha1_of};
use crate::TargetKind;

pub const SPEC_VERSION: &str = "1.6";
const SCHEMA: &str = "http://cyclonedx.org/schema/bom-1.6.schema.json";
/// The `bom-ref` of the subject when it has no purl.
const SUBJECT_REF: &str = "drydock:subject";

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Bom {
    #[serde(rename = "$schema")]
    schema: &'static str,
    bom_format: &'static str,
    spec_version: &'static str,
    serial_number: String,
    version: u32,
    metadata: Metadata,
    components: Vec<Component>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<Dependency>,
}

#[derive(Debug, Serialize)]
struct Metadata {
    timestamp: String,
    tools: Tools,
    component: Component,
}

#[derive(Debug, Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    evidence: Option<Evidence>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Debug, Serialize)]
struct Hash {
    alg: &'static str,
    content: String,
}

/// A list of licenses, or one expression: the schema allows no mix of the two.
#[derive(Debug, Serialize)]
#[serde(untagged)]
enum LicenseChoice {
    License { license: License },
    Expression { expression: String },
}

#[derive(Debug, Serialize)]
struct License {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

#[derive(Debug, Serialize)]
struct Evidence {
    occurrences: Vec<Occurrence>,
}

#[derive(Debug, Serialize)]
struct Occurrence {
    location: String,
}

#[derive(Debug, Serialize)]
struct Property {
    name: String,
    value: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Dependency {
    #[serde(rename = "ref")]
    reference: String,
    depends_on: Vec<String>,
}

impl Bom {
    /// Gives the BOM a serial number of its own when a writer adds `extra` content to it
    /// (a scan's vulnerabilities), derived from the inventory's serial and that content, so
    /// it stays deterministic and differs from the plain SBOM's.
    pub fn derive_serial_number(&mut self, extra: &str) {
        self.serial_number = format!(
            "urn:uuid:{}",
            super::uuid_v5(&format!("{}:{extra}", self.serial_number))
        );
    }
}

/// The CycloneDX BOM of a document.
pub fn bom(document: &SbomDocument<'_>) -> Bom {
    let packages = &document.inventory.packages;
    let refs = bom_refs(packages);
    let mut components = Vec::with_capacity(packages.len() + 1);
    if let Some(os) = &document.inventory.os {
        components.push(os_component(os));
    }
    components.extend(packages.iter().zip(&refs).map(|(p, r)| package_component(p, r)));
    let dependencies = dependency_graph(packages)
        .into_iter()
        .enumerate()
        .filter(|(_, targets)| !targets.is_empty())
        .filter_map(|(index, targets)| {
            Some(Dependency {
                reference: refs.get(index)?.clone(),
                depends_on: targets.iter().filter_map(|t| refs.get(*t).cloned()).collect(),
            })
        })
        .collect();
    Bom {
        schema: SCHEMA,
        bom_format: "CycloneDX",
        spec_version: SPEC_VERSION,
        serial_number: format!("urn:uuid:{}", document.uuid()),
        version: 1,
        metadata: Metadata {
            timestamp: document.created_rfc3339(),
            tools: Tools {
                components: vec![Component {
                    kind: "application",
                    name: "drydock".to_string(),
                    version: Some(document.tool_version.to_string()),
                    ..Component::default()
                }],
            },
            component: subject_component(document.subject),
        },
        components,
        dependencies,
    }
}

/// A unique `bom-ref` per package, in inventory order: its purl, made unique if two
/// packages share one. Documents that point at components (vulnerabilities) use these.
pub fn bom_refs(packages: &[Package]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    packages
        .iter()
        .enumerate()
        .map(|(index, package)| {
            let base = if package.purl.is_empty() {
                format!("drydock:package:{index}")
            } else {
                package.purl.clone()
            };
            let mut candidate = base.clone();
            let mut n = 2;
            while !seen.insert(candidate.clone()) {
                candidate = format!("{base}#drydock-{n}");
                n += 1;
            }
            candidate
        })
        .collect()
}

fn subject_component(subject: &Subject) -> Component {
    let kind = match subject.kind {
        TargetKind::Image => "container",
        TargetKind::Project => "application",
        TargetKind::RootFs => "file",
    };
    let hashes = subject
        .digest
        .iter()
        .filter(|d| d.is_sha256())
        .map(|d| Hash {
            alg: "SHA-256",
            content: d.hex().to_string(),
        })
        .collect();
    Component {
        kind,
        bom_ref: Some(subject.purl.clone().unwrap_or_else(|| SUBJECT_REF.to_string())),
        name: subject.name.clone(),
        version: subject.digest.as_ref().map(|d| d.to_string()),
        hashes,
        purl: subject.purl.clone(),
        properties: properties(subject.properties.iter().cloned()),
        ..Component::default()
    }
}

fn os_component(os: &OsRelease) -> Component {
    let mut facts = Vec::new();
    if let Some(codename) = &os.version_codename {
        facts.push((names::OS_CODENAME.to_string(), codename.clone()));
    }
    if let Some(pretty) = &os.pretty_name {
        facts.push((names::OS_PRETTY_NAME.to_string(), pretty.clone()));
    }
    for like in &os.id_like {
        facts.push((names::OS_ID_LIKE.to_string(), like.clone()));
    }
    facts.push((names::OS_PATH.to_string(), os.path.clone()));
    if let Some(layer) = os.layer {
        facts.push((names::OS_LAYER.to_string(), layer.to_string()));
    }
    let version = os.version_id.clone();
    Component {
        kind: "operating-system",
        bom_ref: Some(format!(
            "drydock:os:{}@{}",
            os.id,
            version.as_deref().unwrap_or("unknown")
        )),
        name: os.id.clone(),
        version,
        description: os.pretty_name.clone(),
        properties: properties(facts.into_iter()),
        ..Component::default()
    }
}

fn package_component(package: &Package, bom_ref: &str) -> Component {
    let mut occurrences: Vec<Occurrence> = Vec::new();
    for location in &package.locations {
        if !occurrences.iter().any(|o| o.location == location.path) {
            occurrences.push(Occurrence {
                location: location.path.clone(),
            });
        }
    }
    let hashes = sha1_of(package)
        .map(|sha1| Hash {
            alg: "SHA-1",
            content: sha1.to_ascii_lowercase(),
        })
        .into_iter()
        .collect();
    Component {
        kind: "library",
        bom_ref: Some(bom_ref.to_string()),
        name: package.name.clone(),
        version: (!package.version.is_empty()).then(|| package.version.clone()),
        hashes,
        licenses: licenses(&package.licenses),
        purl: (!package.purl.is_empty()).then(|| package.purl.clone()),
        evidence: (!occurrences.is_empty()).then_some(Evidence { occurrences }),
        properties: properties(package_facts(package).into_iter()),
        ..Component::default()
    }
}

/// One expression when that is all the package declares; otherwise a list of licenses,
/// each by SPDX id where it is one, by name otherwise (expressions among several
/// licenses included, since the schema forbids mixing).
fn licenses(declared: &[String]) -> Vec<LicenseChoice> {
    let declared: Vec<&String> = declared.iter().filter(|l| !l.trim().is_empty()).collect();
    if let [only] = declared.as_slice()
        && let LicenseForm::Expression(expression) = classify(only)
    {
        return vec![LicenseChoice::Expression {
            expression: expression.to_string(),
        }];
    }
    declared
        .into_iter()
        .map(|text| {
            let license = match classify(text) {
                LicenseForm::Id(id) => License {
                    id: Some(id.to_string()),
                    name: None,
                },
                LicenseForm::Expression(_) | LicenseForm::Name(_) => License {
                    id: None,
                    name: Some(text.clone()),
                },
            };
            LicenseChoice::License { license }
        })
        .collect()
}

fn properties(pairs: impl Iterator<Item = (String, String)>) -> Vec<Property> {
    pairs.map(|(name, value)| Property { name, value }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use drydock_model::{Ecosystem, Inventory, PackageLocation, SourcePackage};
    use serde_json::{Value, json};

    fn sample() -> Inventory {
        let mut libc = Package::new(Ecosystem::Deb, "libc6", "2.36-9");
        libc.purl = "pkg:deb/debian/libc6@2.36-9?arch=amd64&upstream=glibc".into();
        libc.source = Some(SourcePackage {
            name: "glibc".into(),
            version: "2.36-9".into(),
        });
        libc.locations.push(PackageLocation {
            path: "/var/lib/dpkg/status".into(),
            layer: Some(0),
            layer_diff_id: Some(format!("sha256:{}", "0".repeat(64)).parse().unwrap()),
        });
        libc.found_by.push("dpkg".into());
        libc.dependencies = vec!["libgcc-s1".into()];
        libc.properties.insert("architecture".into(), "amd64".into());
        libc.licenses = vec!["LGPL-2.1-or-later".into(), "GPL-2.0+ OR MIT".into()];
        let mut gcc = Package::new(Ecosystem::Deb, "libgcc-s1", "12.2.0-14");
        gcc.licenses = vec!["GPL-3.0-or-later WITH GCC-exception-3.1".into()];
        let mut jar = Package::new(Ecosystem::Maven, "org.example:lib", "1.0");
        jar.properties.insert("sha1".into(), "A".repeat(40));
        Inventory {
            os: Some(OsRelease {
                id: "debian".into(),
                version_id: Some("12".into()),
                pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
                path: "/usr/lib/os-release".into(),
                layer: Some(0),
                ..OsRelease::default()
            }),
            packages: vec![libc, gcc, jar],
            warnings: Vec::new(),
        }
    }

    fn subject() -> Subject {
        Subject {
            name: "oci:layout:app".into(),
            kind: TargetKind::Image,
            digest: Some(format!("sha256:{}", "1".repeat(64)).parse().unwrap()),
            purl: None,
            properties: vec![("drydock:image:platform".into(), "linux/amd64".into())],
        }
    }

    fn render(inventory: &Inventory) -> Value {
        let subject = subject();
        let document = SbomDocument {
            inventory,
            subject: &subject,
            tool_version: "0.1.0",
            created: 0,
        };
        serde_json::to_value(bom(&document)).unwrap()
    }

    #[test]
    fn writes_the_bom_frame() {
        let bom = render(&sample());
        assert_eq!(bom["bomFormat"], "CycloneDX");
        assert_eq!(bom["specVersion"], "1.6");
        assert_eq!(bom["metadata"]["timestamp"], "1970-01-01T00:00:00Z");
        assert_eq!(bom["metadata"]["tools"]["components"][0]["name"], "drydock");
        let image = &bom["metadata"]["component"];
        assert_eq!(image["type"], "container");
        assert_eq!(image["version"], format!("sha256:{}", "1".repeat(64)));
        assert_eq!(image["hashes"][0]["alg"], "SHA-256");
        let serial = bom["serialNumber"].as_str().unwrap();
        assert!(serial.starts_with("urn:uuid:") && serial.len() == 45, "{serial}");
        assert_eq!(render(&sample())["serialNumber"], bom["serialNumber"], "deterministic");
        assert_eq!(bom["components"][0]["type"], "operating-system");
        assert_eq!(bom["components"][0]["version"], "12");
    }

    #[test]
    fn writes_packages_with_locations_licenses_and_dependencies() {
        let bom = render(&sample());
        let libc = &bom["components"][1];
        assert_eq!(libc["bom-ref"], libc["purl"]);
        assert_eq!(
            libc["evidence"]["occurrences"],
            json!([{"location": "/var/lib/dpkg/status"}])
        );
        assert_eq!(
            libc["licenses"],
            json!([{"license": {"id": "LGPL-2.1-or-later"}}, {"license": {"name": "GPL-2.0+ OR MIT"}}])
        );
        let properties: Vec<(String, String)> = libc["properties"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p["name"].as_str().unwrap().into(), p["value"].as_str().unwrap().into()))
            .collect();
        assert_eq!(
            properties[0],
            ("drydock:location:path".into(), "/var/lib/dpkg/status".into())
        );
        assert_eq!(properties[1], ("drydock:location:layer".into(), "0".into()));
        assert!(properties.contains(&("drydock:source:name".into(), "glibc".into())));
        assert!(properties.contains(&("drydock:metadata:architecture".into(), "amd64".into())));
        assert!(properties.contains(&("drydock:found_by".into(), "dpkg".into())));
        let gcc = &bom["components"][2];
        assert_eq!(
            gcc["licenses"],
            json!([{"expression": "GPL-3.0-or-later WITH GCC-exception-3.1"}])
        );
        assert_eq!(
            bom["dependencies"],
            json!([{"ref": libc["bom-ref"], "dependsOn": [gcc["bom-ref"]]}])
        );
        let jar = &bom["components"][3];
        assert_eq!(jar["hashes"], json!([{"alg": "SHA-1", "content": "a".repeat(40)}]));
    }

    #[test]
    fn duplicate_purls_get_distinct_refs() {
        let mut a = Package::new(Ecosystem::PyPI, "PyYAML", "5.3");
        a.purl = "pkg:pypi/pyyaml@5.3".into();
        let mut b = Package::new(Ecosystem::PyPI, "pyyaml", "5.3");
        b.purl = "pkg:pypi/pyyaml@5.3".into();
        let mut c = Package::new(Ecosystem::PyPI, "x", "1");
        c.purl = String::new();
        assert_eq!(
            bom_refs(&[a, b, c]),
            [
                "pkg:pypi/pyyaml@5.3",
                "pkg:pypi/pyyaml@5.3#drydock-2",
                "drydock:package:2"
            ]
        );
    }

    #[test]
    fn an_empty_inventory_is_still_a_bom() {
        let bom = render(&Inventory::default());
        assert_eq!(bom["components"], json!([]));
        assert!(bom.get("dependencies").is_none());
    }
}
