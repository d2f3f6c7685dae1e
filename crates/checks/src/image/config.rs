//! Checks of the image configuration and build history: the user, the healthcheck,
//! secrets in `Env`, labels and history lines, `ADD` of URLs, port 22, the base image tag.

use std::sync::OnceLock;

use drydock_model::{CheckFinding, CheckLocation, ImageConfigSummary, LayerDescription};
use regex::Regex;

use super::files::Account;
use super::rules::{
    ADD_REMOTE_URL, BASE_LATEST, NO_HEALTHCHECK, ROOT_USER, SECRET_IN_ENV, SECRET_IN_HISTORY, SECRET_IN_LABEL,
    SSH_PORT_EXPOSED,
};
use crate::allowlist::{AllowList, Candidate};
use crate::secrets::filters::{is_structural_placeholder, mask};
use crate::secrets::{FileContext, SecretScanner};

fn at_object(object: impl Into<String>) -> CheckLocation {
    CheckLocation {
        object: Some(object.into()),
        ..Default::default()
    }
}

/// `config.User` unset, `root`, `0`, or a name that `/etc/passwd` maps to UID 0.
pub fn root_user(config: &ImageConfigSummary, accounts: &[Account]) -> Option<CheckFinding> {
    let Some(user) = config.user.as_deref().map(str::trim).filter(|u| !u.is_empty()) else {
        return Some(CheckFinding::new(
            &ROOT_USER,
            "config.User is unset, so the container runs as root",
            at_object("config.User"),
        ));
    };
    let name = user.split(':').next().unwrap_or(user);
    let message = if name == "0" || name == "root" {
        format!("config.User is `{user}`")
    } else if name.parse::<u64>().is_err() && accounts.iter().any(|a| a.name == name && a.uid == 0) {
        format!("config.User is `{user}`, which /etc/passwd gives UID 0")
    } else {
        return None;
    };
    Some(CheckFinding::new(&ROOT_USER, message, at_object("config.User")))
}

/// No `Healthcheck`, or `HEALTHCHECK NONE`.
pub fn healthcheck(config: &ImageConfigSummary) -> Option<CheckFinding> {
    let message = match &config.healthcheck {
        None => "the config has no Healthcheck",
        Some(check) if check.test.first().is_some_and(|t| t == "NONE") => "HEALTHCHECK NONE disables the check",
        Some(check) if check.test.is_empty() => "the Healthcheck has no test",
        Some(_) => return None,
    };
    Some(CheckFinding::new(
        &NO_HEALTHCHECK,
        message,
        at_object("config.Healthcheck"),
    ))
}

/// `22/tcp` (or `22`) in `ExposedPorts`.
pub fn ssh_port(config: &ImageConfigSummary) -> Option<CheckFinding> {
    let port = config
        .exposed_ports
        .iter()
        .find(|p| matches!(p.as_str(), "22" | "22/tcp" | "22/sctp"))?;
    Some(CheckFinding::new(
        &SSH_PORT_EXPOSED,
        format!("ExposedPorts has {port}"),
        at_object("config.ExposedPorts"),
    ))
}

/// Secrets in `Env` entries (one finding per variable).
pub fn env_secrets(config: &ImageConfigSummary, allow: &AllowList) -> Vec<CheckFinding> {
    config
        .env
        .iter()
        .enumerate()
        .filter_map(|(index, entry)| {
            let (name, value) = entry.split_once('=').unwrap_or((entry, ""));
            let what = secret_in_assignment(name, value, allow, SECRET_IN_ENV.id)?;
            Some(CheckFinding::new(
                &SECRET_IN_ENV,
                format!("Env {name}: {what}"),
                at_object(format!("config.Env[{index}]")),
            ))
        })
        .collect()
}

/// Secrets in label values.
pub fn label_secrets(config: &ImageConfigSummary, allow: &AllowList) -> Vec<CheckFinding> {
    config
        .labels
        .iter()
        .filter_map(|(key, value)| {
            let what = secret_in_assignment(key, value, allow, SECRET_IN_LABEL.id)?;
            Some(CheckFinding::new(
                &SECRET_IN_LABEL,
                format!("label {key}: {what}"),
                at_object(format!("config.Labels[{key}]")),
            ))
        })
        .collect()
}

/// What is secret about `name=value`, masked: a secret rule's match in the value, or a
/// literal value under a name that says it is a secret.
fn secret_in_assignment(name: &str, value: &str, allow: &AllowList, image_rule: &str) -> Option<String> {
    let text = format!("{name}={value}");
    if let Some(hit) = SecretScanner::get()
        .scan(text.as_bytes(), FileContext::default())
        .into_iter()
        .find(|m| {
            !allow.allows(&Candidate {
                rule: m.rule.info.id,
                path: None,
                value: Some(&text.as_bytes()[m.span.clone()]),
            })
        })
    {
        return Some(format!(
            "{} ({}) {}",
            hit.rule.info.title,
            hit.rule.info.id,
            hit.masked(text.as_bytes())
        ));
    }
    let allowed = allow.allows(&Candidate {
        rule: image_rule,
        path: None,
        value: Some(value.as_bytes()),
    });
    (is_secret_name(name) && is_literal_secret_value(value) && !allowed).then(|| {
        format!(
            "a literal value under a secret's name ({})",
            mask(value.as_bytes(), &[])
        )
    })
}

