//! Pushing to a registry repository over the OCI distribution API 1.1.
//!
//! Reads go through a client that asks only for `pull`; writes through a second one that
//! asks for `pull,push` (and `pull` on a mount's source repository), so reading a
//! repository never needs write rights. Blobs are checked with `HEAD` first and skipped when
//! present. A blob up to [`CHUNK_BYTES`] is uploaded monolithically (`POST`, then `PUT
//! ?digest=`), a bigger one in `PATCH` chunks of that size, so memory stays bounded; its
//! digest and size are checked as it streams and the upload is cancelled, never committed,
//! when they do not match. A manifest's `Docker-Content-Digest` must equal the digest of
//! the bytes sent. A manifest with a `subject` pushed to a registry that does not answer
//! with `OCI-Subject` gets its descriptor added to the referrers tag schema index.

use std::io::Read;

use drydock_model::Digest;
use serde::Deserialize;

use super::hashing::Hasher;
use super::referrers::{
    as_referrer, declared_media_type, filter_by_type, index_descriptors, index_with, referrers_tag,
};
use super::{Descriptor, Manifest, Reference, Repository, verify_before_store};
use crate::error::{OciError, Result};
use crate::image::OCI_INDEX;
use crate::reference::RegistryRef;
use crate::source::registry::blob::BlobReader;
use crate::source::registry::client::{HttpResponse, Method, RegistryClient, header_str};
use crate::source::registry::{RegistryOptions, RegistrySource, build_client};
use crate::source::{MAX_METADATA_BYTES, sha256_digest};

/// Blobs up to this size go up in one request; bigger ones in chunks of this size.
pub const CHUNK_BYTES: usize = 8 * 1024 * 1024;
/// Tags asked for per page of `tags/list`.
const TAGS_PAGE: usize = 1000;
/// Pages followed at most (tags or referrers), against a registry whose `Link` loops.
const MAX_PAGES: usize = 10_000;

/// One repository of a registry, for reading and writing.
pub struct RegistryRepository {
    registry: String,
    repository: String,
    reader: RegistrySource,
    writer: RegistryClient,
    chunk_bytes: usize,
}

impl RegistryRepository {
    /// Prepares the repository `reference` names (its tag or digest is ignored). Nothing
    /// is sent until the first request.
    pub fn new(reference: &RegistryRef, options: RegistryOptions) -> Result<Self> {
        let repository_ref = RegistryRef {
            tag: None,
            digest: None,
            ..reference.clone()
        };
        let writer = build_client(&repository_ref, options.clone(), "pull,push");
        let reader = RegistrySource::new(repository_ref, options)?;
        Ok(RegistryRepository {
            registry: reference.registry.clone(),
            repository: reference.repository.clone(),
            reader,
            writer,
            chunk_bytes: CHUNK_BYTES,
        })
    }

    /// Uploads blobs bigger than `bytes` in chunks of that size (at least 1 KiB).
    pub fn with_chunk_size(mut self, bytes: usize) -> Self {
        self.chunk_bytes = bytes.max(1024);
        self
    }

    /// Every tag, asking for `page_size` per request and following `Link` headers.
    pub fn tags_paged(&self, page_size: usize) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct TagList {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let mut url = self.writer.url(&format!("tags/list?n={}", page_size.max(1)));
        let mut tags = Vec::new();
        for _ in 0..MAX_PAGES {
            let not_found = |detail: Option<String>| OciError::NotFound {
                what: format!("repository {} in registry {}", self.repository, self.registry),
                detail,
            };
            let response = self.reader_request(Method::Get, &url, &[], &not_found)?;
            let next = next_link(&response).and_then(|link| self.writer.resolve(&link));
            let what = format!("tag list of {}", self.name());
            let bytes = crate::source::read_limited(response.into_body().into_reader(), &what)?;
            let page: TagList = serde_json::from_slice(&bytes).map_err(|e| OciError::invalid(&what, e))?;
            tags.extend(page.tags.unwrap_or_default());
            match next {
                Some(next) if next != url => url = next,
                _ => return Ok(tags),
            }
        }
        Err(self.error(format!("the tag list had more than {MAX_PAGES} pages")))
    }

