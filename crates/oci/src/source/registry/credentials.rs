//! Where registry credentials come from, in the order users expect from the Docker CLI.
//!
//! Precedence: credentials passed explicitly (`--username/--password-stdin`), then the
//! environment (`DRYDOCK_REGISTRY_USERNAME` + `DRYDOCK_REGISTRY_PASSWORD`), then the Docker
//! config file: a `credHelpers` entry for the registry, then the `credsStore`, then the
//! `auths` entry (`auth` as base64 `user:password`, or `username`/`password` fields).
//! Credential helpers are the `docker-credential-<name>` programs: `get` with the server URL
//! on stdin, JSON `{"Username", "Secret"}` on stdout.
//!
//! Secrets never reach an error message, a log line or a `Debug` output.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde::Deserialize;

use crate::error::{OciError, Result};
use crate::reference::DOCKER_HUB;

/// Environment variable holding the user name for every registry.
pub const USERNAME_ENV: &str = "DRYDOCK_REGISTRY_USERNAME";
/// Environment variable holding the password or token for every registry.
pub const PASSWORD_ENV: &str = "DRYDOCK_REGISTRY_PASSWORD";

/// The key Docker Hub credentials are stored under in `~/.docker/config.json`.
const DOCKER_HUB_CONFIG_KEY: &str = "https://index.docker.io/v1/";
/// Names Docker Hub goes by in config keys.
const DOCKER_HUB_ALIASES: [&str; 3] = [DOCKER_HUB, "index.docker.io", "registry-1.docker.io"];
/// What Docker's credential helpers print when they have nothing for a server.
const HELPER_NOT_FOUND: &str = "credentials not found";
/// A helper that has not answered by then is stuck (waiting for a prompt nobody sees).
const HELPER_TIMEOUT: Duration = Duration::from_secs(60);
/// More output than this from a helper is not a credential.
const HELPER_OUTPUT_LIMIT: u64 = 1024 * 1024;

/// A user name and password (or token) for a registry. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl Credentials {
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Credentials {
            username: username.into(),
            password: password.into(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Credentials together with where they were found, for error messages.
#[derive(Clone, Debug)]
pub(crate) struct FoundCredentials {
    pub credentials: Credentials,
    /// How they were found, to follow "credentials": `"given explicitly"`,
    /// `"from docker-credential-pass"`, ...
    pub origin: String,
}

/// Everything that decides which credentials apply to one registry.
#[derive(Clone, Debug)]
pub(crate) struct CredentialLookup<'a> {
    /// The registry as named in the reference: `docker.io`, `127.0.0.1:5000`.
    pub registry: &'a str,
    pub explicit: Option<&'a Credentials>,
    /// The Docker config file; `None` means the default location.
    pub docker_config: Option<&'a Path>,
    /// Where `docker-credential-*` programs are looked up; `None` means `PATH`.
    pub helper_dir: Option<&'a Path>,
}

impl CredentialLookup<'_> {
    /// Finds the credentials for the registry, or `None` to stay anonymous.
    pub fn find(&self) -> Result<Option<FoundCredentials>> {
        if let Some(explicit) = self.explicit {
            return Ok(Some(FoundCredentials {
                credentials: explicit.clone(),
                origin: "given explicitly".to_string(),
            }));
        }
        if let Some(credentials) = credentials_from_env(|name| std::env::var(name).ok())? {
            return Ok(Some(FoundCredentials {
                credentials,
                origin: format!("from the environment ({USERNAME_ENV})"),
            }));
        }
        let Some(path) = self.config_path() else {
            return Ok(None);
        };
        let Some(config) = DockerConfig::load(&path)? else {
            return Ok(None);
        };
        config.credentials_for(self.registry, &path, self.helper_dir)
    }

    /// The config file to read: the override, `$DOCKER_CONFIG/config.json`, or
    /// `$HOME/.docker/config.json`.
    pub fn config_path(&self) -> Option<PathBuf> {
        if let Some(path) = self.docker_config {
            return Some(path.to_path_buf());
        }
        if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
            return Some(PathBuf::from(dir).join("config.json"));
        }
        std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|home| PathBuf::from(home).join(".docker").join("config.json"))
    }

    /// Where credentials were looked for, for the error when none were found.
    pub fn places_searched(&self) -> String {
        let config = self
            .config_path()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "no Docker config (HOME is not set)".to_string());
        format!("explicit credentials, {USERNAME_ENV}/{PASSWORD_ENV}, {config}")
    }
}