/// Names that say they hold a secret: `DB_PASSWORD`, `GITHUB_TOKEN`, `api-key`, `SECRET_KEY`,
/// but not the path or name of one (`PASSWORD_FILE`, `TOKEN_URL`, `SECRET_NAME`).
pub fn is_secret_name(name: &str) -> bool {
    let words: Vec<String> = name
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_uppercase)
        .collect();
    const SINGLE: &[&str] = &[
        "PASSWORD",
        "PASSWD",
        "PASS",
        "PASSPHRASE",
        "SECRET",
        "SECRETS",
        "TOKEN",
        "APIKEY",
        "CREDENTIAL",
        "CREDENTIALS",
        "PRIVATEKEY",
        "ACCESSKEY",
        "SECRETKEY",
    ];
    const PAIRS: &[(&str, &str)] = &[
        ("API", "KEY"),
        ("ACCESS", "KEY"),
        ("SECRET", "KEY"),
        ("PRIVATE", "KEY"),
        ("AUTH", "KEY"),
        ("ENCRYPTION", "KEY"),
        ("SIGNING", "KEY"),
        ("MASTER", "KEY"),
    ];
    const NOT_THE_VALUE: &[&str] = &[
        "FILE",
        "PATH",
        "DIR",
        "URL",
        "URI",
        "ENDPOINT",
        "HOST",
        "PORT",
        "USER",
        "USERNAME",
        "NAME",
        "ID",
        "TYPE",
        "LENGTH",
        "LEN",
        "MIN",
        "MAX",
        "TTL",
        "EXPIRY",
        "EXPIRES",
        "TIMEOUT",
        "HEADER",
        "FIELD",
        "PARAM",
        "ENABLED",
        "REQUIRED",
        "POLICY",
        "ALGORITHM",
        "ALG",
        "MODE",
        "VERSION",
        "FORMAT",
        "LOCATION",
        "REF",
        "ARN",
        "SHA256",
        "SHA512",
        "FINGERPRINT",
    ];
    if words.last().is_some_and(|w| NOT_THE_VALUE.contains(&w.as_str())) {
        return false;
    }
    words.iter().any(|w| SINGLE.contains(&w.as_str()))
        || words
            .windows(2)
            .any(|pair| PAIRS.contains(&(pair[0].as_str(), pair[1].as_str())))
}

/// A value that could be a credential: not empty, not a reference to another variable or a
/// file, not a switch or a template.
fn is_literal_secret_value(value: &str) -> bool {
    let value = value.trim().trim_matches(['"', '\'']);
    let lower = value.to_ascii_lowercase();
    !value.is_empty()
        && !value.starts_with('/')
        && !is_structural_placeholder(value.as_bytes())
        && !["true", "false", "yes", "no", "none", "null", "0", "1", "on", "off"].contains(&lower.as_str())
}

/// History lines that `ADD` a URL, and build arguments or commands that carry secrets.
pub fn history_findings(layers: &[LayerDescription], allow: &AllowList) -> Vec<CheckFinding> {
    let mut findings = Vec::new();
    for layer in layers {
        let Some(line) = layer.created_by.as_deref() else {
            continue;
        };
        let location = CheckLocation {
            layer: Some(layer.index),
            object: Some(format!("history of layer {}", layer.index)),
            ..Default::default()
        };
        if let Some(url) = added_url(line) {
            findings.push(CheckFinding::new(
                &ADD_REMOTE_URL,
                format!("layer {} was made by ADD {url}", layer.index),
                location.clone(),
            ));
        }
        for what in history_secrets(line, allow) {
            findings.push(CheckFinding::new(
                &SECRET_IN_HISTORY,
                format!("layer {}: {what}", layer.index),
                location.clone(),
            ));
        }
    }
    findings
}

/// The URL an `ADD` instruction fetched (BuildKit and the classic builder both record
/// `ADD <flags> <url> <dest>`).
pub fn added_url(line: &str) -> Option<String> {
    static ADD: OnceLock<Regex> = OnceLock::new();
    let add = ADD.get_or_init(|| {
        Regex::new(r"(?:^|\s|#\(nop\)\s*)ADD(?:\s+--[A-Za-z-]+(?:=\S*)?)*\s+((?:https?|ftp)://\S+)")
            .expect("ADD pattern compiles")
    });
    add.captures(line).map(|c| redact_url(&c[1]))
}

