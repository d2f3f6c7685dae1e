//! Docker Registry v2 bearer tokens: scopes as clients ask for them, and short-lived JWTs
//! signed with ES256 (ECDSA P-256 with SHA-256, the signature as `r || s`) that carry the
//! access granted.
//!
//! Only tokens this registry signed are accepted: the header must say `ES256` (never `none`
//! or another algorithm), the signature must verify with the registry's own key, the issuer
//! and audience must be this registry's, and the time must lie between `nbf` and `exp` (with
//! a few seconds' leeway for clocks). Everything is length-checked before it is decoded.

use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::access::Action;
use crate::error::{Error, Result};

/// The longest token accepted, in bytes.
pub const MAX_TOKEN_LEN: usize = 16 * 1024;
/// The most scopes one token request may ask for.
pub const MAX_SCOPES: usize = 32;
/// Clock skew tolerated on `nbf` and `exp`, in seconds.
const LEEWAY_SECS: i64 = 30;

/// One `scope` parameter: `repository:team/app:pull,push` or `registry:catalog:*`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Access {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    pub actions: Vec<String>,
}

impl Access {
    /// Parses a scope. The name may itself contain `:` only in the resource type's
    /// extension (`repository(plugin):name`), which is kept as the type.
    pub fn parse_scope(scope: &str) -> Option<Access> {
        if scope.len() > 1024 || scope.chars().any(char::is_control) {
            return None;
        }
        let (kind, rest) = scope.split_once(':')?;
        let (name, actions) = rest.rsplit_once(':')?;
        if kind.is_empty() || name.is_empty() {
            return None;
        }
        let actions: Vec<String> = actions
            .split(',')
            .filter(|action| !action.is_empty())
            .map(str::to_string)
            .collect();
        Some(Access {
            kind: kind.to_string(),
            name: name.to_string(),
            actions,
        })
    }

    /// The scope a request for `action` on `repository` needs, as the challenge names it.
    pub fn scope_for(action: Action, repository: Option<&str>) -> Option<String> {
        match (action, repository) {
            (Action::Catalog, _) => Some("registry:catalog:*".to_string()),
            (_, Some(name)) => Some(format!("repository:{name}:{}", action.as_str())),
            (_, None) => None,
        }
    }

    /// Whether this grant covers `action` on `repository` (none: the API base, which any
    /// valid token may reach).
    pub fn covers(&self, action: Action, repository: Option<&str>) -> bool {
        let held = |name: &str| self.actions.iter().any(|held| held == name || held == "*");
        match (action, repository) {
            (Action::Catalog, _) => self.kind == "registry" && self.name == "catalog" && held("*"),
            (_, Some(name)) => self.kind == "repository" && self.name == name && held(action.as_str()),
            (_, None) => false,
        }
    }
}

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    /// The account name; empty for anonymous access.
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub nbf: i64,
    pub iat: i64,
    pub jti: String,
    pub access: Vec<Access>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default)]
    kid: Option<String>,
}

/// Why a token was refused (logged at debug level; the token itself never is).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    Algorithm,
    Signature,
    Issuer,
    Audience,
    Expired,
    NotYetValid,
}

/// The registry's token signing key.
#[derive(Clone)]
pub struct TokenKey {
    signing: SigningKey,
    verifying: VerifyingKey,
    kid: String,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

const PEM_LABEL: &str = "PRIVATE KEY";

impl TokenKey {
    /// A new random key.
    pub fn generate() -> Result<TokenKey> {
        loop {
            let mut scalar = [0u8; 32];
            getrandom::fill(&mut scalar).map_err(|e| Error::Crypto(format!("generating a token key: {e}")))?;
            // Fails only for zero or a value at or above the group order: draw again.
            if let Ok(signing) = SigningKey::from_slice(&scalar) {
                return Ok(TokenKey::from_signing(signing));
            }
        }
    }

    fn from_signing(signing: SigningKey) -> TokenKey {
        let verifying = *signing.verifying_key();
        let point = verifying.to_sec1_point(false);
        let kid = hex::encode(&Sha256::digest(point.as_bytes())[..16]);
        TokenKey {
            signing,
            verifying,
            kid,
        }
    }

