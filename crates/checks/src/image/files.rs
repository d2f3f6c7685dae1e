//! The files image checks read: account databases and credential files. One analyzer
//! reads them during the layer walk and records small facts (never the secrets they hold).

use std::io::Read;

use drydock_oci::engine::analyzer::{Analyzer, AnalyzerResult, EntryMeta, Interest};
use serde::{Deserialize, Serialize};

/// The analyzer's name; its outputs are [`FileFact`]s.
pub const FILES_ANALYZER: &str = "checks/files";

/// Account and credential files are small; anything larger is not one.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Private key file names of OpenSSH clients.
const SSH_KEY_NAMES: &[&str] = &[
    "id_rsa",
    "id_dsa",
    "id_ecdsa",
    "id_ed25519",
    "id_ecdsa_sk",
    "id_ed25519_sk",
];

/// What one file says that a check needs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FileFact {
    /// `/etc/passwd`.
    Passwd { accounts: Vec<Account> },
    /// `/etc/shadow`: the accounts whose password hash is empty.
    Shadow { empty_passwords: Vec<String> },
    /// A private key file (by name and content).
    PrivateKey { what: String },
    /// A file that holds credentials in a known format.
    Credential { what: String },
}

/// One line of `/etc/passwd`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub uid: u64,
    /// The password field is empty: no password is asked for.
    pub empty_password: bool,
}

/// Reads the account databases and credential files.
pub struct FilesAnalyzer;

impl Analyzer for FilesAnalyzer {
    fn name(&self) -> &'static str {
        FILES_ANALYZER
    }

    fn version(&self) -> u32 {
        1
    }

    fn interest(&self) -> Interest {
        let mut globs: Vec<String> = [
            "/etc/passwd",
            "/etc/shadow",
            "**/.aws/credentials",
            "**/.docker/config.json",
            "**/.kube/config",
            "/etc/ssh/ssh_host_*_key",
        ]
        .iter()
        .map(|g| g.to_string())
        .collect();
        globs.extend(SSH_KEY_NAMES.iter().map(|name| format!("**/.ssh/{name}")));
        Interest {
            globs,
            basenames: [".npmrc", ".pypirc", ".git-credentials", ".netrc", "_netrc", ".pgpass"]
                .iter()
                .map(|b| b.to_string())
                .collect(),
            max_size: Some(MAX_FILE_BYTES),
            ..Default::default()
        }
    }

    fn analyze(&self, entry: &EntryMeta<'_>, content: &mut dyn Read) -> AnalyzerResult {
        let mut bytes = Vec::new();
        content
            .take(MAX_FILE_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("reading: {e}"))?;
        let text = String::from_utf8_lossy(&bytes);
        let Some(fact) = fact_of(entry.path, &text) else {
            return Ok(None);
        };
        serde_json::to_value(fact)
            .map(Some)
            .map_err(|e| format!("encoding: {e}"))
    }
}

/// What the file at `path` with this text says, if anything.
pub fn fact_of(path: &str, text: &str) -> Option<FileFact> {
    let name = path.rsplit('/').next().unwrap_or(path);
    match (path, name) {
        ("/etc/passwd", _) => Some(FileFact::Passwd {
            accounts: parse_passwd(text),
        }),
        ("/etc/shadow", _) => Some(FileFact::Shadow {
            empty_passwords: shadow_empty_passwords(text),
        }),
        (_, name) if SSH_KEY_NAMES.contains(&name) || path.starts_with("/etc/ssh/ssh_host_") => private_key_kind(text)
            .map(|kind| FileFact::PrivateKey {
                what: format!("SSH {kind} private key"),
            }),
        _ => credential_kind(path, name, text).map(|what| FileFact::Credential { what: what.to_string() }),
    }
}

/// The accounts of a passwd file; lines that are not `name:pw:uid:...` are skipped.
pub fn parse_passwd(text: &str) -> Vec<Account> {
    text.lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .filter_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?.trim();
            let password = fields.next()?;
            let uid = fields.next()?.trim().parse().ok()?;
            // NIS compat entries (`+`, `-name`) are not local accounts.
            (!name.is_empty() && !name.starts_with(['+', '-'])).then(|| Account {
                name: name.to_string(),
                uid,
                empty_password: password.is_empty(),
            })
        })
        .collect()
}