    /// Requests through the read client (pull scope).
    fn reader_request(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, String)],
        not_found: &dyn Fn(Option<String>) -> OciError,
    ) -> Result<HttpResponse> {
        self.reader.client().request(method, url, headers, &[], not_found)
    }

    fn error(&self, reason: impl std::fmt::Display) -> OciError {
        OciError::Registry {
            registry: self.registry.clone(),
            reason: format!("repository {}: {reason}", self.repository),
        }
    }

    /// Adds what was being done to a registry error (which names the registry already).
    fn doing(&self, doing: &str) -> impl Fn(OciError) -> OciError + '_ {
        let doing = doing.to_string();
        move |error| match error {
            OciError::Registry { registry, reason } => OciError::Registry {
                registry,
                reason: format!("{doing} in repository {}: {reason}", self.repository),
            },
            other => other,
        }
    }

    fn not_found_for<'a>(&'a self, what: &'a str) -> impl Fn(Option<String>) -> OciError + 'a {
        move |detail| OciError::NotFound {
            what: format!("{what} in repository {} of registry {}", self.repository, self.registry),
            detail,
        }
    }

    /// `POST blobs/uploads/`: the upload session's URL.
    fn start_upload(&self, digest: &Digest) -> Result<String> {
        let what = format!("upload of blob {digest}");
        let url = self.writer.url("blobs/uploads/");
        let response = self
            .writer
            .request(Method::Post, &url, &[], &[], &self.not_found_for(&what))
            .map_err(self.doing(&format!("starting the upload of blob {digest}")))?;
        self.location(&response, &what)
    }

    fn location(&self, response: &HttpResponse, what: &str) -> Result<String> {
        header_str(response, "location")
            .and_then(|l| self.writer.resolve(l))
            .ok_or_else(|| self.error(format!("{what}: the registry answered without a usable Location")))
    }

    /// `PUT <session>?digest=` with the last bytes (or none): commits the blob.
    fn finish_upload(&self, session: &str, digest: &Digest, last: &[u8]) -> Result<()> {
        let separator = if session.contains('?') { '&' } else { '?' };
        let url = format!("{session}{separator}digest={digest}");
        let what = format!("blob {digest}");
        // ureq sets Content-Length from the body.
        let headers = [("Content-Type", "application/octet-stream".to_string())];
        let response = self
            .writer
            .request(Method::Put, &url, &headers, last, &self.not_found_for(&what))
            .map_err(self.doing(&format!("committing blob {digest}")))?;
        if let Some(stored) =
            header_str(&response, "docker-content-digest").and_then(|v| v.trim().parse::<Digest>().ok())
            && &stored != digest
        {
            return Err(self.error(format!("the registry stored blob {digest} under the digest {stored}")));
        }
        Ok(())
    }

    /// Cancels an upload session after a local failure; its own failure is only logged.
    fn cancel_upload(&self, session: &str) {
        let ignore = |_| OciError::not_found("upload session");
        if let Err(error) = self.writer.request(Method::Delete, session, &[], &[], &ignore) {
            tracing::debug!(%error, "cancelling an upload session failed");
        }
    }

    /// Streams a big blob in `PATCH` chunks, verifying digest and size before committing.
    fn push_chunked(&self, digest: &Digest, size: u64, reader: &mut dyn Read) -> Result<()> {
        let mut session = self.start_upload(digest)?;
        match self.send_chunks(&mut session, digest, size, reader) {
            Ok(()) => self.finish_upload(&session, digest, &[]),
            Err(error) => {
                self.cancel_upload(&session);
                Err(error)
            }
        }
    }

    fn send_chunks(&self, session: &mut String, digest: &Digest, size: u64, reader: &mut dyn Read) -> Result<()> {
        let what = format!("blob {digest} for {}", self.name());
        let mut hasher = Hasher::for_digest(digest);
        let mut buffer = vec![0u8; self.chunk_bytes];
        let mut sent = 0u64;
        let mut limited = reader.take(size.saturating_add(1));
        loop {
            let filled = fill(&mut limited, &mut buffer).map_err(|e| OciError::io(format!("reading {what}"), e))?;
            if filled == 0 {
                break;
            }
            if sent + filled as u64 > size {
                return Err(OciError::SizeMismatch {
                    what,
                    expected: size,
                    actual: sent + filled as u64,
                });
            }
            hasher.update(&buffer[..filled]);
            *session = self.patch_chunk(session, digest, sent, &buffer[..filled])?;
            sent += filled as u64;
        }
        if sent != size {
            return Err(OciError::SizeMismatch {
                what,
                expected: size,
                actual: sent,
            });
        }
        let actual = hasher.finish();
        if &actual != digest {
            return Err(OciError::DigestMismatch {
                what,
                expected: digest.clone(),
                actual,
            });
        }
        Ok(())
    }

    /// One `PATCH` with `Content-Range`; returns the session URL for the next request. A
    /// 416 after a retried chunk asks the session how far it got, and carries on when the
    /// chunk had landed.
    fn patch_chunk(&self, session: &str, digest: &Digest, start: u64, chunk: &[u8]) -> Result<String> {
        let end = start + chunk.len() as u64 - 1;
        let headers = [
            ("Content-Type", "application/octet-stream".to_string()),
            ("Content-Range", format!("{start}-{end}")),
        ];
        let what = format!("upload of blob {digest}");
        match self
            .writer
            .request(Method::Patch, session, &headers, chunk, &self.not_found_for(&what))
        {
            Ok(response) => {
                if let Some(range_end) = header_str(&response, "range").and_then(range_end)
                    && range_end != end
                {
                    return Err(self.error(format!(
                        "{what}: after sending bytes {start}-{end} the registry holds bytes 0-{range_end}"
                    )));
                }
                self.location(&response, &what)
            }
            Err(OciError::Registry { reason, .. }) if reason.contains("416") => {
                let status = self
                    .writer
                    .request(Method::Get, session, &[], &[], &self.not_found_for(&what))
                    .map_err(self.doing(&format!("asking how much of blob {digest} arrived")))?;
                match header_str(&status, "range").and_then(range_end) {
                    Some(held) if held == end => self.location(&status, &what),
                    held => Err(self.error(format!(
                        "{what}: the registry refused bytes {start}-{end} (416) and holds {}",
                        held.map_or("nothing".to_string(), |h| format!("bytes 0-{h}"))
                    ))),
                }
            }
            Err(other) => Err(self.doing(&format!("uploading blob {digest}"))(other)),
        }
    }

    /// Adds `descriptor` to the referrers tag schema index of `subject`.
    fn add_to_referrers_index(&self, subject: &Digest, descriptor: &Descriptor) -> Result<()> {
        let tag = referrers_tag(subject);
        let what = format!("referrers index {}:{tag}", self.name());
        let existing = self.fetch_manifest(&Reference::Tag(tag.clone()))?;
        if let Some(updated) = index_with(existing.as_ref().map(|m| m.bytes.as_slice()), descriptor, &what)? {
            self.put_manifest(&updated, OCI_INDEX, &tag)?;
        }
        Ok(())
    }

    /// `PUT manifests/<reference>`; returns whether the registry said `OCI-Subject`.
    fn put_manifest(&self, bytes: &[u8], media_type: &str, reference: &str) -> Result<bool> {
        let digest = sha256_digest(bytes);
        let what = format!("manifest {digest}");
        let headers = [("Content-Type", media_type.to_string())];
        let url = self.writer.url(&format!("manifests/{reference}"));
        let response = self
            .writer
            .request(Method::Put, &url, &headers, bytes, &self.not_found_for(&what))
            .map_err(self.doing(&format!("pushing manifest {digest} as `{reference}`")))?;
        if let Some(stored) = header_str(&response, "docker-content-digest") {
            let stored: Digest = stored.trim().parse().map_err(|e| {
                self.error(format!(
                    "pushing manifest {digest}: the registry's Docker-Content-Digest is not a digest: {e}"
                ))
            })?;
            if stored != digest {
                return Err(self.error(format!(
                    "pushing manifest {digest}: the registry answered Docker-Content-Digest {stored}, \
                     not the digest of the bytes sent"
                )));
            }
        }
        Ok(header_str(&response, "oci-subject").is_some())
    }

    /// A repository's name without the registry, when `name` is one of this registry's.
    fn same_registry_repository<'a>(&self, name: &'a str) -> Option<&'a str> {
        [self.registry.as_str(), cosign_registry_name(&self.registry)]
            .iter()
            .find_map(|registry| name.strip_prefix(registry)?.strip_prefix('/'))
    }
}

