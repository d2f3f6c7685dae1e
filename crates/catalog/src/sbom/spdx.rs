//! SPDX 2.3 JSON (<https://spdx.github.io/spdx-spec/v2.3/>).
//!
//! The scanned image is the package the document DESCRIBES; it CONTAINS the operating
//! system's package and every other package, and packages DEPEND_ON one another where
//! the metadata says so. Each package carries its purl as a `PACKAGE-MANAGER` external
//! reference, its declared licenses as one SPDX expression (free-text licenses become
//! `LicenseRef-`s listed in `hasExtractedLicensingInfos`), where it was found in
//! `sourceInfo` for people, and drydock's facts (`drydock:location:path=…`, the same
//! names as the CycloneDX properties) as annotations for programs.
//!
//! The OS package has no `primaryPackagePurpose`: the SPDX 2.3 text spells the value
//! `OPERATING-SYSTEM` while the official JSON schema only accepts `OPERATING_SYSTEM`.

use std::collections::HashSet;

use serde::Serialize;
use sha2::Digest as _;

use drydock_model::{OsRelease, Package};

use super::graph::dependency_graph;
use super::license::LicenseRefs;
use super::{SbomDocument, Subject, names, package_facts, sha1_of};
use crate::TargetKind;

pub const SPDX_VERSION: &str = "SPDX-2.3";
const DOCUMENT_ID: &str = "SPDXRef-DOCUMENT";
const NOASSERTION: &str = "NOASSERTION";
/// Where document namespaces live (they name the document; nothing is served there).
const NAMESPACE_BASE: &str = "https://github.com/drydock-sec/drydock/spdx";

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    spdx_version: &'static str,
    data_license: &'static str,
    #[serde(rename = "SPDXID")]
    spdx_id: &'static str,
    name: String,
    document_namespace: String,
    creation_info: CreationInfo,
    packages: Vec<SpdxPackage>,
    relationships: Vec<Relationship>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    has_extracted_licensing_infos: Vec<ExtractedLicense>,
}