/// Accounts of a shadow file whose hash field is empty (login without a password).
pub fn shadow_empty_passwords(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?.trim();
            let hash = fields.next()?;
            (!name.is_empty() && !name.starts_with(['#', '+', '-']) && hash.is_empty()).then(|| name.to_string())
        })
        .collect()
}

/// The key type of a PEM/OpenSSH private key file, `None` when it holds no private key.
fn private_key_kind(text: &str) -> Option<&'static str> {
    let header = text.lines().find(|l| l.starts_with("-----BEGIN "))?;
    [
        ("OPENSSH PRIVATE KEY", "OpenSSH"),
        ("RSA PRIVATE KEY", "RSA"),
        ("EC PRIVATE KEY", "EC"),
        ("DSA PRIVATE KEY", "DSA"),
        ("ENCRYPTED PRIVATE KEY", "encrypted PKCS#8"),
        ("PRIVATE KEY", "PKCS#8"),
    ]
    .iter()
    .find(|(label, _)| header.contains(label))
    .map(|(_, kind)| *kind)
}

/// Which kind of credential file this is, when it holds a credential.
fn credential_kind(path: &str, name: &str, text: &str) -> Option<&'static str> {
    let holds = match name {
        ".npmrc" => npmrc_has_token(text),
        ".pypirc" => key_has_value(text, "password"),
        ".git-credentials" => text.lines().any(url_has_password),
        ".netrc" | "_netrc" => netrc_has_password(text),
        ".pgpass" => text.lines().any(pgpass_has_password),
        "credentials" if path.ends_with("/.aws/credentials") => {
            key_has_value(text, "aws_secret_access_key") || key_has_value(text, "aws_session_token")
        }
        "config.json" if path.ends_with("/.docker/config.json") => docker_config_has_auth(text),
        "config" if path.ends_with("/.kube/config") => kubeconfig_has_credential(text),
        _ => return None,
    };
    holds.then_some(match name {
        ".npmrc" => "npm registry token (.npmrc)",
        ".pypirc" => "PyPI upload password (.pypirc)",
        ".git-credentials" => "Git credential store (.git-credentials)",
        ".netrc" | "_netrc" => "login and password for remote hosts (.netrc)",
        ".pgpass" => "PostgreSQL password file (.pgpass)",
        "credentials" => "AWS credentials file (.aws/credentials)",
        "config.json" => "registry credentials in a Docker config (.docker/config.json auths)",
        _ => "Kubernetes client credentials (.kube/config)",
    })
}

/// A value that is a reference to something else, not a credential (`${NPM_TOKEN}`).
fn is_reference(value: &str) -> bool {
    let value = value.trim().trim_matches(['"', '\'']);
    value.is_empty() || value.starts_with('$') || value.contains("${")
}

/// `key = value` or `key: value` (INI style) with a non-empty literal value.
fn key_has_value(text: &str, key: &str) -> bool {
    text.lines().any(|line| {
        line.trim()
            .split_once(['=', ':'])
            .is_some_and(|(k, v)| k.trim().eq_ignore_ascii_case(key) && !is_reference(v))
    })
}

fn npmrc_has_token(text: &str) -> bool {
    text.lines().any(|line| {
        line.split_once('=').is_some_and(|(key, value)| {
            let key = key.trim();
            ["_authToken", "_auth", "_password"]
                .iter()
                .any(|k| key == *k || key.ends_with(&format!(":{k}")))
                && !is_reference(value)
        })
    })
}

