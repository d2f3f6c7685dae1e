//! `GET`/`HEAD`/`PUT`/`DELETE /v2/<name>/manifests/<reference>`.

use axum::body::Body;
use axum::http::{Method, StatusCode, header};
use axum::response::Response;

use super::{Call, DOCKER_CONTENT_DIGEST, OCI_SUBJECT, empty};
use crate::Registry;

/// How long a manifest body (at most a few MiB) may take to arrive.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
use crate::access::{Action, EventKind};
use crate::error::{ApiError, ErrorCode};
use crate::manifest;
use crate::meta::{NewManifest, StoredManifest};
use crate::names::{Reference, RepositoryName};
use crate::storage::Hasher;

pub(super) async fn get(
    registry: &Registry,
    call: &Call,
    name: &RepositoryName,
    reference: &str,
) -> Result<Response, ApiError> {
    let principal = registry
        .authorize(&call.headers, Action::Pull, Some(name.as_str()))
        .await?;
    let reference = Reference::parse(reference)?;
    let stored = lookup(registry, name, &reference)
        .await?
        .ok_or_else(|| manifest_unknown(&reference))?;
    let accept = call
        .headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok());
    if !manifest::accepts(accept, &stored.media_type) {
        return Err(ApiError::new(
            ErrorCode::ManifestUnknown,
            format!(
                "manifest {reference} is a {}, which the request's Accept header does not allow",
                stored.media_type
            ),
        ));
    }
    let headers = [
        (header::CONTENT_TYPE, stored.media_type.clone()),
        (header::CONTENT_LENGTH, stored.content.len().to_string()),
        (DOCKER_CONTENT_DIGEST, stored.digest.clone()),
        (header::ETAG, format!("\"{}\"", stored.digest)),
    ];
    let mut response = empty(StatusCode::OK, &headers);
    let head_only = call.method != Method::GET;
    if !head_only {
        *response.body_mut() = Body::from(stored.content);
    }
    let tag = match reference {
        Reference::Tag(tag) => Some(tag),
        Reference::Digest(_) => None,
    };
    let pulled = EventKind::ManifestPulled {
        digest: stored.digest,
        tag,
        head_only,
    };
    registry.record(&call.context(principal), name.as_str(), pulled);
    Ok(response)
}

async fn lookup(
    registry: &Registry,
    name: &RepositoryName,
    reference: &Reference,
) -> Result<Option<StoredManifest>, ApiError> {
    Ok(match reference {
        Reference::Tag(tag) => registry.meta.manifest_by_tag(name.as_str(), tag).await?,
        Reference::Digest(digest) => {
            registry
                .meta
                .manifest_by_digest(name.as_str(), &digest.to_string())
                .await?
        }
    })
}

pub(super) async fn put(
    registry: &Registry,
    call: &Call,
    name: &RepositoryName,
    reference: &str,
    body: Body,
) -> Result<Response, ApiError> {
    let principal = registry
        .authorize(&call.headers, Action::Push, Some(name.as_str()))
        .await?;
    let reference = Reference::parse(reference)?;
    let limit = registry.limits.max_manifest_size;
    let content = match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(content)) => content,
        Ok(Err(_)) => return Err(too_large(limit)),
        Err(_) => {
            return Err(ApiError::new(
                ErrorCode::ManifestInvalid,
                format!(
                    "the manifest body did not arrive within {} seconds",
                    BODY_TIMEOUT.as_secs()
                ),
            ));
        }
    };
    let info = manifest::validate(&content, call.header(header::CONTENT_TYPE))?;
    let digest = content_digest(&reference, &content)?;
    let tag = match &reference {
        Reference::Tag(tag) => Some(tag.as_str()),
        Reference::Digest(_) => None,
    };
    let new = NewManifest {
        repository: name.as_str(),
        digest: &digest,
        media_type: &info.media_type,
        content: &content,
        subject: info.subject.as_deref(),
        artifact_type: info.artifact_type.as_deref(),
        annotations: info.annotations.as_deref(),
        children: &info.children,
        tag,
    };
    if let Err(missing) = registry.meta.put_manifest(&new).await? {
        return Err(ApiError::new(
            ErrorCode::ManifestBlobUnknown,
            format!(
                "the manifest references {} that this repository does not hold",
                missing.join(", ")
            ),
        )
        .with_detail(serde_json::json!({ "digest": missing.first() })));
    }
    registry.record(
        &call.context(principal),
        name.as_str(),
        EventKind::ManifestPushed {
            digest: digest.clone(),
            media_type: info.media_type.clone(),
            tag: tag.map(str::to_string),
        },
    );
    let mut headers = vec![
        (header::LOCATION, format!("/v2/{name}/manifests/{digest}")),
        (DOCKER_CONTENT_DIGEST, digest.clone()),
    ];
    if let Some(subject) = info.subject {
        headers.push((OCI_SUBJECT, subject));
    }
    Ok(empty(StatusCode::CREATED, &headers))
}

/// The manifest's digest: sha256 of the bytes, or for a push by digest, that digest's
/// algorithm over the bytes, which must equal it.
fn content_digest(reference: &Reference, content: &[u8]) -> Result<String, ApiError> {
    let Reference::Digest(expected) = reference else {
        return Ok(crate::storage::sha256_digest(content));
    };
    let mut hasher = Hasher::for_digest(expected);
    hasher.update(content);
    let actual = hasher.finish();
    if actual != expected.to_string() {
        return Err(ApiError::new(
            ErrorCode::DigestInvalid,
            format!("the manifest's digest is {actual}, not {expected}"),
        )
        .with_detail(serde_json::json!({ "digest": expected.to_string() })));
    }
    Ok(actual)
}

pub(super) async fn delete(
    registry: &Registry,
    call: &Call,
    name: &RepositoryName,
    reference: &str,
) -> Result<Response, ApiError> {
    let principal = registry
        .authorize(&call.headers, Action::Delete, Some(name.as_str()))
        .await?;
    let reference = Reference::parse(reference)?;
    let (found, kind) = match &reference {
        Reference::Tag(tag) => (
            registry.meta.delete_tag(name.as_str(), tag).await?,
            EventKind::TagDeleted { tag: tag.clone() },
        ),
        Reference::Digest(digest) => (
            registry
                .meta
                .delete_manifest(name.as_str(), &digest.to_string())
                .await?,
            EventKind::ManifestDeleted {
                digest: digest.to_string(),
            },
        ),
    };
    if !found {
        return Err(manifest_unknown(&reference));
    }
    registry.record(&call.context(principal), name.as_str(), kind);
    Ok(empty(StatusCode::ACCEPTED, &[]))
}

fn manifest_unknown(reference: &Reference) -> ApiError {
    ApiError::new(
        ErrorCode::ManifestUnknown,
        format!("manifest {reference} is unknown to this repository"),
    )
}

fn too_large(limit: usize) -> ApiError {
    ApiError::new(
        ErrorCode::SizeInvalid,
        format!("the manifest is larger than the limit of {limit} bytes"),
    )
    .with_status(StatusCode::PAYLOAD_TOO_LARGE)
}
