//! Blob uploads: `POST /v2/<name>/blobs/uploads/` (session, single-request with `?digest=`,
//! cross-repository mount with `?mount=&from=`), `PATCH`/`PUT`/`GET`/`DELETE` on the session.

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::Response;

use super::{Call, DOCKER_CONTENT_DIGEST, DOCKER_UPLOAD_UUID, empty};
use crate::access::{Action, EventKind};
use crate::error::{ApiError, ErrorCode};
use crate::meta::Upload;
use crate::names::{RepositoryName, parse_digest};
use crate::upload::{self, AppendError, upload_unknown};
use crate::{Registry, RequestContext};

pub(super) async fn start(
    registry: &Registry,
    call: &Call,
    name: &RepositoryName,
    body: Body,
) -> Result<Response, ApiError> {
    let principal = registry
        .authorize(&call.headers, Action::Push, Some(name.as_str()))
        .await?;
    let context = call.context(principal);
    if let Some(mounted) = try_mount(registry, call, &context, name).await? {
        return Ok(mounted);
    }
    let id = crate::random_id();
    registry.meta.create_upload(&id, name.as_str()).await?;
    let Some(digest) = call.param("digest") else {
        return Ok(session_response(StatusCode::ACCEPTED, name, &id, 0));
    };
    let digest = match parse_digest(digest) {
        Ok(digest) => digest,
        Err(error) => {
            registry.meta.delete_upload(&id).await?;
            return Err(error);
        }
    };
    let upload = load(registry, name, &id).await?;
    if let Err(error) = upload::append(registry, &upload, body.into_data_stream(), content_length(call)).await {
        registry.meta.delete_upload(&id).await?;
        return Err(append_error(error, name, &upload));
    }
    finish(registry, &context, name, &id, &digest).await
}

/// A cross-repository mount when `?mount=` names a blob `from` holds; `None` falls back to
/// an ordinary upload session, as the specification says.
async fn try_mount(
    registry: &Registry,
    call: &Call,
    context: &RequestContext,
    name: &RepositoryName,
) -> Result<Option<Response>, ApiError> {
    let (Some(mount), Some(from)) = (call.param("mount"), call.param("from")) else {
        return Ok(None);
    };
    let (Ok(digest), Ok(from)) = (parse_digest(mount), RepositoryName::parse(from)) else {
        return Ok(None);
    };
    if registry
        .authorize(&call.headers, Action::Pull, Some(from.as_str()))
        .await
        .is_err()
    {
        return Ok(None);
    }
    let digest = digest.to_string();
    let Some(size) = registry.meta.blob_size(from.as_str(), &digest).await? else {
        return Ok(None);
    };
    if !registry.meta.link_blob(name.as_str(), &digest, size).await? {
        return Ok(None);
    }
    registry.record(
        context,
        name.as_str(),
        EventKind::BlobMounted {
            digest: digest.clone(),
            from: from.to_string(),
        },
    );
    Ok(Some(blob_created(name, &digest)))
}

pub(super) async fn patch(
    registry: &Registry,
    call: &Call,
    name: &RepositoryName,
    id: &str,
    body: Body,
) -> Result<Response, ApiError> {
    registry
        .authorize(&call.headers, Action::Push, Some(name.as_str()))
        .await?;
    let upload = load(registry, name, id).await?;
    let expected = match call.header(header::CONTENT_RANGE) {
        Some(range) => {
            let (start, end) = parse_content_range(range)?;
            if start != upload.size as u64 {
                return Err(out_of_order(name, &upload));
            }
            Some(end - start + 1)
        }
        None => content_length(call).filter(|&n| n > 0),
    };
    match upload::append(registry, &upload, body.into_data_stream(), expected).await {
        Ok(size) => Ok(session_response(StatusCode::ACCEPTED, name, id, size)),
        Err(error) => Err(append_error(error, name, &upload)),
    }
}

pub(super) async fn put(
    registry: &Registry,
    call: &Call,
    name: &RepositoryName,
    id: &str,
    body: Body,
) -> Result<Response, ApiError> {
    let principal = registry
        .authorize(&call.headers, Action::Push, Some(name.as_str()))
        .await?;
    let digest = call
        .param("digest")
        .ok_or_else(|| ApiError::new(ErrorCode::DigestInvalid, "closing an upload needs `?digest=`"))?;
    let digest = parse_digest(digest)?;
    let upload = load(registry, name, id).await?;
    if let Some(range) = call.header(header::CONTENT_RANGE) {
        let (start, _) = parse_content_range(range)?;
        if start != upload.size as u64 {
            return Err(out_of_order(name, &upload));
        }
    }
    let expected = content_length(call).filter(|&n| n > 0);
    upload::append(registry, &upload, body.into_data_stream(), expected)
        .await
        .map_err(|e| append_error(e, name, &upload))?;
    finish(registry, &call.context(principal), name, id, &digest).await
}

