//! PEM armour (RFC 7468 textual encoding) for the labels cosign writes, including its own
//! `ENCRYPTED SIGSTORE PRIVATE KEY`. Lines are 64 characters, as Go's `encoding/pem` writes.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::error::{Result, TrustError};

/// The first block of a PEM text: its label and decoded bytes.
pub struct PemBlock {
    pub label: String,
    pub data: Vec<u8>,
}

/// Reads the first `-----BEGIN …-----` block of `text`. Text before it is skipped (as Go's
/// `pem.Decode` does); the END line must repeat the label; the body must be base64.
pub fn decode(text: &str, what: &str) -> Result<PemBlock> {
    let bad = |reason: &str| TrustError::key(what, format!("not a PEM file: {reason}"));
    let mut lines = text.lines().map(str::trim);
    let label = loop {
        let line = lines.next().ok_or_else(|| bad("no `-----BEGIN …-----` line"))?;
        if let Some(label) = line.strip_prefix("-----BEGIN ").and_then(|l| l.strip_suffix("-----")) {
            break label.to_string();
        }
    };
    let end = format!("-----END {label}-----");
    let mut body = String::new();
    let mut closed = false;
    for line in lines {
        if line == end {
            closed = true;
            break;
        }
        if line.starts_with("-----") {
            return Err(bad(&format!("`{line}` where `{end}` was expected")));
        }
        if line.contains(':') {
            return Err(bad("encapsulated headers are not supported"));
        }
        body.push_str(line);
    }
    if !closed {
        return Err(bad(&format!("no `{end}` line")));
    }
    let data = STANDARD
        .decode(body.as_bytes())
        .map_err(|e| bad(&format!("the body is not base64 ({e})")))?;
    Ok(PemBlock { label, data })
}

/// Armours `data` under `label`, 64 base64 characters a line, ending in a newline.
pub fn encode(label: &str, data: &[u8]) -> String {
    let body = STANDARD.encode(data);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_long_bodies() {
        let data: Vec<u8> = (0..=255u8).collect();
        let text = encode("PUBLIC KEY", &data);
        assert!(text.lines().all(|l| l.len() <= 64 || l.starts_with("-----")));
        let block = decode(&format!("leading text\n{text}"), "test").unwrap();
        assert_eq!(block.label, "PUBLIC KEY");
        assert_eq!(block.data, data);
    }

    #[test]
    fn malformed_armour_is_refused_with_a_reason() {
        let cases = [
            ("", "no `-----BEGIN"),
            ("-----BEGIN A-----\nAAAA\n", "no `-----END A-----`"),
            ("-----BEGIN A-----\nAAAA\n-----END B-----\n", "where `-----END A-----`"),
            ("-----BEGIN A-----\n!!!!\n-----END A-----\n", "not base64"),
            ("-----BEGIN A-----\nAAA\n-----END A-----\n", "not base64"),
        ];
        for (text, expected) in cases {
            let error = decode(text, "k.pem").err().unwrap().to_string();
            assert!(error.contains(expected), "{text:?}: {error}");
            assert!(error.contains("k.pem"));
        }
    }
}
