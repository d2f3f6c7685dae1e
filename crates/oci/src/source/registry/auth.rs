//! Registry authentication: the `WWW-Authenticate` challenge, the bearer token exchange of the
//! Docker token spec, and HTTP basic auth.
//!
//! The client starts anonymous. When the registry answers 401, [`Authenticator::answer`]
//! reads the challenge, looks up credentials (once, lazily, so anonymous pulls never run a
//! credential helper) and either fetches a bearer token from the challenge's realm or
//! switches to basic auth. The resulting `Authorization` value is kept for the source's
//! lifetime and renewed when the registry rejects it later (an expired token).

use std::io::Read;
use std::sync::{Mutex, OnceLock};

use base64::Engine as _;
use serde::Deserialize;

use super::client::{Transport, detail_of_error_body, status_text, url_for_display};
use super::credentials::{CredentialLookup, FoundCredentials};
use crate::error::{OciError, Result};
use crate::source::read_limited;

/// Largest token response read into memory.
const MAX_TOKEN_RESPONSE_BYTES: u64 = 1024 * 1024;

/// One challenge of a `WWW-Authenticate` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Challenge {
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
    Basic,
}

/// Parses every challenge in a `WWW-Authenticate` value we know how to answer (Bearer with a
/// realm, Basic); others are skipped. Parameter values may be quoted, with commas and
/// backslash escapes inside the quotes.
pub(crate) fn parse_challenges(header: &str) -> Vec<Challenge> {
    let mut challenges = Vec::new();
    let mut parser = ChallengeParser { rest: header };
    while let Some((scheme, params)) = parser.next_challenge() {
        let param = |name: &str| {
            params
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, value)| value.clone())
        };
        if scheme.eq_ignore_ascii_case("bearer") {
            if let Some(realm) = param("realm").filter(|r| !r.is_empty()) {
                challenges.push(Challenge::Bearer {
                    realm,
                    service: param("service"),
                    scope: param("scope"),
                });
            }
        } else if scheme.eq_ignore_ascii_case("basic") {
            challenges.push(Challenge::Basic);
        }
    }
    challenges
}

/// A cursor over `scheme k=v, k="v", scheme2 k=v` (RFC 9110 §11.6.1).
struct ChallengeParser<'a> {
    rest: &'a str,
}

impl<'a> ChallengeParser<'a> {
    fn next_challenge(&mut self) -> Option<(&'a str, Vec<(String, String)>)> {
        let scheme = loop {
            self.skip_separators();
            if self.rest.is_empty() {
                return None;
            }
            match self.token() {
                Some(scheme) => break scheme,
                // A stray `=` or `"`, such as the padding of a token68.
                None => self.skip_one_char(),
            }
        };
        let mut params = Vec::new();
        loop {
            self.skip_separators();
            let saved = self.rest;
            let Some(name) = self.token() else { break };
            self.skip_spaces();
            if !self.rest.starts_with('=') {
                // A token not followed by `=` starts the next challenge.
                self.rest = saved;
                break;
            }
            self.rest = &self.rest[1..];
            self.skip_spaces();
            let value = if self.rest.starts_with('"') {
                self.quoted()
            } else {
                self.token().unwrap_or_default().to_string()
            };
            params.push((name.to_string(), value));
        }
        Some((scheme, params))
    }

    /// A run of characters up to whitespace, `,`, `=` or `"`; `None` if that run is empty.
    fn token(&mut self) -> Option<&'a str> {
        let end = self
            .rest
            .find(|c: char| c.is_whitespace() || c == ',' || c == '=' || c == '"')
            .unwrap_or(self.rest.len());
        if end == 0 {
            return None;
        }
        let (token, rest) = self.rest.split_at(end);
        self.rest = rest;
        Some(token)
    }

    fn skip_one_char(&mut self) {
        let width = self.rest.chars().next().map_or(0, char::len_utf8);
        self.rest = &self.rest[width..];
    }

    fn quoted(&mut self) -> String {
        let mut value = String::new();
        let mut chars = self.rest.char_indices().skip(1);
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.rest = &self.rest[i + 1..];
                    return value;
                }
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        value.push(escaped);
                    }
                }
                other => value.push(other),
            }
        }
        // Unterminated: take what there was.
        self.rest = "";
        value
    }

    fn skip_spaces(&mut self) {
        self.rest = self.rest.trim_start();
    }

    fn skip_separators(&mut self) {
        self.rest = self.rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
    }
}