    /// Reads a PKCS#8 PEM P-256 private key (`openssl genpkey -algorithm EC -pkeyopt
    /// ec_paramgen_curve:P-256`).
    pub fn from_pem(pem: &str, origin: &str) -> Result<TokenKey> {
        let bad = |what: &str| Error::Config(format!("token signing key {origin}: {what}"));
        let begin = format!("-----BEGIN {PEM_LABEL}-----");
        let end = format!("-----END {PEM_LABEL}-----");
        let body = pem
            .split_once(&begin)
            .and_then(|(_, rest)| rest.split_once(&end))
            .map(|(body, _)| body)
            .ok_or_else(|| bad("not a PEM `PRIVATE KEY` (PKCS#8)"))?;
        let base64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        let der = STANDARD.decode(base64).map_err(|_| bad("the PEM body is not base64"))?;
        let signing = SigningKey::from_pkcs8_der(&der).map_err(|_| bad("not a P-256 private key"))?;
        Ok(TokenKey::from_signing(signing))
    }

    pub fn to_pem(&self) -> Result<String> {
        let der = self
            .signing
            .to_pkcs8_der()
            .map_err(|e| Error::Crypto(format!("encoding the token key: {e}")))?;
        let encoded = STANDARD.encode(der.as_bytes());
        let mut pem = format!("-----BEGIN {PEM_LABEL}-----\n");
        for line in encoded.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str(&format!("-----END {PEM_LABEL}-----\n"));
        Ok(pem)
    }

    /// The key in `path`, or a new one written there (owner-only permissions) when the file
    /// does not exist.
    pub fn load_or_generate(path: &Path) -> Result<TokenKey> {
        match std::fs::read_to_string(path) {
            Ok(pem) => TokenKey::from_pem(&pem, &path.display().to_string()),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let key = TokenKey::generate()?;
                write_private(path, key.to_pem()?.as_bytes())?;
                Ok(key)
            }
            Err(error) => Err(Error::io(format!("reading {}", path.display()), error)),
        }
    }

    /// The key id tokens carry: the first 128 bits of the SHA-256 of the public point.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// An ES256 signature (`r || s`) over `message`.
    pub fn sign_bytes(&self, message: &[u8]) -> Vec<u8> {
        let signature: Signature = self.signing.sign(message);
        signature.to_bytes().to_vec()
    }

    pub fn verify_bytes(&self, message: &[u8], signature: &[u8]) -> bool {
        Signature::from_slice(signature).is_ok_and(|signature| self.verifying.verify(message, &signature).is_ok())
    }

    pub fn sign(&self, claims: &Claims) -> Result<String> {
        let header = Header {
            alg: "ES256".into(),
            typ: Some("JWT".into()),
            kid: Some(self.kid.clone()),
        };
        let encode = |value: &dyn erased::Json| -> Result<String> {
            Ok(URL_SAFE_NO_PAD.encode(
                value
                    .to_json()
                    .map_err(|e| Error::Crypto(format!("encoding a token: {e}")))?,
            ))
        };
        let signing_input = format!("{}.{}", encode(&header)?, encode(claims)?);
        let signature: Signature = self.signing.sign(signing_input.as_bytes());
        Ok(format!(
            "{signing_input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        ))
    }

    /// The claims of a token this key signed, checked for issuer, audience and time (`now`
    /// in seconds since the epoch).
    pub fn verify(&self, token: &str, issuer: &str, audience: &str, now: i64) -> Result<Claims, TokenError> {
        if token.len() > MAX_TOKEN_LEN {
            return Err(TokenError::Malformed);
        }
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed);
        };
        let header: Header = decode_json(header)?;
        if header.alg != "ES256" {
            return Err(TokenError::Algorithm);
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).map_err(|_| TokenError::Malformed)?;
        let signature = Signature::from_slice(&signature).map_err(|_| TokenError::Signature)?;
        let signing_input = &token[..header_and_payload_len(token)];
        self.verifying
            .verify(signing_input.as_bytes(), &signature)
            .map_err(|_| TokenError::Signature)?;
        let claims: Claims = decode_json(payload)?;
        if claims.iss != issuer {
            return Err(TokenError::Issuer);
        }
        if claims.aud != audience {
            return Err(TokenError::Audience);
        }
        if claims.exp + LEEWAY_SECS <= now {
            return Err(TokenError::Expired);
        }
        if claims.nbf - LEEWAY_SECS > now {
            return Err(TokenError::NotYetValid);
        }
        Ok(claims)
    }
}

fn header_and_payload_len(token: &str) -> usize {
    token.rfind('.').unwrap_or(token.len())
}

fn decode_json<T: for<'de> Deserialize<'de>>(part: &str) -> Result<T, TokenError> {
    let bytes = URL_SAFE_NO_PAD.decode(part).map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&bytes).map_err(|_| TokenError::Malformed)
}

mod erased {
    /// Serializes to JSON bytes: lets one closure encode the header and the claims.
    pub trait Json {
        fn to_json(&self) -> serde_json::Result<Vec<u8>>;
    }

