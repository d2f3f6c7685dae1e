//! Where to read more: the database that publishes an id, and the page of a check rule.

/// drydock's home, the SARIF `informationUri`.
pub const PROJECT_URL: &str = "https://github.com/drydock-sec/drydock";

/// The database that publishes a vulnerability id, and the id's page there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdSource {
    pub name: &'static str,
    pub url: String,
}

/// CVEs at NVD, GHSAs at GitHub's advisory database, everything else (PYSEC, RUSTSEC, GO,
/// DSA, MAL, …) at OSV, which serves every record drydock matches against.
pub fn id_source(id: &str) -> IdSource {
    let encoded = url_component(id);
    if id.starts_with("CVE-") {
        IdSource {
            name: "NVD",
            url: format!("https://nvd.nist.gov/vuln/detail/{encoded}"),
        }
    } else if id.starts_with("GHSA-") {
        IdSource {
            name: "GitHub Advisories",
            url: format!("https://github.com/advisories/{encoded}"),
        }
    } else {
        IdSource {
            name: "OSV",
            url: format!("https://osv.dev/vulnerability/{encoded}"),
        }
    }
}

/// The documentation of a check rule: the table of its area in docs/checks.md (rules are
/// rows there, not headings, so the section is the closest anchor).
pub fn check_rule_url(rule: &str) -> String {
    let section = if rule.starts_with("DD-SEC-") {
        "#secret-rules"
    } else if rule.starts_with("DD-IMG-") {
        "#image-checks"
    } else {
        ""
    };
    format!("{PROJECT_URL}/blob/main/docs/checks.md{section}")
}

/// What a check rule looks for. Secret rules are the `DD-SEC-` area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckCategory {
    Misconfiguration,
    Secret,
}

impl CheckCategory {
    pub fn of(rule: &str) -> CheckCategory {
        if rule.starts_with("DD-SEC-") {
            CheckCategory::Secret
        } else {
            CheckCategory::Misconfiguration
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            CheckCategory::Misconfiguration => "misconfiguration",
            CheckCategory::Secret => "secret",
        }
    }
}

/// `text` percent-encoded for one URL path segment or fragment: only RFC 3986 unreserved
/// characters stay as they are.
pub fn url_component(text: &str) -> String {
    percent_encode(text, |b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
}

/// A path inside an image as a relative URI reference: the leading `/` dropped, every
/// segment percent-encoded (`:` too, so no segment can read as a scheme).
pub fn relative_path_uri(path: &str) -> String {
    let trimmed = path.trim_start_matches('/');
    percent_encode(trimmed, |b| {
        b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b)
    })
}

fn percent_encode(text: &str, keep: impl Fn(u8) -> bool) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if keep(byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_link_to_their_database() {
        assert_eq!(
            id_source("CVE-2024-1234").url,
            "https://nvd.nist.gov/vuln/detail/CVE-2024-1234"
        );
        assert_eq!(id_source("GHSA-abcd-efgh-ijkl").name, "GitHub Advisories");
        assert_eq!(
            id_source("PYSEC-2024/1 x").url,
            "https://osv.dev/vulnerability/PYSEC-2024%2F1%20x"
        );
        assert_eq!(
            check_rule_url("DD-SEC-001"),
            "https://github.com/drydock-sec/drydock/blob/main/docs/checks.md#secret-rules"
        );
        assert_eq!(
            check_rule_url("DD-IMG-001"),
            "https://github.com/drydock-sec/drydock/blob/main/docs/checks.md#image-checks"
        );
        assert!(check_rule_url("DD-DF-001").ends_with("/docs/checks.md"));
    }

    #[test]
    fn image_paths_become_relative_uri_references() {
        assert_eq!(relative_path_uri("/var/lib/dpkg/status"), "var/lib/dpkg/status");
        assert_eq!(relative_path_uri("/app/a b:c/ü%.txt"), "app/a%20b%3Ac/%C3%BC%25.txt");
        assert_eq!(relative_path_uri("/x\u{1b}[0m"), "x%1B%5B0m");
    }

    #[test]
    fn secret_rules_are_the_sec_area() {
        assert_eq!(CheckCategory::of("DD-SEC-014"), CheckCategory::Secret);
        assert_eq!(CheckCategory::of("DD-IMG-001"), CheckCategory::Misconfiguration);
    }
}
