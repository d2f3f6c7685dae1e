//! Manifest validation on push and media-type negotiation on pull.
//!
//! A pushed manifest must be JSON of a known kind (OCI image manifest or index, Docker
//! schema 2 manifest or manifest list), its `mediaType` must agree with the request's
//! `Content-Type`, and every descriptor must be well formed. What it references (config
//! and layers as blobs, index entries as manifests) is returned so the metadata store can
//! refuse the push when any of it is missing, and so garbage collection knows what it keeps
//! alive. Layers that carry `urls` (non-distributable, "foreign" layers) are not required to
//! be in the registry.

use serde_json::{Map, Value};

use crate::error::{ApiError, ErrorCode};
use crate::meta::ChildKind;
use crate::names::{parse_digest, printable};

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
const DOCKER_SCHEMA1: &[&str] = &[
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
];
/// Every manifest media type the registry stores.
pub const MANIFEST_TYPES: &[&str] = &[OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST];

/// The largest manifest accepted (the specification asks registries to take at least 4 MiB).
pub const MAX_MANIFEST_SIZE: usize = 4 * 1024 * 1024;

/// What the registry keeps about a valid manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestInfo {
    pub media_type: String,
    pub children: Vec<(String, ChildKind)>,
    pub subject: Option<String>,
    pub artifact_type: Option<String>,
    /// The `annotations` object as JSON text.
    pub annotations: Option<String>,
}

/// Validates a manifest body pushed with `content_type`.
pub fn validate(body: &[u8], content_type: Option<&str>) -> Result<ManifestInfo, ApiError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| invalid(format!("the manifest is not valid JSON: {e}")))?;
    let Value::Object(object) = value else {
        return Err(invalid("the manifest is not a JSON object".into()));
    };
    let media_type = media_type(&object, content_type)?;
    match object.get("schemaVersion").and_then(Value::as_i64) {
        Some(2) => {}
        _ => return Err(invalid("`schemaVersion` must be 2".into())),
    }
    let children = match media_type.as_str() {
        OCI_MANIFEST | DOCKER_MANIFEST => image_children(&object)?,
        _ => index_children(&object)?,
    };
    let subject = match object.get("subject") {
        None | Some(Value::Null) => None,
        Some(subject) => Some(descriptor(subject, "subject")?.digest),
    };
    let annotations = match object.get("annotations") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => {
            check_string_values(map, "annotations")?;
            Some(Value::Object(map.clone()).to_string())
        }
        Some(_) => return Err(invalid("`annotations` must be an object".into())),
    };
    Ok(ManifestInfo {
        artifact_type: artifact_type(&object, &media_type)?,
        media_type,
        children,
        subject,
        annotations,
    })
}

/// The manifest's media type: its own `mediaType` field, which must agree with the
/// `Content-Type`, or the `Content-Type` alone, or the kind its fields show.
fn media_type(object: &Map<String, Value>, content_type: Option<&str>) -> Result<String, ApiError> {
    let header = content_type
        .map(|c| c.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty());
    let declared = match object.get("mediaType") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(invalid("`mediaType` must be a string".into())),
    };
    let chosen = match (&declared, &header) {
        (Some(d), Some(h)) if d != h => {
            return Err(invalid(format!(
                "the manifest's mediaType `{}` differs from the Content-Type `{}`",
                printable(d),
                printable(h)
            )));
        }
        (Some(d), _) => d.clone(),
        (None, Some(h)) => h.clone(),
        (None, None) if object.contains_key("manifests") => OCI_INDEX.to_string(),
        (None, None) => OCI_MANIFEST.to_string(),
    };
    if DOCKER_SCHEMA1.contains(&chosen.as_str()) {
        return Err(invalid("Docker schema 1 manifests are not supported".into()));
    }
    if !MANIFEST_TYPES.contains(&chosen.as_str()) {
        return Err(invalid(format!(
            "unsupported manifest media type `{}`",
            printable(&chosen)
        )));
    }
    Ok(chosen)
}

