//! What a vulnerability scan reports: findings against packages, grouped per target, with
//! their severity, fix and any suppression that applies.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::{CheckFinding, Ecosystem, ImageDescription, OsRelease, PackageLocation, SourcePackage};

/// The version of the JSON scan report schema (`drydock scan --format json`).
/// Bumped on any incompatible change; additions of optional fields keep it.
pub const SCAN_REPORT_SCHEMA_VERSION: u32 = 1;

/// How bad a vulnerability is, in the usual five buckets plus "not rated".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    #[default]
    Unknown,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// All buckets from the most to the least severe (the order of summaries).
    pub const DESCENDING: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Unknown,
    ];

    /// The bucket of a CVSS base score (0.0–10.0), as CVSS v3/v4 define the ratings.
    /// A score of 0.0 ("None") is reported as low: the advisory exists for a reason.
    pub fn from_cvss_score(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else {
            Severity::Low
        }
    }

    /// Parses a rating word as databases write it (`HIGH`, `Moderate`, `important`, …).
    pub fn parse_rating(word: &str) -> Option<Severity> {
        match word.trim().to_ascii_lowercase().as_str() {
            "critical" => Some(Severity::Critical),
            "high" | "important" => Some(Severity::High),
            "medium" | "moderate" => Some(Severity::Medium),
            "low" | "negligible" | "unimportant" | "none" => Some(Severity::Low),
            "unknown" | "" => Some(Severity::Unknown),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which scoring system a [`SeverityScore`] comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ScoreKind {
    #[serde(rename = "CVSS_V2")]
    CvssV2,
    #[serde(rename = "CVSS_V3")]
    CvssV3,
    #[serde(rename = "CVSS_V4")]
    CvssV4,
    /// The advisory database's own rating word (GHSA `database_specific.severity`, distro urgency).
    #[serde(rename = "DATABASE")]
    Database,
}

/// One severity statement of an advisory: a CVSS vector with the score computed from it, or
/// a database's rating.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeverityScore {
    pub kind: ScoreKind,
    /// The CVSS vector string or the database's rating word, as the record wrote it.
    pub value: String,
    /// The computed CVSS base score, when `value` is a vector drydock could score.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    pub severity: Severity,
}

/// Whether a fix is published for the installed version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FixState {
    /// At least one fixed version later than the installed one exists.
    Fixed,
    /// The advisory names no fixed version for this package.
    #[default]
    NotFixed,
}

/// What kind of finding it is: a known vulnerability, or a package known to be malicious
/// (OSV `MAL-` records), which is malware whatever its version.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    #[default]
    Vulnerability,
    Malware,
}

/// The package a finding is about, as the inventory described it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AffectedPackage {
    pub name: String,
    pub version: String,
    pub ecosystem: Ecosystem,
    pub purl: String,
    /// The distribution source package the advisory was matched through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourcePackage>,
    pub locations: Vec<PackageLocation>,
}

/// Why a record matched: which advisory record, through which range or version list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchEvidence {
    /// The OSV record id (one vulnerability can be matched through several aliased records).
    pub record: String,
    /// The OSV ecosystem and package name the record names (`Debian:12`/`openssl`, `PyPI`/`jinja2`).
    pub ecosystem: String,
    pub package: String,
    /// A human description of what matched: `ECOSYSTEM >= 3.2, < 3.2.5` or `listed in versions`.
    pub reason: String,
}

/// Who silenced a finding and why (`--ignore-file`, `--vex`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// `ignore-file` or `vex`.
    pub source: String,
    /// The file the rule came from.
    pub file: String,
    /// The VEX status or justification, or the ignore rule's reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement: Option<String>,
    /// The day an ignore rule stops applying (`YYYY-MM-DD`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// One vulnerability (or malware record) affecting one package.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The id shown first: the record id of the preferred source (a CVE when one is known
    /// for distribution records, else the advisory's own id).
    pub id: String,
    /// Every other id of the same vulnerability (CVE, GHSA, PYSEC, RUSTSEC, DSA, …), sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    pub kind: FindingKind,
    pub package: AffectedPackage,
    pub severity: Severity,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scores: Vec<SeverityScore>,
    pub fix_state: FixState,
    /// The versions that fix it, lowest first, each later than the installed version.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed_versions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<String>,
    pub matched_by: Vec<MatchEvidence>,
    /// Set when an ignore rule or VEX statement silences this finding; suppressed findings
    /// are left out of outputs and exit codes unless `--show-suppressed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
}

