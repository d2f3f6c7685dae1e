//! Images in a registry, over the OCI distribution API (Docker Registry HTTP API v2).
//!
//! [`RegistrySource`] reads manifests, indexes and blobs of one repository with blocking HTTP:
//!
//! - **Transport.** HTTPS with certificate verification, always, except that plain HTTP is
//!   used for loopback registries (`localhost`, `127.0.0.0/8`, `[::1]`) and for any registry
//!   when [`RegistryOptions::insecure`] is set. TLS verification is never switched off.
//! - **Manifests** are fetched with an `Accept` for OCI manifests and indexes and Docker
//!   schema 2 manifests and manifest lists, capped at [`MAX_METADATA_BYTES`], and checked:
//!   against the digest of the reference or the one asked for, and, for tags, against the
//!   registry's `Docker-Content-Digest`.
//! - **Blobs** stream; a dropped connection is resumed with a `Range` request (see
//!   [`blob`]). Redirects to storage hosts are followed without the `Authorization` header.
//! - **Authentication** starts anonymous and answers the registry's `WWW-Authenticate`
//!   challenge: a bearer token from the realm, or basic auth (see [`auth`]). Credentials
//!   come from the options, the environment or the Docker config (see [`credentials`]).
//! - **Retries** with exponential backoff on connection errors, timeouts, 429 (honouring a
//!   `Retry-After` in seconds, capped at 30 s) and 5xx, up to
//!   [`RegistryOptions::max_attempts`] tries, then an error naming the request and the
//!   last failure. 404 is [`OciError::NotFound`], a refusal after authenticating is
//!   [`OciError::Auth`].

mod auth;
pub(crate) mod blob;
pub(crate) mod client;
mod credentials;

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use drydock_model::Digest;

use self::auth::{Authenticator, LookupSettings};
use self::blob::BlobReader;
use self::client::{RegistryClient, RetryPolicy, Transport, TransportSettings, header_str};
pub use self::credentials::{Credentials, PASSWORD_ENV, USERNAME_ENV, stored_credentials};
use super::{FetchedManifest, MAX_METADATA_BYTES, ManifestSource, read_limited, sha256_digest, verify_bytes};
use crate::error::{OciError, Result};
use crate::reference::RegistryRef;

/// The manifest media types drydock reads, in the `Accept` header of manifest requests.
pub(crate) const MANIFEST_MEDIA_TYPES: [&str; 4] = [
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
];

/// How to reach a registry and who to be there.
#[derive(Clone, Debug)]
pub struct RegistryOptions {
    /// Use plain HTTP for this registry even though it is not on a loopback address (like
    /// Docker's `insecure-registries` or skopeo's `--tls-verify=false` for a registry that
    /// serves HTTP). Redirects and token realms may then be plain HTTP too.
    pub insecure: bool,
    /// Credentials that win over the environment and the Docker config.
    pub credentials: Option<Credentials>,
    /// The Docker config file to read credentials from. Default:
    /// `$DOCKER_CONFIG/config.json`, else `$HOME/.docker/config.json`.
    pub docker_config: Option<PathBuf>,
    /// Where to find `docker-credential-<name>` helpers. Default: `PATH`.
    pub credential_helper_dir: Option<PathBuf>,
    /// Tries per request (and connections per blob), the first included. Default 5.
    pub max_attempts: u32,
    /// The wait after the first failure; it doubles after each next one. Default 200 ms.
    pub initial_backoff: Duration,
    /// Longest wait for a TCP (and TLS) connection. Default 30 s.
    pub connect_timeout: Duration,
    /// Longest silence from the server while waiting for headers or body bytes; a stalled
    /// connection is then treated like a dropped one. Default 60 s.
    pub read_timeout: Duration,
}

impl Default for RegistryOptions {
    fn default() -> Self {
        RegistryOptions {
            insecure: false,
            credentials: None,
            docker_config: None,
            credential_helper_dir: None,
            max_attempts: 5,
            initial_backoff: Duration::from_millis(200),
            connect_timeout: Duration::from_secs(30),
            read_timeout: Duration::from_secs(60),
        }
    }
}

/// One repository of a registry, read through the distribution API.
pub struct RegistrySource {
    reference: RegistryRef,
    client: RegistryClient,
}

impl RegistrySource {
    /// Prepares a source for `reference`. Nothing is sent until a manifest or blob is asked
    /// for, and credentials are looked up only when the registry asks for them.
    pub fn new(reference: RegistryRef, options: RegistryOptions) -> Result<Self> {
        let client = build_client(&reference, options, "pull");
        Ok(RegistrySource { reference, client })
    }

    /// The reference this source reads.
    pub fn reference(&self) -> &RegistryRef {
        &self.reference
    }

    pub(crate) fn client(&self) -> &RegistryClient {
        &self.client
    }

    /// The manifest a tag or digest names, verified; `expected` is the digest asked for.
    pub(crate) fn manifest(&self, reference: &str, expected: Option<&Digest>) -> Result<FetchedManifest> {
        self.fetch_manifest(reference, expected)
    }
}

/// A client for `reference`'s repository that asks for `actions` (`pull`, `pull,push`) when
/// the registry wants a token. Nothing is sent until the first request.
pub(crate) fn build_client(reference: &RegistryRef, options: RegistryOptions, actions: &str) -> RegistryClient {
    let host = reference.api_host().to_string();
    let host_only = client::host_of_authority(&host);
    let transport = Transport::new(&TransportSettings {
        insecure: options.insecure,
        connect_timeout: options.connect_timeout,
        read_timeout: options.read_timeout,
        retry: RetryPolicy {
            max_attempts: options.max_attempts,
            initial_backoff: options.initial_backoff,
        },
        no_proxy: client::is_loopback_host(host_only),
    });
    let auth = Authenticator::new(
        &reference.registry,
        &reference.repository,
        actions,
        LookupSettings {
            explicit: options.credentials,
            docker_config: options.docker_config,
            helper_dir: options.credential_helper_dir,
        },
    );
    let base_url = format!("{}://{host}", client::scheme_for(&host, options.insecure));
    RegistryClient::new(transport, auth, &reference.registry, base_url, &reference.repository)
}

