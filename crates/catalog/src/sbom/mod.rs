//! Software bills of materials: an [`Inventory`] written as CycloneDX 1.6 JSON
//! ([`cyclonedx`]) or SPDX 2.3 JSON ([`spdx`]), and either format (or older versions of
//! them) read back into packages ([`reader`]).
//!
//! Both writers carry the same facts: each package's name, version, purl and declared
//! licenses, the file it was found in and the layer that holds that file, the catalogers
//! that found it, the source package of distribution packages, its ecosystem facts, and
//! the dependencies between packages where the metadata names them. CycloneDX keeps
//! drydock's own facts as component `properties` named `drydock:…`; SPDX, which has no
//! such field, keeps the same name/value pairs as package annotations
//! (`drydock:location:path=/var/lib/dpkg/status`). So a drydock SBOM reads back into the
//! very inventory it was written from.
//!
//! Output is deterministic: the same inventory of the same subject gives the same
//! document, apart from the creation time the caller passes in. The CycloneDX serial
//! number and the SPDX document namespace are a name-based UUID (version 5, RFC 9562)
//! of the subject and the SHA-256 of the inventory, so they change exactly when the
//! content does.

pub mod cyclonedx;
mod graph;
mod license;
pub mod reader;
pub mod spdx;

use drydock_model::{Digest, ImageDescription, Inventory, Package, purl};
use drydock_oci::ImageRef;
use sha1::Digest as _;

use crate::TargetKind;

pub use reader::read;

/// Property and annotation names drydock writes and reads back.
pub mod names {
    /// A file a package was found in; starts a new location.
    pub const LOCATION_PATH: &str = "drydock:location:path";
    /// The index of the layer holding the preceding location's file.
    pub const LOCATION_LAYER: &str = "drydock:location:layer";
    /// The diff ID of that layer.
    pub const LAYER_DIFF_ID: &str = "drydock:layer:diff_id";
    /// A cataloger that found the package (one entry each).
    pub const FOUND_BY: &str = "drydock:found_by";
    pub const SOURCE_NAME: &str = "drydock:source:name";
    pub const SOURCE_VERSION: &str = "drydock:source:version";
    /// Prefix of the package's ecosystem facts (`drydock:metadata:architecture`).
    pub const METADATA_PREFIX: &str = "drydock:metadata:";
    pub const OS_CODENAME: &str = "drydock:os:version_codename";
    pub const OS_PRETTY_NAME: &str = "drydock:os:pretty_name";
    pub const OS_ID_LIKE: &str = "drydock:os:id_like";
    pub const OS_PATH: &str = "drydock:os:path";
    pub const OS_LAYER: &str = "drydock:os:layer";
}

/// What was scanned: the image, project directory or root filesystem an SBOM describes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    /// The name shown for it: `docker.io/library/debian` for a registry image, otherwise
    /// the target as the user gave it (`oci:./layout:app`, `fs:./project`).
    pub name: String,
    pub kind: TargetKind,
    /// The image's manifest digest (or its config digest when it has no manifest).
    pub digest: Option<Digest>,
    /// `pkg:oci/…` for an image with a known registry and digest.
    pub purl: Option<String>,
    /// Facts about the target kept as `drydock:image:*` properties (reference, tag,
    /// platform, config digest, source kind).
    pub properties: Vec<(String, String)>,
}

impl Subject {
    /// The subject of a scan of `reference` (typed by the user as `text`), which resolved
    /// to `image`.
    pub fn new(text: &str, reference: &ImageRef, image: &ImageDescription, kind: TargetKind) -> Subject {
        let digest = image.manifest_digest.clone().or_else(|| image.config_digest.clone());
        let mut properties = vec![("drydock:image:reference".to_string(), text.to_string())];
        properties.push(("drydock:image:source".to_string(), image.source.clone()));
        let (name, purl) = match reference {
            ImageRef::Registry(registry) => {
                if let Some(tag) = &registry.tag {
                    properties.push(("drydock:image:tag".to_string(), tag.clone()));
                }
                let repository = format!("{}/{}", registry.registry, registry.repository);
                let purl = digest
                    .as_ref()
                    .map(|d| oci_purl(&repository, registry.tag.as_deref(), d));
                (repository, purl)
            }
            _ => (text.to_string(), None),
        };
        if kind == TargetKind::Image {
            properties.push(("drydock:image:platform".to_string(), image.platform.to_string()));
            if let Some(config) = &image.config_digest {
                properties.push(("drydock:image:config_digest".to_string(), config.to_string()));
            }
        }
        Subject {
            name,
            kind,
            digest,
            purl,
            properties,
        }
    }
}

/// `pkg:oci/debian@sha256:…?repository_url=docker.io/library/debian&tag=12`.
fn oci_purl(repository: &str, tag: Option<&str>, digest: &Digest) -> String {
    let name = repository.rsplit('/').next().unwrap_or(repository).to_ascii_lowercase();
    purl::build(
        "oci",
        None,
        &name,
        &digest.to_string(),
        &[("repository_url", repository), ("tag", tag.unwrap_or(""))],
    )
}

