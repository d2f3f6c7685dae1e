//! What keeps the false-positive rate low: files never worth scanning, placeholder values,
//! entropy, and the masking every reported value goes through.

use std::sync::OnceLock;

use base64::Engine as _;
use globset::{Glob, GlobSet, GlobSetBuilder};

/// Bytes looked at to call a file binary (as git and ripgrep do: a NUL byte there).
pub const BINARY_SNIFF_BYTES: usize = 8 * 1024;

/// Trees that hold CA bundles, documentation, and the tests and docs shipped inside
/// installed packages: their example tokens and test keys are not the image's secrets.
const SKIPPED_PATHS: &[&str] = &[
    "/etc/ssl/certs/**",
    "/etc/pki/ca-trust/**",
    "/etc/pki/tls/certs/**",
    "/etc/ca-certificates/**",
    "/usr/share/ca-certificates/**",
    "/usr/local/share/ca-certificates/**",
    "/usr/share/doc/**",
    "/usr/share/man/**",
    "/usr/share/info/**",
    "/usr/share/locale/**",
    "/usr/share/common-licenses/**",
    "/usr/share/gtk-doc/**",
    "/usr/share/help/**",
    "**/site-packages/*/tests/**",
    "**/site-packages/*/test/**",
    "**/site-packages/**/tests/**",
    "**/dist-packages/**/tests/**",
    "**/dist-packages/**/test/**",
    "**/site-packages/**/test/**",
    "**/node_modules/**/test/**",
    "**/node_modules/**/tests/**",
    "**/node_modules/**/__tests__/**",
    "**/node_modules/**/spec/**",
    "**/node_modules/**/example/**",
    "**/node_modules/**/examples/**",
    "**/node_modules/**/docs/**",
    "**/gems/*/test/**",
    "**/gems/*/spec/**",
    "**/gems/*/doc/**",
    "**/pkg/mod/**/testdata/**",
    "**/go/src/**/testdata/**",
    "/usr/lib/go-*/**/testdata/**",
    "/usr/local/go/**/testdata/**",
    "/usr/share/perl/**/t/**",
    "/usr/share/ruby-*/**/test/**",
];

/// Installed-package trees: a value marked as an example (`EXAMPLE`, `sample`) in here is
/// documentation, even for a provider-specific format.
const PACKAGE_TREES: &[&str] = &[
    "**/site-packages/**",
    "**/dist-packages/**",
    "**/node_modules/**",
    "**/gems/**",
    "**/vendor/**",
    "/usr/share/**",
    "/usr/include/**",
    "/usr/lib/python3*/**",
    "/usr/local/lib/python3*/**",
    "/usr/lib/ruby/**",
    "/usr/lib/jvm/**",
    "/usr/local/go/**",
    "/usr/lib/go-*/**",
];

/// Documentation files: skipped inside package trees.
const DOC_EXTENSIONS: &[&str] = &[
    "md", "markdown", "rst", "txt", "html", "htm", "adoc", "1", "3", "5", "8",
];

/// Certificate files: skipped when they hold certificates only.
const CERT_EXTENSIONS: &[&str] = &["pem", "crt", "cer", "cert", "ca-bundle"];

/// Compiled path filters, built once per process.
pub struct PathFilters {
    skipped: GlobSet,
    package_trees: GlobSet,
}

impl PathFilters {
    pub fn get() -> &'static PathFilters {
        static FILTERS: OnceLock<PathFilters> = OnceLock::new();
        FILTERS.get_or_init(|| PathFilters {
            skipped: glob_set(SKIPPED_PATHS),
            package_trees: glob_set(PACKAGE_TREES),
        })
    }

    /// Whether a file is never scanned, by its path alone.
    pub fn skips(&self, path: &str) -> bool {
        self.skipped.is_match(path) || (DOC_EXTENSIONS.contains(&extension(path)) && self.package_trees.is_match(path))
    }

    /// Whether the file belongs to an installed package or the shared documentation tree.
    pub fn in_package_tree(&self, path: &str) -> bool {
        self.package_trees.is_match(path)
    }
}

fn glob_set(patterns: &[&str]) -> GlobSet {
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        builder.add(Glob::new(pattern).expect("built-in globs are valid"));
    }
    builder.build().expect("built-in globs compile")
}

fn extension(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.').map(|(_, ext)| ext).unwrap_or("")
}

/// A NUL byte in the first 8 KiB.
pub fn is_binary(content: &[u8]) -> bool {
    content[..content.len().min(BINARY_SNIFF_BYTES)].contains(&0)
}

