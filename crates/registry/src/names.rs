//! Repository names, tags, references and the `/v2/` request paths, parsed and validated
//! by the rules of the distribution specification.
//!
//! Repository names contain slashes, so a path like `/v2/team/app/blobs/uploads/ID` cannot
//! be matched by a router's patterns; [`Endpoint::parse`] reads it from its last segments.

use std::fmt;
use std::str::FromStr;

use drydock_model::Digest;

use crate::error::{ApiError, ErrorCode};

/// The longest repository name accepted (the specification asks clients to keep a
/// registry host plus name under 255 characters).
pub const MAX_NAME_LENGTH: usize = 255;
/// The longest tag: one leading character plus up to 127 more.
pub const MAX_TAG_LENGTH: usize = 128;

/// A repository name that matches
/// `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepositoryName(String);

impl RepositoryName {
    pub fn parse(name: &str) -> Result<Self, ApiError> {
        if name.is_empty() || name.len() > MAX_NAME_LENGTH {
            return Err(name_invalid(name, "it must be 1 to 255 characters long"));
        }
        if !name.split('/').all(component_is_valid) {
            return Err(name_invalid(
                name,
                "each path component must be lowercase letters and digits, joined by `.`, `_`, `__` or dashes",
            ));
        }
        Ok(RepositoryName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RepositoryName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn name_invalid(name: &str, why: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NameInvalid,
        format!("invalid repository name `{}`: {why}", printable(name)),
    )
}

/// One component: alphanumeric runs separated by `.`, `_`, `__` or one or more `-`.
fn component_is_valid(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let allowed = matches!(separator, "." | "_" | "__") || separator.bytes().all(|b| b == b'-');
        if !allowed {
            return false;
        }
    }
    true
}

/// Whether `tag` matches `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`.
pub fn tag_is_valid(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    let first = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let rest = |b: u8| first(b) || b == b'.' || b == b'-';
    !bytes.is_empty() && bytes.len() <= MAX_TAG_LENGTH && first(bytes[0]) && bytes[1..].iter().all(|&b| rest(b))
}

/// A manifest reference: a tag or a digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    Tag(String),
    Digest(Digest),
}

impl Reference {
    /// Parses a reference; anything with a `:` must be a digest.
    pub fn parse(reference: &str) -> Result<Self, ApiError> {
        if reference.contains(':') {
            return parse_digest(reference).map(Reference::Digest);
        }
        if tag_is_valid(reference) {
            return Ok(Reference::Tag(reference.to_string()));
        }
        Err(ApiError::new(
            ErrorCode::ManifestInvalid,
            format!(
                "invalid reference `{}`: a tag is [a-zA-Z0-9_][a-zA-Z0-9._-]{{0,127}}",
                printable(reference)
            ),
        )
        .with_status(axum::http::StatusCode::BAD_REQUEST))
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reference::Tag(tag) => f.write_str(tag),
            Reference::Digest(digest) => write!(f, "{digest}"),
        }
    }
}

/// Parses a digest given by a client; a malformed one is `DIGEST_INVALID`.
pub fn parse_digest(digest: &str) -> Result<Digest, ApiError> {
    Digest::from_str(digest).map_err(|error| {
        ApiError::new(
            ErrorCode::DigestInvalid,
            format!("invalid digest: {}", printable(&error.to_string())),
        )
    })
}

/// What a `/v2/...` path asks for. Values are still unvalidated text except where noted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `/v2/`: the API version check.
    Base,
    /// `/v2/_catalog`.
    Catalog,
    /// `/v2/<name>/manifests/<reference>`.
    Manifest { name: String, reference: String },
    /// `/v2/<name>/blobs/<digest>`.
    Blob { name: String, digest: String },
    /// `/v2/<name>/blobs/uploads/`: start an upload.
    Uploads { name: String },
    /// `/v2/<name>/blobs/uploads/<id>`.
    Upload { name: String, id: String },
    /// `/v2/<name>/tags/list`.
    Tags { name: String },
    /// `/v2/<name>/referrers/<digest>`.
    Referrers { name: String, digest: String },
}