/// The credentials drydock uses for `registry` when none are given: the environment, then
/// the Docker config (credential helpers, `credsStore`, `auths`). `None`: anonymous.
pub fn stored_credentials(registry: &str) -> Result<Option<Credentials>> {
    let lookup = CredentialLookup {
        registry,
        explicit: None,
        docker_config: None,
        helper_dir: None,
    };
    Ok(lookup.find()?.map(|found| found.credentials))
}

/// Credentials from the two environment variables; one without the other is an error.
fn credentials_from_env(var: impl Fn(&str) -> Option<String>) -> Result<Option<Credentials>> {
    let username = var(USERNAME_ENV).filter(|v| !v.is_empty());
    let password = var(PASSWORD_ENV).filter(|v| !v.is_empty());
    match (username, password) {
        (Some(username), Some(password)) => Ok(Some(Credentials { username, password })),
        (None, None) => Ok(None),
        (Some(_), None) => Err(OciError::invalid(
            "registry credentials from the environment",
            format!("{USERNAME_ENV} is set but {PASSWORD_ENV} is not"),
        )),
        (None, Some(_)) => Err(OciError::invalid(
            "registry credentials from the environment",
            format!("{PASSWORD_ENV} is set but {USERNAME_ENV} is not"),
        )),
    }
}

/// The parts of `~/.docker/config.json` that hold credentials.
#[derive(Debug, Default, Deserialize)]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: BTreeMap<String, String>,
}

#[derive(Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
}

impl fmt::Debug for AuthEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthEntry")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl DockerConfig {
    /// Reads the config; a missing file is no config, a malformed one is an error.
    fn load(path: &Path) -> Result<Option<DockerConfig>> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(OciError::io(format!("reading Docker config {}", path.display()), e));
            }
        };
        Self::parse(&bytes, path).map(Some)
    }

    fn parse(bytes: &[u8], path: &Path) -> Result<DockerConfig> {
        // serde_json's message names a line and column, never the value it choked on.
        serde_json::from_slice(bytes).map_err(|e| OciError::invalid(format!("Docker config {}", path.display()), e))
    }

    fn credentials_for(
        &self,
        registry: &str,
        path: &Path,
        helper_dir: Option<&Path>,
    ) -> Result<Option<FoundCredentials>> {
        let server_url = helper_server_url(registry);
        if let Some(helper) = find_by_registry(&self.cred_helpers, registry) {
            return CredentialHelper::new(helper, registry, path, helper_dir)?.get(&server_url);
        }
        if let Some(store) = self.creds_store.as_deref().filter(|s| !s.is_empty()) {
            let found = CredentialHelper::new(store, registry, path, helper_dir)?.get(&server_url)?;
            if found.is_some() {
                return Ok(found);
            }
        }
        match find_by_registry(&self.auths, registry) {
            Some(entry) => entry.credentials(registry, path),
            None => Ok(None),
        }
    }
}

impl AuthEntry {
    fn credentials(&self, registry: &str, path: &Path) -> Result<Option<FoundCredentials>> {
        let origin = format!("from Docker config {}", path.display());
        if let Some(encoded) = self.auth.as_deref().filter(|a| !a.is_empty()) {
            let credentials = decode_basic_auth(encoded).ok_or_else(|| {
                OciError::invalid(
                    format!("Docker config {}", path.display()),
                    format!("the `auth` of `auths` entry for {registry} is not base64 of `user:password`"),
                )
            })?;
            return Ok(Some(FoundCredentials { credentials, origin }));
        }
        match (&self.username, &self.password) {
            (Some(username), Some(password)) if !username.is_empty() => Ok(Some(FoundCredentials {
                credentials: Credentials::new(username, password),
                origin,
            })),
            _ => Ok(None),
        }
    }
}

