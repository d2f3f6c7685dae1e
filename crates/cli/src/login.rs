//! `drydock login REGISTRY` and `drydock logout REGISTRY`: credentials stored the way Docker
//! clients store them, so `docker`, `skopeo` and drydock's own registry client find them.
//!
//! The file is `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. When the config
//! names a credential helper for the registry (`credHelpers`) or a `credsStore`, and that
//! `docker-credential-<name>` program is installed, the credentials go to it (`store` /
//! `erase`); otherwise they go in `auths` as base64 `user:password`, and login says so when a
//! helper was named but is missing. Other keys of the file are kept; it is rewritten
//! atomically with owner-only permissions. Login first checks the credentials against the
//! registry (its token endpoint or basic authentication) and stores nothing when refused.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use base64::Engine as _;
use clap::Args;
use serde_json::{Value, json};

use crate::registry_admin::{base_url, config_key, percent_encode, read_secret_line};

/// How long a credential helper may take.
const HELPER_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Args, Debug)]
pub struct LoginArgs {
    /// The registry: HOST[:PORT].
    pub registry: String,
    /// Account name (or DRYDOCK_REGISTRY_USERNAME).
    #[arg(long, short = 'u')]
    pub username: Option<String>,
    /// Read the password or token from standard input (or DRYDOCK_REGISTRY_PASSWORD).
    #[arg(long)]
    pub password_stdin: bool,
    /// Allow plain HTTP (always used for localhost and 127.0.0.0/8).
    #[arg(long)]
    pub insecure: bool,
}

#[derive(Args, Debug)]
pub struct LogoutArgs {
    /// The registry: HOST[:PORT].
    pub registry: String,
}

pub fn login(args: &LoginArgs) -> anyhow::Result<ExitCode> {
    let key = config_key(&args.registry).to_string();
    let username = match &args.username {
        Some(name) => name.clone(),
        None => std::env::var("DRYDOCK_REGISTRY_USERNAME")
            .ok()
            .filter(|v| !v.is_empty())
            .context("give --username (or DRYDOCK_REGISTRY_USERNAME)")?,
    };
    if username.contains(':') || username.is_empty() {
        bail!("the user name must not be empty or contain `:`");
    }
    let password = if args.password_stdin {
        read_secret_line("the password")?
    } else {
        std::env::var("DRYDOCK_REGISTRY_PASSWORD")
            .ok()
            .filter(|v| !v.is_empty())
            .context("give the password with --password-stdin (or DRYDOCK_REGISTRY_PASSWORD); it is never taken as an argument")?
    };
    let base = base_url(&args.registry, args.insecure)?;
    check_credentials(&base, &username, &password)?;
    let path = config_path()?;
    let stored = store(&path, &key, &username, &password)?;
    eprintln!("Login succeeded: {username} at {key}, {stored}");
    Ok(ExitCode::SUCCESS)
}

pub fn logout(args: &LogoutArgs) -> anyhow::Result<ExitCode> {
    let key = config_key(&args.registry).to_string();
    let path = config_path()?;
    let mut config = load(&path)?;
    let mut removed = false;
    if let Some(helper) = helper_for(&config, &key).filter(|h| helper_installed(h)) {
        removed |= run_helper(&helper, "erase", key.as_bytes()).is_ok();
    }
    if let Some(auths) = config.get_mut("auths").and_then(Value::as_object_mut)
        && auths.remove(&key).is_some()
    {
        removed = true;
        save(&path, &config)?;
    }
    if removed {
        eprintln!("Removed the credentials for {key}");
    } else {
        eprintln!("Not logged in to {key}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Asks the registry whether the credentials are good: through its token endpoint when it
/// answers `/v2/` with a Bearer challenge, else with basic authentication.
fn check_credentials(base: &str, username: &str, password: &str) -> anyhow::Result<()> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"))
    );
    let probe = format!("{base}/v2/");
    let response = agent.get(&probe).call().with_context(|| format!("reaching {probe}"))?;
    if response.status() == 200 {
        return Ok(());
    }
    if response.status() != 401 {
        bail!("{probe} answered {}: is this a registry?", response.status());
    }
    let challenge = response
        .headers()
        .get("www-authenticate")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let (url, what) = match bearer_challenge(&challenge) {
        Some((realm, service)) => {
            if base.starts_with("https://") && !realm.starts_with("https://") {
                bail!("the registry's token realm {realm} is not HTTPS: refusing to send credentials there");
            }
            let separator = if realm.contains('?') { '&' } else { '?' };
            let url = format!(
                "{realm}{separator}service={}&account={}",
                percent_encode(&service),
                percent_encode(username)
            );
            (url, "the token endpoint")
        }
        None => (probe.clone(), "the registry"),
    };
    let answer = agent
        .get(&url)
        .header("Authorization", &basic)
        .call()
        .with_context(|| format!("asking {what} at {url}"))?;
    match answer.status().as_u16() {
        200 => Ok(()),
        401 | 403 => {
            bail!("login refused by {what}: invalid username or password (or the account is locked or disabled)")
        }
        status => bail!("{what} at {url} answered {status}"),
    }
}

/// `Bearer realm="…",service="…"` → (realm, service).
fn bearer_challenge(header: &str) -> Option<(String, String)> {
    let (scheme, params) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut realm = None;
    let mut service = String::new();
    for part in params.split(',') {
        let Some((name, value)) = part.trim().split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('"').to_string();
        match name.trim() {
            "realm" => realm = Some(value),
            "service" => service = value,
            _ => {}
        }
    }
    let realm = realm.filter(|r| r.starts_with("http://") || r.starts_with("https://"))?;
    Some((realm, service))
}

fn config_path() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("config.json"));
    }
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .context("neither DOCKER_CONFIG nor HOME is set: nowhere to store credentials")?;
    Ok(PathBuf::from(home).join(".docker").join("config.json"))
}