fn image_children(object: &Map<String, Value>) -> Result<Vec<(String, ChildKind)>, ApiError> {
    let config = object
        .get("config")
        .ok_or_else(|| invalid("an image manifest needs a `config` descriptor".into()))?;
    let mut children = vec![(descriptor(config, "config")?.digest, ChildKind::Blob)];
    for (i, layer) in array(object, "layers")?.iter().enumerate() {
        let layer = descriptor(layer, &format!("layers[{i}]"))?;
        if !layer.foreign {
            children.push((layer.digest, ChildKind::Blob));
        }
    }
    Ok(dedup(children))
}

fn index_children(object: &Map<String, Value>) -> Result<Vec<(String, ChildKind)>, ApiError> {
    let mut children = Vec::new();
    for (i, entry) in array(object, "manifests")?.iter().enumerate() {
        children.push((
            descriptor(entry, &format!("manifests[{i}]"))?.digest,
            ChildKind::Manifest,
        ));
    }
    Ok(dedup(children))
}

fn dedup(mut children: Vec<(String, ChildKind)>) -> Vec<(String, ChildKind)> {
    let mut seen = std::collections::HashSet::new();
    children.retain(|(digest, _)| seen.insert(digest.clone()));
    children
}

fn array<'a>(object: &'a Map<String, Value>, field: &str) -> Result<&'a Vec<Value>, ApiError> {
    match object.get(field) {
        Some(Value::Array(items)) => Ok(items),
        _ => Err(invalid(format!("`{field}` must be an array"))),
    }
}

/// The artifact type the referrers API reports: `artifactType`, or for an image manifest
/// without one, its config's media type.
fn artifact_type(object: &Map<String, Value>, media_type: &str) -> Result<Option<String>, ApiError> {
    match object.get("artifactType") {
        Some(Value::String(s)) if !s.is_empty() => return Ok(Some(s.clone())),
        None | Some(Value::String(_)) | Some(Value::Null) => {}
        Some(_) => return Err(invalid("`artifactType` must be a string".into())),
    }
    if media_type == OCI_MANIFEST || media_type == DOCKER_MANIFEST {
        let config_type = object
            .get("config")
            .and_then(|c| c.get("mediaType"))
            .and_then(Value::as_str);
        return Ok(config_type.map(str::to_string));
    }
    Ok(None)
}

struct Descriptor {
    digest: String,
    foreign: bool,
}

fn descriptor(value: &Value, place: &str) -> Result<Descriptor, ApiError> {
    let Value::Object(object) = value else {
        return Err(invalid(format!("`{place}` must be a descriptor object")));
    };
    if !matches!(object.get("mediaType"), Some(Value::String(_))) {
        return Err(invalid(format!("`{place}` needs a string `mediaType`")));
    }
    if object.get("size").is_none_or(|s| s.as_u64().is_none()) {
        return Err(invalid(format!("`{place}` needs a non-negative integer `size`")));
    }
    let digest = object
        .get("digest")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid(format!("`{place}` needs a `digest`")))?;
    let digest = parse_digest(digest).map_err(|e| e.with_detail(serde_json::json!({ "place": place })))?;
    let foreign = match object.get("urls") {
        Some(Value::Array(urls)) => !urls.is_empty(),
        None | Some(Value::Null) => false,
        Some(_) => return Err(invalid(format!("`{place}.urls` must be an array"))),
    };
    if let Some(annotations) = object.get("annotations") {
        match annotations {
            Value::Object(map) => check_string_values(map, &format!("{place}.annotations"))?,
            Value::Null => {}
            _ => return Err(invalid(format!("`{place}.annotations` must be an object"))),
        }
    }
    Ok(Descriptor {
        digest: digest.to_string(),
        foreign,
    })
}

fn check_string_values(map: &Map<String, Value>, place: &str) -> Result<(), ApiError> {
    if map.values().all(Value::is_string) {
        Ok(())
    } else {
        Err(invalid(format!("`{place}` values must be strings")))
    }
}

