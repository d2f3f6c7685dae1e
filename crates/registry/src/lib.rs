//! drydock's registry: an OCI Distribution Specification v1.1 server.
//!
//! [`Registry`] holds the two stores, [`meta::Metadata`] (repositories, manifests, tags,
//! referrers, upload sessions; SQLite or PostgreSQL through one code path) and
//! [`storage::BlobStore`] (content-addressed blobs in any `object_store` backend, the local
//! filesystem by default), plus the access-control and event seams of [`access`].
//! [`routes::router`] turns it into an axum router for every endpoint of the specification;
//! [`server`] listens (plain HTTP or TLS) and shuts down gracefully. [`config`] reads the
//! settings `drydock serve` takes from a file, the environment and flags.
//!
//! Invariants: a blob is visible in a repository only after its bytes are at their content
//! address and verified against the digest; a manifest is stored only when everything it
//! references is in the repository; every client error is the specification's JSON error
//! with its code, never a panic.

pub mod access;
pub mod api;
pub mod audit;
pub mod auth;
pub mod client;
pub mod config;
pub mod error;
pub mod gc;
pub mod history;
pub mod manifest;
pub mod meta;
pub mod metrics;
pub mod names;
pub mod routes;
pub mod s3;
pub mod server;
pub mod storage;
mod upload;

use std::sync::Arc;

use access::{AccessRequest, Action, Authorizer, Event, EventKind, EventSink, Principal};
use axum::http::HeaderMap;

pub use config::{Config, Settings};
pub use error::{ApiError, Error, ErrorCode, Result};

/// Size limits on what clients send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest blob accepted, in bytes.
    pub max_blob_size: u64,
    /// The largest manifest accepted, in bytes.
    pub max_manifest_size: usize,
    /// How long a client may take to send a request's headers (a slow-header client must
    /// not hold a connection open forever).
    pub header_read_timeout: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_blob_size: 64 * 1024 * 1024 * 1024,
            max_manifest_size: manifest::MAX_MANIFEST_SIZE,
            header_read_timeout: std::time::Duration::from_secs(30),
        }
    }
}

/// A running registry's state, shared by every request.
pub struct Registry {
    pub meta: meta::Metadata,
    pub blobs: storage::BlobStore,
    pub limits: Limits,
    /// Request counts, latencies and bytes for `/metrics`.
    pub metrics: metrics::Metrics,
    authorizer: Arc<dyn Authorizer>,
    events: Arc<dyn EventSink>,
    /// Routes served beside the registry's (the token endpoint), by path.
    services: Vec<(&'static str, axum::Router)>,
    /// Whose `X-Forwarded-For` names the client.
    proxies: client::TrustedProxies,
}

impl Registry {
    /// A registry over the given stores, allowing everything and logging changes.
    pub fn new(meta: meta::Metadata, blobs: storage::BlobStore, limits: Limits) -> Self {
        Registry {
            meta,
            blobs,
            limits,
            metrics: metrics::Metrics::default(),
            authorizer: Arc::new(access::AllowAll),
            events: Arc::new(access::LogEvents),
            services: Vec::new(),
            proxies: client::TrustedProxies::default(),
        }
    }

    /// Believes `X-Forwarded-For` from these reverse proxies for the client address.
    pub fn with_trusted_proxies(mut self, proxies: client::TrustedProxies) -> Self {
        self.proxies = proxies;
        self
    }

    /// The client of a request, for events.
    pub(crate) fn client_of(&self, extensions: &axum::http::Extensions, headers: &HeaderMap) -> String {
        self.proxies.client(extensions, headers)
    }

    pub fn with_authorizer(mut self, authorizer: Arc<dyn Authorizer>) -> Self {
        self.authorizer = authorizer;
        self
    }

    pub fn with_events(mut self, events: Arc<dyn EventSink>) -> Self {
        self.events = events;
        self
    }

    /// Serves `router`, whose routes are under `path`, beside the registry (behind the same
    /// request log).
    pub fn with_service(mut self, path: &'static str, router: axum::Router) -> Self {
        self.services.push((path, router));
        self
    }

    pub(crate) fn services(&self) -> &[(&'static str, axum::Router)] {
        &self.services
    }

    /// Asks the authorizer; a refusal becomes the protocol's 401 or 403.
    pub async fn authorize(
        &self,
        headers: &HeaderMap,
        action: Action,
        repository: Option<&str>,
    ) -> Result<Principal, ApiError> {
        let request = AccessRequest {
            headers,
            action,
            repository,
        };
        self.authorizer.authorize(request).await.map_err(ApiError::from)
    }

    pub(crate) fn record(&self, context: &RequestContext, repository: &str, kind: EventKind) {
        self.events.record(Event {
            repository: repository.to_string(),
            actor: context.principal.clone(),
            request_id: context.request_id.clone(),
            client: context.client.clone(),
            kind,
        });
    }
}

/// Who made a request and its id, carried to the events it causes.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    pub principal: Principal,
    pub request_id: Option<String>,
    pub client: String,
}

/// 128 random bits as 32 hex characters: upload ids, request ids, staged object names.
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    // The operating system's generator does not fail on Linux once booted; should it ever,
    // a time-and-counter id is still unique within this process.
    if getrandom::fill(&mut bytes).is_err() {
        use std::sync::atomic::{AtomicU64, Ordering};
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        bytes[..8].copy_from_slice(&now.to_le_bytes());
        bytes[8..].copy_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    }
    hex::encode(bytes)
}
