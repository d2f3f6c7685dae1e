use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An image platform: `os/architecture[/variant]`, as in `linux/arm64/v8`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("platform `{0}` is not of the form os/arch[/variant], e.g. linux/amd64 or linux/arm/v7")]
pub struct PlatformError(String);

impl Platform {
    pub fn new(os: &str, architecture: &str, variant: Option<&str>) -> Self {
        Platform {
            os: os.to_string(),
            architecture: architecture.to_string(),
            variant: variant.map(str::to_string),
        }
    }

    /// The platform of the machine drydock runs on, in OCI's names (`amd64`, `arm64`, ...).
    pub fn host() -> Self {
        let (architecture, variant) = match std::env::consts::ARCH {
            "x86_64" => ("amd64", None),
            "aarch64" => ("arm64", Some("v8")),
            "x86" => ("386", None),
            "arm" => ("arm", Some("v7")),
            "powerpc64" => ("ppc64le", None),
            "s390x" => ("s390x", None),
            "riscv64" => ("riscv64", None),
            other => (other, None),
        };
        Platform::new("linux", architecture, variant)
    }

    /// Whether an image built for `candidate` runs on `self`. The variant only matters when
    /// both sides name one; `arm64` without a variant means `v8`.
    pub fn matches(&self, candidate: &Platform) -> bool {
        if self.os != candidate.os || self.architecture != candidate.architecture {
            return false;
        }
        let normalize = |platform: &Platform| -> Option<String> {
            match (platform.architecture.as_str(), platform.variant.as_deref()) {
                ("arm64", None) => Some("v8".to_string()),
                (_, v) => v.map(str::to_string),
            }
        };
        match (normalize(self), normalize(candidate)) {
            (Some(want), Some(have)) => want == have,
            _ => true,
        }
    }
}

impl FromStr for Platform {
    type Err = PlatformError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parts: Vec<&str> = s.split('/').collect();
        let valid = |p: &str| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.')
        };
        match parts.as_slice() {
            [os, arch] if valid(os) && valid(arch) => Ok(Platform::new(os, arch, None)),
            [os, arch, variant] if valid(os) && valid(arch) && valid(variant) => {
                Ok(Platform::new(os, arch, Some(variant)))
            }
            _ => Err(PlatformError(s.to_string())),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_two_and_three_parts() {
        assert_eq!(
            "linux/amd64".parse::<Platform>().unwrap(),
            Platform::new("linux", "amd64", None)
        );
        let arm: Platform = "linux/arm/v7".parse().unwrap();
        assert_eq!(arm.to_string(), "linux/arm/v7");
        assert!("linux".parse::<Platform>().is_err());
        assert!("linux/amd64/v1/x".parse::<Platform>().is_err());
        assert!("linux//v7".parse::<Platform>().is_err());
    }

    #[test]
    fn arm64_variant_defaults_to_v8() {
        let want: Platform = "linux/arm64".parse().unwrap();
        assert!(want.matches(&"linux/arm64/v8".parse().unwrap()));
        assert!(!want.matches(&"linux/arm64/v9".parse().unwrap()));
        assert!(!want.matches(&"linux/amd64".parse().unwrap()));
    }
}
