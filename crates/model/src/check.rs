//! Findings that are not known vulnerabilities: misconfigurations, secrets, Dockerfile and
//! manifest rules. Every rule has a stable id (`DD-<AREA>-<NNN>`) documented in docs/.

use serde::{Deserialize, Serialize};

use crate::Severity;

/// The fixed description of one rule: what it looks for and how to fix what it finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RuleInfo {
    /// Stable id, `DD-<AREA>-<NNN>` (`DD-IMG-001`, `DD-SEC-014`, `DD-DF-023`).
    pub id: &'static str,
    pub severity: Severity,
    pub title: &'static str,
    pub remediation: &'static str,
    /// The CIS Docker Benchmark item it implements (`CIS Docker Benchmark v1.6.0 4.1`), if any.
    pub cis: Option<&'static str>,
}

/// Where a check finding is: a file in an image layer, a line of a Dockerfile or manifest,
/// or a field of the image configuration.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckLocation {
    /// The file: a path inside the image, or the Dockerfile / manifest path given by the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The layer that holds the file (secrets are reported in every layer that has them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// 1-based line (and column) in the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// The configuration field or object (`config.User`, `history[3]`, `Deployment/web container app`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
}

/// One rule that fired, once per place it fired.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckFinding {
    pub rule: String,
    pub severity: Severity,
    pub title: String,
    /// What was found, specific to this place. Secrets appear here masked, never in clear.
    pub message: String,
    pub remediation: String,
    pub location: CheckLocation,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cis: Option<String>,
}

impl CheckFinding {
    /// A finding of `rule` at `location` with a specific message.
    pub fn new(rule: &RuleInfo, message: impl Into<String>, location: CheckLocation) -> Self {
        CheckFinding {
            rule: rule.id.to_string(),
            severity: rule.severity,
            title: rule.title.to_string(),
            message: message.into(),
            remediation: rule.remediation.to_string(),
            location,
            cis: rule.cis.map(str::to_string),
        }
    }
}