/// The token endpoint's answer; registries use either field name.
#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// Holds the `Authorization` value for one registry repository and renews it on challenge.
pub(crate) struct Authenticator {
    registry: String,
    /// The token scopes to ask for: this repository's actions, plus any added later.
    scopes: Mutex<Vec<String>>,
    lookup: LookupSettings,
    credentials: OnceLock<Option<FoundCredentials>>,
    header: Mutex<Option<String>>,
}

/// The owned form of [`CredentialLookup`], kept until credentials are first needed.
pub(crate) struct LookupSettings {
    pub explicit: Option<super::Credentials>,
    pub docker_config: Option<std::path::PathBuf>,
    pub helper_dir: Option<std::path::PathBuf>,
}

impl Authenticator {
    /// An authenticator that asks for `actions` (`pull`, or `pull,push` for writing) on
    /// `repository`.
    pub fn new(registry: &str, repository: &str, actions: &str, lookup: LookupSettings) -> Self {
        Authenticator {
            registry: registry.to_string(),
            scopes: Mutex::new(vec![format!("repository:{repository}:{actions}")]),
            lookup,
            credentials: OnceLock::new(),
            header: Mutex::new(None),
        }
    }

    /// Asks for one more scope from now on; a bearer token without it is dropped so the next
    /// challenge fetches one that has it. Basic auth is kept: it covers every scope.
    pub fn add_scope(&self, scope: String) {
        let Ok(mut scopes) = self.scopes.lock() else { return };
        if scopes.contains(&scope) {
            return;
        }
        scopes.push(scope);
        if let Ok(mut header) = self.header.lock()
            && header.as_deref().is_some_and(|h| h.starts_with("Bearer "))
        {
            *header = None;
        }
    }

    /// The `Authorization` value to send, if we have one yet.
    pub fn header(&self) -> Option<String> {
        self.header.lock().ok().and_then(|h| h.clone())
    }

    /// Answers a 401's challenges: gets a token or switches to basic auth.
    pub fn answer(&self, transport: &Transport, www_authenticate: &[String]) -> Result<()> {
        let challenges: Vec<Challenge> = www_authenticate.iter().flat_map(|h| parse_challenges(h)).collect();
        let bearer = challenges.iter().find_map(|c| match c {
            Challenge::Bearer { realm, service, .. } => Some((realm.as_str(), service.as_deref())),
            Challenge::Basic => None,
        });
        let header = if let Some((realm, service)) = bearer {
            self.bearer_header(transport, realm, service)?
        } else if challenges.contains(&Challenge::Basic) {
            self.basic_header()?
        } else {
            return Err(self.error(
                "the registry answered 401 Unauthorized without a Bearer or Basic challenge in WWW-Authenticate",
            ));
        };
        if let Ok(mut slot) = self.header.lock() {
            *slot = Some(header);
        }
        Ok(())
    }

    /// The error for a registry that still refuses us after [`Self::answer`].
    pub fn rejected(&self, status: &str, detail: Option<&str>) -> OciError {
        let detail = detail.map(|d| format!(" ({d})")).unwrap_or_default();
        let reason = match self.credentials.get() {
            Some(Some(found)) => format!(
                "the registry answered {status}{detail} for user `{}` (credentials {})",
                found.credentials.username, found.origin
            ),
            Some(None) => format!(
                "the registry answered {status}{detail} to an anonymous request and no credentials \
                 were found (searched: {})",
                self.lookup().places_searched()
            ),
            None => format!("the registry answered {status}{detail}"),
        };
        self.error(reason)
    }

