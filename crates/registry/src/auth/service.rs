//! Token authentication as the Docker Registry v2 protocol has it.
//!
//! A request without a valid bearer token, or whose token does not cover it, is answered
//! 401 with `WWW-Authenticate: Bearer realm="…",service="…",scope="…"`. The client then asks
//! the token endpoint ([`TokenService::router`], `GET /auth/token`) with its basic credentials
//! (a user's password or a robot's secret; none for anonymous access) and the scopes it
//! wants; the endpoint grants each scope's actions that the permission table allows the
//! principal in the repository's project, and signs a short-lived ES256 token listing them.
//! [`TokenAuthorizer`] then checks that token on every request.
//!
//! Credentials are compared in constant time ([`super::accounts`]), failed logins count
//! towards the lockout, and nothing secret (passwords, secrets, tokens, the Authorization
//! header) is ever logged: only account names and outcomes.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use super::accounts::{Accounts, Identity, Refusal};
use super::permissions::{Permission, needed_for};
use super::token::{Access, Claims, MAX_SCOPES, TokenKey};
use crate::access::{AccessRequest, Action, Authorizer, BoxFuture, Denial, Principal};
use crate::client::TrustedProxies;
use crate::error::{ApiError, ErrorCode};
use crate::s3::Secret;

/// The path of the token endpoint.
pub const TOKEN_PATH: &str = "/auth/token";

/// How tokens are issued and checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSettings {
    /// The `iss` of every token.
    pub issuer: String,
    /// The `service` clients name and the `aud` of every token.
    pub service: String,
    /// The token endpoint's absolute URL; when none, the challenge names
    /// `{scheme}://{Host}/auth/token` from the request's `Host` header.
    pub realm: Option<String>,
    /// The scheme of a realm taken from `Host`: `https` when the registry serves TLS.
    pub scheme: &'static str,
    /// How long a token lasts, in seconds.
    pub lifetime_secs: i64,
}

impl Default for TokenSettings {
    fn default() -> Self {
        TokenSettings {
            issuer: "drydock".into(),
            service: "drydock-registry".into(),
            realm: None,
            scheme: "http",
            lifetime_secs: 300,
        }
    }
}

/// What a login reports, for the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginEvent {
    pub account: String,
    /// `None` when it succeeded.
    pub refusal: Option<Refusal>,
    /// The client's address; empty when unknown.
    pub client: String,
}

/// Receives every login attempt (success and failure) with credentials.
pub trait LoginSink: Send + Sync + 'static {
    fn login(&self, event: LoginEvent);
}

/// Logs logins: account name and outcome, never the credential.
#[derive(Debug, Default)]
pub struct LogLogins;

impl LoginSink for LogLogins {
    fn login(&self, event: LoginEvent) {
        match event.refusal {
            None => tracing::info!(account = %event.account, client = %event.client, "login succeeded"),
            Some(refusal) => tracing::warn!(
                account = %event.account,
                client = %event.client,
                reason = refusal.as_str(),
                "login refused"
            ),
        }
    }
}

/// The token endpoint and the key and settings the authorizer shares with it.
pub struct TokenService {
    accounts: Accounts,
    key: TokenKey,
    settings: TokenSettings,
    logins: Arc<dyn LoginSink>,
    proxies: TrustedProxies,
}

impl TokenService {
    pub fn new(accounts: Accounts, key: TokenKey, settings: TokenSettings) -> Arc<TokenService> {
        Arc::new(TokenService {
            accounts,
            key,
            settings,
            logins: Arc::new(LogLogins),
            proxies: TrustedProxies::default(),
        })
    }

    pub fn with_logins(
        accounts: Accounts,
        key: TokenKey,
        settings: TokenSettings,
        logins: Arc<dyn LoginSink>,
        proxies: TrustedProxies,
    ) -> Arc<Self> {
        Arc::new(TokenService {
            accounts,
            key,
            settings,
            logins,
            proxies,
        })
    }

    /// The authorizer checking this service's tokens.
    pub fn authorizer(self: &Arc<Self>) -> Arc<TokenAuthorizer> {
        Arc::new(TokenAuthorizer { service: self.clone() })
    }

