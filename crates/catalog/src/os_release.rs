//! The operating system of an image: `os-release` (`/etc/os-release`, usually a symlink to
//! `/usr/lib/os-release`), with `alpine-release`, `debian_version` and `redhat-release` as
//! fallbacks for images without one.

use std::io::Read;

use drydock_model::OsRelease;
use drydock_oci::engine::analyzer::{Analyzer, AnalyzerResult, EntryMeta, Interest};

/// The analyzer name its results are stored under.
pub const OS_RELEASE_ANALYZER: &str = "os-release";

/// Files read, in the order they are consulted.
pub const OS_FILES: [&str; 5] = [
    "/etc/os-release",
    "/usr/lib/os-release",
    "/etc/alpine-release",
    "/etc/redhat-release",
    "/etc/debian_version",
];

const MAX_OS_FILE: u64 = 64 * 1024;

pub struct OsReleaseAnalyzer;

impl Analyzer for OsReleaseAnalyzer {
    fn name(&self) -> &'static str {
        OS_RELEASE_ANALYZER
    }

    fn version(&self) -> u32 {
        1
    }

    fn interest(&self) -> Interest {
        Interest {
            globs: OS_FILES.iter().map(|p| p.to_string()).collect(),
            max_size: Some(MAX_OS_FILE),
            ..Default::default()
        }
    }

    fn analyze(&self, entry: &EntryMeta<'_>, content: &mut dyn Read) -> AnalyzerResult {
        let mut text = String::new();
        content
            .take(MAX_OS_FILE)
            .read_to_string(&mut text)
            .map_err(|e| format!("not UTF-8 text: {e}"))?;
        let parsed = match entry.path {
            "/etc/os-release" | "/usr/lib/os-release" => parse_os_release(&text, entry.path),
            "/etc/alpine-release" => simple("alpine", text.trim(), entry.path),
            "/etc/debian_version" => simple("debian", text.trim().split('.').next().unwrap_or(""), entry.path),
            "/etc/redhat-release" => parse_redhat_release(&text, entry.path),
            _ => None,
        };
        match parsed {
            Some(os) => serde_json::to_value(os).map(Some).map_err(|e| e.to_string()),
            None => Err("no operating system identity in it".to_string()),
        }
    }
}

fn simple(id: &str, version: &str, path: &str) -> Option<OsRelease> {
    (!version.is_empty()).then(|| OsRelease {
        id: id.to_string(),
        version_id: Some(version.to_string()),
        path: path.to_string(),
        ..Default::default()
    })
}

/// `KEY=value` lines, values optionally quoted with `"` or `'`, `\` escapes inside `"`.
pub fn parse_os_release(text: &str, path: &str) -> Option<OsRelease> {
    let mut os = OsRelease {
        path: path.to_string(),
        ..Default::default()
    };
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        let value = unquote(raw.trim());
        let value = Some(value).filter(|v| !v.is_empty());
        match key.trim() {
            "ID" => os.id = value.unwrap_or_default().to_ascii_lowercase(),
            "VERSION_ID" => os.version_id = value,
            "VERSION_CODENAME" => os.version_codename = value,
            "PRETTY_NAME" => os.pretty_name = value,
            "ID_LIKE" => {
                os.id_like = value
                    .map(|v| v.split_whitespace().map(str::to_string).collect())
                    .unwrap_or_default()
            }
            _ => {}
        }
    }
    (!os.id.is_empty()).then_some(os)
}

fn unquote(raw: &str) -> String {
    let bytes = raw.as_bytes();
    if bytes.len() >= 2 && (bytes[0] == b'"' || bytes[0] == b'\'') && bytes[bytes.len() - 1] == bytes[0] {
        let inner = &raw[1..raw.len() - 1];
        if bytes[0] == b'"' {
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    if let Some(next) = chars.next() {
                        out.push(next);
                    }
                } else {
                    out.push(c);
                }
            }
            return out;
        }
        return inner.to_string();
    }
    raw.to_string()
}

/// `Red Hat Enterprise Linux release 9.4 (Plow)`, `CentOS Linux release 7.9.2009 (Core)`,
/// `Rocky Linux release 9.3 (Blue Onyx)`, `Fedora release 40 (Forty)`.
fn parse_redhat_release(text: &str, path: &str) -> Option<OsRelease> {
    let line = text.lines().next()?.trim();
    let (name, rest) = line.split_once(" release ")?;
    let version = rest.split_whitespace().next()?;
    let id = match name {
        n if n.starts_with("Red Hat") => "rhel",
        n if n.starts_with("CentOS") => "centos",
        n if n.starts_with("Rocky") => "rocky",
        n if n.starts_with("AlmaLinux") => "almalinux",
        n if n.starts_with("Fedora") => "fedora",
        n if n.starts_with("Oracle") => "ol",
        _ => return None,
    };
    Some(OsRelease {
        id: id.to_string(),
        version_id: Some(version.to_string()),
        pretty_name: Some(line.to_string()),
        path: path.to_string(),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_debian_os_release() {
        let text = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n";
        let os = parse_os_release(text, "/usr/lib/os-release").unwrap();
        assert_eq!(os.id, "debian");
        assert_eq!(os.version_id.as_deref(), Some("12"));
        assert_eq!(os.version_codename.as_deref(), Some("bookworm"));
        assert_eq!(os.pretty_name.as_deref(), Some("Debian GNU/Linux 12 (bookworm)"));
    }

    #[test]
    fn parses_quoting_and_id_like() {
        let os = parse_os_release(
            "ID='ubuntu'\nID_LIKE=\"debian fedora\"\nVERSION_ID=\"22.04\"\n# c\n",
            "/x",
        )
        .unwrap();
        assert_eq!(os.id, "ubuntu");
        assert_eq!(os.id_like, ["debian", "fedora"]);
        assert!(parse_os_release("NAME=x\n", "/x").is_none());
    }

    #[test]
    fn parses_redhat_release() {
        let os = parse_redhat_release("Rocky Linux release 9.3 (Blue Onyx)\n", "/etc/redhat-release").unwrap();
        assert_eq!((os.id.as_str(), os.version_id.as_deref()), ("rocky", Some("9.3")));
        assert!(parse_redhat_release("Something else", "/x").is_none());
    }
}