/// A URL with any password masked.
fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split('/').next().and_then(|a| a.rsplit_once('@')) {
            Some((userinfo, _)) if userinfo.contains(':') => {
                let user = userinfo.split(':').next().unwrap_or_default();
                format!("{scheme}://{user}:****@{}", &rest[userinfo.len() + 1..])
            }
            _ => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// The secrets of one history line, masked: secret rule matches, then `NAME=value`
/// assignments (BuildKit's `|2 TOKEN=... /bin/sh -c ...` build arguments, `export`s).
fn history_secrets(line: &str, allow: &AllowList) -> Vec<String> {
    static ASSIGNMENT: OnceLock<Regex> = OnceLock::new();
    let assignment = ASSIGNMENT.get_or_init(|| {
        Regex::new(r#"(?:^|[\s|;&(])([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|[^\s"';&|)]+)"#)
            .expect("assignment pattern compiles")
    });
    let bytes = line.as_bytes();
    let hits = SecretScanner::get().scan(bytes, FileContext::default());
    let mut found: Vec<String> = hits
        .iter()
        .filter(|m| {
            !allow.allows(&Candidate {
                rule: m.rule.info.id,
                path: None,
                value: Some(&bytes[m.span.clone()]),
            })
        })
        .map(|m| format!("{} ({}) {}", m.rule.info.title, m.rule.info.id, m.masked(bytes)))
        .collect();
    for captures in assignment.captures_iter(line) {
        let (name, value) = (&captures[1], &captures[2]);
        let value_range = captures.get(2).expect("group 2 always matches").range();
        let covered = hits
            .iter()
            .any(|m| m.span.start < value_range.end && value_range.start < m.span.end);
        let allowed = allow.allows(&Candidate {
            rule: SECRET_IN_HISTORY.id,
            path: None,
            value: Some(value.as_bytes()),
        });
        if !covered && !allowed && is_secret_name(name) && is_literal_secret_value(value) {
            let clean = value.trim_matches(['"', '\'']);
            found.push(format!("{name}={}", mask(clean.as_bytes(), &[])));
        }
    }
    found
}

/// `org.opencontainers.image.base.name` naming a `latest` or untagged base, not pinned by
/// digest. Without that label the base's tag is not recorded in an image, so nothing is said.
pub fn base_latest(config: &ImageConfigSummary) -> Option<CheckFinding> {
    let key = "org.opencontainers.image.base.name";
    let base = config.labels.get(key)?.trim();
    if base.is_empty() || base.contains('@') {
        return None;
    }
    let last = base.rsplit('/').next().unwrap_or(base);
    let message = match last.split_once(':') {
        Some((_, "latest")) => format!("the base image is {base}"),
        None => format!("the base image {base} has no tag, which means latest"),
        Some(_) => return None,
    };
    Some(CheckFinding::new(
        &BASE_LATEST,
        message,
        at_object(format!("config.Labels[{key}]")),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use drydock_model::Healthcheck;

    fn config() -> ImageConfigSummary {
        ImageConfigSummary {
            user: Some("app".into()),
            healthcheck: Some(Healthcheck {
                test: vec!["CMD".into(), "true".into()],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn account(name: &str, uid: u64) -> Account {
        Account {
            name: name.into(),
            uid,
            empty_password: false,
        }
    }

    #[test]
    fn root_user_positive_and_negative() {
        let mut c = config();
        assert!(root_user(&c, &[]).is_none());
        for user in [None, Some(""), Some("root"), Some("0"), Some("0:0"), Some("root:staff")] {
            c.user = user.map(str::to_string);
            assert!(root_user(&c, &[]).is_some(), "{user:?}");
        }
        c.user = Some("toor".into());
        assert!(root_user(&c, &[account("toor", 0)]).is_some());
        assert!(root_user(&c, &[account("toor", 1000)]).is_none());
        c.user = Some("1000:1000".into());
        assert!(root_user(&c, &[]).is_none());
    }

    #[test]
    fn healthcheck_positive_and_negative() {
        let mut c = config();
        assert!(healthcheck(&c).is_none());
        c.healthcheck = None;
        assert!(healthcheck(&c).is_some());
        c.healthcheck = Some(Healthcheck {
            test: vec!["NONE".into()],
            ..Default::default()
        });
        assert!(healthcheck(&c).unwrap().message.contains("NONE"));
    }

    #[test]
    fn ssh_port_positive_and_negative() {
        let mut c = config();
        c.exposed_ports = vec!["8080/tcp".into(), "2222/tcp".into()];
        assert!(ssh_port(&c).is_none());
        c.exposed_ports.push("22/tcp".into());
        assert_eq!(ssh_port(&c).unwrap().rule, "DD-IMG-009");
    }

    #[test]
    fn env_secrets_by_name_and_by_rule() {
        let mut c = config();
        let token = ["ghp_", "Zq8mT2vLp9Rw4XcNZq8mT2vLp9Rw4XcN7a7a"].concat();
        c.env = vec![
            "PATH=/usr/bin".into(),
            "DB_PASSWORD=hunter2".into(),
            format!("CI_AUTH={token}"),
            "PASSWORD_FILE=/run/secrets/db".into(),
            "API_KEY=${API_KEY}".into(),
            "GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D".into(),
            "PWD=/app".into(),
            "EMPTY_TOKEN=".into(),
        ];
        let found = env_secrets(&c, &AllowList::default());
        let messages: Vec<&str> = found.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(found.len(), 2, "{messages:?}");
        assert_eq!(
            messages[0],
            "Env DB_PASSWORD: a literal value under a secret's name (h****)"
        );
        assert!(
            messages[1].contains("DD-SEC-010") && messages[1].contains("ghp_****"),
            "{}",
            messages[1]
        );
        assert!(!messages.iter().any(|m| m.contains("hunter2") || m.contains(&token)));
        assert_eq!(found[0].location.object.as_deref(), Some("config.Env[1]"));
    }

    #[test]
    fn allow_list_suppresses_config_secrets() {
        let mut c = config();
        c.env = vec!["DB_PASSWORD=hunter2".into()];
        let allow = AllowList::parse("values = [\"^hunter2$\"]", crate::allowlist::AllowListFormat::Toml, "t").unwrap();
        assert!(env_secrets(&c, &allow).is_empty());
    }

    #[test]
    fn label_secrets_positive_and_negative() {
        let mut c = config();
        c.labels.insert("maintainer".into(), "me@example.org".into());
        assert!(label_secrets(&c, &AllowList::default()).is_empty());
        c.labels.insert("deploy.token".into(), "s3cr3t-v4lue".into());
        assert_eq!(label_secrets(&c, &AllowList::default()).len(), 1);
    }

    #[test]
    fn secret_names() {
        for name in [
            "DB_PASSWORD",
            "GITHUB_TOKEN",
            "api-key",
            "SECRET_KEY",
            "aws.secretKey",
            "MYSQL_ROOT_PASSWORD",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "PASSWORD_FILE",
            "TOKEN_URL",
            "PATH",
            "PWD",
            "GPG_KEY",
            "KEYRING",
            "TOKENIZER",
            "SECRET_NAME",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    fn layer(index: usize, created_by: &str) -> LayerDescription {
        LayerDescription {
            index,
            digest: None,
            diff_id: None,
            size: None,
            media_type: String::new(),
            created_by: Some(created_by.into()),
        }
    }

    #[test]
    fn history_add_url_and_build_arg_secrets() {
        let layers = [
            layer(0, "ADD https://example.org/tool.tar.gz /opt/ # buildkit"),
            layer(1, "/bin/sh -c #(nop) ADD --chown=1:1 http://me:pw@example.org/x /x"),
            layer(
                2,
                "RUN |2 NPM_TOKEN=n0tReal-4-sure VERSION=1.2 /bin/sh -c npm ci # buildkit",
            ),
            layer(3, "COPY . /app # buildkit"),
            layer(
                4,
                "RUN /bin/sh -c export DB_PASSWORD=\"$(cat /run/secrets/db)\" && ./migrate",
            ),
            layer(5, "ADD file:abc123 in / "),
        ];
        let found = history_findings(&layers, &AllowList::default());
        let summary: Vec<(String, Option<usize>, String)> = found
            .iter()
            .map(|f| (f.rule.clone(), f.location.layer, f.message.clone()))
            .collect();
        assert_eq!(
            summary,
            [
                (
                    "DD-IMG-006".into(),
                    Some(0),
                    "layer 0 was made by ADD https://example.org/tool.tar.gz".into()
                ),
                (
                    "DD-IMG-006".into(),
                    Some(1),
                    "layer 1 was made by ADD http://me:****@example.org/x".into()
                ),
                ("DD-IMG-005".into(), Some(2), "layer 2: NPM_TOKEN=n0t****".into()),
            ]
        );
    }

    #[test]
    fn base_latest_only_when_the_label_says_so() {
        let mut c = config();
        assert!(base_latest(&c).is_none());
        let key = "org.opencontainers.image.base.name".to_string();
        for (base, fires) in [
            ("docker.io/library/debian:latest", true),
            ("debian", true),
            ("localhost:5000/base", true),
            ("debian:12", false),
            ("debian:latest@sha256:0000", false),
            ("localhost:5000/base:1.0", false),
        ] {
            c.labels.insert(key.clone(), base.into());
            assert_eq!(base_latest(&c).is_some(), fires, "{base}");
        }
    }
}