fn invalid(message: String) -> ApiError {
    ApiError::new(ErrorCode::ManifestInvalid, message)
}

/// Whether a client's `Accept` headers allow a manifest of `media_type`. A client that
/// names no manifest type at all (or sends no `Accept`) takes whatever is stored; one that
/// names manifest types gets only those.
pub fn accepts<'a>(accept_headers: impl Iterator<Item = &'a str>, media_type: &str) -> bool {
    let mut named_any_manifest_type = false;
    for header in accept_headers {
        for item in header.split(',') {
            let item = item.split(';').next().unwrap_or("").trim();
            if item.eq_ignore_ascii_case(media_type) || item == "*/*" {
                return true;
            }
            if MANIFEST_TYPES.iter().any(|t| item.eq_ignore_ascii_case(t)) {
                named_any_manifest_type = true;
            }
        }
    }
    !named_any_manifest_type
}

#[cfg(test)]
mod tests {
    use super::*;

    const D1: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const D2: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn image(extra: &str) -> String {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/x","digest":"{D1}","size":1}},"layers":[{{"mediaType":"l","digest":"{D2}","size":2}}]{extra}}}"#
        )
    }

    #[test]
    fn an_image_manifest_references_its_config_and_layers() {
        let info = validate(image("").as_bytes(), Some(OCI_MANIFEST)).unwrap();
        assert_eq!(
            info.children,
            vec![(D1.into(), ChildKind::Blob), (D2.into(), ChildKind::Blob)]
        );
        assert_eq!(info.artifact_type.as_deref(), Some("application/x"));
    }

    #[test]
    fn subject_and_annotations_are_kept() {
        let extra = format!(
            r#","subject":{{"mediaType":"{OCI_MANIFEST}","digest":"{D2}","size":3}},"annotations":{{"a":"b"}},"artifactType":"t/x""#
        );
        let info = validate(image(&extra).as_bytes(), None).unwrap();
        assert_eq!(info.subject.as_deref(), Some(D2));
        assert_eq!(info.annotations.as_deref(), Some(r#"{"a":"b"}"#));
        assert_eq!(info.artifact_type.as_deref(), Some("t/x"));
    }

    #[test]
    fn bad_manifests_are_refused_with_the_right_code() {
        let cases: &[(&str, Option<&str>, ErrorCode)] = &[
            ("{", None, ErrorCode::ManifestInvalid),
            ("[]", None, ErrorCode::ManifestInvalid),
            (r#"{"schemaVersion":1}"#, None, ErrorCode::ManifestInvalid),
            (&image(""), Some(DOCKER_MANIFEST), ErrorCode::ManifestInvalid),
            (
                r#"{"schemaVersion":2,"manifests":[{"mediaType":"x","size":1,"digest":"sha256:zz"}]}"#,
                None,
                ErrorCode::DigestInvalid,
            ),
            (
                r#"{"schemaVersion":2,"mediaType":"text/plain"}"#,
                None,
                ErrorCode::ManifestInvalid,
            ),
            (r#"{"schemaVersion":2,"config":{}}"#, None, ErrorCode::ManifestInvalid),
        ];
        for (body, content_type, code) in cases {
            let error = validate(body.as_bytes(), *content_type).unwrap_err();
            assert_eq!(error.code, *code, "{body}");
        }
    }

    #[test]
    fn accept_negotiates_only_among_manifest_types() {
        assert!(accepts(std::iter::empty(), OCI_MANIFEST));
        assert!(accepts(["application/json"].into_iter(), OCI_MANIFEST));
        assert!(accepts([DOCKER_MANIFEST, OCI_MANIFEST].into_iter(), OCI_MANIFEST));
        assert!(accepts(
            [&*format!("{DOCKER_MANIFEST}, {OCI_MANIFEST};q=0.5")].into_iter(),
            OCI_MANIFEST
        ));
        assert!(!accepts([DOCKER_MANIFEST].into_iter(), OCI_MANIFEST));
        assert!(accepts(["*/*"].into_iter(), OCI_INDEX));
    }
}