/// Everything a writer needs.
#[derive(Clone, Copy, Debug)]
pub struct SbomDocument<'a> {
    pub inventory: &'a Inventory,
    pub subject: &'a Subject,
    /// drydock's version, recorded as the tool that made the document.
    pub tool_version: &'a str,
    /// When the document was made, in seconds since the Unix epoch.
    pub created: u64,
}

impl SbomDocument<'_> {
    /// The document's creation time as RFC 3339 UTC (`2026-11-22T07:38:00Z`).
    pub fn created_rfc3339(&self) -> String {
        rfc3339(self.created)
    }

    /// The name-based UUID of this content (see the module documentation).
    pub fn uuid(&self) -> String {
        let mut hasher = sha2::Sha256::new();
        hasher.update(serde_json::to_vec(self.inventory).unwrap_or_default());
        let inventory = hex::encode(hasher.finalize());
        let digest = self.subject.digest.as_ref().map(|d| d.to_string()).unwrap_or_default();
        uuid_v5(&format!("drydock-sbom:{}:{digest}:{inventory}", self.subject.name))
    }
}

/// Which SBOM format to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SbomFormat {
    CycloneDx,
    Spdx,
}

/// Problems reading or writing an SBOM.
#[derive(Debug, thiserror::Error)]
pub enum SbomError {
    #[error("writing JSON: {0}")]
    Write(#[source] serde_json::Error),
    #[error("not JSON: {0}")]
    NotJson(#[source] serde_json::Error),
    #[error("not an SBOM: {0}")]
    NotAnSbom(String),
    #[error("unsupported {format} version `{version}` ({supported} are read)")]
    UnsupportedVersion {
        format: &'static str,
        version: String,
        supported: &'static str,
    },
}

/// The document in `format` as pretty-printed JSON with a final newline.
pub fn render(format: SbomFormat, document: &SbomDocument<'_>) -> Result<Vec<u8>, SbomError> {
    let mut out = match format {
        SbomFormat::CycloneDx => serde_json::to_vec_pretty(&cyclonedx::bom(document)),
        SbomFormat::Spdx => serde_json::to_vec_pretty(&spdx::document(document)),
    }
    .map_err(SbomError::Write)?;
    out.push(b'\n');
    Ok(out)
}

/// drydock's facts about a package as ordered name/value pairs, shared by both writers
/// (CycloneDX properties, SPDX annotations).
fn package_facts(package: &Package) -> Vec<(String, String)> {
    let mut facts = Vec::new();
    for location in &package.locations {
        facts.push((names::LOCATION_PATH.to_string(), location.path.clone()));
        if let Some(layer) = location.layer {
            facts.push((names::LOCATION_LAYER.to_string(), layer.to_string()));
        }
        if let Some(diff_id) = &location.layer_diff_id {
            facts.push((names::LAYER_DIFF_ID.to_string(), diff_id.to_string()));
        }
    }
    for cataloger in &package.found_by {
        facts.push((names::FOUND_BY.to_string(), cataloger.clone()));
    }
    if let Some(source) = &package.source {
        facts.push((names::SOURCE_NAME.to_string(), source.name.clone()));
        facts.push((names::SOURCE_VERSION.to_string(), source.version.clone()));
    }
    for (key, value) in &package.properties {
        facts.push((format!("{}{key}", names::METADATA_PREFIX), value.clone()));
    }
    facts
}

/// The SHA-1 a cataloger recorded for the package's file (jars), when well-formed.
fn sha1_of(package: &Package) -> Option<&str> {
    package
        .properties
        .get("sha1")
        .map(String::as_str)
        .filter(|hex| hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

pub use drydock_model::time::rfc3339;

/// RFC 9562 name-based UUID (version 5, SHA-1) of `name` in the URL namespace.
fn uuid_v5(name: &str) -> String {
    const URL_NAMESPACE: [u8; 16] = [
        0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8,
    ];
    let mut hasher = sha1::Sha1::new();
    hasher.update(URL_NAMESPACE);
    hasher.update(name.as_bytes());
    let hash = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_times() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_795_340_280), "2026-11-22T09:38:00Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn uuid_v5_matches_the_rfc_example() {
        // Python: uuid.uuid5(uuid.NAMESPACE_URL, "http://www.example.com/")
        assert_eq!(
            uuid_v5("http://www.example.com/"),
            "fcde3c85-2270-590f-9e7c-ee003d65e0e2"
        );
        assert_ne!(uuid_v5("a"), uuid_v5("b"));
    }

    #[test]
    fn registry_images_get_an_oci_purl() {
        let digest: Digest = format!("sha256:{}", "ab".repeat(32)).parse().unwrap();
        assert_eq!(
            oci_purl("docker.io/library/debian", Some("12"), &digest),
            format!(
                "pkg:oci/debian@sha256:{}?repository_url=docker.io%2Flibrary%2Fdebian&tag=12",
                "ab".repeat(32)
            )
        );
    }
}