impl Repository for RegistryRepository {
    fn name(&self) -> String {
        format!("{}/{}", cosign_registry_name(&self.registry), self.repository)
    }

    fn resolve(&self, reference: &Reference) -> Result<Option<Descriptor>> {
        Ok(self.fetch_manifest(reference)?.map(|m| m.descriptor()))
    }

    fn fetch_manifest(&self, reference: &Reference) -> Result<Option<Manifest>> {
        let expected = match reference {
            Reference::Digest(digest) => Some(digest),
            Reference::Tag(_) => None,
        };
        match self.reader.manifest(&reference.to_string(), expected) {
            Ok(fetched) => {
                let media_type = fetched
                    .media_type
                    .or_else(|| declared_media_type(&fetched.bytes))
                    .unwrap_or_default();
                Ok(Some(Manifest {
                    bytes: fetched.bytes,
                    media_type,
                    digest: fetched.digest,
                }))
            }
            Err(OciError::NotFound { .. }) => Ok(None),
            Err(other) => Err(other),
        }
    }

    fn fetch_blob(&self, digest: &Digest, max_bytes: u64) -> Result<Vec<u8>> {
        let what = format!("blob {digest} in {}", self.name());
        let reader = BlobReader::open(self.reader.client(), digest, None)?;
        let mut bytes = Vec::new();
        reader
            .take(max_bytes.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| OciError::io(format!("reading {what}"), e))?;
        if bytes.len() as u64 > max_bytes {
            return Err(OciError::invalid(
                what,
                format!("it is larger than the {max_bytes} bytes allowed"),
            ));
        }
        verify_before_store(&what, digest, &bytes)?;
        Ok(bytes)
    }

