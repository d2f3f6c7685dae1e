//! `--format cyclonedx`: the inventory's CycloneDX 1.6 SBOM (as `drydock sbom` writes it)
//! with a `vulnerabilities` array (<https://cyclonedx.org/docs/1.6/json/#vulnerabilities>).
//!
//! Each finding is one vulnerability entry that `affects` the component of its package
//! (by that component's `bom-ref`). Its ratings are the advisory's severity statements;
//! its references the other ids of the same vulnerability. A finding suppressed by a VEX
//! statement carries that statement as `analysis` (`not_affected` with the CycloneDX
//! justification where the VEX one maps to it); one silenced by an ignore file stays
//! unanalysed (an ignore rule is a local decision, not a statement about exploitability)
//! and says so in `drydock:suppressed:*` properties.

use std::collections::HashSet;

use drydock_catalog::sbom::cyclonedx::{self, Bom};
use drydock_catalog::sbom::{SbomDocument, Subject};
use drydock_model::{
    Finding, FindingKind, Inventory, Package, ScanReport, ScoreKind, Severity, SeverityScore, Suppression,
};
use serde::Serialize;

use crate::links::{self, IdSource};
use crate::order;

/// The CycloneDX `version` type's limit.
const VERSION_MAX_CHARS: usize = 1024;

#[derive(Serialize)]
struct BomWithVulnerabilities {
    #[serde(flatten)]
    bom: Bom,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vulnerabilities: Vec<Vulnerability>,
}

#[derive(Serialize)]
struct Vulnerability {
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    id: String,
    source: Source,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    references: Vec<Reference>,
    ratings: Vec<Rating>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recommendation: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    advisories: Vec<Advisory>,
    #[serde(skip_serializing_if = "Option::is_none")]
    published: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    analysis: Option<Analysis>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    affects: Vec<Affects>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Source {
    name: &'static str,
    url: String,
}

impl From<IdSource> for Source {
    fn from(source: IdSource) -> Source {
        Source {
            name: source.name,
            url: source.url,
        }
    }
}

#[derive(Serialize)]
struct Reference {
    id: String,
    source: Source,
}

#[derive(Serialize)]
struct Rating {
    #[serde(skip_serializing_if = "Option::is_none")]
    score: Option<f64>,
    severity: &'static str,
    method: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    vector: Option<String>,
}

#[derive(Serialize)]
struct Advisory {
    url: String,
}

#[derive(Serialize)]
struct Analysis {
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    justification: Option<&'static str>,
    detail: String,
}

#[derive(Serialize)]
struct Affects {
    #[serde(rename = "ref")]
    reference: String,
    versions: Vec<AffectedVersion>,
}

#[derive(Serialize)]
struct AffectedVersion {
    version: String,
    status: &'static str,
}

#[derive(Serialize)]
struct Property {
    name: String,
    value: String,
}

pub fn render(
    report: &ScanReport,
    inventory: &Inventory,
    subject: &Subject,
    created: u64,
) -> Result<Vec<u8>, serde_json::Error> {
    let document = SbomDocument {
        inventory,
        subject,
        tool_version: crate::tool_version(report),
        created,
    };
    let mut bom = cyclonedx::bom(&document);
    let vulnerabilities = vulnerabilities(report, inventory);
    if !vulnerabilities.is_empty() {
        bom.derive_serial_number(&serde_json::to_string(&vulnerabilities)?);
    }
    crate::pretty_json(&BomWithVulnerabilities { bom, vulnerabilities })
}

fn vulnerabilities(report: &ScanReport, inventory: &Inventory) -> Vec<Vulnerability> {
    let components = ComponentRefs::new(&inventory.packages);
    let mut used_refs = HashSet::new();
    let mut out = Vec::new();
    for target in &report.targets {
        for finding in order::findings(&target.findings) {
            let component = components.of(finding);
            let base = format!(
                "drydock:vulnerability:{}:{}",
                finding.id,
                component.unwrap_or(&finding.package.purl)
            );
            let bom_ref = unique(base, &mut used_refs);
            out.push(vulnerability(finding, &target.name, component, bom_ref));
        }
    }
    out
}

/// The `bom-ref` the SBOM gives each package, looked up by purl (then by name, version and
/// ecosystem for a finding whose purl the inventory spells differently).
struct ComponentRefs<'a> {
    packages: &'a [Package],
    refs: Vec<String>,
}