    fn basic_header(&self) -> Result<String> {
        tracing::debug!(registry = %self.registry, "using basic auth");
        let Some(found) = self.credentials()? else {
            return Err(self.error(format!(
                "the registry requires a user name and password (Basic auth) and none were found (searched: {})",
                self.lookup().places_searched()
            )));
        };
        Ok(basic_authorization(&found.credentials))
    }

    /// Exchanges our credentials (or nothing) for a pull token at the challenge's realm.
    fn bearer_header(&self, transport: &Transport, realm: &str, service: Option<&str>) -> Result<String> {
        // Our own scopes, not the challenge's: we ask only for what this client does.
        let scopes = self.scopes.lock().map(|s| s.clone()).unwrap_or_default();
        let url = token_url(realm, service, &scopes);
        let credentials = self.credentials()?;
        tracing::debug!(
            registry = %self.registry,
            realm = %url_for_display(realm),
            authenticated = credentials.is_some(),
            "fetching bearer token"
        );
        let auth = credentials.as_ref().map(|f| basic_authorization(&f.credentials));
        let response = transport.get(&url, &[], auth.as_deref(), &self.registry)?;
        let status = response.status().as_u16();
        let mut body = response.into_body().into_reader();
        if !(200..300).contains(&status) {
            let detail = detail_of_error_body(&mut body);
            return Err(self.token_refused(realm, status, detail, credentials.as_ref()));
        }
        let bytes = read_limited(body.take(MAX_TOKEN_RESPONSE_BYTES), "token response")
            .map_err(|e| self.error(format!("reading the token from {}: {e}", url_for_display(realm))))?;
        let token = parse_token(&bytes).ok_or_else(|| {
            self.error(format!(
                "token server {} answered without a usable `token` or `access_token`",
                url_for_display(realm)
            ))
        })?;
        Ok(format!("Bearer {token}"))
    }

    fn token_refused(
        &self,
        realm: &str,
        status: u16,
        detail: Option<String>,
        credentials: Option<&FoundCredentials>,
    ) -> OciError {
        let who = match credentials {
            Some(found) => format!("user `{}` (credentials {})", found.credentials.username, found.origin),
            None => format!(
                "an anonymous request (no credentials found; searched: {})",
                self.lookup().places_searched()
            ),
        };
        self.error(format!(
            "token server {} answered {}{} to {who}",
            url_for_display(realm),
            status_text(status),
            detail.map(|d| format!(" ({d})")).unwrap_or_default()
        ))
    }

    fn credentials(&self) -> Result<Option<FoundCredentials>> {
        if let Some(found) = self.credentials.get() {
            return Ok(found.clone());
        }
        let found = self.lookup().find()?;
        if let Some(found) = &found {
            tracing::debug!(registry = %self.registry, user = %found.credentials.username, origin = %found.origin, "using credentials");
        }
        Ok(self.credentials.get_or_init(|| found).clone())
    }

    fn lookup(&self) -> CredentialLookup<'_> {
        CredentialLookup {
            registry: &self.registry,
            explicit: self.lookup.explicit.as_ref(),
            docker_config: self.lookup.docker_config.as_deref(),
            helper_dir: self.lookup.helper_dir.as_deref(),
        }
    }

    fn error(&self, reason: impl Into<String>) -> OciError {
        OciError::Auth {
            registry: self.registry.clone(),
            reason: reason.into(),
        }
    }
}

fn basic_authorization(credentials: &super::Credentials) -> String {
    let pair = format!("{}:{}", credentials.username, credentials.password);
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))
}

fn parse_token(bytes: &[u8]) -> Option<String> {
    let response: TokenResponse = serde_json::from_slice(bytes).ok()?;
    let token = response
        .token
        .filter(|t| !t.is_empty())
        .or(response.access_token.filter(|t| !t.is_empty()))?;
    // It goes into a header: refuse anything that could split or corrupt it.
    token.bytes().all(|b| b.is_ascii_graphic()).then_some(token)
}

