//! The `[auth]` settings of `drydock serve` and what they switch on: token authentication,
//! the audit trail and the first administrator.
//!
//! ```toml
//! [auth]
//! enabled = true                                  # token authentication (default: off)
//! realm = "https://registry.example/auth/token"   # default: from the request's Host
//! service = "drydock-registry"
//! token_key = "/etc/drydock/token-key.pem"        # default: <data>/token-signing-key.pem
//! admin_user = "admin"                            # created as system admin when missing
//! admin_password_file = "/etc/drydock/admin-password"
//! trusted_proxies = ["10.0.0.5"]                  # whose X-Forwarded-For names the client
//! ```
//!
//! The same key signs tokens and audit checkpoints, so several replicas need the same
//! `token_key`. There is never a default password: the first administrator exists only when
//! `admin_user` and a password file (or `DRYDOCK_REGISTRY_AUTH_ADMIN_PASSWORD`) are given.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use super::accounts::Accounts;
use super::service::{TOKEN_PATH, TokenService, TokenSettings};
use super::token::TokenKey;
use crate::Registry;
use crate::api::{self, ApiState};
use crate::audit::{AuditLog, AuditSink, NewEntry};
use crate::client::TrustedProxies;
use crate::error::{Error, Result};
use crate::s3::Secret;

/// One layer of `[auth]` settings; unset fields leave the layer below in force.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    pub enabled: Option<bool>,
    pub realm: Option<String>,
    pub service: Option<String>,
    pub token_key: Option<PathBuf>,
    pub token_lifetime_secs: Option<i64>,
    pub admin_user: Option<String>,
    pub admin_password_file: Option<PathBuf>,
    pub trusted_proxies: Option<Vec<String>>,
}

impl AuthConfig {
    /// `DRYDOCK_REGISTRY_AUTH_ENABLED`, `_AUTH_REALM`, `_AUTH_SERVICE`, `_AUTH_TOKEN_KEY`,
    /// `_AUTH_ADMIN_USER`, `_AUTH_ADMIN_PASSWORD_FILE`, `_AUTH_TRUSTED_PROXIES` (comma-separated).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |key: &str| var(&format!("DRYDOCK_REGISTRY_AUTH_{key}")).filter(|v| !v.is_empty());
        let enabled = get("ENABLED")
            .map(|v| match v.as_str() {
                "1" | "true" | "yes" => Ok(true),
                "0" | "false" | "no" => Ok(false),
                _ => Err(Error::Config(format!(
                    "DRYDOCK_REGISTRY_AUTH_ENABLED `{v}` is not true or false"
                ))),
            })
            .transpose()?;
        Ok(AuthConfig {
            enabled,
            realm: get("REALM"),
            service: get("SERVICE"),
            token_key: get("TOKEN_KEY").map(PathBuf::from),
            token_lifetime_secs: None,
            admin_user: get("ADMIN_USER"),
            admin_password_file: get("ADMIN_PASSWORD_FILE").map(PathBuf::from),
            trusted_proxies: get("TRUSTED_PROXIES").map(|v| v.split(',').map(|p| p.trim().to_string()).collect()),
        })
    }

    pub fn overridden_by(self, over: AuthConfig) -> AuthConfig {
        AuthConfig {
            enabled: over.enabled.or(self.enabled),
            realm: over.realm.or(self.realm),
            service: over.service.or(self.service),
            token_key: over.token_key.or(self.token_key),
            token_lifetime_secs: over.token_lifetime_secs.or(self.token_lifetime_secs),
            admin_user: over.admin_user.or(self.admin_user),
            admin_password_file: over.admin_password_file.or(self.admin_password_file),
            trusted_proxies: over.trusted_proxies.or(self.trusted_proxies),
        }
    }

    /// Final settings; `data` is the registry's data directory, `tls` whether it serves TLS.
    pub fn resolve(self, data: &Path, tls: bool) -> Result<AuthSettings> {
        let lifetime = self.token_lifetime_secs.unwrap_or(300);
        if !(10..=3600).contains(&lifetime) {
            return Err(Error::Config(format!(
                "auth.token_lifetime_secs {lifetime} is outside 10 to 3600 seconds"
            )));
        }
        if let Some(realm) = &self.realm
            && !(realm.starts_with("https://") || realm.starts_with("http://"))
        {
            return Err(Error::Config(format!("auth.realm `{realm}` is not an http(s) URL")));
        }
        if self.admin_password_file.is_some() && self.admin_user.is_none() {
            return Err(Error::Config("auth.admin_password_file needs auth.admin_user".into()));
        }
        let trusted_proxies = TrustedProxies::parse(&self.trusted_proxies.unwrap_or_default())
            .map_err(|e| Error::Config(format!("auth.trusted_proxies: {e}")))?;
        let defaults = TokenSettings::default();
        Ok(AuthSettings {
            enabled: self.enabled.unwrap_or(false),
            token_key: self.token_key.unwrap_or_else(|| data.join("token-signing-key.pem")),
            token: TokenSettings {
                issuer: defaults.issuer,
                service: self.service.unwrap_or(defaults.service),
                realm: self.realm,
                scheme: if tls { "https" } else { "http" },
                lifetime_secs: lifetime,
            },
            admin_user: self.admin_user,
            admin_password_file: self.admin_password_file,
            trusted_proxies,
        })
    }
}