fn load(path: &Path) -> anyhow::Result<Value> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let value: Value = serde_json::from_slice(&bytes)
                .with_context(|| format!("Docker config {} is not valid JSON", path.display()))?;
            if !value.is_object() {
                bail!("Docker config {} is not a JSON object", path.display());
            }
            Ok(value)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(json!({})),
        Err(e) => Err(e).with_context(|| format!("reading Docker config {}", path.display())),
    }
}

/// Writes the config beside itself and renames it into place, owner-only.
fn save(path: &Path, config: &Value) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _};
    let dir = path.parent().context("the Docker config path has no directory")?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))?;
    let temporary = dir.join(format!(".config.json.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)?;
        file.write_all(serde_json::to_string_pretty(config)?.as_bytes())?;
        file.write_all(b"\n")?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        anyhow::Error::new(e).context(format!("writing Docker config {}", path.display()))
    })
}

/// Stores the credentials; says where.
fn store(path: &Path, key: &str, username: &str, password: &str) -> anyhow::Result<String> {
    let mut config = load(path)?;
    let mut note = String::new();
    if let Some(helper) = helper_for(&config, key) {
        if helper_installed(&helper) {
            let request = json!({"ServerURL": key, "Username": username, "Secret": password});
            run_helper(&helper, "store", request.to_string().as_bytes())
                .with_context(|| format!("storing the credentials with docker-credential-{helper}"))?;
            return Ok(format!("stored with docker-credential-{helper}"));
        }
        note = format!(
            " (the config names credential helper `{helper}`, which is not installed: the credentials are in `auths` \
             instead, which Docker clients read only after asking that helper)"
        );
    }
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    let object = config
        .as_object_mut()
        .context("the Docker config is not a JSON object")?;
    let auths = object.entry("auths").or_insert_with(|| json!({}));
    let Some(auths) = auths.as_object_mut() else {
        bail!("`auths` in Docker config {} is not an object", path.display());
    };
    auths.insert(key.to_string(), json!({ "auth": encoded }));
    save(path, &config)?;
    Ok(format!("stored in {}{note}", path.display()))
}

/// The helper for `key`: its `credHelpers` entry, else `credsStore`.
fn helper_for(config: &Value, key: &str) -> Option<String> {
    let named = |value: Option<&Value>| {
        value
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    named(config.get("credHelpers").and_then(|helpers| helpers.get(key))).or_else(|| named(config.get("credsStore")))
}

fn helper_program(helper: &str) -> String {
    format!("docker-credential-{helper}")
}

fn helper_installed(helper: &str) -> bool {
    if helper.contains(['/', '\\']) {
        return false;
    }
    let program = helper_program(helper);
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(&program).is_file()))
        .unwrap_or(false)
}

/// Runs `docker-credential-<helper> <verb>` with `input` on stdin, killed after the timeout.
fn run_helper(helper: &str, verb: &str, input: &[u8]) -> anyhow::Result<()> {
    let program = helper_program(helper);
    let mut child = Command::new(&program)
        .arg(verb)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running {program}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(input)
            .with_context(|| format!("writing to {program}"))?;
    }
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            if status.success() {
                return Ok(());
            }
            bail!("{program} {verb} failed ({status})");
        }
        if started.elapsed() > HELPER_TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            bail!("{program} {verb} did not finish within {} s", HELPER_TIMEOUT.as_secs());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges_parse() {
        let parsed = bearer_challenge(r#"Bearer realm="http://r:5000/auth/token",service="drydock-registry""#);
        assert_eq!(
            parsed,
            Some(("http://r:5000/auth/token".into(), "drydock-registry".into()))
        );
        assert_eq!(bearer_challenge(r#"Basic realm="x""#), None);
        assert_eq!(bearer_challenge(r#"Bearer realm="file:///etc/passwd""#), None);
    }

    #[test]
    fn auths_are_written_beside_other_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("config.json");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, r#"{"auths":{"other:1":{"auth":"eDp5"}},"psFormat":"x"}"#).unwrap();
        store(&path, "127.0.0.1:5000", "alice", "pass:word").unwrap();
        let config = load(&path).unwrap();
        assert_eq!(config["psFormat"], "x");
        assert_eq!(config["auths"]["other:1"]["auth"], "eDp5");
        let encoded = config["auths"]["127.0.0.1:5000"]["auth"].as_str().unwrap();
        let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).unwrap();
        assert_eq!(decoded, b"alice:pass:word");
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::write(&path, "[]").unwrap();
        assert!(
            store(&path, "r", "a", "b")
                .unwrap_err()
                .to_string()
                .contains("not a JSON object")
        );
    }
}