#[derive(Debug, Serialize)]
struct CreationInfo {
    created: String,
    creators: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct SpdxPackage {
    #[serde(rename = "SPDXID")]
    spdx_id: String,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version_info: Option<String>,
    supplier: &'static str,
    download_location: &'static str,
    files_analyzed: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    checksums: Vec<Checksum>,
    license_concluded: &'static str,
    license_declared: String,
    copyright_text: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    source_info: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    external_refs: Vec<ExternalRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_package_purpose: Option<&'static str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    annotations: Vec<Annotation>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Checksum {
    algorithm: &'static str,
    checksum_value: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ExternalRef {
    reference_category: &'static str,
    reference_type: &'static str,
    reference_locator: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Annotation {
    annotation_date: String,
    annotation_type: &'static str,
    annotator: String,
    comment: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Relationship {
    spdx_element_id: String,
    relationship_type: &'static str,
    related_spdx_element: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ExtractedLicense {
    license_id: String,
    extracted_text: String,
    name: String,
}

/// Writes annotations in one voice: the tool, at the document's creation time.
struct Annotator {
    date: String,
    tool: String,
}

impl Annotator {
    fn annotations(&self, facts: Vec<(String, String)>) -> Vec<Annotation> {
        facts
            .into_iter()
            .map(|(name, value)| Annotation {
                annotation_date: self.date.clone(),
                annotation_type: "OTHER",
                annotator: self.tool.clone(),
                comment: format!("{name}={value}"),
            })
            .collect()
    }
}

/// The SPDX document of a document.
pub fn document(document: &SbomDocument<'_>) -> Document {
    let created = document.created_rfc3339();
    let tool = format!("Tool: drydock-{}", document.tool_version);
    let annotator = Annotator {
        date: created.clone(),
        tool: tool.clone(),
    };
    let subject = document.subject;
    let root = subject_package(subject, &annotator);
    let root_id = root.spdx_id.clone();
    let mut relationships = vec![relationship(DOCUMENT_ID, "DESCRIBES", &root_id)];
    let mut packages = vec![root];
    if let Some(os) = &document.inventory.os {
        let os_package = os_package(os, &annotator);
        relationships.push(relationship(&root_id, "CONTAINS", &os_package.spdx_id));
        packages.push(os_package);
    }
    let inventory = &document.inventory.packages;
    let ids = package_ids(inventory);
    let mut licenses = LicenseRefs::default();
    for (package, id) in inventory.iter().zip(&ids) {
        relationships.push(relationship(&root_id, "CONTAINS", id));
        packages.push(package_entry(package, id, &mut licenses, &annotator));
    }
    for (index, targets) in dependency_graph(inventory).into_iter().enumerate() {
        for target in targets {
            if let (Some(from), Some(to)) = (ids.get(index), ids.get(target)) {
                relationships.push(relationship(from, "DEPENDS_ON", to));
            }
        }
    }
    let has_extracted_licensing_infos = licenses
        .extracted()
        .into_iter()
        .map(|(license_id, text)| ExtractedLicense {
            license_id,
            extracted_text: text.clone(),
            name: text,
        })
        .collect();
    Document {
        spdx_version: SPDX_VERSION,
        data_license: "CC0-1.0",
        spdx_id: DOCUMENT_ID,
        name: subject.name.clone(),
        document_namespace: namespace(subject, &document.uuid()),
        creation_info: CreationInfo {
            created,
            creators: vec![tool],
        },
        packages,
        relationships,
        has_extracted_licensing_infos,
    }
}

fn relationship(from: &str, kind: &'static str, to: &str) -> Relationship {
    Relationship {
        spdx_element_id: from.to_string(),
        relationship_type: kind,
        related_spdx_element: to.to_string(),
    }
}

/// `https://…/spdx/image/docker.io-library-debian-<uuid>`: unique per content.
fn namespace(subject: &Subject, uuid: &str) -> String {
    let kind = match subject.kind {
        TargetKind::Image => "image",
        TargetKind::Project => "directory",
        TargetKind::RootFs => "rootfs",
    };
    let name: String = subject
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("{NAMESPACE_BASE}/{kind}/{}-{uuid}", name.trim_matches('-'))
}

/// Keeps the characters an SPDX identifier may hold (`[A-Za-z0-9.-]`).
fn id_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `SPDXRef-Package-deb-libc6-2.36-9-<hash>`, unique per package.
fn package_ids(packages: &[Package]) -> Vec<String> {
    let mut seen = HashSet::new();
    packages
        .iter()
        .map(|package| {
            let mut hasher = sha2::Sha256::new();
            for part in [
                package.ecosystem.purl_type(),
                &package.name,
                &package.version,
                &package.purl,
            ] {
                hasher.update(part.as_bytes());
                hasher.update([0]);
            }
            let hash = hex::encode(hasher.finalize());
            let base = id_safe(&format!(
                "SPDXRef-Package-{}-{}-{}-{}",
                package.ecosystem.purl_type(),
                package.name,
                package.version,
                hash.get(..16).unwrap_or(&hash)
            ));
            let mut id = base.clone();
            let mut n = 2;
            while !seen.insert(id.clone()) {
                id = format!("{base}-{n}");
                n += 1;
            }
            id
        })
        .collect()
}

fn bare_package(spdx_id: String, name: String, version: Option<String>) -> SpdxPackage {
    SpdxPackage {
        spdx_id,
        name,
        version_info: version,
        supplier: NOASSERTION,
        download_location: NOASSERTION,
        files_analyzed: false,
        checksums: Vec::new(),
        license_concluded: NOASSERTION,
        license_declared: NOASSERTION.to_string(),
        copyright_text: NOASSERTION,
        source_info: None,
        description: None,
        external_refs: Vec::new(),
        primary_package_purpose: None,
        annotations: Vec::new(),
    }
}

fn purl_ref(purl: &str) -> ExternalRef {
    ExternalRef {
        reference_category: "PACKAGE-MANAGER",
        reference_type: "purl",
        reference_locator: purl.to_string(),
    }
}

fn subject_package(subject: &Subject, annotator: &Annotator) -> SpdxPackage {
    let (kind, purpose) = match subject.kind {
        TargetKind::Image => ("Image", "CONTAINER"),
        TargetKind::Project => ("Directory", "APPLICATION"),
        TargetKind::RootFs => ("RootFs", "FILE"),
    };
    let mut package = bare_package(
        format!("SPDXRef-DocumentRoot-{kind}"),
        subject.name.clone(),
        subject.digest.as_ref().map(|d| d.to_string()),
    );
    package.primary_package_purpose = Some(purpose);
    package.checksums = subject
        .digest
        .iter()
        .filter(|d| d.is_sha256())
        .map(|d| Checksum {
            algorithm: "SHA256",
            checksum_value: d.hex().to_string(),
        })
        .collect();
    package.external_refs = subject.purl.iter().map(|p| purl_ref(p)).collect();
    package.annotations = annotator.annotations(subject.properties.clone());
    package
}

fn os_package(os: &OsRelease, annotator: &Annotator) -> SpdxPackage {
    let version = os.version_id.clone();
    let mut package = bare_package(
        id_safe(&format!(
            "SPDXRef-OperatingSystem-{}-{}",
            os.id,
            version.as_deref().unwrap_or("unknown")
        )),
        os.id.clone(),
        version,
    );
    package.description = os.pretty_name.clone();
    let mut facts = vec![("drydock:os".to_string(), os.id.clone())];
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
    package.annotations = annotator.annotations(facts);
    package
}

fn package_entry(package: &Package, id: &str, licenses: &mut LicenseRefs, annotator: &Annotator) -> SpdxPackage {
    let version = (!package.version.is_empty()).then(|| package.version.clone());
    let mut entry = bare_package(id.to_string(), package.name.clone(), version);
    entry.license_declared = licenses.declared(&package.licenses);
    entry.source_info = source_info(package);
    entry.primary_package_purpose = Some("LIBRARY");
    entry.checksums = sha1_of(package)
        .map(|sha1| Checksum {
            algorithm: "SHA1",
            checksum_value: sha1.to_ascii_lowercase(),
        })
        .into_iter()
        .collect();
    if !package.purl.is_empty() {
        entry.external_refs.push(purl_ref(&package.purl));
    }
    entry.annotations = annotator.annotations(package_facts(package));
    entry
}

/// `found by dpkg in /var/lib/dpkg/status (layer 0, sha256:…)`.
fn source_info(package: &Package) -> Option<String> {
    if package.locations.is_empty() {
        return None;
    }
    let places: Vec<String> = package
        .locations
        .iter()
        .map(|location| match (location.layer, &location.layer_diff_id) {
            (Some(layer), Some(diff_id)) => format!("{} (layer {layer}, {diff_id})", location.path),
            (Some(layer), None) => format!("{} (layer {layer})", location.path),
            _ => location.path.clone(),
        })
        .collect();
    let by = if package.found_by.is_empty() {
        "drydock".to_string()
    } else {
        package.found_by.join(", ")
    };
    Some(format!("found by {by} in {}", places.join("; ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use drydock_model::{Ecosystem, Inventory, PackageLocation};
    use serde_json::{Value, json};

    fn render(inventory: &Inventory, kind: TargetKind) -> Value {
        let subject = Subject {
            name: "fs:./my app".into(),
            kind,
            digest: None,
            purl: None,
            properties: Vec::new(),
        };
        let document = SbomDocument {
            inventory,
            subject: &subject,
            tool_version: "0.1.0",
            created: 86_400,
        };
        serde_json::to_value(super::document(&document)).unwrap()
    }

    fn sample() -> Inventory {
        let mut app = Package::new(Ecosystem::Npm, "@scope/app", "1.0.0");
        app.purl = "pkg:npm/%40scope/app@1.0.0".into();
        app.locations.push(PackageLocation {
            path: "/app/package-lock.json".into(),
            layer: Some(1),
            layer_diff_id: None,
        });
        app.found_by.push("npm-lock".into());
        app.dependencies = vec!["lodash".into()];
        app.licenses = vec!["Apache 2.0".into()];
        let mut lodash = Package::new(Ecosystem::Npm, "lodash", "4.17.15");
        lodash.licenses = vec!["MIT".into()];
        Inventory {
            os: None,
            packages: vec![app, lodash],
            warnings: Vec::new(),
        }
    }

    #[test]
    fn writes_the_document_frame() {
        let doc = render(&sample(), TargetKind::Project);
        assert_eq!(doc["spdxVersion"], "SPDX-2.3");
        assert_eq!(doc["dataLicense"], "CC0-1.0");
        assert_eq!(doc["SPDXID"], "SPDXRef-DOCUMENT");
        assert_eq!(doc["creationInfo"]["created"], "1970-01-02T00:00:00Z");
        assert_eq!(doc["creationInfo"]["creators"], json!(["Tool: drydock-0.1.0"]));
        let namespace = doc["documentNamespace"].as_str().unwrap();
        assert!(
            namespace.starts_with(&format!("{NAMESPACE_BASE}/directory/fs-.-my-app-")),
            "{namespace}"
        );
        assert_eq!(doc["packages"][0]["SPDXID"], "SPDXRef-DocumentRoot-Directory");
        assert_eq!(doc["packages"][0]["primaryPackagePurpose"], "APPLICATION");
        assert_eq!(
            doc["relationships"][0],
            json!({"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": "SPDXRef-DocumentRoot-Directory"})
        );
    }

    #[test]
    fn writes_packages_and_relationships() {
        let doc = render(&sample(), TargetKind::Project);
        let app = &doc["packages"][1];
        let id = app["SPDXID"].as_str().unwrap();
        assert!(id.starts_with("SPDXRef-Package-npm--scope-app-1.0.0-"), "{id}");
        assert!(id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'));
        assert_eq!(app["versionInfo"], "1.0.0");
        assert_eq!(app["downloadLocation"], "NOASSERTION");
        assert_eq!(app["filesAnalyzed"], false);
        assert_eq!(app["licenseDeclared"], "LicenseRef-Apache-2.0");
        assert_eq!(
            app["externalRefs"],
            json!([{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/%40scope/app@1.0.0"}])
        );
        assert_eq!(
            app["sourceInfo"],
            "found by npm-lock in /app/package-lock.json (layer 1)"
        );
        assert_eq!(
            app["annotations"][0]["comment"],
            "drydock:location:path=/app/package-lock.json"
        );
        assert_eq!(app["annotations"][0]["annotator"], "Tool: drydock-0.1.0");
        let lodash = &doc["packages"][2];
        assert_eq!(lodash["licenseDeclared"], "MIT");
        assert_eq!(
            doc["hasExtractedLicensingInfos"],
            json!([{"licenseId": "LicenseRef-Apache-2.0", "extractedText": "Apache 2.0", "name": "Apache 2.0"}])
        );
        let relationships = doc["relationships"].as_array().unwrap();
        assert!(relationships.contains(
            &json!({"spdxElementId": id, "relationshipType": "DEPENDS_ON", "relatedSpdxElement": lodash["SPDXID"]})
        ));
        assert_eq!(
            relationships
                .iter()
                .filter(|r| r["relationshipType"] == "CONTAINS")
                .count(),
            2
        );
    }

    #[test]
    fn package_ids_are_unique() {
        let a = Package::new(Ecosystem::PyPI, "a b", "1");
        let b = Package::new(Ecosystem::PyPI, "a_b", "1");
        let ids = package_ids(&[a.clone(), b, a]);
        assert_eq!(ids.len(), 3);
        assert_ne!(ids[0], ids[1]);
        assert_eq!(ids[2], format!("{}-2", ids[0]));
    }
}