/// A `.pem`/`.crt` file with certificates and no private key: public by design.
pub fn is_certificate_only(path: &str, content: &[u8]) -> bool {
    let ext = extension(path).to_ascii_lowercase();
    CERT_EXTENSIONS.contains(&ext.as_str())
        && contains(content, b"-----BEGIN CERTIFICATE-----")
        && !contains(content, b"PRIVATE KEY")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Values that are templates or stand-ins, never a real credential: `xxxx`, `<token>`,
/// `${VAR}`, `{{ var }}`, `changeme`, a run of one character, a counting sequence.
pub fn is_structural_placeholder(value: &[u8]) -> bool {
    let lower = value.to_ascii_lowercase();
    const MARKERS: &[&[u8]] = &[
        b"xxxx",
        b"****",
        b"....",
        b"${",
        b"{{",
        b"$(",
        b"%(",
        b"%s",
        b"<",
        b">",
        b"changeme",
        b"change_me",
        b"change-me",
        b"placeholder",
        b"your_",
        b"your-",
        b"yourtoken",
        b"replace_me",
        b"replace-me",
        b"redacted",
        b"0123456789",
        b"123456789",
        b"abcdefgh",
        b"qwerty",
    ];
    value.first() == Some(&b'$')
        || MARKERS.iter().any(|m| contains(&lower, m))
        || (value.len() >= 4 && value.iter().all(|&b| b == value[0]))
}

/// Words that mark a value as an example. Outside package trees a provider-specific token
/// that contains one is still reported: a key in the right format is worth a look wherever
/// an application keeps it (AWS documents its example keys in real key format).
pub fn has_example_marker(value: &[u8]) -> bool {
    let lower = value.to_ascii_lowercase();
    [&b"example"[..], b"sample", b"dummy"]
        .iter()
        .any(|m| contains(&lower, m))
}

/// Words that make a generic assignment's value a word, not a secret (`password = "password1"`).
pub fn has_generic_word(value: &[u8]) -> bool {
    let lower = value.to_ascii_lowercase();
    const WORDS: &[&[u8]] = &[
        b"example",
        b"sample",
        b"dummy",
        b"test",
        b"fake",
        b"mock",
        b"password",
        b"passwd",
        b"secret",
        b"token",
        b"default",
        b"none",
        b"null",
        b"true",
        b"false",
        b"undefined",
        b"localhost",
        b"string",
    ];
    WORDS.iter().any(|w| contains(&lower, w))
}

/// A dotted identifier path (`messages_1.Messages.MissingFromClause`, `exports2.HEADER_CHARS`):
/// code that reads a value, not the value.
pub fn is_code_reference(value: &[u8]) -> bool {
    let identifier = |part: &[u8]| {
        part.first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_' || *b == b'$')
            && part
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'$')
    };
    value.contains(&b'.') && value.split(|b| *b == b'.').all(identifier)
}

/// A URL whose host is a name reserved for documentation (RFC 2606: `example.com`, `.org`,
/// `.net` and their subdomains, and the `.example`, `.test` and `.invalid` TLDs).
pub fn names_an_example_domain(text: &[u8]) -> bool {
    let Some(at) = text.iter().rposition(|b| *b == b'@') else {
        return false;
    };
    let host: Vec<u8> = text[at + 1..]
        .iter()
        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'.' || **b == b'-')
        .map(u8::to_ascii_lowercase)
        .collect();
    let host = host.strip_suffix(b".").unwrap_or(&host);
    let under =
        |domain: &[u8]| host == domain || (host.ends_with(domain) && host[..host.len() - domain.len()].ends_with(b"."));
    [
        &b"example.com"[..],
        b"example.org",
        b"example.net",
        b"example",
        b"test",
        b"invalid",
    ]
    .iter()
    .any(|d| under(d))
}

/// Shannon entropy in bits per byte.
pub fn shannon_entropy(value: &[u8]) -> f64 {
    if value.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in value {
        counts[b as usize] += 1;
    }
    let len = value.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / len;
            -p * p.log2()
        })
        .sum()
}

/// Letters and digits both present (random tokens nearly always mix them; identifiers rarely do).
pub fn mixes_letters_and_digits(value: &[u8]) -> bool {
    value.iter().any(u8::is_ascii_digit) && value.iter().any(u8::is_ascii_alphabetic)
}

/// The value as it may be shown: a short prefix then `****`. A PEM key shows its header
/// line (the key type), nothing of the key itself.
pub fn mask(value: &[u8], known_prefixes: &[&str]) -> String {
    let text = String::from_utf8_lossy(value);
    if text.starts_with("-----BEGIN") || text.starts_with("PuTTY-User-Key-File") {
        let header = text.lines().next().unwrap_or_default();
        return format!("{header}****");
    }
    let lower = text.to_ascii_lowercase();
    let shown = known_prefixes
        .iter()
        .filter(|p| lower.starts_with(&p.to_ascii_lowercase()) && p.len() * 2 <= text.len())
        .map(|p| p.len())
        .max()
        .unwrap_or_else(|| (text.chars().count() / 4).min(4));
    let prefix: String = text.chars().take(shown).collect();
    format!("{prefix}****")
}