    fn open_blob(&self, digest: &Digest, size: Option<u64>) -> Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(BlobReader::open(self.reader.client(), digest, size)?))
    }

    fn blob_exists(&self, digest: &Digest) -> Result<bool> {
        let what = format!("blob {digest}");
        let url = self.writer.url(&format!("blobs/{digest}"));
        match self.reader_request(Method::Head, &url, &[], &self.not_found_for(&what)) {
            Ok(_) => Ok(true),
            Err(OciError::NotFound { .. }) => Ok(false),
            Err(other) => Err(other),
        }
    }

    fn push_blob(&self, digest: &Digest, bytes: &[u8]) -> Result<()> {
        verify_before_store(&format!("blob {digest} for {}", self.name()), digest, bytes)?;
        if self.blob_exists(digest)? {
            return Ok(());
        }
        if bytes.len() > self.chunk_bytes {
            return self.push_chunked(digest, bytes.len() as u64, &mut &bytes[..]);
        }
        let session = self.start_upload(digest)?;
        self.finish_upload(&session, digest, bytes)
    }

    fn push_blob_stream(&self, digest: &Digest, size: u64, reader: &mut dyn Read) -> Result<()> {
        if self.blob_exists(digest)? {
            return Ok(());
        }
        if size > self.chunk_bytes as u64 {
            return self.push_chunked(digest, size, reader);
        }
        let what = format!("blob {digest} for {}", self.name());
        let mut bytes = Vec::with_capacity(size as usize);
        reader
            .take(size + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| OciError::io(format!("reading {what}"), e))?;
        if bytes.len() as u64 != size {
            return Err(OciError::SizeMismatch {
                what,
                expected: size,
                actual: bytes.len() as u64,
            });
        }
        self.push_blob(digest, &bytes)
    }

    fn mount_blob(&self, digest: &Digest, from: &str) -> Result<bool> {
        let Some(from_repository) = self.same_registry_repository(from) else {
            return Ok(false);
        };
        if from_repository == self.repository {
            return self.blob_exists(digest);
        }
        self.writer.add_scope(format!("repository:{from_repository}:pull"));
        let what = format!("mount of blob {digest} from {from_repository}");
        let url = self
            .writer
            .url(&format!("blobs/uploads/?mount={digest}&from={from_repository}"));
        let response = self
            .writer
            .request(Method::Post, &url, &[], &[], &self.not_found_for(&what))
            .map_err(self.doing(&format!("mounting blob {digest} from {from_repository}")))?;
        if response.status().as_u16() == 201 {
            return Ok(true);
        }
        // 202: the registry opened an ordinary upload instead; drop it.
        if let Ok(session) = self.location(&response, &what) {
            self.cancel_upload(&session);
        }
        Ok(false)
    }

    fn push_manifest(&self, bytes: &[u8], media_type: &str, tag: Option<&str>) -> Result<Digest> {
        let digest = sha256_digest(bytes);
        let what = format!("manifest {digest} for {}", self.name());
        if bytes.len() as u64 > MAX_METADATA_BYTES {
            return Err(OciError::invalid(what, "it is larger than the metadata limit"));
        }
        let media_type = match media_type {
            "" => declared_media_type(bytes)
                .ok_or_else(|| OciError::invalid(&what, "no media type given and none in the JSON"))?,
            given => given.to_string(),
        };
        if let Some(tag) = tag {
            crate::reference::validate_tag(tag).map_err(|reason| OciError::invalid(&what, reason))?;
        }
        let referrer = as_referrer(bytes, &media_type, &digest, &what)?;
        let reference = tag.map_or_else(|| digest.to_string(), str::to_string);
        let subject_processed = self.put_manifest(bytes, &media_type, &reference)?;
        if let Some((subject, descriptor)) = referrer
            && !subject_processed
        {
            self.add_to_referrers_index(&subject, &descriptor)?;
        }
        Ok(digest)
    }

    fn tags(&self) -> Result<Vec<String>> {
        self.tags_paged(TAGS_PAGE)
    }

    fn referrers(&self, subject: &Digest, artifact_type: Option<&str>) -> Result<Vec<Descriptor>> {
        let query = artifact_type.map_or_else(String::new, |t| format!("?artifactType={}", query_escape(t)));
        let mut url = self.writer.url(&format!("referrers/{subject}{query}"));
        let mut found = Vec::new();
        let mut filtered = true;
        for _ in 0..MAX_PAGES {
            let what = format!("referrers of {subject}");
            let response = match self.reader_request(
                Method::Get,
                &url,
                &[("Accept", OCI_INDEX.to_string())],
                &self.not_found_for(&what),
            ) {
                Ok(response) => response,
                // No referrers API: the tag schema.
                Err(OciError::NotFound { .. }) if found.is_empty() => {
                    let tag = Reference::Tag(referrers_tag(subject));
                    let listed = match self.fetch_manifest(&tag)? {
                        Some(index) => index_descriptors(&index.bytes, &format!("referrers index {tag}"))?,
                        None => Vec::new(),
                    };
                    return Ok(filter_by_type(listed, artifact_type));
                }
                Err(other) => return Err(other),
            };
            filtered &= header_str(&response, "oci-filters-applied")
                .is_some_and(|v| v.split(',').any(|f| f.trim() == "artifactType"));
            let next = next_link(&response).and_then(|link| self.writer.resolve(&link));
            let bytes = crate::source::read_limited(response.into_body().into_reader(), &what)?;
            found.extend(index_descriptors(&bytes, &what)?);
            match next {
                Some(next) if next != url => url = next,
                _ => {
                    return Ok(if filtered {
                        found
                    } else {
                        filter_by_type(found, artifact_type)
                    });
                }
            }
        }
        Err(self.error(format!(
            "the referrers list of {subject} had more than {MAX_PAGES} pages"
        )))
    }
}