    impl<T: serde::Serialize> Json for T {
        fn to_json(&self) -> serde_json::Result<Vec<u8>> {
            serde_json::to_vec(self)
        }
    }
}

fn write_private(path: &Path, contents: &[u8]) -> Result<()> {
    use std::io::Write as _;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(format!("creating {}", parent.display()), e))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io(format!("writing {}", path.display()), e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(now: i64) -> Claims {
        Claims {
            iss: "drydock".into(),
            sub: "alice".into(),
            aud: "registry".into(),
            exp: now + 300,
            nbf: now,
            iat: now,
            jti: "id".into(),
            access: vec![Access::parse_scope("repository:team/app:pull,push").unwrap()],
        }
    }

    #[test]
    fn a_signed_token_verifies_and_carries_its_access() {
        let key = TokenKey::generate().unwrap();
        let token = key.sign(&claims(1000)).unwrap();
        let verified = key.verify(&token, "drydock", "registry", 1000).unwrap();
        assert_eq!(verified, claims(1000));
        assert!(verified.access[0].covers(Action::Push, Some("team/app")));
        assert!(!verified.access[0].covers(Action::Delete, Some("team/app")));
        assert!(!verified.access[0].covers(Action::Pull, Some("team/other")));
    }

    #[test]
    fn tokens_are_refused_when_anything_is_off() {
        let key = TokenKey::generate().unwrap();
        let token = key.sign(&claims(1000)).unwrap();
        assert_eq!(key.verify(&token, "other", "registry", 1000), Err(TokenError::Issuer));
        assert_eq!(key.verify(&token, "drydock", "other", 1000), Err(TokenError::Audience));
        assert_eq!(
            key.verify(&token, "drydock", "registry", 1331),
            Err(TokenError::Expired)
        );
        assert_eq!(
            key.verify(&token, "drydock", "registry", 960),
            Err(TokenError::NotYetValid)
        );
        let other_key = TokenKey::generate().unwrap();
        assert_eq!(
            other_key.verify(&token, "drydock", "registry", 1000),
            Err(TokenError::Signature)
        );

        // A payload swapped for one granting more does not verify.
        let parts: Vec<&str> = token.split('.').collect();
        let mut more = claims(1000);
        more.access[0].actions.push("delete".into());
        let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&more).unwrap());
        let forged = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
        assert_eq!(
            key.verify(&forged, "drydock", "registry", 1000),
            Err(TokenError::Signature)
        );

        // `alg: none` and other algorithms are refused before anything else.
        let none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
        let unsigned = format!("{none}.{}.", parts[1]);
        assert_eq!(
            key.verify(&unsigned, "drydock", "registry", 1000),
            Err(TokenError::Algorithm)
        );
        for malformed in ["", "a.b", "a.b.c.d", &"x".repeat(MAX_TOKEN_LEN + 1), "!!.!!.!!"] {
            assert_eq!(
                key.verify(malformed, "drydock", "registry", 1000),
                Err(TokenError::Malformed)
            );
        }
    }

    #[test]
    fn keys_round_trip_through_pem_and_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys/token.pem");
        let first = TokenKey::load_or_generate(&path).unwrap();
        let again = TokenKey::load_or_generate(&path).unwrap();
        assert_eq!(first.kid(), again.kid());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let token = first.sign(&claims(5)).unwrap();
        assert!(again.verify(&token, "drydock", "registry", 5).is_ok());
        let error = TokenKey::from_pem("not a key", "inline").unwrap_err();
        assert!(error.to_string().contains("not a PEM"), "{error}");
        assert!(!format!("{first:?}").contains(&first.to_pem().unwrap()[30..60]));
    }

    #[test]
    fn scopes_parse_as_clients_send_them() {
        let scope = Access::parse_scope("repository:team/app:pull,push").unwrap();
        assert_eq!((scope.kind.as_str(), scope.name.as_str()), ("repository", "team/app"));
        assert_eq!(scope.actions, ["pull", "push"]);
        let catalog = Access::parse_scope("registry:catalog:*").unwrap();
        assert!(catalog.covers(Action::Catalog, None));
        let plugin = Access::parse_scope("repository(plugin):team/app:pull").unwrap();
        assert_eq!(plugin.kind, "repository(plugin)");
        for bad in [
            "",
            "repository",
            "repository:team/app",
            ":a:pull",
            "repository::pull",
            "a:b\n:pull",
        ] {
            assert_eq!(Access::parse_scope(bad), None, "{bad:?}");
        }
        assert_eq!(
            Access::scope_for(Action::Push, Some("team/app")).as_deref(),
            Some("repository:team/app:push")
        );
    }
}
