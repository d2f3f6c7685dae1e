//! `drydock serve` settings: a TOML file, then `DRYDOCK_REGISTRY_*` environment variables,
//! then flags, each overriding the one before.
//!
//! ```toml
//! listen = "0.0.0.0:5000"
//! data = "/var/lib/drydock"            # SQLite metadata and blobs live here by default
//! database_url = "postgres://registry@db/registry"   # optional: PostgreSQL metadata
//! tls_cert = "/etc/drydock/cert.pem"
//! tls_key = "/etc/drydock/key.pem"
//! max_blob_size = 68719476736
//!
//! [s3]                                 # optional: blobs in an S3-compatible store
//! endpoint = "https://s3.example.net"
//! bucket = "registry"
//! access_key_id = "GK..."
//! secret_access_key_file = "/etc/drydock/s3-secret"   # or DRYDOCK_REGISTRY_S3_SECRET_ACCESS_KEY
//! ```

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// One layer of settings; unset fields leave the layer below in force.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub listen: Option<String>,
    pub data: Option<PathBuf>,
    pub database_url: Option<String>,
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    pub max_blob_size: Option<u64>,
    #[serde(default)]
    pub s3: crate::s3::S3Config,
    /// Token authentication, the audit trail's key and the first administrator.
    #[serde(default)]
    pub auth: crate::auth::setup::AuthConfig,
}

impl Config {
    /// Reads a TOML configuration file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("reading configuration {}", path.display()), e))?;
        toml::from_str(&text)
            .map_err(|e| Error::Config(format!("{}: {}", path.display(), describe_toml_error(&text, &e))))
    }

    /// Reads `DRYDOCK_REGISTRY_LISTEN`, `_DATA`, `_DATABASE_URL`, `_TLS_CERT`, `_TLS_KEY` and
    /// `_MAX_BLOB_SIZE` through `var` (the process environment in production).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |key: &str| var(&format!("DRYDOCK_REGISTRY_{key}")).filter(|v| !v.is_empty());
        let max_blob_size = get("MAX_BLOB_SIZE")
            .map(|v| {
                v.parse::<u64>()
                    .map_err(|_| Error::Config(format!("DRYDOCK_REGISTRY_MAX_BLOB_SIZE `{v}` is not a byte count")))
            })
            .transpose()?;
        Ok(Config {
            listen: get("LISTEN"),
            data: get("DATA").map(PathBuf::from),
            database_url: get("DATABASE_URL"),
            tls_cert: get("TLS_CERT").map(PathBuf::from),
            tls_key: get("TLS_KEY").map(PathBuf::from),
            max_blob_size,
            s3: crate::s3::S3Config::from_env(&var)?,
            auth: crate::auth::setup::AuthConfig::from_env(&var)?,
        })
    }

    /// This layer with `over`'s set fields on top.
    pub fn overridden_by(self, over: Config) -> Config {
        Config {
            listen: over.listen.or(self.listen),
            data: over.data.or(self.data),
            database_url: over.database_url.or(self.database_url),
            tls_cert: over.tls_cert.or(self.tls_cert),
            tls_key: over.tls_key.or(self.tls_key),
            max_blob_size: over.max_blob_size.or(self.max_blob_size),
            s3: self.s3.overridden_by(over.s3),
            auth: self.auth.overridden_by(over.auth),
        }
    }

    /// Final settings, with `default_data` as the data directory when none is set.
    pub fn resolve(self, default_data: PathBuf) -> Result<Settings> {
        let listen_text = self.listen.unwrap_or_else(|| "127.0.0.1:5000".to_string());
        let listen = listen_text.parse::<SocketAddr>().map_err(|_| {
            Error::Config(format!(
                "listen address `{listen_text}` is not HOST:PORT (an IP address and a port)"
            ))
        })?;
        let tls = match (self.tls_cert, self.tls_key) {
            (Some(cert), Some(key)) => Some((cert, key)),
            (None, None) => None,
            _ => {
                return Err(Error::Config(
                    "TLS needs both a certificate (tls_cert) and a key (tls_key)".into(),
                ));
            }
        };
        let data = self.data.unwrap_or(default_data);
        let database_url = match self.database_url {
            Some(url) => url,
            None => format!("sqlite://{}?mode=rwc", data.join("metadata.db").display()),
        };
        let mut limits = crate::Limits::default();
        if let Some(max) = self.max_blob_size {
            limits.max_blob_size = max;
        }
        let s3 = if self.s3.is_set() {
            Some(self.s3.resolve()?)
        } else {
            None
        };
        let auth = self.auth.resolve(&data, tls.is_some())?;
        Ok(Settings {
            s3,
            auth,
            listen,
            blob_dir: data.join("blobs"),
            data,
            database_url,
            tls,
            limits,
        })
    }
}

