//! HTTP for the registry source: one `ureq` agent, redirects, retries and status handling.
//!
//! [`Transport`] sends one logical GET: it follows redirects itself (so the `Authorization`
//! header never reaches another host, such as the S3 bucket a registry redirects blob
//! downloads to) and retries connection errors, 429 and 5xx with exponential backoff.
//! [`RegistryClient`] adds the registry's view on top: it answers 401 challenges through
//! [`Authenticator`] and turns 403, 404 and other statuses into [`OciError`]s that name the
//! registry, the repository and the object.

use std::io::Read;
use std::net::IpAddr;
use std::time::Duration;

use super::auth::Authenticator;
use crate::error::{OciError, Result};

/// An HTTP response whose body has not been read yet.
pub(crate) type HttpResponse = ureq::http::Response<ureq::Body>;

/// Redirect hops followed for one request (registries use one, to their storage).
const MAX_REDIRECTS: usize = 10;
/// Longest wait between attempts, whatever the backoff or `Retry-After` says.
const MAX_WAIT: Duration = Duration::from_secs(30);
/// How much of an error response is read to explain it.
const MAX_ERROR_BODY_BYTES: u64 = 8 * 1024;
/// How much of a server's error text goes into our message.
const MAX_DETAIL_CHARS: usize = 300;

/// How often and how patiently to retry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RetryPolicy {
    /// Tries in all, the first one included; at least one.
    pub max_attempts: u32,
    pub initial_backoff: Duration,
}

impl RetryPolicy {
    pub fn attempts(&self) -> u32 {
        self.max_attempts.max(1)
    }

    /// The wait after failed attempt number `attempt` (1-based): doubling from the initial
    /// backoff, capped, with up to a quarter added at random so clients don't retry in step.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(16);
        let base = self.initial_backoff.saturating_mul(1 << doublings).min(MAX_WAIT);
        let jitter_range = base.as_millis() as u64 / 4;
        let jitter = if jitter_range == 0 {
            0
        } else {
            random_u64() % jitter_range
        };
        base + Duration::from_millis(jitter)
    }
}

/// A random number from the standard library's per-process hash keys; jitter needs no more.
fn random_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    std::collections::hash_map::RandomState::new().build_hasher().finish()
}

/// How connections are made.
#[derive(Clone, Debug)]
pub(crate) struct TransportSettings {
    /// Accept plain HTTP to any host, not just loopback ones.
    pub insecure: bool,
    pub connect_timeout: Duration,
    /// Longest silence while waiting for response headers or body bytes.
    pub read_timeout: Duration,
    pub retry: RetryPolicy,
    /// Skip any configured proxy: the registry is on this machine.
    pub no_proxy: bool,
}

/// Sends GETs with redirects and retries; knows nothing about registries.
pub(crate) struct Transport {
    agent: ureq::Agent,
    insecure: bool,
    retry: RetryPolicy,
}

/// One try's outcome that is worth another try.
struct Transient {
    reason: String,
    /// The server's `Retry-After`, when it gave one.
    retry_after: Option<Duration>,
}

/// The HTTP methods the registry protocol uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Head,
    Post,
    Put,
    Patch,
    Delete,
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        })
    }
}

fn with_headers<B>(
    mut request: ureq::RequestBuilder<B>,
    headers: &[(&str, String)],
    authorization: Option<&str>,
) -> ureq::RequestBuilder<B> {
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    if let Some(authorization) = authorization {
        request = request.header("Authorization", authorization);
    }
    request
}

impl Transport {
    pub fn new(settings: &TransportSettings) -> Self {
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_connect(Some(settings.connect_timeout))
            .timeout_per_read(Some(settings.read_timeout))
            .user_agent(concat!("drydock/", env!("CARGO_PKG_VERSION")));
        if settings.no_proxy {
            config = config.proxy(None);
        }
        Transport {
            agent: ureq::Agent::new_with_config(config.build()),
            insecure: settings.insecure,
            retry: settings.retry,
        }
    }

    pub fn retry(&self) -> RetryPolicy {
        self.retry
    }

    /// GETs `url`, following redirects and retrying transient failures. Returns the first
    /// response that is not worth retrying, whatever its status. `authorization` goes only
    /// to the origin of `url`. `registry` names the registry in errors.
    pub fn get(
        &self,
        url: &str,
        headers: &[(&str, String)],
        authorization: Option<&str>,
        registry: &str,
    ) -> Result<HttpResponse> {
        self.send(Method::Get, url, headers, &[], authorization, registry)
    }