async fn finish(
    registry: &Registry,
    context: &RequestContext,
    name: &RepositoryName,
    id: &str,
    digest: &drydock_model::Digest,
) -> Result<Response, ApiError> {
    let upload = load(registry, name, id).await?;
    let size = upload::commit(registry, &upload, digest).await?;
    registry.record(
        context,
        name.as_str(),
        EventKind::BlobPushed {
            digest: digest.to_string(),
            size,
        },
    );
    Ok(blob_created(name, &digest.to_string()))
}

pub(super) async fn status(
    registry: &Registry,
    call: &Call,
    name: &RepositoryName,
    id: &str,
) -> Result<Response, ApiError> {
    registry
        .authorize(&call.headers, Action::Push, Some(name.as_str()))
        .await?;
    let upload = load(registry, name, id).await?;
    Ok(session_response(StatusCode::NO_CONTENT, name, id, upload.size))
}

pub(super) async fn cancel(
    registry: &Registry,
    call: &Call,
    name: &RepositoryName,
    id: &str,
) -> Result<Response, ApiError> {
    registry
        .authorize(&call.headers, Action::Push, Some(name.as_str()))
        .await?;
    let upload = load(registry, name, id).await?;
    if !registry.meta.delete_upload(id).await? {
        return Err(upload_unknown());
    }
    registry.blobs.discard(&upload.chunks).await;
    Ok(empty(StatusCode::NO_CONTENT, &[]))
}

async fn load(registry: &Registry, name: &RepositoryName, id: &str) -> Result<Upload, ApiError> {
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(upload_unknown());
    }
    registry
        .meta
        .upload(name.as_str(), id)
        .await?
        .ok_or_else(upload_unknown)
}

fn session_response(status: StatusCode, name: &RepositoryName, id: &str, size: i64) -> Response {
    let end = if size > 0 { size - 1 } else { 0 };
    empty(
        status,
        &[
            (header::LOCATION, format!("/v2/{name}/blobs/uploads/{id}")),
            (header::RANGE, format!("0-{end}")),
            (DOCKER_UPLOAD_UUID, id.to_string()),
        ],
    )
}

fn blob_created(name: &RepositoryName, digest: &str) -> Response {
    empty(
        StatusCode::CREATED,
        &[
            (header::LOCATION, format!("/v2/{name}/blobs/{digest}")),
            (DOCKER_CONTENT_DIGEST, digest.to_string()),
        ],
    )
}

fn out_of_order(name: &RepositoryName, upload: &Upload) -> ApiError {
    let mut error = ApiError::new(
        ErrorCode::BlobUploadInvalid,
        format!("chunks must be sent in order: the upload has {} bytes", upload.size),
    )
    .with_status(StatusCode::RANGE_NOT_SATISFIABLE);
    let response = session_response(StatusCode::ACCEPTED, name, &upload.id, upload.size);
    for (key, value) in response.headers() {
        if key == header::LOCATION || key == header::RANGE || key == DOCKER_UPLOAD_UUID {
            error = error.with_header(key.clone(), value.clone());
        }
    }
    error
}

fn append_error(error: AppendError, name: &RepositoryName, upload: &Upload) -> ApiError {
    match error {
        AppendError::OutOfOrder => out_of_order(name, upload),
        AppendError::Api(error) => error,
    }
}

fn content_length(call: &Call) -> Option<u64> {
    call.header(header::CONTENT_LENGTH).and_then(|v| v.trim().parse().ok())
}

/// Reads a `Content-Range` of an upload chunk: `start-end`, inclusive (a `bytes ` or
/// `bytes=` prefix and a `/total` suffix are tolerated).
pub fn parse_content_range(value: &str) -> Result<(u64, u64), ApiError> {
    let invalid = || {
        ApiError::new(
            ErrorCode::BlobUploadInvalid,
            format!(
                "invalid Content-Range `{}`: expected START-END",
                crate::names::printable(value)
            ),
        )
        .with_status(StatusCode::RANGE_NOT_SATISFIABLE)
    };
    let spec = value.trim();
    let spec = spec
        .strip_prefix("bytes=")
        .or_else(|| spec.strip_prefix("bytes "))
        .unwrap_or(spec);
    let spec = spec.split('/').next().unwrap_or(spec);
    let (start, end) = spec.split_once('-').ok_or_else(invalid)?;
    let start: u64 = start.trim().parse().map_err(|_| invalid())?;
    let end: u64 = end.trim().parse().map_err(|_| invalid())?;
    if end < start {
        return Err(invalid());
    }
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::parse_content_range;

    #[test]
    fn content_ranges() {
        assert_eq!(parse_content_range("0-9").unwrap(), (0, 9));
        assert_eq!(parse_content_range("bytes 10-19/100").unwrap(), (10, 19));
        assert!(parse_content_range("9-0").is_err());
        assert!(parse_content_range("a-b").is_err());
        assert!(parse_content_range("5").is_err());
    }
}