fn url_has_password(line: &str) -> bool {
    let Some((_, rest)) = line.trim().split_once("://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or_default();
    authority
        .rsplit_once('@')
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .is_some_and(|(user, password)| !user.is_empty() && !password.is_empty() && !is_reference(password))
}

fn netrc_has_password(text: &str) -> bool {
    let mut words = text.split_whitespace();
    while let Some(word) = words.next() {
        if word == "password" && words.next().is_some_and(|value| !is_reference(value)) {
            return true;
        }
    }
    false
}

/// `hostname:port:database:username:password` with a password.
fn pgpass_has_password(line: &str) -> bool {
    let line = line.trim();
    !line.starts_with('#')
        && line
            .splitn(5, ':')
            .nth(4)
            .is_some_and(|p| !p.is_empty() && !is_reference(p))
}

fn docker_config_has_auth(text: &str) -> bool {
    let Ok(config) = serde_json::from_str::<serde_json::Value>(text) else {
        return false;
    };
    let Some(auths) = config.get("auths").and_then(|a| a.as_object()) else {
        return false;
    };
    auths.values().any(|entry| {
        ["auth", "identitytoken", "password", "registrytoken"]
            .iter()
            .any(|field| entry.get(field).and_then(|v| v.as_str()).is_some_and(|v| !v.is_empty()))
    })
}

fn kubeconfig_has_credential(text: &str) -> bool {
    text.lines().any(|line| {
        line.trim().split_once(':').is_some_and(|(key, value)| {
            ["token", "client-key-data", "password"].contains(&key.trim().trim_start_matches("- "))
                && !is_reference(value)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credential(path: &str, text: &str) -> Option<String> {
        match fact_of(path, text) {
            Some(FileFact::Credential { what }) => Some(what),
            _ => None,
        }
    }

    #[test]
    fn passwd_accounts_and_empty_passwords() {
        let text = "root:x:0:0:root:/root:/bin/bash\n# comment\ntoor::0:0::/:/bin/sh\nbad line\n+::::::\nnobody:x:65534:65534::/:/usr/sbin/nologin\n";
        let accounts = parse_passwd(text);
        assert_eq!(accounts.len(), 3);
        assert_eq!(
            (accounts[1].name.as_str(), accounts[1].uid, accounts[1].empty_password),
            ("toor", 0, true)
        );
        assert!(!accounts[0].empty_password);
        let shadow = "root:*:19000:0:99999:7:::\nguest::19000:0:99999:7:::\nlocked:!:19000::::::\n";
        assert_eq!(shadow_empty_passwords(shadow), ["guest"]);
    }

    #[test]
    fn credential_files_need_a_credential_in_them() {
        let aws = "[default]\naws_access_key_id = AKIA0000\naws_secret_access_key = abc/def\n";
        assert!(credential("/root/.aws/credentials", aws).unwrap().contains("AWS"));
        assert_eq!(
            credential("/root/.aws/credentials", "[default]\nregion = eu-west-1\n"),
            None
        );

        let docker = r#"{"auths":{"registry.example":{"auth":"dXNlcjpwYXNz"}}}"#;
        assert!(credential("/root/.docker/config.json", docker).is_some());
        assert_eq!(
            credential(
                "/root/.docker/config.json",
                r#"{"credsStore":"desktop","auths":{"r":{}}}"#
            ),
            None
        );
        assert_eq!(credential("/root/.docker/config.json", "not json"), None);

        assert!(credential("/home/a/.npmrc", "//registry.npmjs.org/:_authToken=abc123\n").is_some());
        assert_eq!(
            credential("/home/a/.npmrc", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"),
            None
        );
        assert!(credential("/root/.pypirc", "[pypi]\nusername = __token__\npassword = pypi-abc\n").is_some());
        assert_eq!(credential("/root/.pypirc", "[pypi]\nusername = me\n"), None);
        assert!(credential("/root/.git-credentials", "https://me:tok3n@github.com\n").is_some());
        assert_eq!(credential("/root/.git-credentials", "https://github.com\n"), None);
        assert!(credential("/root/.netrc", "machine h login u password p4ss\n").is_some());
        assert_eq!(credential("/root/.netrc", "machine h login u\n"), None);
        assert!(credential("/root/.pgpass", "db:5432:*:app:s3cret\n").is_some());
        assert_eq!(credential("/root/.pgpass", "db:5432:*:app:\n"), None);
        assert!(credential("/root/.kube/config", "users:\n- name: a\n  user:\n    token: abc\n").is_some());
        assert_eq!(
            credential("/root/.kube/config", "users:\n- name: a\n  user:\n    exec: {}\n"),
            None
        );
        assert_eq!(credential("/etc/app/credentials", aws), None);
    }

    #[test]
    fn ssh_keys_by_name_and_content() {
        let key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
        assert_eq!(
            fact_of("/root/.ssh/id_ed25519", key),
            Some(FileFact::PrivateKey {
                what: "SSH OpenSSH private key".into()
            })
        );
        assert!(matches!(
            fact_of("/etc/ssh/ssh_host_rsa_key", key),
            Some(FileFact::PrivateKey { .. })
        ));
        assert_eq!(fact_of("/root/.ssh/id_rsa", "ssh-rsa AAAA... me@host\n"), None);
    }
}