    /// Sends one request with `body`, retrying transient failures (the body is in memory,
    /// so every try sends it whole). Redirects are followed for GET and HEAD only.
    pub fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, String)],
        body: &[u8],
        authorization: Option<&str>,
        registry: &str,
    ) -> Result<HttpResponse> {
        let attempts = self.retry.attempts();
        let mut last = String::new();
        for attempt in 1..=attempts {
            match self.try_once(method, url, headers, body, authorization, registry)? {
                Ok(response) => return Ok(response),
                Err(transient) => {
                    last = transient.reason;
                    if attempt < attempts {
                        let wait = transient
                            .retry_after
                            .unwrap_or_else(|| self.retry.backoff(attempt))
                            .min(MAX_WAIT);
                        tracing::debug!(url = %url_for_display(url), attempt, reason = %last, ?wait, "retrying");
                        std::thread::sleep(wait);
                    }
                }
            }
        }
        Err(OciError::Registry {
            registry: registry.to_string(),
            reason: format!(
                "{method} {} failed after {attempts} attempt{}: {last}",
                url_for_display(url),
                if attempts == 1 { "" } else { "s" }
            ),
        })
    }

    /// One try, redirects included. The outer `Err` is final; the inner one may be retried.
    fn try_once(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, String)],
        body: &[u8],
        authorization: Option<&str>,
        registry: &str,
    ) -> Result<Result<HttpResponse, Transient>> {
        let origin = origin_of(url);
        let mut current = url.to_string();
        for _ in 0..=MAX_REDIRECTS {
            self.check_scheme(&current, registry)?;
            let same_origin = origin.is_some() && origin_of(&current) == origin;
            let authorization = authorization.filter(|_| same_origin);
            let sent = match method {
                Method::Get => with_headers(self.agent.get(&current), headers, authorization).call(),
                Method::Head => with_headers(self.agent.head(&current), headers, authorization).call(),
                Method::Delete => with_headers(self.agent.delete(&current), headers, authorization).call(),
                Method::Post => with_headers(self.agent.post(&current), headers, authorization).send(body),
                Method::Put => with_headers(self.agent.put(&current), headers, authorization).send(body),
                Method::Patch => with_headers(self.agent.patch(&current), headers, authorization).send(body),
            };
            let response = match sent {
                Ok(response) => response,
                Err(error) => return classify_transport_error(error, method, &current, registry),
            };
            let status = response.status().as_u16();
            tracing::debug!(url = %url_for_display(&current), status, %method, "request");
            if is_redirect(status) && matches!(method, Method::Get | Method::Head) {
                current = redirect_target(&response, &current, registry)?;
                continue;
            }
            if is_retryable_status(status) {
                return Ok(Err(transient_from_status(response)));
            }
            return Ok(Ok(response));
        }
        Err(OciError::Registry {
            registry: registry.to_string(),
            reason: format!(
                "{method} {} redirected more than {MAX_REDIRECTS} times",
                url_for_display(url)
            ),
        })
    }

    /// Plain HTTP only to loopback hosts, or anywhere when insecure.
    fn check_scheme(&self, url: &str, registry: &str) -> Result<()> {
        let refuse = |why: String| OciError::Registry {
            registry: registry.to_string(),
            reason: why,
        };
        let Some(parts) = UrlParts::split(url) else {
            return Err(refuse(format!("`{}` is not an http(s) URL", url_for_display(url))));
        };
        match parts.scheme.to_ascii_lowercase().as_str() {
            "https" => Ok(()),
            "http" if self.insecure || is_loopback_host(host_of_authority(parts.authority)) => Ok(()),
            "http" => Err(refuse(format!(
                "refusing plain HTTP to {} (only loopback hosts use HTTP unless the registry is marked insecure)",
                url_for_display(url)
            ))),
            _ => Err(refuse(format!("`{}` is not an http(s) URL", url_for_display(url)))),
        }
    }
}

fn classify_transport_error(
    error: ureq::Error,
    method: Method,
    url: &str,
    registry: &str,
) -> Result<Result<HttpResponse, Transient>> {
    use ureq::Error as E;
    match error {
        E::Io(_) | E::Timeout(_) | E::ConnectionFailed | E::HostNotFound | E::Protocol(_) => Ok(Err(Transient {
            reason: error.to_string(),
            retry_after: None,
        })),
        other => Err(OciError::Registry {
            registry: registry.to_string(),
            reason: format!("{method} {}: {other}", url_for_display(url)),
        }),
    }
}

fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// 408, 429 and 5xx other than 501 Not Implemented and 505 HTTP Version Not Supported.
fn is_retryable_status(status: u16) -> bool {
    let server_error = (500..=599).contains(&status) && status != 501 && status != 505;
    status == 408 || status == 429 || server_error
}

fn transient_from_status(response: HttpResponse) -> Transient {
    let status = response.status().as_u16();
    let retry_after = header_str(&response, "retry-after").and_then(|v| v.trim().parse::<u64>().ok());
    let mut body = response.into_body().into_reader();
    let detail = detail_of_error_body(&mut body);
    Transient {
        reason: format!(
            "{}{}",
            status_text(status),
            detail.map(|d| format!(" ({d})")).unwrap_or_default()
        ),
        retry_after: retry_after.map(Duration::from_secs),
    }
}

fn redirect_target(response: &HttpResponse, current: &str, registry: &str) -> Result<String> {
    let location = header_str(response, "location").filter(|l| !l.is_empty());
    let target = location.and_then(|l| resolve_location(current, l.trim()));
    target.ok_or_else(|| OciError::Registry {
        registry: registry.to_string(),
        reason: format!(
            "GET {} answered {} without a usable Location",
            url_for_display(current),
            status_text(response.status().as_u16())
        ),
    })
}

/// The registry's side of things: base URL, repository, authentication, status mapping.
pub(crate) struct RegistryClient {
    transport: Transport,
    auth: Authenticator,
    /// The registry as the user named it (`docker.io`), for messages.
    registry: String,
    /// `https://registry-1.docker.io`.
    base_url: String,
    repository: String,
}

impl RegistryClient {
    pub fn new(transport: Transport, auth: Authenticator, registry: &str, base_url: String, repository: &str) -> Self {
        RegistryClient {
            transport,
            auth,
            registry: registry.to_string(),
            base_url,
            repository: repository.to_string(),
        }
    }

    pub fn registry(&self) -> &str {
        &self.registry
    }

    pub fn repository(&self) -> &str {
        &self.repository
    }

    pub fn retry(&self) -> RetryPolicy {
        self.transport.retry()
    }

    /// GETs `/v2/<repository>/<path_in_repository>` and returns a 2xx response; 404 becomes
    /// `not_found(detail)`, 401/403 an auth error, anything else a registry error.
    pub fn get(
        &self,
        path_in_repository: &str,
        headers: &[(&str, String)],
        not_found: &dyn Fn(Option<String>) -> OciError,
    ) -> Result<HttpResponse> {
        let url = self.url(path_in_repository);
        self.request(Method::Get, &url, headers, &[], not_found)
    }

    /// `<base>/v2/<repository>/<path_in_repository>`.
    pub fn url(&self, path_in_repository: &str) -> String {
        format!("{}/v2/{}/{path_in_repository}", self.base_url, self.repository)
    }

    /// An absolute URL for a `Location` or `Link` the registry sent (relative or not).
    pub fn resolve(&self, location: &str) -> Option<String> {
        resolve_location(&format!("{}/v2/", self.base_url), location.trim())
    }