/// `realm?service=..&scope=..[&scope=..]`, appending to a realm that already has a query.
fn token_url(realm: &str, service: Option<&str>, scopes: &[String]) -> String {
    let mut query = Vec::new();
    if let Some(service) = service {
        query.push(format!("service={}", percent_encode(service)));
    }
    for scope in scopes {
        query.push(format!("scope={}", percent_encode(scope)));
    }
    let separator = if realm.contains('?') { '&' } else { '?' };
    format!("{realm}{separator}{}", query.join("&"))
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn percent_encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(realm: &str, service: Option<&str>, scope: Option<&str>) -> Challenge {
        Challenge::Bearer {
            realm: realm.into(),
            service: service.map(Into::into),
            scope: scope.map(Into::into),
        }
    }

    #[test]
    fn docker_hub_challenge() {
        let header = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/debian:pull""#;
        assert_eq!(
            parse_challenges(header),
            vec![bearer(
                "https://auth.docker.io/token",
                Some("registry.docker.io"),
                Some("repository:library/debian:pull")
            )]
        );
    }

    #[test]
    fn commas_and_escapes_inside_quotes() {
        let header = r#"Bearer realm="https://a/token", scope="repository:x:pull,push", service="s \"q\"""#;
        assert_eq!(
            parse_challenges(header),
            vec![bearer(
                "https://a/token",
                Some(r#"s "q""#),
                Some("repository:x:pull,push")
            )]
        );
    }

    #[test]
    fn unquoted_values_and_case() {
        assert_eq!(
            parse_challenges("bearer REALM=https://a/t,service=reg"),
            vec![bearer("https://a/t", Some("reg"), None)]
        );
    }

    #[test]
    fn basic_and_several_challenges() {
        assert_eq!(
            parse_challenges(r#"Basic realm="Registry Realm""#),
            vec![Challenge::Basic]
        );
        assert_eq!(
            parse_challenges(r#"Negotiate abc==, Basic realm="r", Bearer realm="https://t",service="s""#),
            vec![Challenge::Basic, bearer("https://t", Some("s"), None)]
        );
    }

    #[test]
    fn garbage_never_panics() {
        for header in [
            "",
            "\"",
            "=",
            "Bearer",
            "Bearer realm",
            "Bearer realm=\"unterminated",
            ",,,",
            "Bearer =,=",
            "é=ü\"",
            "Bearer realm=\"\"",
        ] {
            let _ = parse_challenges(header);
        }
        assert_eq!(parse_challenges("Bearer service=x"), vec![]);
        assert_eq!(
            parse_challenges("Bearer realm=\"https://t"),
            vec![bearer("https://t", None, None)]
        );
    }

    #[test]
    fn token_urls() {
        assert_eq!(
            token_url(
                "https://auth/token",
                Some("registry.docker.io"),
                &["repository:library/debian:pull".to_string()]
            ),
            "https://auth/token?service=registry.docker.io&scope=repository%3Alibrary%2Fdebian%3Apull"
        );
        assert_eq!(
            token_url("https://auth/token?x=1", None, &["a b".to_string(), "c".to_string()]),
            "https://auth/token?x=1&scope=a%20b&scope=c"
        );
    }

    #[test]
    fn token_field_names() {
        assert_eq!(parse_token(br#"{"token":"abc"}"#).as_deref(), Some("abc"));
        assert_eq!(
            parse_token(br#"{"access_token":"def","expires_in":60}"#).as_deref(),
            Some("def")
        );
        assert_eq!(parse_token(br#"{"token":"","access_token":"g"}"#).as_deref(), Some("g"));
        assert_eq!(parse_token(br#"{"token":"a\r\nInjected: x"}"#), None);
        assert_eq!(parse_token(b"not json"), None);
    }
}
