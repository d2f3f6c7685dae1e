//! The admin REST API under `/api/v1`: users, projects, members, robot accounts, the audit
//! log and tag history, with its OpenAPI document at `/api/v1/openapi.json` ([`openapi`]).
//!
//! Every call authenticates (basic credentials of a user or robot, or a bearer token from
//! the token endpoint) and is authorized from the permission table alone
//! ([`crate::auth::permissions`]): system permissions for users and the audit log of the
//! whole registry, the caller's permissions in the project for everything inside one. Every
//! change, and every refused attempt at one, is an audit entry with the actor and the
//! client's address. Bodies are JSON, at most [`MAX_BODY`] bytes; errors are
//! `{"error": "..."}` with a status saying whose fault it was.

mod audit_log;
mod caller;
pub mod openapi;
mod projects;
mod robots;
mod users;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, patch, post, put};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use caller::Caller;

use crate::audit::{AuditLog, AuditSink, NewEntry};
use crate::auth::accounts::Accounts;
use crate::auth::service::TokenService;
use crate::client::TrustedProxies;

/// Where the API lives.
pub const PREFIX: &str = "/api/v1";

/// The largest request body accepted.
pub const MAX_BODY: usize = 64 * 1024;

/// What every API call shares.
#[derive(Clone)]
pub struct ApiState {
    pub(crate) accounts: Accounts,
    pub(crate) audit: AuditLog,
    pub(crate) sink: AuditSink,
    pub(crate) tokens: Option<Arc<TokenService>>,
    pub(crate) proxies: TrustedProxies,
}

impl ApiState {
    pub fn new(accounts: Accounts, audit: AuditLog, sink: AuditSink) -> Self {
        ApiState {
            accounts,
            audit,
            sink,
            tokens: None,
            proxies: TrustedProxies::default(),
        }
    }

    /// Also accepts bearer tokens issued by `tokens`.
    pub fn with_tokens(mut self, tokens: Arc<TokenService>) -> Self {
        self.tokens = Some(tokens);
        self
    }

    pub fn with_trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        self.proxies = proxies;
        self
    }

    /// Records what `caller` did (or tried to do) in the audit trail.
    pub(crate) fn record(&self, caller: &Caller, action: &str, resource: &str, detail: String, outcome: Outcome) {
        self.sink.record_entry(NewEntry {
            actor: caller.name().to_string(),
            action: action.to_string(),
            repository: resource.to_string(),
            detail,
            client: caller.client.clone(),
            outcome: outcome.as_str().to_string(),
            ..NewEntry::default()
        });
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Success,
    Denied,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
        }
    }
}

/// Every route of the API: (method, path, handler). The router is built from this list and
/// a test holds it equal to the OpenAPI document's operations.
fn routes() -> Vec<(Method, &'static str, MethodRouter<ApiState>)> {
    vec![
        (Method::GET, "/api/v1/openapi.json", get(openapi::document)),
        (Method::GET, "/api/v1/users", get(users::list)),
        (Method::POST, "/api/v1/users", post(users::create)),
        (Method::GET, "/api/v1/users/{name}", get(users::show)),
        (Method::PATCH, "/api/v1/users/{name}", patch(users::update)),
        (Method::DELETE, "/api/v1/users/{name}", delete(users::remove)),
        (Method::GET, "/api/v1/projects", get(projects::list)),
        (Method::POST, "/api/v1/projects", post(projects::create)),
        (Method::GET, "/api/v1/projects/{project}", get(projects::show)),
        (Method::PATCH, "/api/v1/projects/{project}", patch(projects::update)),
        (Method::DELETE, "/api/v1/projects/{project}", delete(projects::remove)),
        (
            Method::GET,
            "/api/v1/projects/{project}/members",
            get(projects::members),
        ),
        (
            Method::PUT,
            "/api/v1/projects/{project}/members/{username}",
            put(projects::set_member),
        ),
        (
            Method::DELETE,
            "/api/v1/projects/{project}/members/{username}",
            delete(projects::remove_member),
        ),
        (Method::GET, "/api/v1/projects/{project}/robots", get(robots::list)),
        (Method::POST, "/api/v1/projects/{project}/robots", post(robots::create)),
        (
            Method::PATCH,
            "/api/v1/projects/{project}/robots/{robot}",
            patch(robots::update),
        ),
        (
            Method::DELETE,
            "/api/v1/projects/{project}/robots/{robot}",
            delete(robots::remove),
        ),
        (Method::GET, "/api/v1/audit", get(audit_log::query)),
        (Method::GET, "/api/v1/history", get(audit_log::history)),
    ]
}

/// The (method, path) of every route, as served.
pub fn route_table() -> Vec<(Method, &'static str)> {
    routes().into_iter().map(|(method, path, _)| (method, path)).collect()
}

/// The API's router, to be served beside the registry.
pub fn router(state: ApiState) -> Router {
    let mut router = Router::new();
    for (_, path, handler) in routes() {
        router = router.route(path, handler);
    }
    router.layer(DefaultBodyLimit::max(MAX_BODY)).with_state(state)
}

/// An API error: a status and a message for the client. Internal failures are logged and
/// answered with a bare 500.
#[derive(Debug)]
pub struct Failure {
    status: StatusCode,
    message: String,
    challenge: bool,
}

impl Failure {
    pub(crate) fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Failure {
            status,
            message: message.into(),
            challenge: false,
        }
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Failure::new(StatusCode::BAD_REQUEST, message)
    }

    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Failure::new(StatusCode::NOT_FOUND, message)
    }

    pub(crate) fn unauthenticated(message: impl Into<String>) -> Self {
        Failure {
            challenge: true,
            ..Failure::new(StatusCode::UNAUTHORIZED, message)
        }
    }
}

impl From<crate::Error> for Failure {
    fn from(error: crate::Error) -> Self {
        match error {
            crate::Error::Account(message) => Failure::bad_request(message),
            other => {
                tracing::error!(error = %other, "admin API request failed");
                Failure::new(StatusCode::INTERNAL_SERVER_ERROR, "the registry failed; see its log")
            }
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let mut response = json(self.status, &serde_json::json!({ "error": self.message }));
        if self.challenge {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"drydock\""),
            );
        }
        response
    }
}

pub(crate) type Reply = Result<Response, Failure>;

pub(crate) fn json(status: StatusCode, value: &impl Serialize) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A JSON request body of type `T`, or a 400 saying what is wrong with it.
pub(crate) fn body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Failure> {
    serde_json::from_slice(bytes).map_err(|e| Failure::bad_request(format!("invalid request body: {e}")))
}

pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}
