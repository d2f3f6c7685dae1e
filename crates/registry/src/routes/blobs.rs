//! `GET`/`HEAD`/`DELETE /v2/<name>/blobs/<digest>`, with single-range `Range` requests.

use std::ops::Range;

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;

use super::{Call, DOCKER_CONTENT_DIGEST, empty};
use crate::Registry;
use crate::access::{Action, EventKind};
use crate::error::{ApiError, ErrorCode};
use crate::names::{RepositoryName, parse_digest};

pub(super) async fn get(
    registry: &Registry,
    call: &Call,
    name: &RepositoryName,
    digest: &str,
) -> Result<Response, ApiError> {
    registry
        .authorize(&call.headers, Action::Pull, Some(name.as_str()))
        .await?;
    let digest = parse_digest(digest)?;
    let size = registry
        .meta
        .blob_size(name.as_str(), &digest.to_string())
        .await?
        .ok_or_else(|| blob_unknown(&digest.to_string()))? as u64;
    let range = match call.header(header::RANGE) {
        Some(value) => parse_range(value, size)?,
        None => None,
    };
    let (status, length) = match &range {
        Some(r) => (StatusCode::PARTIAL_CONTENT, r.end - r.start),
        None => (StatusCode::OK, size),
    };
    let mut headers = vec![
        (DOCKER_CONTENT_DIGEST, digest.to_string()),
        (header::CONTENT_LENGTH, length.to_string()),
        (header::ACCEPT_RANGES, "bytes".to_string()),
        (header::CONTENT_TYPE, "application/octet-stream".to_string()),
        (header::ETAG, format!("\"{digest}\"")),
    ];
    if let Some(r) = &range {
        headers.push((header::CONTENT_RANGE, format!("bytes {}-{}/{size}", r.start, r.end - 1)));
    }
    if call.method == axum::http::Method::HEAD || length == 0 {
        return Ok(empty(status, &headers));
    }
    let stream = match registry.blobs.read(&digest, range).await {
        Ok(stream) => stream,
        Err(crate::Error::Storage(object_store::Error::NotFound { .. })) => {
            tracing::error!(%digest, "blob is linked in the metadata but its object is missing");
            return Err(blob_unknown(&digest.to_string()));
        }
        Err(error) => return Err(error.into()),
    };
    let mut response = empty(status, &headers);
    *response.body_mut() = Body::from_stream(stream);
    Ok(response)
}

pub(super) async fn delete(
    registry: &Registry,
    call: &Call,
    name: &RepositoryName,
    digest: &str,
) -> Result<Response, ApiError> {
    let principal = registry
        .authorize(&call.headers, Action::Delete, Some(name.as_str()))
        .await?;
    let digest = parse_digest(digest)?.to_string();
    if !registry.meta.unlink_blob(name.as_str(), &digest).await? {
        return Err(blob_unknown(&digest));
    }
    registry.record(
        &call.context(principal),
        name.as_str(),
        EventKind::BlobDeleted { digest },
    );
    Ok(empty(StatusCode::ACCEPTED, &[]))
}

pub(crate) fn blob_unknown(digest: &str) -> ApiError {
    ApiError::new(
        ErrorCode::BlobUnknown,
        format!("blob {digest} is unknown to this repository"),
    )
    .with_detail(serde_json::json!({ "digest": digest }))
}

/// Reads `bytes=a-b`, `bytes=a-` or `bytes=-n` against a blob of `size` bytes. Several
/// ranges are answered with the whole blob (HTTP lets a server ignore `Range`); a range
/// that cannot be satisfied is a 416.
pub fn parse_range(value: &str, size: u64) -> Result<Option<Range<u64>>, ApiError> {
    let Some(spec) = value.trim().strip_prefix("bytes=") else {
        return Ok(None);
    };
    if spec.contains(',') {
        return Ok(None);
    }
    let (start, end) = spec.split_once('-').ok_or_else(|| unsatisfiable(size))?;
    let number = |s: &str| s.trim().parse::<u64>().map_err(|_| unsatisfiable(size));
    let range = match (start.trim().is_empty(), end.trim().is_empty()) {
        (true, true) => return Err(unsatisfiable(size)),
        (true, false) => {
            let suffix = number(end)?.min(size);
            if suffix == 0 {
                return Err(unsatisfiable(size));
            }
            size - suffix..size
        }
        (false, true) => number(start)?..size,
        (false, false) => {
            let (first, last) = (number(start)?, number(end)?);
            if last < first {
                return Err(unsatisfiable(size));
            }
            first..last.saturating_add(1).min(size)
        }
    };
    if range.start >= size {
        return Err(unsatisfiable(size));
    }
    Ok(Some(range))
}

fn unsatisfiable(size: u64) -> ApiError {
    let error = ApiError::new(ErrorCode::BlobUnknown, "the requested range cannot be satisfied")
        .with_status(StatusCode::RANGE_NOT_SATISFIABLE);
    match HeaderValue::from_str(&format!("bytes */{size}")) {
        Ok(value) => error.with_header(header::CONTENT_RANGE, value),
        Err(_) => error,
    }
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100).unwrap(), Some(0..10));
        assert_eq!(parse_range("bytes=90-", 100).unwrap(), Some(90..100));
        assert_eq!(parse_range("bytes=-10", 100).unwrap(), Some(90..100));
        assert_eq!(parse_range("bytes=95-200", 100).unwrap(), Some(95..100));
        assert_eq!(parse_range("bytes=0-1,5-6", 100).unwrap(), None);
        assert_eq!(parse_range("items=0-1", 100).unwrap(), None);
        for bad in ["bytes=100-", "bytes=5-1", "bytes=-0", "bytes=x-1", "bytes=-", "bytes=1"] {
            assert!(parse_range(bad, 100).is_err(), "{bad}");
        }
    }
}
