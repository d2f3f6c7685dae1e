//! What COPY and ADD bring into the image.

use drydock_model::Severity;

use super::{Context, Hit, Rule, info};
use crate::syntax::{Body, Transfer, Word};

pub(super) const RULES: &[Rule] = &[
    Rule {
        info: info(
            "DD-DF-040",
            Severity::Medium,
            "ADD for local files",
            "Use COPY for files and folders from the build context; keep ADD for what only it does (fetching a URL with --checksum, unpacking a local tar archive).",
        ),
        hadolint: &["DL3020"],
        buildkit: None,
        check: add_local_files,
    },
    Rule {
        info: info(
            "DD-DF-041",
            Severity::High,
            "ADD of a remote file without --checksum",
            "Add `--checksum=sha256:…` to ADD of a URL (or download with curl and verify the hash): otherwise whatever the server returns goes into the image.",
        ),
        hadolint: &[],
        buildkit: None,
        check: remote_add_without_checksum,
    },
    Rule {
        info: info(
            "DD-DF-042",
            Severity::High,
            "Keys, credentials or .git copied into the image",
            "Keep private keys, credential files and the .git directory out of the build context (.dockerignore) and use `RUN --mount=type=secret` or `--mount=type=ssh` for what the build needs.",
        ),
        hadolint: &[],
        buildkit: None,
        check: sensitive_sources,
    },
];

fn is_url(source: &str) -> bool {
    let lower = source.to_ascii_lowercase();
    lower.starts_with("http://")
        || lower.starts_with("https://")
        || lower.starts_with("git@")
        || lower.starts_with("git://")
}

fn is_git(source: &str) -> bool {
    let lower = source.to_ascii_lowercase();
    lower.starts_with("git@") || lower.starts_with("git://") || lower.ends_with(".git") || lower.contains(".git#")
}

/// Archives that ADD unpacks.
fn is_archive(source: &str) -> bool {
    const EXTENSIONS: [&str; 12] = [
        ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz", ".tar.zst", ".tzst", ".tar.lz",
        ".tar.z",
    ];
    let lower = source.to_ascii_lowercase();
    EXTENSIONS.iter().any(|e| lower.ends_with(e))
}

fn adds<'c>(cx: &'c Context<'_>) -> impl Iterator<Item = (&'c crate::syntax::Instruction, &'c Transfer)> + 'c {
    cx.instructions().filter_map(|(_, i)| match &i.body {
        Body::Add(t) => Some((i, t)),
        _ => None,
    })
}

fn add_local_files(cx: &Context<'_>) -> Vec<Hit> {
    adds(cx)
        .filter(|(_, t)| {
            t.sources
                .iter()
                .any(|s| !is_url(&s.value) && !is_archive(&s.value) && !s.value.starts_with("<<"))
        })
        .map(|(i, t)| {
            let sources: Vec<&str> = t.sources.iter().map(|s| s.value.as_str()).collect();
            Hit::new(
                i.position,
                format!("ADD of local `{}`: COPY does the same", sources.join(" ")),
            )
        })
        .collect()
}

fn remote_add_without_checksum(cx: &Context<'_>) -> Vec<Hit> {
    adds(cx)
        .filter(|(i, _)| i.flag("checksum").is_none())
        .flat_map(|(_, t)| t.sources.iter())
        .filter(|s| is_url(&s.value) && !is_git(&s.value))
        .map(|s| Hit::new(s.position, format!("`{}` is fetched without a checksum", s.value)))
        .collect()
}

/// Why a COPY/ADD source looks like a secret or repository metadata, if it does.
fn sensitive(source: &Word) -> Option<&'static str> {
    const KEYS: [&str; 5] = ["id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk"];
    const CREDENTIALS: [&str; 9] = [
        ".npmrc",
        ".pypirc",
        ".netrc",
        ".git-credentials",
        ".env",
        "credentials",
        ".dockercfg",
        "config.json",
        ".htpasswd",
    ];
    let path = source.value.trim_end_matches('/');
    let name = path.rsplit('/').next().unwrap_or(path);
    if name == ".git" || path.contains("/.git/") {
        return Some("the .git directory (history, remotes, maybe tokens)");
    }
    if name == ".ssh" || path.contains("/.ssh/") || KEYS.contains(&name) {
        return Some("an SSH key");
    }
    if name.ends_with(".pem") || name.ends_with(".key") || name.ends_with(".p12") || name.ends_with(".pfx") {
        return Some("a private key or certificate bundle");
    }
    if name == "config.json" && !path.contains(".docker") {
        return None;
    }
    if name == "credentials" && !path.contains(".aws") {
        return None;
    }
    CREDENTIALS.contains(&name).then_some("a credentials file")
}

fn sensitive_sources(cx: &Context<'_>) -> Vec<Hit> {
    cx.instructions()
        .filter_map(|(_, i)| match &i.body {
            Body::Copy(t) | Body::Add(t) if i.flag("from").is_none() => Some(t.sources.iter()),
            _ => None,
        })
        .flatten()
        .filter_map(|s| Some(Hit::new(s.position, format!("`{}` is {}", s.value, sensitive(s)?))))
        .collect()
}