/// What kind of thing a [`ScanTarget`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetClass {
    /// The distribution's packages (dpkg, apk, rpm).
    OsPackages,
    /// A language lockfile, package directory or binary.
    LanguagePackages,
}

/// A group of findings as users think of them: the OS packages, or one lockfile or package
/// directory (`/app/package-lock.json`, `/usr/lib/python3/dist-packages`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScanTarget {
    /// `debian 12 (dpkg)`, or the path of the lockfile / package directory / binary.
    pub name: String,
    pub class: TargetClass,
    pub ecosystem: Ecosystem,
    /// How many packages of the inventory belong to this target.
    pub packages: usize,
    pub findings: Vec<Finding>,
}

/// Where the advisory data of a scan came from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseInfo {
    /// The store file used.
    pub path: String,
    /// When it was built (RFC 3339).
    pub built: String,
    /// `ecosystem: records` for each source in the store.
    pub sources: Vec<DatabaseSource>,
}

/// One imported source of a database (an `all.zip` or folder of OSV JSON).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseSource {
    /// The OSV ecosystem (`PyPI`, `Debian`, …) or the path of an imported folder.
    pub name: String,
    /// Where it was downloaded from or imported from.
    pub origin: String,
    pub records: u64,
    /// The newest `modified` date among its records (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub newest_record: Option<String>,
    /// When it was fetched or imported (RFC 3339).
    pub fetched: String,
}

/// A problem met while scanning that did not stop the scan (an unparseable version, an
/// unknown ecosystem, a catalog warning).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanWarning {
    /// Where it arose: `catalog/dpkg`, `match`, `vex`, …
    pub stage: String,
    pub message: String,
}

/// The whole result of `drydock scan`: what was scanned, against which data, and the
/// findings grouped per target.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    /// [`SCAN_REPORT_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// `drydock <version>`.
    pub tool: String,
    /// The target as the user named it (`oci:…`, `fs:…`, `sbom:…`).
    pub target: String,
    /// The image, when the target was one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ImageDescription>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<OsRelease>,
    pub database: DatabaseInfo,
    /// How many packages the inventory had.
    pub packages: usize,
    pub targets: Vec<ScanTarget>,
    /// Misconfiguration and secret findings (`--scanners misconfig,secret`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<CheckFinding>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<ScanWarning>,
}

impl ScanReport {
    /// Every finding of every target.
    pub fn findings(&self) -> impl Iterator<Item = &Finding> {
        self.targets.iter().flat_map(|target| target.findings.iter())
    }

    /// Unsuppressed findings per severity, most severe first.
    pub fn summary(&self) -> Vec<(Severity, usize)> {
        Severity::DESCENDING
            .iter()
            .map(|&severity| {
                let count = self
                    .findings()
                    .filter(|finding| finding.suppressed.is_none() && finding.severity == severity)
                    .count();
                (severity, count)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cvss_buckets_follow_the_specification() {
        assert_eq!(Severity::from_cvss_score(9.8), Severity::Critical);
        assert_eq!(Severity::from_cvss_score(9.0), Severity::Critical);
        assert_eq!(Severity::from_cvss_score(8.9), Severity::High);
        assert_eq!(Severity::from_cvss_score(7.0), Severity::High);
        assert_eq!(Severity::from_cvss_score(6.9), Severity::Medium);
        assert_eq!(Severity::from_cvss_score(4.0), Severity::Medium);
        assert_eq!(Severity::from_cvss_score(3.9), Severity::Low);
        assert_eq!(Severity::from_cvss_score(0.0), Severity::Low);
    }

    #[test]
    fn rating_words_of_several_databases() {
        assert_eq!(Severity::parse_rating("MODERATE"), Some(Severity::Medium));
        assert_eq!(Severity::parse_rating("Important"), Some(Severity::High));
        assert_eq!(Severity::parse_rating("weird"), None);
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Unknown);
    }
}
