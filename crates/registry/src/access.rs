//! The seams for access control and the audit trail.
//!
//! Every request that touches a repository asks the [`Authorizer`] for each action it needs
//! (a cross-repository mount asks for `Pull` on the source and `Push` on the target) before
//! doing anything; the catalog asks with no repository. Every change the registry makes is
//! reported to the [`EventSink`] after it is committed. The defaults allow everything and
//! log events; token authentication and the audit log plug in here.

use std::future::Future;
use std::pin::Pin;

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};

use crate::error::{ApiError, ErrorCode};

/// What a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Read manifests, blobs, tags, referrers.
    Pull,
    /// Upload blobs, put manifests and tags.
    Push,
    /// Delete manifests, tags or blobs.
    Delete,
    /// List every repository.
    Catalog,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Pull => "pull",
            Action::Push => "push",
            Action::Delete => "delete",
            Action::Catalog => "catalog",
        }
    }
}

/// One access check: the request's headers (credentials), the action and the repository.
#[derive(Debug)]
pub struct AccessRequest<'a> {
    pub headers: &'a HeaderMap,
    pub action: Action,
    pub repository: Option<&'a str>,
}

/// Who was allowed: an account name, or none for anonymous access.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Principal {
    pub name: Option<String>,
}

/// Why access was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denial {
    /// No or bad credentials: 401 with this `WWW-Authenticate` challenge.
    Unauthenticated { challenge: String },
    /// Valid credentials without the permission: 403.
    Forbidden,
}

impl From<Denial> for ApiError {
    fn from(denial: Denial) -> Self {
        match denial {
            Denial::Unauthenticated { challenge } => {
                let error = ApiError::new(ErrorCode::Unauthorized, "authentication required");
                match HeaderValue::from_str(&challenge) {
                    Ok(value) => error.with_header(header::WWW_AUTHENTICATE, value),
                    Err(_) => error,
                }
            }
            Denial::Forbidden => ApiError::new(ErrorCode::Denied, "requested access to the resource is denied")
                .with_status(StatusCode::FORBIDDEN),
        }
    }
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Decides whether a request may do an action on a repository.
pub trait Authorizer: Send + Sync + 'static {
    fn authorize<'a>(&'a self, request: AccessRequest<'a>) -> BoxFuture<'a, Result<Principal, Denial>>;
}

/// Allows everything, anonymously: the registry without access control.
#[derive(Debug, Default)]
pub struct AllowAll;

impl Authorizer for AllowAll {
    fn authorize<'a>(&'a self, _request: AccessRequest<'a>) -> BoxFuture<'a, Result<Principal, Denial>> {
        Box::pin(async { Ok(Principal::default()) })
    }
}

/// A change the registry made, reported after it committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    BlobPushed {
        digest: String,
        size: u64,
    },
    BlobMounted {
        digest: String,
        from: String,
    },
    BlobDeleted {
        digest: String,
    },
    ManifestPushed {
        digest: String,
        media_type: String,
        tag: Option<String>,
    },
    ManifestDeleted {
        digest: String,
    },
    TagDeleted {
        tag: String,
    },
    /// A manifest fetched (`GET`) or resolved (`HEAD`): one per image pulled. A Docker
    /// engine that already holds the digest a `HEAD` names stops there, so that is all a
    /// pull may show. Blob fetches are not events: a pull starts with its manifest, and a
    /// layer read on its own is a resumed or parallel download of one.
    ManifestPulled {
        digest: String,
        /// The tag asked for, when the pull named one.
        tag: Option<String>,
        /// Only resolved (`HEAD`): no content was sent.
        head_only: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub repository: String,
    pub actor: Principal,
    pub request_id: Option<String>,
    /// The client's address (see [`crate::client`]); empty when unknown.
    pub client: String,
    pub kind: EventKind,
}

/// Receives every change. Must not block: queue anything slow.
pub trait EventSink: Send + Sync + 'static {
    fn record(&self, event: Event);
}

/// Writes events to the log.
#[derive(Debug, Default)]
pub struct LogEvents;

impl EventSink for LogEvents {
    fn record(&self, event: Event) {
        tracing::info!(
            repository = %event.repository,
            actor = event.actor.name.as_deref().unwrap_or("anonymous"),
            request_id = event.request_id.as_deref().unwrap_or(""),
            client = %event.client,
            event = ?event.kind,
            "registry change"
        );
    }
}