/// Resolved settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub listen: SocketAddr,
    pub data: PathBuf,
    pub blob_dir: PathBuf,
    pub database_url: String,
    /// Certificate chain and private key, PEM files.
    pub tls: Option<(PathBuf, PathBuf)>,
    pub limits: crate::Limits,
    /// Blobs in this S3 bucket instead of `blob_dir`.
    pub s3: Option<crate::s3::S3Settings>,
    pub auth: crate::auth::setup::AuthSettings,
}

impl Settings {
    /// The database URL with any password replaced, for logs.
    pub fn database_for_log(&self) -> String {
        redact_password(&self.database_url)
    }

    /// Where blobs live, for logs.
    pub fn blobs_for_log(&self) -> String {
        match &self.s3 {
            Some(s3) => s3.describe(),
            None => self.blob_dir.display().to_string(),
        }
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_string(),
    }
}

/// A TOML error as "line L, column C: message", without the snippet of the file `toml`
/// would quote: the offending line may hold a database password or another secret.
fn describe_toml_error(text: &str, error: &toml::de::Error) -> String {
    match error.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {}", error.message())
        }
        None => error.message().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_environment_override_file() {
        let file: Config = toml::from_str("listen = \"127.0.0.1:1\"\ndata = \"/f\"\nmax_blob_size = 5").unwrap();
        let env = Config::from_env(|k| (k == "DRYDOCK_REGISTRY_LISTEN").then(|| "127.0.0.1:2".into())).unwrap();
        let flags = Config {
            data: Some("/flag".into()),
            ..Config::default()
        };
        let settings = file
            .overridden_by(env)
            .overridden_by(flags)
            .resolve("/default".into())
            .unwrap();
        assert_eq!(settings.listen.port(), 2);
        assert_eq!(settings.data, PathBuf::from("/flag"));
        assert_eq!(settings.limits.max_blob_size, 5);
        assert_eq!(settings.database_url, "sqlite:///flag/metadata.db?mode=rwc");
    }

    #[test]
    fn bad_settings_are_named() {
        assert!(toml::from_str::<Config>("colour = 1").is_err());
        let half_tls = Config {
            tls_cert: Some("c".into()),
            ..Config::default()
        };
        assert!(
            half_tls
                .resolve("/d".into())
                .unwrap_err()
                .to_string()
                .contains("tls_key")
        );
        let bad_listen = Config {
            listen: Some("nowhere".into()),
            ..Config::default()
        };
        assert!(
            bad_listen
                .resolve("/d".into())
                .unwrap_err()
                .to_string()
                .contains("nowhere")
        );
    }

    #[test]
    fn passwords_are_not_logged() {
        assert_eq!(redact_password("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact_password("sqlite:///x"), "sqlite:///x");
    }

    #[test]
    fn a_bad_configuration_file_is_described_without_quoting_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("registry.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:5000\"\n\ndatabase_url = \"postgres://u:hunter2@db/r\" ,\n",
        )
        .unwrap();
        let message = Config::from_file(&path).unwrap_err().to_string();
        assert!(message.contains("registry.toml: line 3"), "{message}");
        assert!(!message.contains("hunter2"), "the file's text is quoted: {message}");
    }
}