impl<'a> ComponentRefs<'a> {
    fn new(packages: &'a [Package]) -> Self {
        ComponentRefs {
            packages,
            refs: cyclonedx::bom_refs(packages),
        }
    }

    fn of(&self, finding: &Finding) -> Option<&str> {
        let affected = &finding.package;
        let index = self
            .packages
            .iter()
            .position(|p| !affected.purl.is_empty() && p.purl == affected.purl)
            .or_else(|| {
                self.packages.iter().position(|p| {
                    p.ecosystem == affected.ecosystem && p.name == affected.name && p.version == affected.version
                })
            })?;
        self.refs.get(index).map(String::as_str)
    }
}

fn unique(base: String, used: &mut HashSet<String>) -> String {
    let mut candidate = base.clone();
    let mut n = 2;
    while !used.insert(candidate.clone()) {
        candidate = format!("{base}#{n}");
        n += 1;
    }
    candidate
}

fn vulnerability(finding: &Finding, target: &str, component: Option<&str>, bom_ref: String) -> Vulnerability {
    let (description, detail) = match (&finding.title, &finding.description) {
        (Some(title), Some(description)) if title != description => (Some(title.clone()), Some(description.clone())),
        (Some(text), _) | (None, Some(text)) => (Some(text.clone()), None),
        (None, None) => (None, None),
    };
    let affects = component
        .map(|reference| Affects {
            reference: reference.to_string(),
            versions: affected_versions(&finding.package.version),
        })
        .into_iter()
        .collect();
    Vulnerability {
        bom_ref,
        id: finding.id.clone(),
        source: links::id_source(&finding.id).into(),
        references: finding
            .aliases
            .iter()
            .filter(|alias| **alias != finding.id)
            .map(|alias| Reference {
                id: alias.clone(),
                source: links::id_source(alias).into(),
            })
            .collect(),
        ratings: ratings(finding),
        description,
        detail,
        recommendation: recommendation(finding),
        advisories: advisories(&finding.references),
        published: finding.published.clone().filter(|t| is_rfc3339(t)),
        updated: finding.modified.clone().filter(|t| is_rfc3339(t)),
        analysis: finding.suppressed.as_ref().and_then(vex_analysis),
        affects,
        properties: properties(finding, target, component.is_none()),
    }
}

fn affected_versions(version: &str) -> Vec<AffectedVersion> {
    if version.is_empty() || version.chars().count() > VERSION_MAX_CHARS {
        return Vec::new();
    }
    vec![AffectedVersion {
        version: version.to_string(),
        status: "affected",
    }]
}

/// Every severity statement of the advisory; drydock's own bucket when it has none.
fn ratings(finding: &Finding) -> Vec<Rating> {
    let ratings: Vec<Rating> = finding.scores.iter().map(rating).collect();
    if !ratings.is_empty() {
        return ratings;
    }
    vec![Rating {
        score: None,
        severity: severity(finding.severity),
        method: "other",
        vector: None,
    }]
}

fn rating(score: &SeverityScore) -> Rating {
    let method = match score.kind {
        ScoreKind::CvssV2 => "CVSSv2",
        ScoreKind::CvssV3 if score.value.starts_with("CVSS:3.1/") => "CVSSv31",
        ScoreKind::CvssV3 => "CVSSv3",
        ScoreKind::CvssV4 => "CVSSv4",
        ScoreKind::Database => "other",
    };
    let is_vector = score.kind != ScoreKind::Database && !score.value.trim().is_empty();
    Rating {
        score: score.score.filter(|s| s.is_finite()),
        severity: severity(score.severity),
        method,
        vector: is_vector.then(|| score.value.clone()),
    }
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Unknown => "unknown",
    }
}