impl RegistrySource {
    /// Fetches `manifests/<reference>` and checks it against `expected` when given.
    fn fetch_manifest(&self, reference: &str, expected: Option<&Digest>) -> Result<FetchedManifest> {
        let name = self.manifest_name(reference);
        let policy = self.client.retry();
        let mut attempt = 1;
        loop {
            match self.receive_manifest(reference, &name) {
                Ok(received) => return check_manifest(&name, received, expected),
                // The body broke off; the request itself already had its retries.
                Err(error @ OciError::Io { .. }) if attempt < policy.attempts() => {
                    tracing::debug!(manifest = %name, %error, "retrying manifest");
                    std::thread::sleep(policy.backoff(attempt));
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// GETs a manifest and reads it, within the size limit.
    fn receive_manifest(&self, reference: &str, name: &str) -> Result<ReceivedManifest> {
        let not_found = |detail: Option<String>| OciError::NotFound {
            what: format!("manifest {name} in registry {}", self.reference.registry),
            detail,
        };
        let headers = [("Accept", MANIFEST_MEDIA_TYPES.join(", "))];
        let response = self
            .client
            .get(&format!("manifests/{reference}"), &headers, &not_found)?;
        let what = format!("manifest {name}");
        if let Some(length) = header_str(&response, "content-length").and_then(|v| v.trim().parse::<u64>().ok())
            && length > MAX_METADATA_BYTES
        {
            return Err(OciError::invalid(
                &what,
                format!(
                    "the registry says it is {length} bytes, over the {MAX_METADATA_BYTES}-byte limit for metadata"
                ),
            ));
        }
        let media_type = header_str(&response, "content-type").and_then(specific_media_type);
        let server_digest =
            header_str(&response, "docker-content-digest").and_then(|v| v.trim().parse::<Digest>().ok());
        let bytes = read_limited(response.into_body().into_reader(), &what)?;
        Ok(ReceivedManifest {
            bytes,
            media_type,
            server_digest,
        })
    }

    /// `repository:tag` or `repository@digest`, as messages show it.
    fn manifest_name(&self, reference: &str) -> String {
        let separator = if reference.contains(':') { '@' } else { ':' };
        format!("{}{separator}{reference}", self.reference.repository)
    }
}

/// A manifest as the registry sent it, before any check.
struct ReceivedManifest {
    bytes: Vec<u8>,
    media_type: Option<String>,
    /// `Docker-Content-Digest`, when sent and well formed.
    server_digest: Option<Digest>,
}

/// Checks a manifest against the digest asked for, else against the registry's
/// `Docker-Content-Digest`; its digest is then the one asked for, or its sha256.
fn check_manifest(name: &str, received: ReceivedManifest, expected: Option<&Digest>) -> Result<FetchedManifest> {
    let what = format!("manifest {name}");
    let digest = match (expected, &received.server_digest) {
        (Some(expected), _) => verify_bytes(&what, expected, &received.bytes)?,
        (None, Some(server_digest)) => {
            let what = format!("{what} (against the registry's Docker-Content-Digest)");
            verify_bytes(&what, server_digest, &received.bytes)?;
            sha256_digest(&received.bytes)
        }
        (None, None) => sha256_digest(&received.bytes),
    };
    Ok(FetchedManifest {
        bytes: received.bytes,
        media_type: received.media_type,
        digest,
    })
}

/// The `Content-Type` without parameters, unless it is a generic type that says nothing
/// (then the manifest's own `mediaType` field decides).
fn specific_media_type(content_type: &str) -> Option<String> {
    let media_type = content_type.split(';').next()?.trim().to_ascii_lowercase();
    match media_type.as_str() {
        "" | "application/json" | "text/plain" | "application/octet-stream" => None,
        _ => Some(media_type),
    }
}

impl ManifestSource for RegistrySource {
    fn root_manifest(&self) -> Result<FetchedManifest> {
        self.fetch_manifest(&self.reference.manifest_reference(), self.reference.digest.as_ref())
    }

    fn manifest_by_digest(&self, digest: &Digest) -> Result<FetchedManifest> {
        self.fetch_manifest(&digest.to_string(), Some(digest))
    }

    fn open_blob(&self, digest: &Digest, size: Option<u64>) -> Result<Box<dyn Read + Send + '_>> {
        Ok(Box::new(BlobReader::open(&self.client, digest, size)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_from_content_type() {
        assert_eq!(
            specific_media_type("application/vnd.oci.image.index.v1+json; charset=utf-8").as_deref(),
            Some("application/vnd.oci.image.index.v1+json")
        );
        assert_eq!(specific_media_type("application/json"), None);
        assert_eq!(specific_media_type(""), None);
    }

    #[test]
    fn manifest_names() {
        let source = RegistrySource::new(
            RegistryRef::parse("127.0.0.1:5000/team/app:v1").unwrap(),
            RegistryOptions::default(),
        )
        .unwrap();
        assert_eq!(source.manifest_name("v1"), "team/app:v1");
        let digest = format!("sha256:{}", "a".repeat(64));
        assert_eq!(source.manifest_name(&digest), format!("team/app@{digest}"));
    }
}
