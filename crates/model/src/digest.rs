use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A content digest such as `sha256:0123…`.
///
/// Only the algorithms OCI registers are accepted (`sha256`, `sha512`), and the hex part
/// must have the length the algorithm gives and be lowercase, so a digest can be used as a
/// file name without any escaping.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    algorithm: Algorithm,
    hex: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
enum Algorithm {
    Sha256,
    Sha512,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DigestError {
    #[error("digest `{0}` has no `algorithm:` prefix")]
    MissingAlgorithm(String),
    #[error("digest `{0}` uses an unsupported algorithm (sha256 and sha512 are supported)")]
    UnsupportedAlgorithm(String),
    #[error("digest `{0}` does not have the length or lowercase hex form its algorithm requires")]
    BadHex(String),
}

impl Digest {
    /// A sha256 digest from its 64 lowercase hex characters.
    pub fn sha256_from_hex(hex: &str) -> Result<Self, DigestError> {
        Self::from_str(&format!("sha256:{hex}"))
    }

    /// The algorithm name, `sha256` or `sha512`.
    pub fn algorithm(&self) -> &'static str {
        match self.algorithm {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// The lowercase hex part.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The first 12 hex characters, as Docker shows image ids.
    pub fn short(&self) -> &str {
        &self.hex[..12]
    }

    pub fn is_sha256(&self) -> bool {
        self.algorithm == Algorithm::Sha256
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (alg, hex) = s
            .split_once(':')
            .ok_or_else(|| DigestError::MissingAlgorithm(s.to_string()))?;
        let (algorithm, len) = match alg {
            "sha256" => (Algorithm::Sha256, 64),
            "sha512" => (Algorithm::Sha512, 128),
            _ => return Err(DigestError::UnsupportedAlgorithm(s.to_string())),
        };
        let well_formed = hex.len() == len && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !well_formed {
            return Err(DigestError::BadHex(s.to_string()));
        }
        Ok(Digest {
            algorithm,
            hex: hex.to_string(),
        })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm(), self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_sha256() {
        let text = format!("sha256:{}", "ab".repeat(32));
        let digest: Digest = text.parse().unwrap();
        assert_eq!(digest.to_string(), text);
        assert_eq!(digest.algorithm(), "sha256");
        assert_eq!(digest.short(), "abababababab");
    }

    #[test]
    fn rejects_malformed_digests() {
        assert!(matches!("abc".parse::<Digest>(), Err(DigestError::MissingAlgorithm(_))));
        assert!(matches!(
            format!("md5:{}", "a".repeat(32)).parse::<Digest>(),
            Err(DigestError::UnsupportedAlgorithm(_))
        ));
        assert!(matches!(
            format!("sha256:{}", "A".repeat(64)).parse::<Digest>(),
            Err(DigestError::BadHex(_))
        ));
        assert!(matches!(
            "sha256:../../etc".parse::<Digest>(),
            Err(DigestError::BadHex(_))
        ));
    }
}
