//! Content discovery: `/v2/<name>/tags/list`, `/v2/<name>/referrers/<digest>`, `/v2/_catalog`.

use axum::http::{HeaderName, StatusCode, header};
use axum::response::Response;

use super::{Call, OCI_FILTERS_APPLIED, json_response, page_size, text_param};
use crate::Registry;
use crate::access::Action;
use crate::error::{ApiError, ErrorCode};
use crate::manifest::OCI_INDEX;
use crate::names::{RepositoryName, parse_digest};

/// The most entries one page holds; a longer list continues through the `Link` header.
const PAGE_MAX: i64 = 1000;

pub(super) async fn tags(registry: &Registry, call: &Call, name: &RepositoryName) -> Result<Response, ApiError> {
    registry
        .authorize(&call.headers, Action::Pull, Some(name.as_str()))
        .await?;
    if !registry.meta.repository_exists(name.as_str()).await? {
        return Err(ApiError::new(
            ErrorCode::NameUnknown,
            format!("repository {name} is unknown to this registry"),
        ));
    }
    let limit = page_size(call, PAGE_MAX)?;
    let last = text_param(call, "last")?.unwrap_or("");
    let mut tags = if limit == 0 {
        Vec::new()
    } else {
        registry.meta.tags(name.as_str(), last, limit + 1).await?
    };
    let more = truncate(&mut tags, limit);
    let body = serde_json::json!({ "name": name.as_str(), "tags": tags });
    let mut response = json_response(StatusCode::OK, &body);
    if more {
        link(&mut response, &format!("/v2/{name}/tags/list"), limit, tags.last());
    }
    Ok(response)
}

pub(super) async fn catalog(registry: &Registry, call: &Call) -> Result<Response, ApiError> {
    registry.authorize(&call.headers, Action::Catalog, None).await?;
    let limit = page_size(call, PAGE_MAX)?;
    let last = text_param(call, "last")?.unwrap_or("");
    let mut names = if limit == 0 {
        Vec::new()
    } else {
        registry.meta.catalog(last, limit + 1).await?
    };
    let more = truncate(&mut names, limit);
    let mut response = json_response(StatusCode::OK, &serde_json::json!({ "repositories": names }));
    if more {
        link(&mut response, "/v2/_catalog", limit, names.last());
    }
    Ok(response)
}

pub(super) async fn referrers(
    registry: &Registry,
    call: &Call,
    name: &RepositoryName,
    digest: &str,
) -> Result<Response, ApiError> {
    registry
        .authorize(&call.headers, Action::Pull, Some(name.as_str()))
        .await?;
    let subject = parse_digest(digest)?.to_string();
    let artifact_type = text_param(call, "artifactType")?.filter(|t| !t.is_empty());
    let found = registry.meta.referrers(name.as_str(), &subject, artifact_type).await?;
    let manifests: Vec<serde_json::Value> = found
        .into_iter()
        .map(|r| {
            let mut entry = serde_json::json!({
                "mediaType": r.media_type,
                "digest": r.digest,
                "size": r.size,
            });
            if let Some(kind) = r.artifact_type {
                entry["artifactType"] = kind.into();
            }
            if let Some(annotations) = r
                .annotations
                .and_then(|a| serde_json::from_str::<serde_json::Value>(&a).ok())
            {
                entry["annotations"] = annotations;
            }
            entry
        })
        .collect();
    let body = serde_json::json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests });
    let mut response = json_response(StatusCode::OK, &body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, axum::http::HeaderValue::from_static(OCI_INDEX));
    if artifact_type.is_some() {
        headers.insert(
            OCI_FILTERS_APPLIED,
            axum::http::HeaderValue::from_static("artifactType"),
        );
    }
    Ok(response)
}

/// Cuts a list fetched with one extra row back to `limit`; true when there was more.
fn truncate(items: &mut Vec<String>, limit: i64) -> bool {
    let more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    more
}

fn link(response: &mut Response, path: &str, limit: i64, last: Option<&String>) {
    let Some(last) = last else { return };
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("n", &limit.to_string())
        .append_pair("last", last)
        .finish();
    let value = format!("<{path}?{query}>; rel=\"next\"");
    if let Ok(value) = axum::http::HeaderValue::from_str(&value) {
        response.headers_mut().insert(HeaderName::from_static("link"), value);
    }
}