/// The registry as go-containerregistry (and so cosign's `docker-reference`) names it:
/// Docker Hub is `index.docker.io`.
fn cosign_registry_name(registry: &str) -> &str {
    if registry == crate::reference::DOCKER_HUB {
        "index.docker.io"
    } else {
        registry
    }
}

/// Reads until `buffer` is full or the stream ends; returns how much was read.
fn fill(reader: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The end of an upload's `Range: 0-<end>` header.
fn range_end(value: &str) -> Option<u64> {
    let (_, end) = value.trim().trim_start_matches("bytes=").split_once('-')?;
    end.trim().parse().ok()
}

/// The target of a `Link: <url>; rel="next"` header.
fn next_link(response: &HttpResponse) -> Option<String> {
    response
        .headers()
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .find(|part| part.contains("rel=\"next\"") || part.contains("rel=next"))
        .and_then(|part| {
            let start = part.find('<')? + 1;
            let end = part[start..].find('>')? + start;
            Some(part[start..end].to_string())
        })
}

/// Percent-encodes a query value (media types have `/` and `+`).
fn query_escape(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_is_named_as_cosign_names_it() {
        let hub = RegistryRepository::new(&RegistryRef::parse("alpine").unwrap(), RegistryOptions::default()).unwrap();
        assert_eq!(hub.name(), "index.docker.io/library/alpine");
        assert_eq!(
            hub.same_registry_repository("docker.io/library/debian"),
            Some("library/debian")
        );
        assert_eq!(hub.same_registry_repository("ghcr.io/library/debian"), None);
        let local = RegistryRepository::new(
            &RegistryRef::parse("127.0.0.1:5000/team/app:v1").unwrap(),
            RegistryOptions::default(),
        )
        .unwrap();
        assert_eq!(local.name(), "127.0.0.1:5000/team/app");
    }

    #[test]
    fn upload_ranges() {
        assert_eq!(range_end("0-1023"), Some(1023));
        assert_eq!(range_end("bytes=0-5"), Some(5));
        assert_eq!(range_end("nonsense"), None);
    }

    #[test]
    fn query_values_are_escaped() {
        assert_eq!(
            query_escape("application/vnd.dev.cosign+json"),
            "application%2Fvnd.dev.cosign%2Bjson"
        );
    }
}
