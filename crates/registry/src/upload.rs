//! Upload sessions: appending chunks and committing the blob, apart from HTTP.
//!
//! A session is a row of the metadata store (its size so far and its chunks); each chunk is
//! a staged object. Appending records the chunk only if the session's size is still the
//! position it was written at, so two racing PATCHes cannot both land. Committing verifies
//! the digest while moving the bytes to the content address (see [`crate::storage`]), then
//! deletes the session and links the blob in one transaction.

use drydock_model::Digest;
use futures_util::Stream;

use bytes::Bytes;

use crate::Registry;
use crate::error::{ApiError, ErrorCode};
use crate::meta::Upload;
use crate::storage::{ChunkError, Commit};

/// Why an append was refused.
pub enum AppendError {
    /// The session moved on (a concurrent append) or the range does not start at its end.
    OutOfOrder,
    Api(ApiError),
}

impl From<ApiError> for AppendError {
    fn from(error: ApiError) -> Self {
        AppendError::Api(error)
    }
}

/// Streams `body` onto the end of the session; `expected` is the exact length when the
/// client declared one. Returns the session's new size.
pub async fn append<S, E>(
    registry: &Registry,
    upload: &Upload,
    body: S,
    expected: Option<u64>,
) -> Result<i64, AppendError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let room = registry.limits.max_blob_size.saturating_sub(upload.size as u64);
    if expected.is_some_and(|e| e > room) {
        return Err(too_large(registry).into());
    }
    let limit = expected.map_or(room, |e| e.min(room));
    let chunk = match registry.blobs.write_chunk(&upload.id, upload.size, body, limit).await {
        Ok(chunk) => chunk,
        Err(ChunkError::TooLarge { .. }) if expected.is_some_and(|e| e <= room) => {
            return Err(size_invalid("the body is longer than its Content-Range or Content-Length").into());
        }
        Err(ChunkError::TooLarge { .. }) => return Err(too_large(registry).into()),
        Err(ChunkError::Body(error)) => {
            return Err(ApiError::new(
                ErrorCode::BlobUploadInvalid,
                format!("the request body could not be read: {error}"),
            )
            .into());
        }
        Err(ChunkError::Storage(error)) => return Err(ApiError::from(error).into()),
    };
    let received = chunk.as_ref().map_or(0, |c| c.size as u64);
    if let Some(expected) = expected
        && expected != received
    {
        if let Some(chunk) = &chunk {
            registry.blobs.discard(std::slice::from_ref(chunk)).await;
        }
        return Err(size_invalid(&format!(
            "the body has {received} bytes where its Content-Range or Content-Length said {expected}"
        ))
        .into());
    }
    let Some(chunk) = chunk else {
        return Ok(upload.size);
    };
    match registry.meta.append_chunk(&upload.id, &chunk).await {
        Ok(true) => Ok(chunk.position + chunk.size),
        Ok(false) => {
            registry.blobs.discard(std::slice::from_ref(&chunk)).await;
            Err(AppendError::OutOfOrder)
        }
        Err(error) => {
            registry.blobs.discard(std::slice::from_ref(&chunk)).await;
            Err(ApiError::from(error).into())
        }
    }
}

/// Verifies the session's bytes against `digest`, stores the blob and links it. On a
/// mismatch the session and its chunks are deleted and nothing becomes visible.
pub async fn commit(registry: &Registry, upload: &Upload, digest: &Digest) -> Result<u64, ApiError> {
    registry.meta.reserve_blob(&digest.to_string()).await?;
    let outcome = match registry.blobs.commit(&upload.chunks, digest).await {
        Ok(outcome) => outcome,
        // A concurrent PUT on the same session already moved its chunks.
        Err(crate::Error::Storage(object_store::Error::NotFound { .. })) => return Err(upload_unknown()),
        Err(error) => return Err(error.into()),
    };
    match outcome {
        Commit::Mismatch { actual } => {
            registry.meta.delete_upload(&upload.id).await?;
            registry.blobs.discard(&upload.chunks).await;
            Err(ApiError::new(
                ErrorCode::DigestInvalid,
                format!("the uploaded content has digest {actual}, not {digest}"),
            )
            .with_detail(serde_json::json!({ "digest": digest.to_string() })))
        }
        Commit::Stored { size } => {
            if !registry
                .meta
                .finish_upload(upload, &digest.to_string(), size as i64)
                .await?
            {
                return Err(upload_unknown());
            }
            if upload.chunks.len() > 1 || !digest.is_sha256() {
                registry.blobs.discard(&upload.chunks).await;
            }
            Ok(size)
        }
    }
}

pub fn upload_unknown() -> ApiError {
    ApiError::new(
        ErrorCode::BlobUploadUnknown,
        "the upload session is unknown: finished, cancelled or never started",
    )
}

fn too_large(registry: &Registry) -> ApiError {
    ApiError::new(
        ErrorCode::SizeInvalid,
        format!(
            "the blob would exceed the registry's limit of {} bytes",
            registry.limits.max_blob_size
        ),
    )
    .with_status(axum::http::StatusCode::PAYLOAD_TOO_LARGE)
}

fn size_invalid(message: &str) -> ApiError {
    ApiError::new(ErrorCode::SizeInvalid, message)
}