fn recommendation(finding: &Finding) -> Option<String> {
    match finding.kind {
        FindingKind::Malware => Some(format!(
            "Remove {}: it is known to be malicious; treat the image as compromised",
            finding.package.name
        )),
        FindingKind::Vulnerability => finding
            .fixed_versions
            .first()
            .map(|fixed| format!("Upgrade {} to {fixed}", finding.package.name)),
    }
}

/// Reference links that are web URLs, once each, in the advisory's order.
fn advisories(references: &[String]) -> Vec<Advisory> {
    let mut seen = HashSet::new();
    references
        .iter()
        .filter(|url| is_web_url(url) && seen.insert(url.as_str()))
        .map(|url| Advisory { url: url.clone() })
        .collect()
}

/// A VEX suppression as CycloneDX impact analysis; `None` for other suppressions.
fn vex_analysis(suppression: &Suppression) -> Option<Analysis> {
    if !suppression.source.eq_ignore_ascii_case("vex") {
        return None;
    }
    let said = suppression
        .justification
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let words: Vec<&str> = said
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let state = if words.iter().any(|w| matches!(*w, "fixed" | "resolved")) {
        "resolved"
    } else if words.contains(&"false_positive") {
        "false_positive"
    } else {
        "not_affected"
    };
    let justification = (state == "not_affected")
        .then(|| words.iter().find_map(|w| cyclonedx_justification(w)))
        .flatten();
    let why = suppression
        .statement
        .as_deref()
        .or(suppression.justification.as_deref())
        .map(|text| format!(": {text}"))
        .unwrap_or_default();
    Some(Analysis {
        state,
        justification,
        detail: format!("VEX statement in {}{why}", suppression.file),
    })
}

/// The CycloneDX justification closest to a VEX (OpenVEX / CSAF) one, or the CycloneDX
/// value itself.
fn cyclonedx_justification(word: &str) -> Option<&'static str> {
    Some(match word {
        "component_not_present" | "vulnerable_code_not_present" | "code_not_present" => "code_not_present",
        "vulnerable_code_not_in_execute_path" | "code_not_reachable" => "code_not_reachable",
        "inline_mitigations_already_exist" | "protected_by_mitigating_control" => "protected_by_mitigating_control",
        "requires_configuration" => "requires_configuration",
        "requires_dependency" => "requires_dependency",
        "requires_environment" => "requires_environment",
        "protected_by_compiler" => "protected_by_compiler",
        "protected_at_runtime" => "protected_at_runtime",
        "protected_at_perimeter" => "protected_at_perimeter",
        _ => return None,
    })
}

fn properties(finding: &Finding, target: &str, unresolved: bool) -> Vec<Property> {
    let mut properties = vec![property("drydock:target", target)];
    if finding.kind == FindingKind::Malware {
        properties.push(property("drydock:kind", "malware"));
    }
    if unresolved {
        properties.push(property("drydock:package:purl", &finding.package.purl));
    }
    for evidence in &finding.matched_by {
        properties.push(property(
            "drydock:matched_by",
            &format!(
                "{} ({} {}): {}",
                evidence.record, evidence.ecosystem, evidence.package, evidence.reason
            ),
        ));
    }
    if let Some(suppression) = finding
        .suppressed
        .as_ref()
        .filter(|s| !s.source.eq_ignore_ascii_case("vex"))
    {
        properties.push(property("drydock:suppressed:source", &suppression.source));
        properties.push(property("drydock:suppressed:file", &suppression.file));
        if let Some(why) = &suppression.justification {
            properties.push(property("drydock:suppressed:justification", why));
        }
        if let Some(expires) = &suppression.expires {
            properties.push(property("drydock:suppressed:expires", expires));
        }
    }
    properties
}

fn property(name: &str, value: &str) -> Property {
    Property {
        name: name.to_string(),
        value: value.to_string(),
    }
}