/// Decodes `base64(user:password)` as Docker stores it, with or without padding.
fn decode_basic_auth(encoded: &str) -> Option<Credentials> {
    let encoded = encoded.trim();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(encoded))
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (username, password) = text.split_once(':')?;
    if username.is_empty() {
        return None;
    }
    Some(Credentials::new(username, password))
}

/// The entry for a registry in a map keyed the way Docker keys them: a bare host
/// (`ghcr.io`), a URL (`https://ghcr.io/v2/`), and for Docker Hub its several names.
/// An exact key wins over one that only matches after normalizing.
fn find_by_registry<'m, V>(map: &'m BTreeMap<String, V>, registry: &str) -> Option<&'m V> {
    let is_hub = registry == DOCKER_HUB;
    if is_hub && let Some(value) = map.get(DOCKER_HUB_CONFIG_KEY) {
        return Some(value);
    }
    if let Some(value) = map.get(registry) {
        return Some(value);
    }
    map.iter().find_map(|(key, value)| {
        let host = config_key_host(key);
        let matches = host.eq_ignore_ascii_case(registry)
            || (is_hub && DOCKER_HUB_ALIASES.iter().any(|alias| host.eq_ignore_ascii_case(alias)));
        matches.then_some(value)
    })
}

/// `https://host:port/v1/` → `host:port`.
fn config_key_host(key: &str) -> &str {
    let without_scheme = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    without_scheme.split('/').next().unwrap_or(without_scheme)
}

/// What a credential helper is asked for: Docker Hub's legacy URL, else the host.
fn helper_server_url(registry: &str) -> String {
    if registry == DOCKER_HUB {
        DOCKER_HUB_CONFIG_KEY.to_string()
    } else {
        registry.to_string()
    }
}

/// One `docker-credential-<name>` program.
struct CredentialHelper<'a> {
    program: PathBuf,
    display_name: String,
    registry: &'a str,
    config_path: &'a Path,
}

#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(rename = "Username", default)]
    username: String,
    #[serde(rename = "Secret", default)]
    secret: String,
}

/// What became of one run of a helper.
struct HelperRun {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl<'a> CredentialHelper<'a> {
    fn new(name: &str, registry: &'a str, config_path: &'a Path, helper_dir: Option<&Path>) -> Result<Self> {
        let display_name = format!("docker-credential-{name}");
        // The name comes from a config file and is joined to a directory: keep it a file name.
        let plain = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && name != "."
            && name != "..";
        if !plain {
            return Err(OciError::invalid(
                format!("Docker config {}", config_path.display()),
                format!("credential helper name `{name}` must be letters, digits, `-`, `_` or `.`"),
            ));
        }
        let program = match helper_dir {
            Some(dir) => dir.join(&display_name),
            None => PathBuf::from(&display_name),
        };
        Ok(CredentialHelper {
            program,
            display_name,
            registry,
            config_path,
        })
    }