/// Resolved `[auth]` settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSettings {
    pub enabled: bool,
    pub token_key: PathBuf,
    pub token: TokenSettings,
    pub admin_user: Option<String>,
    pub admin_password_file: Option<PathBuf>,
    pub trusted_proxies: TrustedProxies,
}

/// Turns on the audit trail and the admin API (`/api/v1`) and, when enabled, token
/// authentication on `registry`; creates the configured first administrator when missing. `admin_password` is the
/// `DRYDOCK_REGISTRY_AUTH_ADMIN_PASSWORD` value, when set. Flush the returned sink after the
/// server stops so no entry is lost.
pub async fn secure(
    registry: Registry,
    auth: &AuthSettings,
    admin_password: Option<Secret>,
) -> Result<(Registry, AuditSink)> {
    let key = TokenKey::load_or_generate(&auth.token_key)?;
    let audit = AuditLog::new(&registry.meta, Arc::new(key.clone()));
    let sink = AuditSink::spawn(audit.clone());
    let accounts = Accounts::new(&registry.meta);
    if let Some(admin) = bootstrap_admin(&accounts, auth, admin_password).await? {
        sink.record_entry(NewEntry {
            actor: "system".into(),
            action: "user-create".into(),
            detail: format!("user {admin} (system admin) from the configuration"),
            outcome: "success".into(),
            ..NewEntry::default()
        });
    }
    sink.record_entry(configuration_entry(auth));
    let registry = registry
        .with_events(Arc::new(sink.clone()))
        .with_trusted_proxies(auth.trusted_proxies.clone());
    let api = ApiState::new(accounts.clone(), audit, sink.clone()).with_trusted_proxies(auth.trusted_proxies.clone());
    if !auth.enabled {
        return Ok((registry.with_service(api::PREFIX, api::router(api)), sink));
    }
    let service = TokenService::with_logins(
        accounts,
        key,
        auth.token.clone(),
        Arc::new(sink.clone()),
        auth.trusted_proxies.clone(),
    );
    let registry = registry
        .with_authorizer(service.authorizer())
        .with_service(TOKEN_PATH, service.router())
        .with_service(api::PREFIX, api::router(api.with_tokens(service)));
    Ok((registry, sink))
}

/// The access-control configuration the registry starts with, as an audit entry: a change
/// between two starts shows as two entries that differ. Never a secret (the password file's
/// path, not its content).
fn configuration_entry(auth: &AuthSettings) -> NewEntry {
    let detail = format!(
        "auth.enabled={} service={} realm={} token_lifetime_secs={} token_key={} admin_user={} trusted_proxies={}",
        auth.enabled,
        auth.token.service,
        auth.token.realm.as_deref().unwrap_or("(from Host)"),
        auth.token.lifetime_secs,
        auth.token_key.display(),
        auth.admin_user.as_deref().unwrap_or("-"),
        auth.trusted_proxies,
    );
    NewEntry {
        actor: "system".into(),
        action: "configuration".into(),
        detail,
        outcome: "success".into(),
        ..NewEntry::default()
    }
}

/// Creates the configured first administrator when missing; returns their name if created.
async fn bootstrap_admin(accounts: &Accounts, auth: &AuthSettings, from_env: Option<Secret>) -> Result<Option<String>> {
    let Some(name) = &auth.admin_user else {
        return Ok(None);
    };
    if accounts.user(name).await?.is_some() {
        return Ok(None);
    }
    let password = match (&auth.admin_password_file, from_env) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::io(format!("reading auth.admin_password_file {}", path.display()), e))?;
            Secret::new(text.trim_end_matches(['\r', '\n']))
        }
        (None, Some(password)) => password,
        (None, None) => {
            return Err(Error::Config(format!(
                "auth.admin_user `{name}` does not exist yet and no password is given: set \
                 auth.admin_password_file or DRYDOCK_REGISTRY_AUTH_ADMIN_PASSWORD"
            )));
        }
    };
    accounts.create_user(name, &password, true).await?;
    tracing::info!(user = %name, "created the first administrator");
    Ok(Some(name.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layers_and_checks() {
        let file: AuthConfig = toml::from_str("enabled = true\nservice = \"s\"\nadmin_user = \"root\"").unwrap();
        let env = AuthConfig::from_env(|k| (k == "DRYDOCK_REGISTRY_AUTH_SERVICE").then(|| "t".into())).unwrap();
        let settings = file.overridden_by(env).resolve(Path::new("/d"), true).unwrap();
        assert!(settings.enabled);
        assert_eq!(settings.token.service, "t");
        assert_eq!(settings.token.scheme, "https");
        assert_eq!(settings.token_key, PathBuf::from("/d/token-signing-key.pem"));
        assert!(toml::from_str::<AuthConfig>("colour = 1").is_err());
        let bad_realm = AuthConfig {
            realm: Some("ftp://x".into()),
            ..AuthConfig::default()
        };
        assert!(
            bad_realm
                .resolve(Path::new("/d"), false)
                .unwrap_err()
                .to_string()
                .contains("realm")
        );
        let bad_env = AuthConfig::from_env(|k| (k == "DRYDOCK_REGISTRY_AUTH_ENABLED").then(|| "maybe".into()));
        assert!(bad_env.unwrap_err().to_string().contains("maybe"));
        assert!(!AuthConfig::default().resolve(Path::new("/d"), false).unwrap().enabled);
    }
}
