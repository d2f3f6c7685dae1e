//! Blob storage on any `object_store` backend: content-addressed blobs and staged upload
//! chunks, streamed in both directions.
//!
//! Layout: a blob is `blobs/<algorithm>/<first two hex>/<hex>`; a chunk received for an
//! upload is `uploads/<id>/<position>-<random>`. `object_store` has no append, so each PATCH
//! becomes its own staged object, hashed (sha256) while it streams in. Committing an
//! upload needs the digest of the whole: an upload of one chunk whose own sha256 is the
//! digest (the usual monolithic push) is renamed into place; anything else is streamed once
//! through a hasher into a multipart write at the content address, completed only when the
//! digest matches and aborted otherwise, so a blob is visible whole and verified or not at
//! all.

use std::ops::Range;
use std::path::Path as FsPath;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};
use sha2::Digest as _;

use drydock_model::Digest;

use crate::error::{Error, Result};
use crate::meta::Chunk;

/// Parts are buffered up to this size before they go to the store (S3's minimum is 5 MiB).
const PART_SIZE: usize = 8 * 1024 * 1024;
/// The local filesystem has no minimum: smaller parts keep a server's memory small.
const LOCAL_PART_SIZE: usize = 1024 * 1024;
/// Bytes per read from the local filesystem.
const LOCAL_READ_SIZE: usize = 256 * 1024;
/// Parts in flight at once per write.
const PARTS_IN_FLIGHT: usize = 2;
/// How long an upload body may send nothing before the request is dropped: a stalled
/// client must not hold a connection and a staged object forever.
pub const BODY_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// Why a chunk was not stored. Nothing is left behind in either case.
#[derive(Debug)]
pub enum ChunkError {
    /// The body went past the byte limit.
    TooLarge {
        limit: u64,
    },
    /// The client's body stream failed (disconnect, timeout).
    Body(String),
    Storage(Error),
}

impl From<object_store::Error> for ChunkError {
    fn from(error: object_store::Error) -> Self {
        ChunkError::Storage(error.into())
    }
}

/// The outcome of committing an upload.
#[derive(Debug, PartialEq, Eq)]
pub enum Commit {
    /// The blob is at its content address.
    Stored { size: u64 },
    /// The bytes hash to something else; nothing was stored.
    Mismatch { actual: String },
}

/// Blobs and staged uploads in an object store.
#[derive(Debug, Clone)]
pub struct BlobStore {
    store: Arc<dyn ObjectStore>,
    /// Bytes buffered per multipart part.
    part_size: usize,
}

impl BlobStore {
    pub fn new(store: Arc<dyn ObjectStore>) -> Self {
        BlobStore {
            store,
            part_size: PART_SIZE,
        }
    }

