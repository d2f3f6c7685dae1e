//! The HTTP surface: every endpoint of the distribution specification, `/healthz` and
//! `/readyz`, and the middleware that gives each request an id and a log line.
//!
//! Repository names contain slashes, so `/v2/...` is one fallback handler that reads the
//! path with [`Endpoint::parse`] and dispatches on the endpoint and the method.

mod blobs;
mod listing;
mod manifests;
mod uploads;

pub use blobs::parse_range;
pub use uploads::parse_content_range;

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::{ApiError, ErrorCode};
use crate::names::{Endpoint, RepositoryName};
use crate::{Registry, RequestContext};

pub(crate) const DOCKER_CONTENT_DIGEST: HeaderName = HeaderName::from_static("docker-content-digest");
pub(crate) const DOCKER_UPLOAD_UUID: HeaderName = HeaderName::from_static("docker-upload-uuid");
pub(crate) const OCI_SUBJECT: HeaderName = HeaderName::from_static("oci-subject");
pub(crate) const OCI_FILTERS_APPLIED: HeaderName = HeaderName::from_static("oci-filters-applied");
const API_VERSION: HeaderName = HeaderName::from_static("docker-distribution-api-version");
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The request id of the current request, in its extensions.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

/// The router for a registry.
pub fn router(registry: Arc<Registry>) -> Router {
    let mut router = Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(crate::metrics::endpoint))
        .fallback(dispatch)
        .with_state(registry.clone());
    for (_, service) in registry.services() {
        router = router.merge(service.clone());
    }
    router
        .layer(axum::middleware::from_fn_with_state(
            registry.clone(),
            crate::metrics::track,
        ))
        .layer(axum::middleware::from_fn(request_log))
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(registry): State<Arc<Registry>>) -> Response {
    match registry.meta.ping().await {
        Ok(()) => "ready\n".into_response(),
        Err(error) => {
            tracing::warn!(%error, "not ready: the metadata database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "metadata database unavailable\n").into_response()
        }
    }
}

/// Gives the request an id, logs it when it ends, and adds the API version header.
async fn request_log(mut request: Request, next: Next) -> Response {
    let id = crate::random_id();
    request.extensions_mut().insert(RequestId(id.clone()));
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let started = Instant::now();
    let span = tracing::info_span!("request", id = %id, %method, path = %crate::names::printable(&path));
    let mut response = {
        let _entered = span.enter();
        tracing::debug!("request started");
        drop(_entered);
        tracing::Instrument::instrument(next.run(request), span.clone()).await
    };
    span.in_scope(|| {
        tracing::info!(
            status = response.status().as_u16(),
            millis = started.elapsed().as_millis() as u64,
            "request finished"
        );
    });
    let headers = response.headers_mut();
    headers.insert(API_VERSION, HeaderValue::from_static("registry/2.0"));
    if let Ok(value) = HeaderValue::from_str(&id) {
        headers.insert(REQUEST_ID, value);
    }
    response
}

/// Everything under `/v2`.
async fn dispatch(State(registry): State<Arc<Registry>>, request: Request) -> Response {
    match route(&registry, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

/// What a handler needs from the request besides its body.
pub(crate) struct Call {
    pub method: Method,
    pub headers: HeaderMap,
    pub query: Vec<(String, String)>,
    pub request_id: Option<String>,
    /// The client's address, for events.
    pub client: String,
}

impl Call {
    pub fn param(&self, key: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn context(&self, principal: crate::access::Principal) -> RequestContext {
        RequestContext {
            principal,
            request_id: self.request_id.clone(),
            client: self.client.clone(),
        }
    }
}

async fn route(registry: &Registry, request: Request) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let endpoint = Endpoint::parse(parts.uri.path())
        .ok_or_else(|| ApiError::new(ErrorCode::Unsupported, "no such endpoint").with_status(StatusCode::NOT_FOUND))?;
    let call = Call {
        query: parts
            .uri
            .query()
            .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
            .unwrap_or_default(),
        request_id: parts.extensions.get::<RequestId>().map(|id| id.0.clone()),
        client: registry.client_of(&parts.extensions, &parts.headers),
        method: parts.method,
        headers: parts.headers,
    };
    let m = &call.method;
    let (get, head) = (m == Method::GET, m == Method::HEAD);
    match endpoint {
        Endpoint::Base if get || head => base(registry, &call).await,
        Endpoint::Catalog if get => listing::catalog(registry, &call).await,
        Endpoint::Tags { name } if get => listing::tags(registry, &call, &repository(&name)?).await,
        Endpoint::Referrers { name, digest } if get => {
            listing::referrers(registry, &call, &repository(&name)?, &digest).await
        }
        Endpoint::Manifest { name, reference } => {
            let name = repository(&name)?;
            match *m {
                Method::GET | Method::HEAD => manifests::get(registry, &call, &name, &reference).await,
                Method::PUT => manifests::put(registry, &call, &name, &reference, body).await,
                Method::DELETE => manifests::delete(registry, &call, &name, &reference).await,
                _ => Err(method_not_allowed()),
            }
        }
        Endpoint::Blob { name, digest } => {
            let name = repository(&name)?;
            match *m {
                Method::GET | Method::HEAD => blobs::get(registry, &call, &name, &digest).await,
                Method::DELETE => blobs::delete(registry, &call, &name, &digest).await,
                _ => Err(method_not_allowed()),
            }
        }
        Endpoint::Uploads { name } if m == Method::POST => {
            uploads::start(registry, &call, &repository(&name)?, body).await
        }
        Endpoint::Upload { name, id } => {
            let name = repository(&name)?;
            match *m {
                Method::GET => uploads::status(registry, &call, &name, &id).await,
                Method::PATCH => uploads::patch(registry, &call, &name, &id, body).await,
                Method::PUT => uploads::put(registry, &call, &name, &id, body).await,
                Method::DELETE => uploads::cancel(registry, &call, &name, &id).await,
                _ => Err(method_not_allowed()),
            }
        }
        _ => Err(method_not_allowed()),
    }
}

async fn base(registry: &Registry, call: &Call) -> Result<Response, ApiError> {
    registry
        .authorize(&call.headers, crate::access::Action::Pull, None)
        .await?;
    Ok(json_response(StatusCode::OK, &serde_json::json!({})))
}

fn repository(name: &str) -> Result<RepositoryName, ApiError> {
    RepositoryName::parse(name)
}

fn method_not_allowed() -> ApiError {
    ApiError::new(ErrorCode::Unsupported, "the method is not allowed on this endpoint")
        .with_status(StatusCode::METHOD_NOT_ALLOWED)
}

pub(crate) fn json_response(status: StatusCode, value: &serde_json::Value) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// An empty response with headers; a header value that cannot be represented is dropped.
pub(crate) fn empty(status: StatusCode, headers: &[(HeaderName, String)]) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(value) {
            response.headers_mut().insert(name.clone(), value);
        }
    }
    if !response.headers().contains_key(header::CONTENT_LENGTH) {
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, HeaderValue::from_static("0"));
    }
    response
}

/// A query parameter that will be compared with stored text: no control characters (a
/// NUL byte cannot even be stored in PostgreSQL text).
pub(crate) fn text_param<'a>(call: &'a Call, key: &str) -> Result<Option<&'a str>, ApiError> {
    match call.param(key) {
        Some(value) if value.chars().any(char::is_control) => Err(ApiError::new(
            ErrorCode::Unsupported,
            format!("`{key}` must not contain control characters"),
        )
        .with_status(StatusCode::BAD_REQUEST)),
        other => Ok(other),
    }
}

/// Page size from `n`: absent means up to `default`, otherwise capped at `default`.
pub(crate) fn page_size(call: &Call, default: i64) -> Result<i64, ApiError> {
    match call.param("n") {
        None => Ok(default),
        Some(n) => n.parse::<u64>().map(|n| (n.min(default as u64)) as i64).map_err(|_| {
            ApiError::new(
                ErrorCode::Unsupported,
                format!(
                    "`n` must be a non-negative integer, not `{}`",
                    crate::names::printable(n)
                ),
            )
            .with_status(StatusCode::BAD_REQUEST)
        }),
    }
}