    /// Asks the helper for the server's credentials; "not found" is `None`.
    fn get(&self, server_url: &str) -> Result<Option<FoundCredentials>> {
        tracing::debug!(helper = %self.display_name, server = server_url, "asking credential helper");
        let run = self.run(server_url)?;
        if !run.status.success() {
            if String::from_utf8_lossy(&run.stdout).contains(HELPER_NOT_FOUND) {
                return Ok(None);
            }
            // stderr only: stdout is where a helper writes secrets.
            return Err(self.error(format!(
                "`{} get` failed ({}){}",
                self.display_name,
                run.status,
                first_line(&run.stderr).map(|l| format!(": {l}")).unwrap_or_default()
            )));
        }
        let answer: HelperAnswer = serde_json::from_slice(&run.stdout).map_err(|_| {
            self.error(format!(
                "`{} get` did not print JSON with `Username` and `Secret`",
                self.display_name
            ))
        })?;
        if answer.username == "<token>" {
            return Err(self.error(format!(
                "`{}` returned an identity token (OAuth login), which drydock does not support; \
                 log in with a user name and password or access token instead",
                self.display_name
            )));
        }
        if answer.username.is_empty() && answer.secret.is_empty() {
            return Ok(None);
        }
        Ok(Some(FoundCredentials {
            credentials: Credentials::new(answer.username, answer.secret),
            origin: format!("from {}", self.display_name),
        }))
    }

    fn run(&self, server_url: &str) -> Result<HelperRun> {
        let mut child = self.spawn()?;
        if let Some(mut stdin) = child.stdin.take() {
            // A helper that exits without reading its input makes this fail; its exit
            // status tells the real story.
            let _ = stdin.write_all(server_url.as_bytes());
        }
        let stdout = child.stdout.take().map(read_capped_in_thread);
        let stderr = child.stderr.take().map(read_capped_in_thread);
        let status = self.wait(&mut child)?;
        let collect =
            |handle: Option<std::thread::JoinHandle<Vec<u8>>>| handle.and_then(|h| h.join().ok()).unwrap_or_default();
        Ok(HelperRun {
            status,
            stdout: collect(stdout),
            stderr: collect(stderr),
        })
    }

    fn spawn(&self) -> Result<Child> {
        let mut attempts = 0;
        loop {
            let spawned = Command::new(&self.program)
                .arg("get")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn();
            match spawned {
                Ok(child) => return Ok(child),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    let place = if self.program.is_absolute() {
                        format!("at {}", self.program.display())
                    } else {
                        "on PATH".to_string()
                    };
                    return Err(self.error(format!(
                        "`{}` was not found {place}; install it or remove it from the config",
                        self.display_name
                    )));
                }
                // ETXTBSY: the helper was just written and another thread's fork still holds
                // it open for writing. It clears in microseconds.
                Err(e) if e.raw_os_error() == Some(26) && attempts < 20 => {
                    attempts += 1;
                    std::thread::sleep(Duration::from_millis(10));
                }
                Err(e) => {
                    return Err(self.error(format!("could not run `{}`: {e}", self.display_name)));
                }
            }
        }
    }

    fn wait(&self, child: &mut Child) -> Result<ExitStatus> {
        let started = Instant::now();
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Ok(status),
                Ok(None) if started.elapsed() < HELPER_TIMEOUT => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(self.error(format!(
                        "`{} get` did not answer within {} s",
                        self.display_name,
                        HELPER_TIMEOUT.as_secs()
                    )));
                }
                Err(e) => {
                    return Err(self.error(format!("waiting for `{}`: {e}", self.display_name)));
                }
            }
        }
    }

    fn error(&self, reason: String) -> OciError {
        OciError::Auth {
            registry: self.registry.to_string(),
            reason: format!(
                "credential helper {} (configured in {}): {reason}",
                self.display_name,
                self.config_path.display()
            ),
        }
    }
}

fn read_capped_in_thread(pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.take(HELPER_OUTPUT_LIMIT).read_to_end(&mut bytes);
        bytes
    })
}