    /// Sends `method` to `url` (one of [`Self::url`] or [`Self::resolve`]) and returns a 2xx
    /// response, answering one 401 challenge on the way. The `Authorization` header goes
    /// only to the registry's own origin, never to a storage host an upload URL names.
    pub fn request(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, String)],
        body: &[u8],
        not_found: &dyn Fn(Option<String>) -> OciError,
    ) -> Result<HttpResponse> {
        let own_origin = origin_of(&self.base_url) == origin_of(url);
        let mut answered_challenge = false;
        loop {
            let authorization = self.auth.header().filter(|_| own_origin);
            let response = self
                .transport
                .send(method, url, headers, body, authorization.as_deref(), &self.registry)?;
            let status = response.status().as_u16();
            match status {
                200..=299 => return Ok(response),
                401 if !answered_challenge => {
                    let challenges: Vec<String> = response
                        .headers()
                        .get_all("www-authenticate")
                        .iter()
                        .filter_map(|v| v.to_str().ok())
                        .map(str::to_string)
                        .collect();
                    self.auth.answer(&self.transport, &challenges)?;
                    answered_challenge = true;
                }
                401 | 403 => {
                    let detail = detail_of_error_body(&mut response.into_body().into_reader());
                    return Err(self.auth.rejected(&status_text(status), detail.as_deref()));
                }
                404 => {
                    let detail = detail_of_error_body(&mut response.into_body().into_reader());
                    return Err(not_found(detail));
                }
                _ => {
                    let detail = detail_of_error_body(&mut response.into_body().into_reader());
                    return Err(OciError::Registry {
                        registry: self.registry.clone(),
                        reason: format!(
                            "{method} {} answered {}{}",
                            url_for_display(url).trim_start_matches(&self.base_url),
                            status_text(status),
                            detail.map(|d| format!(" ({d})")).unwrap_or_default()
                        ),
                    });
                }
            }
        }
    }

    /// Adds a scope to ask the token server for (such as `repository:<other>:pull` for a
    /// cross-repository mount); the next challenge is answered with it.
    pub fn add_scope(&self, scope: String) {
        self.auth.add_scope(scope);
    }
}

/// `503 Service Unavailable`.
pub(crate) fn status_text(status: u16) -> String {
    let reason = ureq::http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason());
    match reason {
        Some(reason) => format!("{status} {reason}"),
        None => status.to_string(),
    }
}

pub(crate) fn header_str<'r>(response: &'r HttpResponse, name: &str) -> Option<&'r str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

/// A short explanation from an error response: the distribution spec's
/// `{"errors":[{"code","message"}]}`, else the first line of text. Never more than a few
/// hundred characters, never control characters.
pub(crate) fn detail_of_error_body(body: &mut impl Read) -> Option<String> {
    let mut bytes = Vec::new();
    body.take(MAX_ERROR_BODY_BYTES).read_to_end(&mut bytes).ok()?;
    #[derive(serde::Deserialize)]
    struct Errors {
        errors: Vec<ErrorEntry>,
    }
    #[derive(serde::Deserialize)]
    struct ErrorEntry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    let text = match serde_json::from_slice::<Errors>(&bytes) {
        Ok(errors) => errors
            .errors
            .iter()
            .map(|e| match (e.code.is_empty(), e.message.is_empty()) {
                (false, false) => format!("{}: {}", e.code, e.message),
                (false, true) => e.code.clone(),
                _ => e.message.clone(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Err(_) => String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or_default()
            .to_string(),
    };
    let clean: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_DETAIL_CHARS)
        .collect();
    let clean = clean.trim().to_string();
    (!clean.is_empty()).then_some(clean)
}

/// The scheme to reach a registry host with: HTTP for loopback hosts and insecure
/// registries, HTTPS for the rest.
pub(crate) fn scheme_for(host: &str, insecure: bool) -> &'static str {
    if insecure || is_loopback_host(host_of_authority(host)) {
        "http"
    } else {
        "https"
    }
}

/// `localhost`, `127.0.0.0/8`, `::1`.
pub(crate) fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// The host of `user@host:port` or `[v6]:port`, brackets removed.
pub(crate) fn host_of_authority(authority: &str) -> &str {
    let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    if let Some(bracketed) = authority.strip_prefix('[') {
        return bracketed.split(']').next().unwrap_or(bracketed);
    }
    authority.split(':').next().unwrap_or(authority)
}

/// `scheme://authority` + the rest, split without a URL library.
struct UrlParts<'a> {
    scheme: &'a str,
    authority: &'a str,
    /// Path and query, `/` or empty.
    rest: &'a str,
}

impl<'a> UrlParts<'a> {
    fn split(url: &'a str) -> Option<Self> {
        let (scheme, after) = url.split_once("://")?;
        if scheme.is_empty()
            || !scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
        {
            return None;
        }
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let (authority, rest) = after.split_at(end);
        if authority.is_empty() {
            return None;
        }
        Some(UrlParts {
            scheme,
            authority,
            rest,
        })
    }
}

/// `scheme://authority`, lowercased, for comparing where requests go.
fn origin_of(url: &str) -> Option<String> {
    let parts = UrlParts::split(url)?;
    Some(format!("{}://{}", parts.scheme, parts.authority).to_ascii_lowercase())
}

/// A URL without its query or fragment: presigned storage URLs carry credentials there.
pub(crate) fn url_for_display(url: &str) -> String {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    url[..end].chars().filter(|c| !c.is_control()).collect()
}

