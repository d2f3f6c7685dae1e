//! Secrets written into ENV and ARG, where `docker history` and `docker inspect` show them.

use drydock_model::Severity;

use super::{Context, Hit, Rule, info};
use crate::syntax::{Body, Keyword};

pub(super) const RULES: &[Rule] = &[
    Rule {
        info: info(
            "DD-DF-050",
            Severity::High,
            "Secret in ENV",
            "Never put credentials in ENV: anyone who can pull the image reads them (`docker inspect`). Pass them at run time (orchestrator secrets) or at build time with `RUN --mount=type=secret`.",
        ),
        hadolint: &["DL3064"],
        buildkit: Some("SecretsUsedInArgOrEnv"),
        check: secret_env,
    },
    Rule {
        info: info(
            "DD-DF-051",
            Severity::Medium,
            "Secret in ARG",
            "Build arguments are recorded in the image history: use `RUN --mount=type=secret,id=…` (and `docker build --secret`) instead of ARG for credentials.",
        ),
        hadolint: &["DL3064"],
        buildkit: Some("SecretsUsedInArgOrEnv"),
        check: secret_arg,
    },
];

/// Whether a variable name says it holds a credential: one of its `_`/`-` separated words
/// is a secret word (or two words make one: `API_KEY`), and none says it only points to one
/// (`PASSWORD_FILE`, `TOKEN_URL`).
pub(crate) fn secret_name(name: &str) -> bool {
    const SECRET: [&str; 12] = [
        "password",
        "passwd",
        "passphrase",
        "pass",
        "pwd",
        "secret",
        "token",
        "apikey",
        "credential",
        "credentials",
        "privatekey",
        "accesskey",
    ];
    const PAIRS: [(&str, &str); 5] = [
        ("api", "key"),
        ("access", "key"),
        ("private", "key"),
        ("secret", "key"),
        ("auth", "key"),
    ];
    const POINTERS: [&str; 10] = [
        "file", "path", "dir", "url", "uri", "endpoint", "name", "user", "length", "type",
    ];
    let lower = name.to_ascii_lowercase();
    let words: Vec<&str> = lower.split(['_', '-', '.']).filter(|w| !w.is_empty()).collect();
    if words.iter().any(|w| POINTERS.contains(w)) || lower == "pwd" {
        return false;
    }
    words.iter().any(|w| SECRET.contains(w)) || words.windows(2).any(|pair| PAIRS.contains(&(pair[0], pair[1])))
}

/// A literal value worth reporting: not empty and not only a variable reference.
fn literal(value: &str) -> bool {
    let value = value.trim();
    let only_a_variable = value.starts_with('$') && !value[1..].contains(['$', ' ', ':', '@', '/']);
    !value.is_empty() && !only_a_variable
}

/// A masked form of a secret: its length only.
fn masked(value: &str) -> String {
    format!("<{} characters, masked>", value.chars().count())
}

fn secret_env(cx: &Context<'_>) -> Vec<Hit> {
    cx.instructions()
        .filter_map(|(_, i)| match &i.body {
            Body::Env(pairs) => Some(pairs.iter()),
            _ => None,
        })
        .flatten()
        .filter(|pair| secret_name(&pair.key) && literal(&pair.value))
        .map(|pair| Hit::new(pair.position, format!("ENV {}={}", pair.key, masked(&pair.value))))
        .collect()
}

fn secret_arg(cx: &Context<'_>) -> Vec<Hit> {
    cx.file
        .instructions
        .iter()
        .filter(|i| i.keyword == Keyword::Arg)
        .filter_map(|i| match &i.body {
            Body::Arg(args) => Some(args.iter()),
            _ => None,
        })
        .flatten()
        .filter(|arg| secret_name(&arg.name))
        .map(|arg| {
            let message = match arg.default.as_deref().filter(|d| literal(d)) {
                Some(default) => format!("ARG {} has a default value {}", arg.name, masked(default)),
                None => format!(
                    "ARG {}: its build-time value is recorded in the image history",
                    arg.name
                ),
            };
            Hit::new(arg.position, message)
        })
        .collect()
}