fn is_web_url(text: &str) -> bool {
    (text.starts_with("https://") || text.starts_with("http://"))
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>\"{}|\\^`".contains(c))
}

/// RFC 3339 date-time: `YYYY-MM-DDTHH:MM:SS`, optional fraction, then `Z` or `±HH:MM`.
fn is_rfc3339(text: &str) -> bool {
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| bytes.get(range).is_some_and(|b| b.iter().all(u8::is_ascii_digit));
    let at = |i: usize, expected: &[u8]| bytes.get(i).is_some_and(|b| expected.contains(b));
    let shape = digits(0..4)
        && at(4, b"-")
        && digits(5..7)
        && at(7, b"-")
        && digits(8..10)
        && at(10, b"Tt")
        && digits(11..13)
        && at(13, b":")
        && digits(14..16)
        && at(16, b":")
        && digits(17..19);
    if !shape || drydock_model::time::date_seconds(&text[..10]).is_none() {
        return false;
    }
    let number = |range: std::ops::Range<usize>| text.get(range).and_then(|t| t.parse::<u32>().ok());
    if number(11..13) > Some(23) || number(14..16) > Some(59) || number(17..19) > Some(60) {
        return false;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let length = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if length == 0 {
            return false;
        }
        rest = &fraction[length..];
    }
    match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            [h1, h2, m1, m2].iter().all(|b| b.is_ascii_digit())
                && (h1 - b'0') * 10 + (h2 - b'0') <= 23
                && (m1 - b'0') * 10 + (m2 - b'0') <= 59
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_rfc3339_date_times() {
        for good in [
            "2024-01-15T12:00:00Z",
            "2023-06-13T17:05:42.939124Z",
            "2024-02-29T00:00:00+05:30",
        ] {
            assert!(is_rfc3339(good), "{good}");
        }
        for bad in [
            "2024-01-15",
            "2024-02-30T00:00:00Z",
            "2024-01-15T25:00:00Z",
            "2024-01-15T12:00:00",
            "2024-01-15T12:00:00.Z",
            "2024-01-15 12:00:00Z",
            "",
            "2024-01-15T12:00:00+0530",
        ] {
            assert!(!is_rfc3339(bad), "{bad}");
        }
    }

    #[test]
    fn vex_justifications_map_to_cyclonedx() {
        let vex = |justification: &str| Suppression {
            source: "vex".into(),
            file: "app.vex.json".into(),
            justification: Some(justification.into()),
            statement: None,
            expires: None,
        };
        let analysis = vex_analysis(&vex("vulnerable_code_not_in_execute_path")).unwrap();
        assert_eq!(
            (analysis.state, analysis.justification),
            ("not_affected", Some("code_not_reachable"))
        );
        assert_eq!(
            analysis.detail,
            "VEX statement in app.vex.json: vulnerable_code_not_in_execute_path"
        );
        let analysis = vex_analysis(&vex("not_affected: vulnerable_code_cannot_be_controlled_by_adversary")).unwrap();
        assert_eq!((analysis.state, analysis.justification), ("not_affected", None));
        assert_eq!(vex_analysis(&vex("fixed")).unwrap().state, "resolved");
        let ignored = Suppression {
            source: "ignore-file".into(),
            ..vex("accepted risk")
        };
        assert!(vex_analysis(&ignored).is_none());
    }

    #[test]
    fn database_ratings_carry_no_vector() {
        let word = SeverityScore {
            kind: ScoreKind::Database,
            value: "MODERATE".into(),
            score: None,
            severity: Severity::Medium,
        };
        let database = rating(&word);
        assert_eq!(
            (database.method, database.severity, database.vector),
            ("other", "medium", None)
        );
        let v31 = SeverityScore {
            kind: ScoreKind::CvssV3,
            value: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H".into(),
            score: Some(9.8),
            severity: Severity::Critical,
        };
        assert_eq!(rating(&v31).method, "CVSSv31");
    }
}