impl Endpoint {
    /// Reads a request path (percent-encoded as received). `None` when it is not an
    /// endpoint of the specification.
    pub fn parse(raw_path: &str) -> Option<Endpoint> {
        let decoded = percent_encoding::percent_decode_str(raw_path).decode_utf8().ok()?;
        let rest = decoded.strip_prefix("/v2")?;
        if rest.is_empty() || rest == "/" {
            return Some(Endpoint::Base);
        }
        let rest = rest.strip_prefix('/')?;
        if rest == "_catalog" {
            return Some(Endpoint::Catalog);
        }
        let segments: Vec<&str> = rest.split('/').collect();
        Self::from_segments(&segments)
    }

    fn from_segments(segments: &[&str]) -> Option<Endpoint> {
        let n = segments.len();
        let name = |tail: usize| -> Option<String> { (n > tail).then(|| segments[..n - tail].join("/")) };
        let tail = |k: usize| if n >= k { &segments[n - k..] } else { &[][..] };
        match tail(3) {
            ["blobs", "uploads", ""] => return Some(Endpoint::Uploads { name: name(3)? }),
            ["blobs", "uploads", id] => {
                return Some(Endpoint::Upload {
                    name: name(3)?,
                    id: id.to_string(),
                });
            }
            _ => {}
        }
        match tail(2) {
            ["tags", "list"] => Some(Endpoint::Tags { name: name(2)? }),
            ["blobs", "uploads"] => Some(Endpoint::Uploads { name: name(2)? }),
            ["manifests", reference] if !reference.is_empty() => Some(Endpoint::Manifest {
                name: name(2)?,
                reference: reference.to_string(),
            }),
            ["blobs", digest] if !digest.is_empty() => Some(Endpoint::Blob {
                name: name(2)?,
                digest: digest.to_string(),
            }),
            ["referrers", digest] if !digest.is_empty() => Some(Endpoint::Referrers {
                name: name(2)?,
                digest: digest.to_string(),
            }),
            _ => None,
        }
    }
}

/// Client-provided text made safe to put in a message: control characters escaped, length
/// capped.
pub fn printable(text: &str) -> String {
    let mut out: String = text.chars().take(300).flat_map(char::escape_debug).collect();
    if text.chars().count() > 300 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_follow_the_specification_grammar() {
        for good in ["a", "library/debian", "a.b_c__d---e/f0", "x/y/z"] {
            assert!(RepositoryName::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "A", "a/", "/a", "a//b", "a..b", "a___b", "-a", "a-", "a_.b", "a b"] {
            assert!(RepositoryName::parse(bad).is_err(), "{bad}");
        }
        assert!(RepositoryName::parse(&"a".repeat(256)).is_err());
    }

    #[test]
    fn tags_follow_the_specification_grammar() {
        assert!(tag_is_valid("latest") && tag_is_valid("_x.Y-1") && tag_is_valid(&"a".repeat(128)));
        assert!(!tag_is_valid("") && !tag_is_valid(".a") && !tag_is_valid("-a"));
        assert!(!tag_is_valid(&"a".repeat(129)) && !tag_is_valid("a/b"));
    }

    #[test]
    fn endpoints_are_read_from_the_last_segments() {
        let manifest = Endpoint::parse("/v2/team/blobs/manifests/latest").unwrap();
        assert_eq!(
            manifest,
            Endpoint::Manifest {
                name: "team/blobs".into(),
                reference: "latest".into()
            }
        );
        assert_eq!(
            Endpoint::parse("/v2/a/b/blobs/uploads/").unwrap(),
            Endpoint::Uploads { name: "a/b".into() }
        );
        assert_eq!(
            Endpoint::parse("/v2/a/blobs/uploads/abc").unwrap(),
            Endpoint::Upload {
                name: "a".into(),
                id: "abc".into()
            }
        );
        assert_eq!(
            Endpoint::parse("/v2/a/blobs/sha256%3Aab").unwrap(),
            Endpoint::Blob {
                name: "a".into(),
                digest: "sha256:ab".into()
            }
        );
        assert_eq!(Endpoint::parse("/v2/").unwrap(), Endpoint::Base);
        assert_eq!(Endpoint::parse("/v2/_catalog").unwrap(), Endpoint::Catalog);
        assert_eq!(Endpoint::parse("/v2/tags/list"), None);
        assert_eq!(Endpoint::parse("/v2/a/unknown"), None);
        assert_eq!(Endpoint::parse("/v3/a/tags/list"), None);
    }
}