/// The first non-empty line, shortened and stripped of control characters.
fn first_line(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    Some(line.chars().filter(|c| !c.is_control()).take(200).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> DockerConfig {
        DockerConfig::parse(json.as_bytes(), Path::new("config.json")).unwrap()
    }

    fn found(config: &DockerConfig, registry: &str) -> Option<Credentials> {
        config
            .credentials_for(registry, Path::new("config.json"), None)
            .unwrap()
            .map(|f| f.credentials)
    }

    #[test]
    fn debug_hides_the_password() {
        let shown = format!("{:?}", Credentials::new("alice", "hunter2"));
        assert!(shown.contains("alice"));
        assert!(!shown.contains("hunter2"));
    }

    #[test]
    fn env_needs_both_variables() {
        let both = |name: &str| Some(format!("{name}-value"));
        let creds = credentials_from_env(both).unwrap().unwrap();
        assert_eq!(creds.username, format!("{USERNAME_ENV}-value"));
        assert_eq!(credentials_from_env(|_| None).unwrap(), None);
        let only_user = |name: &str| (name == USERNAME_ENV).then(|| "u".to_string());
        let error = credentials_from_env(only_user).unwrap_err().to_string();
        assert!(error.contains(PASSWORD_ENV), "{error}");
    }

    #[test]
    fn auths_base64_and_plain_fields() {
        let config = config(
            r#"{"auths": {
                "127.0.0.1:5000": {"auth": "YWxpY2U6czNjcjN0"},
                "https://ghcr.io": {"username": "bob", "password": "pw"},
                "https://index.docker.io/v1/": {"auth": "aHViOmh1YnB3"}
            }}"#,
        );
        assert_eq!(
            found(&config, "127.0.0.1:5000"),
            Some(Credentials::new("alice", "s3cr3t"))
        );
        assert_eq!(found(&config, "ghcr.io"), Some(Credentials::new("bob", "pw")));
        assert_eq!(found(&config, "docker.io"), Some(Credentials::new("hub", "hubpw")));
        assert_eq!(found(&config, "quay.io"), None);
    }

    #[test]
    fn docker_hub_aliases_match() {
        let config = config(r#"{"auths": {"registry-1.docker.io": {"auth": "aHViOmh1YnB3"}}}"#);
        assert_eq!(found(&config, "docker.io"), Some(Credentials::new("hub", "hubpw")));
    }

    #[test]
    fn bad_auth_field_is_an_error_without_the_value() {
        let config = config(r#"{"auths": {"r.example": {"auth": "bm9jb2xvbg=="}}}"#);
        let error = config
            .credentials_for("r.example", Path::new("config.json"), None)
            .unwrap_err()
            .to_string();
        assert!(error.contains("r.example") && !error.contains("bm9jb2xvbg"), "{error}");
    }

    #[test]
    fn unpadded_base64_is_accepted() {
        assert_eq!(decode_basic_auth("YTpi"), Some(Credentials::new("a", "b")));
        assert_eq!(decode_basic_auth("YTpiYw"), Some(Credentials::new("a", "bc")));
        assert_eq!(decode_basic_auth("!!!"), None);
    }

    #[test]
    fn helper_names_cannot_leave_the_helper_directory() {
        let path = Path::new("config.json");
        assert!(CredentialHelper::new("../evil", "r", path, None).is_err());
        assert!(CredentialHelper::new("", "r", path, None).is_err());
        assert!(CredentialHelper::new("ecr-login", "r", path, None).is_ok());
    }

    #[test]
    fn missing_helper_is_a_clear_error() {
        let config = config(r#"{"credHelpers": {"r.example": "surely-not-installed-xyz"}}"#);
        let error = config
            .credentials_for("r.example", Path::new("config.json"), Some(Path::new("/nonexistent")))
            .unwrap_err()
            .to_string();
        assert!(error.contains("docker-credential-surely-not-installed-xyz"), "{error}");
        assert!(error.contains("not found"), "{error}");
    }

    #[test]
    fn malformed_config_names_the_file() {
        let error = DockerConfig::parse(b"{not json", Path::new("/home/x/.docker/config.json"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("/home/x/.docker/config.json"), "{error}");
    }

    #[test]
    fn config_key_hosts() {
        assert_eq!(config_key_host("https://index.docker.io/v1/"), "index.docker.io");
        assert_eq!(config_key_host("localhost:5000"), "localhost:5000");
        assert_eq!(config_key_host("http://10.0.0.1:5000/v2/"), "10.0.0.1:5000");
    }
}