    /// `GET /auth/token`, to be served next to the registry's routes.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route(TOKEN_PATH, get(token_endpoint))
            .with_state(self.clone())
    }

    /// Issues a token to `who` (none: anonymous) for what it may do of `requested`.
    pub async fn issue(&self, who: Option<&Identity>, requested: &[Access]) -> crate::Result<(String, Claims)> {
        let mut access = Vec::new();
        for scope in requested {
            let actions = self.grantable(who, scope).await?;
            if !actions.is_empty() {
                access.push(Access {
                    kind: scope.kind.clone(),
                    name: scope.name.clone(),
                    actions,
                });
            }
        }
        let now = now_secs();
        let claims = Claims {
            iss: self.settings.issuer.clone(),
            sub: who.map(|who| who.name().to_string()).unwrap_or_default(),
            aud: self.settings.service.clone(),
            exp: now + self.settings.lifetime_secs,
            nbf: now,
            iat: now,
            jti: crate::random_id(),
            access,
        };
        Ok((self.key.sign(&claims)?, claims))
    }

    /// The actions of `scope` that `who` may do, by the permission table.
    async fn grantable(&self, who: Option<&Identity>, scope: &Access) -> crate::Result<Vec<String>> {
        match scope.kind.as_str() {
            "registry" if scope.name == "catalog" => {
                let held = self.accounts.system_permissions(who);
                let wanted = scope.actions.iter().any(|a| a == "*");
                Ok(if wanted && allows(&held, Action::Catalog) {
                    vec!["*".to_string()]
                } else {
                    Vec::new()
                })
            }
            "repository" => {
                let project = project_of(&scope.name);
                let held = self.accounts.project_permissions(who, project).await?;
                let exists = self.repository_exists(&scope.name).await?;
                let mut granted = Vec::new();
                for action in [Action::Pull, Action::Push, Action::Delete] {
                    let wanted = scope.actions.iter().any(|a| a == action.as_str() || a == "*");
                    let creates = action == Action::Push && !exists;
                    if wanted && allows(&held, action) && (!creates || held.contains(&Permission::CreateRepository)) {
                        granted.push(action.as_str().to_string());
                    }
                }
                Ok(granted)
            }
            _ => Ok(Vec::new()),
        }
    }

    /// The account a valid token of this service was issued to (none: anonymous or invalid).
    pub(crate) fn token_subject(&self, token: &str) -> Option<String> {
        let settings = &self.settings;
        let claims = self
            .key
            .verify(token, &settings.issuer, &settings.service, now_secs())
            .ok()?;
        (!claims.sub.is_empty()).then_some(claims.sub)
    }

    async fn repository_exists(&self, name: &str) -> crate::Result<bool> {
        self.accounts.repository_exists(name).await
    }

    fn challenge(&self, headers: &HeaderMap, scope: Option<String>, error: Option<&str>) -> String {
        let realm = match &self.settings.realm {
            Some(realm) => realm.clone(),
            None => {
                let host = headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic() && c != '"' && c != '\\'))
                    .unwrap_or("localhost");
                format!("{}://{host}{TOKEN_PATH}", self.settings.scheme)
            }
        };
        let mut challenge = format!("Bearer realm=\"{realm}\",service=\"{}\"", self.settings.service);
        if let Some(scope) = scope {
            challenge.push_str(&format!(",scope=\"{scope}\""));
        }
        if let Some(error) = error {
            challenge.push_str(&format!(",error=\"{error}\""));
        }
        challenge
    }
}

/// A repository's project: the first segment of its name.
pub fn project_of(repository: &str) -> &str {
    repository.split('/').next().unwrap_or(repository)
}

fn allows(held: &BTreeSet<Permission>, action: Action) -> bool {
    needed_for(action).iter().all(|permission| held.contains(permission))
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Checks bearer tokens on every registry request.
pub struct TokenAuthorizer {
    service: Arc<TokenService>,
}

impl Authorizer for TokenAuthorizer {
    fn authorize<'a>(&'a self, request: AccessRequest<'a>) -> BoxFuture<'a, Result<Principal, Denial>> {
        Box::pin(async move { self.check(&request) })
    }
}

impl TokenAuthorizer {
    fn check(&self, request: &AccessRequest<'_>) -> Result<Principal, Denial> {
        let service = &self.service;
        let scope = Access::scope_for(request.action, request.repository);
        let Some(token) = bearer(request.headers) else {
            return Err(Denial::Unauthenticated {
                challenge: service.challenge(request.headers, scope, None),
            });
        };
        let settings = &service.settings;
        let claims = match service
            .key
            .verify(token, &settings.issuer, &settings.service, now_secs())
        {
            Ok(claims) => claims,
            Err(reason) => {
                tracing::debug!(?reason, "bearer token refused");
                return Err(Denial::Unauthenticated {
                    challenge: service.challenge(request.headers, scope, Some("invalid_token")),
                });
            }
        };
        let base = request.repository.is_none() && request.action != Action::Catalog;
        let covered = claims
            .access
            .iter()
            .any(|access| access.covers(request.action, request.repository));
        if !base && !covered {
            return Err(Denial::Unauthenticated {
                challenge: service.challenge(request.headers, scope, Some("insufficient_scope")),
            });
        }
        Ok(Principal {
            name: (!claims.sub.is_empty()).then_some(claims.sub),
        })
    }
}

pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Basic credentials: (account, secret). `None` when absent; an error when malformed.
pub(crate) fn basic_credentials(headers: &HeaderMap) -> Result<Option<(String, Secret)>, ()> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ())?;
    let (scheme, encoded) = value.split_once(' ').ok_or(())?;
    if !scheme.eq_ignore_ascii_case("basic") || encoded.len() > 4096 {
        return Err(());
    }
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| ())?;
    let decoded = String::from_utf8(decoded).map_err(|_| ())?;
    let (account, secret) = decoded.split_once(':').ok_or(())?;
    Ok(Some((account.to_string(), Secret::new(secret))))
}