/// A Docker config `auth` value: base64 of `user:password` with both parts present.
pub fn decodes_to_user_password(value: &[u8]) -> bool {
    base64::engine::general_purpose::STANDARD
        .decode(value)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.split_once(':').map(|(u, p)| !u.is_empty() && !p.is_empty()))
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_tests_docs_and_ca_bundles_are_skipped() {
        let filters = PathFilters::get();
        for path in [
            "/etc/ssl/certs/ca-certificates.crt",
            "/usr/share/doc/openssl/README",
            "/usr/lib/python3/dist-packages/botocore/tests/unit/test_x.py",
            "/usr/local/lib/python3.11/site-packages/jwt/tests/keys/testkey_rsa.priv",
            "/app/node_modules/jsonwebtoken/test/priv.pem",
            "/app/node_modules/jsonwebtoken/README.md",
            "/usr/share/perl/5.36/Net/t/netrc.t",
        ] {
            assert!(filters.skips(path), "{path}");
        }
        for path in [
            "/etc/app/credentials",
            "/root/.ssh/id_rsa",
            "/app/README.md",
            "/app/tests/conf.py",
        ] {
            assert!(!filters.skips(path), "{path}");
        }
        assert!(filters.in_package_tree("/usr/lib/python3/dist-packages/botocore/data/iam.json"));
        assert!(!filters.in_package_tree("/etc/app/credentials"));
    }

    #[test]
    fn binary_and_certificate_files() {
        assert!(is_binary(b"\x7fELF\0\0\0"));
        assert!(!is_binary(b"plain text"));
        let cert = b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
        assert!(is_certificate_only("/srv/tls/server.pem", cert));
        assert!(!is_certificate_only("/srv/tls/server.txt", cert));
        let mut with_key = cert.to_vec();
        with_key.extend_from_slice(b"-----BEGIN PRIVATE KEY-----\n");
        assert!(!is_certificate_only("/srv/tls/server.pem", &with_key));
    }

    #[test]
    fn placeholders_are_recognized() {
        for value in [
            &b"xxxxxxxxxxxx"[..],
            b"<your-token>",
            b"${GITHUB_TOKEN}",
            b"{{ token }}",
            b"changeme123",
            b"$TOKEN",
            b"aaaaaaaaaaaaaaaa",
            b"sk_abcdefghijkl",
        ] {
            assert!(is_structural_placeholder(value), "{}", String::from_utf8_lossy(value));
        }
        assert!(!is_structural_placeholder(b"Zq8mT2vLp9Rw4XcN"));
        assert!(has_example_marker(b"AKIAIOSFODNN7EXAMPLE"));
        assert!(!has_example_marker(b"AKIAQ3ZLMNOPRSTV7W2Y"));
        assert!(has_generic_word(b"MyTestPassword1"));
        assert!(is_code_reference(b"messages_1.Messages.MissingFromClause"));
        assert!(is_code_reference(b"exports2.HEADER_CHARS"));
        assert!(!is_code_reference(b"Zq8mT2vLp9Rw4XcN"));
        assert!(!is_code_reference(b"a1b2.c3d4-e5f6"));
        assert!(names_an_example_domain(b"http://john:S3nsit1ve@my.example.com/x"));
        assert!(names_an_example_domain(b"postgres://u:p4ss@db.test"));
        assert!(!names_an_example_domain(b"postgres://u:p4ss@db.internal"));
        assert!(!names_an_example_domain(b"see example.com"));
    }

    #[test]
    fn entropy_grows_with_randomness() {
        assert_eq!(shannon_entropy(b""), 0.0);
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
        assert!(shannon_entropy(b"Zq8mT2vLp9Rw4XcN") > 3.5);
        assert!(mixes_letters_and_digits(b"a1") && !mixes_letters_and_digits(b"abc"));
    }

    #[test]
    fn masks_keep_a_short_prefix_only() {
        let token = ["ghp_", "Zq8mT2vLp9Rw4XcNZq8mT2vLp9Rw4XcN1234"].concat();
        assert_eq!(mask(token.as_bytes(), &["ghp_"]), "ghp_****");
        assert_eq!(mask(b"hunter2", &[]), "h****");
        assert_eq!(mask(b"abc", &[]), "****");
        assert_eq!(mask(b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", &[]), "wJal****");
        let pem = ["-----BEGIN RSA ", "PRIVATE KEY-----\nMIIEow\n"].concat();
        assert_eq!(mask(pem.as_bytes(), &[]), "-----BEGIN RSA PRIVATE KEY-----****");
    }

    #[test]
    fn docker_auth_values_must_decode_to_credentials() {
        assert!(decodes_to_user_password(b"dXNlcjpwYXNz")); // user:pass
        assert!(!decodes_to_user_password(b"dXNlcg==")); // user
        assert!(!decodes_to_user_password(b"not base64!"));
    }
}
