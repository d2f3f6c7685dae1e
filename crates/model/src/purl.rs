//! Package URLs (<https://github.com/package-url/purl-spec>):
//! `pkg:type/namespace/name@version?qualifiers`, with the spec's percent-encoding.

/// Builds a purl. `qualifiers` are emitted sorted by key, as the spec's canonical form
/// requires; empty values are left out.
pub fn build(kind: &str, namespace: Option<&str>, name: &str, version: &str, qualifiers: &[(&str, &str)]) -> String {
    let mut out = format!("pkg:{kind}/");
    if let Some(namespace) = namespace.filter(|n| !n.is_empty()) {
        for segment in namespace.split('/').filter(|s| !s.is_empty()) {
            out.push_str(&encode(segment));
            out.push('/');
        }
    }
    out.push_str(&encode(name));
    if !version.is_empty() {
        out.push('@');
        out.push_str(&encode(version));
    }
    let mut qualifiers: Vec<&(&str, &str)> = qualifiers.iter().filter(|(_, v)| !v.is_empty()).collect();
    qualifiers.sort_by_key(|(k, _)| *k);
    for (i, (key, value)) in qualifiers.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(&key.to_ascii_lowercase());
        out.push('=');
        out.push_str(&encode(value));
    }
    out
}

/// Percent-encodes everything but the unreserved characters (and `:` in versions, which
/// the spec leaves readable, as in Debian epochs).
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' => out.push(byte as char),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_canonical_purls() {
        assert_eq!(
            build(
                "deb",
                Some("debian"),
                "libc6",
                "2.36-9+deb12u14",
                &[("arch", "amd64"), ("distro", "debian-12")]
            ),
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12"
        );
        assert_eq!(
            build("npm", Some("@babel"), "core", "7.0.0", &[]),
            "pkg:npm/%40babel/core@7.0.0"
        );
        assert_eq!(build("pypi", None, "pyyaml", "5.3", &[]), "pkg:pypi/pyyaml@5.3");
        assert_eq!(
            build("deb", Some("debian"), "tzdata", "1:2.0", &[("x", "")]),
            "pkg:deb/debian/tzdata@1:2.0"
        );
    }
}