async fn token_endpoint(
    State(service): State<Arc<TokenService>>,
    uri: Uri,
    extensions: Extensions,
    headers: HeaderMap,
) -> Response {
    let query: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let client = service.proxies.client(&extensions, &headers);
    match issue_for_request(&service, &query, &headers, client).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn issue_for_request(
    service: &TokenService,
    query: &[(String, String)],
    headers: &HeaderMap,
    client: String,
) -> Result<Response, ApiError> {
    let unauthorized = |message: &str| {
        ApiError::new(ErrorCode::Unauthorized, message).with_header(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"drydock\""),
        )
    };
    if let Some((_, asked)) = query.iter().find(|(k, _)| k == "service")
        && *asked != service.settings.service
    {
        return Err(ApiError::new(
            ErrorCode::Denied,
            format!("this registry issues tokens for service `{}`", service.settings.service),
        )
        .with_status(StatusCode::BAD_REQUEST));
    }
    let scopes: Vec<&str> = query
        .iter()
        .filter(|(k, _)| k == "scope")
        .flat_map(|(_, v)| v.split(' '))
        .filter(|s| !s.is_empty())
        .collect();
    if scopes.len() > MAX_SCOPES {
        return Err(
            ApiError::new(ErrorCode::Denied, format!("at most {MAX_SCOPES} scopes per token"))
                .with_status(StatusCode::BAD_REQUEST),
        );
    }
    let mut requested = Vec::new();
    for scope in scopes {
        let parsed = Access::parse_scope(scope).ok_or_else(|| {
            ApiError::new(
                ErrorCode::Denied,
                format!(
                    "invalid scope `{}`: expected TYPE:NAME:ACTIONS",
                    crate::names::printable(scope)
                ),
            )
            .with_status(StatusCode::BAD_REQUEST)
        })?;
        requested.push(parsed);
    }
    let credentials = basic_credentials(headers).map_err(|()| unauthorized("malformed basic credentials"))?;
    let identity = match credentials {
        None => None,
        Some((account, secret)) => {
            let outcome = service
                .accounts
                .authenticate(&account, &secret, crate::meta::now_millis())
                .await?;
            service.logins.login(LoginEvent {
                account: account.clone(),
                refusal: outcome.as_ref().err().copied(),
                client,
            });
            match outcome {
                Ok(identity) => Some(identity),
                Err(_) => return Err(unauthorized("invalid username or password")),
            }
        }
    };
    let (token, claims) = service.issue(identity.as_ref(), &requested).await?;
    let body = serde_json::json!({
        "token": token,
        "access_token": token,
        "expires_in": claims.exp - claims.iat,
        "issued_at": drydock_model::time::rfc3339(u64::try_from(claims.iat).unwrap_or(0)),
    });
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_static("application/json")),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    Ok((StatusCode::OK, headers, body.to_string()).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_dates() {
        use drydock_model::time::rfc3339;
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }

    #[test]
    fn basic_credentials_parse_or_fail_cleanly() {
        let mut headers = HeaderMap::new();
        assert_eq!(basic_credentials(&headers).map(|c| c.is_none()), Ok(true));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic YWxpY2U6cDpx"));
        let (account, secret) = basic_credentials(&headers).unwrap().unwrap();
        assert_eq!((account.as_str(), secret.expose()), ("alice", "p:q"));
        for bad in ["Basic !!!", "Basic YWxpY2U=", "Bearer x", "Basic"] {
            headers.insert(header::AUTHORIZATION, HeaderValue::from_static(bad));
            assert!(basic_credentials(&headers).is_err(), "{bad}");
        }
    }

    #[test]
    fn projects_are_first_segments() {
        assert_eq!(project_of("team/app"), "team");
        assert_eq!(project_of("team/a/b"), "team");
        assert_eq!(project_of("alpine"), "alpine");
    }
}