    /// A store in a local directory, created when missing.
    pub fn local(dir: &FsPath) -> Result<Self> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("creating blob directory {}", dir.display()), e))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir)?;
        // Reads come in 8 KiB pieces, each a blocking-pool hop, unless re-chunked.
        let store = object_store::chunked::ChunkedStore::new(Arc::new(store), LOCAL_READ_SIZE);
        Ok(BlobStore {
            store: Arc::new(store),
            part_size: LOCAL_PART_SIZE,
        })
    }

    pub fn object_store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// Where a blob lives.
    pub fn blob_path(digest: &Digest) -> Path {
        let hex = digest.hex();
        Path::from(format!("blobs/{}/{}/{}", digest.algorithm(), &hex[..2], hex))
    }

    /// Streams a request body into a new staged chunk of `upload_id` at `position`,
    /// refusing to go past `limit` bytes.
    pub async fn write_chunk<S, E>(
        &self,
        upload_id: &str,
        position: i64,
        body: S,
        limit: u64,
    ) -> Result<Option<Chunk>, ChunkError>
    where
        S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
        E: std::fmt::Display,
    {
        let object = format!("uploads/{upload_id}/{position:020}-{}", crate::random_id());
        let path = Path::from(object.as_str());
        let upload = self.store.put_multipart(&path).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, self.part_size);
        match copy_hashing(body, &mut writer, limit).await {
            Ok((0, _)) => {
                writer.abort().await?;
                Ok(None)
            }
            Ok((size, sha256)) => {
                writer.finish().await?;
                Ok(Some(Chunk {
                    position,
                    size: size as i64,
                    sha256,
                    object,
                }))
            }
            Err(error) => {
                let _ = writer.abort().await;
                Err(error)
            }
        }
    }

    /// Verifies the chunks against `digest` and puts the blob at its content address.
    pub async fn commit(&self, chunks: &[Chunk], digest: &Digest) -> Result<Commit> {
        let target = Self::blob_path(digest);
        if let [only] = chunks
            && digest.is_sha256()
        {
            if only.sha256 != digest.hex() {
                return Ok(Commit::Mismatch {
                    actual: format!("sha256:{}", only.sha256),
                });
            }
            self.store.rename(&Path::from(only.object.as_str()), &target).await?;
            return Ok(Commit::Stored { size: only.size as u64 });
        }
        self.concatenate(chunks, digest, &target).await
    }

    async fn concatenate(&self, chunks: &[Chunk], digest: &Digest, target: &Path) -> Result<Commit> {
        let mut hasher = Hasher::for_digest(digest);
        let total: i64 = chunks.iter().map(|c| c.size).sum();
        if total == 0 {
            let actual = hasher.finish();
            if actual != digest.to_string() {
                return Ok(Commit::Mismatch { actual });
            }
            self.store.put(target, PutPayload::default()).await?;
            return Ok(Commit::Stored { size: 0 });
        }
        let upload = self.store.put_multipart(target).await?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, self.part_size);
        for chunk in chunks {
            let mut stream = self.store.get(&Path::from(chunk.object.as_str())).await?.into_stream();
            while let Some(bytes) = stream.next().await {
                let bytes = match bytes {
                    Ok(bytes) => bytes,
                    Err(error) => {
                        let _ = writer.abort().await;
                        return Err(error.into());
                    }
                };
                hasher.update(&bytes);
                writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
                writer.put(bytes);
            }
        }
        let actual = hasher.finish();
        if actual != digest.to_string() {
            writer.abort().await?;
            return Ok(Commit::Mismatch { actual });
        }
        writer.finish().await?;
        Ok(Commit::Stored { size: total as u64 })
    }

    /// Deletes staged chunk objects; failures are logged, the objects are garbage then.
    pub async fn discard(&self, chunks: &[Chunk]) {
        for chunk in chunks {
            if let Err(error) = self.store.delete(&Path::from(chunk.object.as_str())).await {
                tracing::warn!(object = %chunk.object, %error, "could not delete a staged upload chunk");
            }
        }
    }

    /// Whether a blob's object is at its content address.
    pub async fn blob_exists(&self, digest: &Digest) -> Result<bool> {
        match self.store.head(&Self::blob_path(digest)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(error) => Err(error.into()),
        }
    }

    /// Streams a blob, or the byte range of it.
    pub async fn read(
        &self,
        digest: &Digest,
        range: Option<Range<u64>>,
    ) -> Result<BoxStream<'static, std::io::Result<Bytes>>> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        let result = self.store.get_opts(&Self::blob_path(digest), options).await?;
        Ok(result.into_stream().map_err(std::io::Error::other).boxed())
    }
}

/// Copies `body` into `writer`, hashing it, stopping past `limit`. Returns (size, sha256 hex).
async fn copy_hashing<S, E>(mut body: S, writer: &mut WriteMultipart, limit: u64) -> Result<(u64, String), ChunkError>
where
    S: futures_util::Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut hasher = sha2::Sha256::new();
    let mut size = 0u64;
    loop {
        let frame = match tokio::time::timeout(BODY_IDLE_TIMEOUT, body.next()).await {
            Ok(Some(frame)) => frame,
            Ok(None) => break,
            Err(_) => {
                return Err(ChunkError::Body(format!(
                    "no data for {} seconds",
                    BODY_IDLE_TIMEOUT.as_secs()
                )));
            }
        };
        let bytes = frame.map_err(|e| ChunkError::Body(e.to_string()))?;
        size += bytes.len() as u64;
        if size > limit {
            return Err(ChunkError::TooLarge { limit });
        }
        hasher.update(&bytes);
        writer
            .wait_for_capacity(PARTS_IN_FLIGHT)
            .await
            .map_err(ChunkError::from)?;
        writer.put(bytes);
    }
    Ok((size, hex::encode(hasher.finalize())))
}

/// A running hash in the digest's algorithm.
pub enum Hasher {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl Hasher {
    pub fn for_digest(digest: &Digest) -> Self {
        if digest.is_sha256() {
            Hasher::Sha256(sha2::Sha256::new())
        } else {
            Hasher::Sha512(sha2::Sha512::new())
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(bytes),
            Hasher::Sha512(h) => h.update(bytes),
        }
    }

    /// The digest string, `algorithm:hex`.
    pub fn finish(self) -> String {
        match self {
            Hasher::Sha256(h) => format!("sha256:{}", hex::encode(h.finalize())),
            Hasher::Sha512(h) => format!("sha512:{}", hex::encode(h.finalize())),
        }
    }
}

/// The sha256 digest of some bytes, `sha256:hex`.
pub fn sha256_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}