/// Resolves a `Location` header against the URL that answered with it.
fn resolve_location(base: &str, location: &str) -> Option<String> {
    if UrlParts::split(location).is_some() {
        return Some(location.to_string());
    }
    let parts = UrlParts::split(base)?;
    if let Some(scheme_relative) = location.strip_prefix("//") {
        return Some(format!("{}://{scheme_relative}", parts.scheme));
    }
    let origin = format!("{}://{}", parts.scheme, parts.authority);
    if location.starts_with('/') {
        return Some(format!("{origin}{location}"));
    }
    let path = parts.rest.split(['?', '#']).next().unwrap_or("");
    let directory = path.rfind('/').map_or("/", |slash| &path[..=slash]);
    Some(format!("{origin}{directory}{location}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_use_http() {
        for host in [
            "localhost:5000",
            "127.0.0.1",
            "127.1.2.3:80",
            "[::1]:5000",
            "[::1]",
            "LOCALHOST",
        ] {
            assert_eq!(scheme_for(host, false), "http", "{host}");
        }
        for host in [
            "registry-1.docker.io",
            "10.0.0.1:5000",
            "localhost.example.com",
            "[::2]:1",
        ] {
            assert_eq!(scheme_for(host, false), "https", "{host}");
        }
        assert_eq!(scheme_for("registry.internal:5000", true), "http");
    }

    #[test]
    fn locations_resolve() {
        let base = "http://127.0.0.1:5000/v2/app/blobs/sha256:ab?x=1";
        assert_eq!(
            resolve_location(base, "https://s3.example/b?sig=1").as_deref(),
            Some("https://s3.example/b?sig=1")
        );
        assert_eq!(
            resolve_location(base, "//cdn.example/b").as_deref(),
            Some("http://cdn.example/b")
        );
        assert_eq!(
            resolve_location(base, "/other").as_deref(),
            Some("http://127.0.0.1:5000/other")
        );
        assert_eq!(
            resolve_location(base, "next").as_deref(),
            Some("http://127.0.0.1:5000/v2/app/blobs/next")
        );
        assert_eq!(resolve_location("http://h", "x").as_deref(), Some("http://h/x"));
    }

    #[test]
    fn origins_compare_host_and_port() {
        assert_eq!(
            origin_of("http://127.0.0.1:5000/v2/"),
            origin_of("HTTP://127.0.0.1:5000/x")
        );
        assert_ne!(
            origin_of("http://127.0.0.1:5000/v2/"),
            origin_of("http://localhost:5000/v2/")
        );
        assert_ne!(origin_of("https://a/"), origin_of("http://a/"));
        assert_eq!(origin_of("not a url"), None);
    }

    #[test]
    fn display_drops_queries() {
        assert_eq!(url_for_display("https://s3/b?X-Amz-Signature=secret"), "https://s3/b");
    }

    #[test]
    fn error_bodies_are_summarized() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{}}]}"#;
        assert_eq!(
            detail_of_error_body(&mut &body[..]).as_deref(),
            Some("MANIFEST_UNKNOWN: manifest unknown")
        );
        assert_eq!(
            detail_of_error_body(&mut &b"\n  oops\x07 here\nmore"[..]).as_deref(),
            Some("oops here")
        );
        assert_eq!(detail_of_error_body(&mut &b""[..]), None);
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let policy = RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
        };
        let first = policy.backoff(1);
        assert!(
            first >= Duration::from_millis(100) && first < Duration::from_millis(126),
            "{first:?}"
        );
        let third = policy.backoff(3);
        assert!(
            third >= Duration::from_millis(400) && third < Duration::from_millis(501),
            "{third:?}"
        );
        assert!(policy.backoff(40) <= MAX_WAIT + MAX_WAIT / 4);
        assert_eq!(
            RetryPolicy {
                max_attempts: 0,
                ..policy
            }
            .attempts(),
            1
        );
    }

    #[test]
    fn retryable_statuses() {
        for status in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(status), "{status}");
        }
        for status in [200, 400, 401, 403, 404, 416, 501] {
            assert!(!is_retryable_status(status), "{status}");
        }
    }

    #[test]
    fn status_texts() {
        assert_eq!(status_text(503), "503 Service Unavailable");
        assert_eq!(status_text(599), "599");
    }
}
