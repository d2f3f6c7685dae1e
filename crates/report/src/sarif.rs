//! `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it
//! (<https://docs.oasis-open.org/sarif/sarif/v2.1.0/>).
//!
//! One run. Each distinct vulnerability id and each check rule is one `reportingDescriptor`
//! (rules sorted by id); each finding is one result pointing at its rule by id and index.
//! A package finding is located at the file the package was found in (the dpkg status
//! file, the lockfile), relative to the image root, line 1; a check finding at its own
//! line. `partialFingerprints` hash what identifies a finding across runs (id, purl, path),
//! so GitHub keeps one alert per finding however often the image is scanned. Suppressed
//! findings stay in, with an external `suppressions` entry, so GitHub shows them dismissed.

use std::collections::BTreeMap;

use drydock_model::{
    CheckFinding, Finding, FindingKind, ScanReport, ScoreKind, Severity, Suppression as ModelSuppression,
};
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::links::{self, CheckCategory};
use crate::order;
use crate::text::{one_line, printable_lines};

const SCHEMA: &str = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
const VERSION: &str = "2.1.0";
/// The key of drydock's fingerprint in `partialFingerprints`; the suffix versions the recipe.
const FINGERPRINT_KEY: &str = "drydock/v1";
/// The longest message or description line; SARIF viewers show the first sentence.
const TEXT_CHARS: usize = 1000;

#[derive(Serialize)]
struct Log {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run {
    tool: Tool,
    invocations: Vec<Invocation>,
    results: Vec<SarifResult>,
    properties: BTreeMap<&'static str, Value>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    information_uri: &'static str,
    version: String,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rule {
    id: String,
    short_description: Text,
    full_description: Text,
    help: Help,
    help_uri: String,
    default_configuration: Configuration,
    properties: RuleProperties,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct RuleProperties {
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<String>,
    tags: Vec<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: String,
    rule_index: usize,
    level: &'static str,
    message: Text,
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
    properties: BTreeMap<&'static str, Value>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    physical_location: PhysicalLocation,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    start_column: Option<u32>,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    status: &'static str,
    justification: String,
}

pub fn render(report: &ScanReport) -> Result<Vec<u8>, serde_json::Error> {
    crate::pretty_json(&log(report))
}

fn log(report: &ScanReport) -> Log {
    let rules = rules(report);
    let index: BTreeMap<&str, usize> = rules
        .iter()
        .enumerate()
        .map(|(i, rule)| (rule.id.as_str(), i))
        .collect();
    let rule_index = |id: &str| index.get(id).copied().unwrap_or_default();
    let mut results = Vec::new();
    for target in &report.targets {
        for finding in order::findings(&target.findings) {
            results.push(finding_result(finding, &target.name, rule_index(&finding.id)));
        }
    }
    for check in order::checks(&report.checks) {
        results.push(check_result(check, rule_index(&check.rule)));
    }
    let mut properties = BTreeMap::new();
    properties.insert("target", json!(report.target));
    properties.insert("packages", json!(report.packages));
    properties.insert("databaseBuilt", json!(report.database.built));
    Log {
        schema: SCHEMA,
        version: VERSION,
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "drydock",
                    information_uri: links::PROJECT_URL,
                    version: crate::tool_version(report).to_string(),
                    rules,
                },
            },
            invocations: vec![invocation(report)],
            results,
            properties,
        }],
    }
}

fn invocation(report: &ScanReport) -> Invocation {
    Invocation {
        execution_successful: true,
        tool_execution_notifications: report
            .warnings
            .iter()
            .map(|warning| Notification {
                level: "warning",
                message: Text {
                    text: one_line(&format!("{}: {}", warning.stage, warning.message), TEXT_CHARS),
                },
            })
            .collect(),
    }
}

/// One rule per vulnerability id and per check rule, sorted by id.
fn rules(report: &ScanReport) -> Vec<Rule> {
    let mut vulnerabilities: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for finding in order::findings(report.findings()) {
        vulnerabilities.entry(finding.id.as_str()).or_default().push(finding);
    }
    let mut checks: BTreeMap<&str, &CheckFinding> = BTreeMap::new();
    for check in order::checks(&report.checks) {
        checks.entry(check.rule.as_str()).or_insert(check);
    }
    let mut rules: Vec<Rule> = vulnerabilities
        .values()
        .map(|findings| vulnerability_rule(findings))
        .chain(checks.values().map(|check| check_rule(check)))
        .collect();
    rules.sort_by(|a, b| a.id.cmp(&b.id));
    rules.dedup_by(|a, b| a.id == b.id);
    rules
}

/// The rule of one vulnerability id, from every finding of it (most severe first).
fn vulnerability_rule(findings: &[&Finding]) -> Rule {
    let first = findings[0];
    let severity = first.severity;
    let title = findings.iter().find_map(|f| f.title.as_deref());
    let description = findings.iter().find_map(|f| f.description.as_deref());
    let summary = title.or(description).map(|t| one_line(t, TEXT_CHARS));
    let short = match summary {
        Some(summary) => format!("{}: {summary}", first.id),
        None => format!("{} in {}", first.id, first.package.name),
    };
    let full = description
        .or(title)
        .map(|t| one_line(t, TEXT_CHARS))
        .unwrap_or_else(|| short.clone());
    let malware = findings.iter().any(|f| f.kind == FindingKind::Malware);
    let score = findings
        .iter()
        .filter_map(|f| agreeing_cvss_score(f))
        .fold(None, max_score);
    let mut tags = vec!["security", "vulnerability"];
    if malware {
        tags.push("malware");
    }
    Rule {
        id: first.id.clone(),
        short_description: Text { text: short },
        full_description: Text { text: full },
        help: Help {
            text: vulnerability_help_text(findings, title, description, malware),
            markdown: vulnerability_help_markdown(findings, title, description, malware),
        },
        help_uri: links::id_source(&first.id).url,
        default_configuration: Configuration { level: level(severity) },
        properties: RuleProperties {
            security_severity: Some(score.map_or_else(|| bucket_score(severity), |s| format!("{s:.1}")))
                .filter(|s| !s.is_empty()),
            tags,
        },
    }
}

fn check_rule(check: &CheckFinding) -> Rule {
    let full = match &check.cis {
        Some(cis) => format!("{} ({cis})", check.title),
        None => check.title.clone(),
    };
    Rule {
        id: check.rule.clone(),
        short_description: Text {
            text: one_line(&check.title, TEXT_CHARS),
        },
        full_description: Text {
            text: one_line(&full, TEXT_CHARS),
        },
        help: Help {
            text: format!(
                "{}\n\nRemediation: {}",
                one_line(&full, TEXT_CHARS),
                printable_lines(&check.remediation)
            ),
            markdown: format!(
                "**{}**\n\n**Remediation:** {}",
                markdown_text(&full),
                markdown_text(&check.remediation)
            ),
        },
        help_uri: links::check_rule_url(&check.rule),
        default_configuration: Configuration {
            level: level(check.severity),
        },
        properties: RuleProperties {
            security_severity: Some(bucket_score(check.severity)).filter(|s| !s.is_empty()),
            tags: vec!["security", CheckCategory::of(&check.rule).tag()],
        },
    }
}

fn vulnerability_help_text(
    findings: &[&Finding],
    title: Option<&str>,
    description: Option<&str>,
    malware: bool,
) -> String {
    let mut text = String::new();
    for part in [title, description].into_iter().flatten() {
        text.push_str(&printable_lines(part.trim()));
        text.push_str("\n\n");
    }
    if malware {
        text.push_str("This package is known to be malicious: remove it and treat the image as compromised.\n\n");
    }
    text.push_str("Affected packages:\n");
    for finding in findings {
        text.push_str(&format!(
            "- {} {} ({}): {}\n",
            one_line(&finding.package.name, TEXT_CHARS),
            one_line(&finding.package.version, TEXT_CHARS),
            one_line(&location_path(finding), TEXT_CHARS),
            one_line(&fix_advice(finding), TEXT_CHARS)
        ));
    }
    append_references(&mut text, findings, |url| format!("- {url}\n"));
    text
}

fn vulnerability_help_markdown(
    findings: &[&Finding],
    title: Option<&str>,
    description: Option<&str>,
    malware: bool,
) -> String {
    let first = findings[0];
    let mut markdown = format!("**{}**", markdown_text(&first.id));
    if let Some(title) = title {
        markdown.push_str(&format!(": {}", markdown_text(&one_line(title, TEXT_CHARS))));
    }
    markdown.push_str("\n\n");
    if let Some(description) = description {
        // OSV `details` are Markdown already.
        markdown.push_str(&printable_lines(description.trim()));
        markdown.push_str("\n\n");
    }
    if malware {
        markdown
            .push_str("**This package is known to be malicious:** remove it and treat the image as compromised.\n\n");
    }
    markdown.push_str("| Package | Installed | Fixed | Path | Fix |\n| --- | --- | --- | --- | --- |\n");
    for finding in findings {
        markdown.push_str(&format!(
            "| {} | {} | {} | {} | {} |\n",
            markdown_text(&finding.package.name),
            markdown_text(&finding.package.version),
            markdown_text(&finding.fixed_versions.join(", ")),
            markdown_text(&location_path(finding)),
            markdown_text(&fix_advice(finding))
        ));
    }
    append_references(&mut markdown, findings, |url| format!("- <{url}>\n"));
    markdown
}

/// The advisory's reference links (http and https only), once each.
fn append_references(out: &mut String, findings: &[&Finding], line: impl Fn(&str) -> String) {
    let mut urls: Vec<&str> = findings
        .iter()
        .flat_map(|f| f.references.iter())
        .map(String::as_str)
        .filter(|url| is_web_url(url))
        .collect();
    urls.sort_unstable();
    urls.dedup();
    if urls.is_empty() {
        return;
    }
    out.push_str("\nReferences:\n");
    for url in urls {
        out.push_str(&line(url));
    }
}

fn finding_result(finding: &Finding, target: &str, rule_index: usize) -> SarifResult {
    let path = location_path(finding);
    let uri = if finding.package.locations.is_empty() {
        finding.package.purl.clone()
    } else {
        links::relative_path_uri(&path)
    };
    let mut properties = BTreeMap::new();
    properties.insert("purl", json!(finding.package.purl));
    properties.insert("installedVersion", json!(finding.package.version));
    properties.insert("fixedVersions", json!(finding.fixed_versions));
    properties.insert("severity", json!(finding.severity));
    properties.insert("kind", json!(finding.kind));
    properties.insert("target", json!(target));
    if !finding.aliases.is_empty() {
        properties.insert("aliases", json!(finding.aliases));
    }
    SarifResult {
        rule_id: finding.id.clone(),
        rule_index,
        level: level(finding.severity),
        message: Text {
            text: finding_message(finding),
        },
        locations: vec![location(uri, 1, None)],
        partial_fingerprints: fingerprint(&[&finding.id, &finding.package.purl, &path]),
        suppressions: finding.suppressed.iter().map(suppression).collect(),
        properties,
    }
}

fn check_result(check: &CheckFinding, rule_index: usize) -> SarifResult {
    let place = check
        .location
        .path
        .as_deref()
        .or(check.location.object.as_deref())
        .unwrap_or("image");
    let line = check.location.line.unwrap_or(1).max(1);
    let column = check
        .location
        .column
        .filter(|c| *c >= 1 && check.location.line.is_some());
    let layer = check.location.layer.map(|l| l.to_string()).unwrap_or_default();
    let mut properties = BTreeMap::new();
    properties.insert("severity", json!(check.severity));
    properties.insert("category", json!(CheckCategory::of(&check.rule).tag()));
    if let Some(layer) = check.location.layer {
        properties.insert("layer", json!(layer));
    }
    if let Some(object) = &check.location.object {
        properties.insert("object", json!(object));
    }
    SarifResult {
        rule_id: check.rule.clone(),
        rule_index,
        level: level(check.severity),
        message: Text {
            text: one_line(&format!("{}: {}", check.title, check.message), TEXT_CHARS),
        },
        locations: vec![location(links::relative_path_uri(place), line, column)],
        partial_fingerprints: fingerprint(&[&check.rule, place, &line.to_string(), &layer]),
        suppressions: Vec::new(),
        properties,
    }
}

fn location(uri: String, start_line: u32, start_column: Option<u32>) -> Location {
    Location {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation { uri },
            region: Region {
                start_line,
                start_column,
            },
        },
    }
}

/// `libssl3 3.0.11-1~deb12u2 is affected by CVE-2024-0001 (high): title. Upgrade to 3.0.13.`
fn finding_message(finding: &Finding) -> String {
    let package = format!("{} {}", finding.package.name, finding.package.version);
    let summary = finding
        .title
        .as_deref()
        .map(|title| format!(": {}", title.trim_end_matches('.')))
        .unwrap_or_default();
    let text = match finding.kind {
        FindingKind::Malware => format!(
            "{package} is known malware ({}){summary}. Remove it and treat the image as compromised.",
            finding.id
        ),
        FindingKind::Vulnerability => format!(
            "{package} is affected by {} ({}){summary}. {}.",
            finding.id,
            finding.severity,
            capitalized(&fix_advice(finding))
        ),
    };
    one_line(&text, TEXT_CHARS)
}

fn fix_advice(finding: &Finding) -> String {
    match (finding.kind, finding.fixed_versions.first()) {
        (FindingKind::Malware, _) => "remove the package".to_string(),
        (FindingKind::Vulnerability, Some(fixed)) => format!("upgrade to {fixed}"),
        (FindingKind::Vulnerability, None) => "no fixed version is published".to_string(),
    }
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The file the package was found in (its first location), or its purl when it has none.
fn location_path(finding: &Finding) -> String {
    finding
        .package
        .locations
        .first()
        .map(|location| location.path.clone())
        .unwrap_or_else(|| finding.package.purl.clone())
}

fn suppression(suppressed: &ModelSuppression) -> Suppression {
    let reason = suppressed
        .justification
        .as_deref()
        .or(suppressed.statement.as_deref())
        .map(|why| format!(": {why}"))
        .unwrap_or_default();
    Suppression {
        kind: "external",
        status: "accepted",
        justification: format!("{} {}{reason}", suppressed.source, suppressed.file),
    }
}

/// SHA-256 of the parts, each ended by a NUL so no two part lists hash alike.
fn fingerprint(parts: &[&str]) -> BTreeMap<&'static str, String> {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    BTreeMap::from([(FINGERPRINT_KEY, hex::encode(hasher.finalize()))])
}

/// error for critical and high, warning for medium, note for low and unknown.
fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Unknown => "note",
    }
}

/// A score inside the bucket, for GitHub's `security-severity` when no CVSS score agrees
/// with the severity; empty (left out) for unknown.
fn bucket_score(severity: Severity) -> String {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
        Severity::Unknown => "",
    }
    .to_string()
}

/// The highest computed CVSS base score whose rating is the finding's severity, so
/// GitHub's severity and drydock's agree (a distribution may rate a CVE lower than NVD).
fn agreeing_cvss_score(finding: &Finding) -> Option<f64> {
    finding
        .scores
        .iter()
        .filter(|score| matches!(score.kind, ScoreKind::CvssV2 | ScoreKind::CvssV3 | ScoreKind::CvssV4))
        .filter_map(|score| score.score)
        .filter(|score| score.is_finite() && (0.0..=10.0).contains(score))
        .filter(|&score| Severity::from_cvss_score(score) == finding.severity)
        .fold(None, max_score)
}

fn max_score(best: Option<f64>, score: f64) -> Option<f64> {
    Some(best.map_or(score, |best| best.max(score)))
}

fn is_web_url(text: &str) -> bool {
    (text.starts_with("https://") || text.starts_with("http://"))
        && !text
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
}

/// Outside text for a Markdown table cell or inline span: one line, with the characters
/// that Markdown or HTML would interpret escaped.
fn markdown_text(text: &str) -> String {
    let line = one_line(text, TEXT_CHARS);
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        if "\\`*_[]<>|#!~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use drydock_model::SeverityScore;

    fn score(kind: ScoreKind, value: f64) -> SeverityScore {
        SeverityScore {
            kind,
            value: String::new(),
            score: Some(value),
            severity: Severity::from_cvss_score(value),
        }
    }

    #[test]
    fn levels_and_buckets_follow_severity() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(level(Severity::Unknown), "note");
        for severity in [Severity::Critical, Severity::High, Severity::Medium, Severity::Low] {
            let bucket: f64 = bucket_score(severity).parse().unwrap();
            assert_eq!(Severity::from_cvss_score(bucket), severity);
        }
        assert_eq!(bucket_score(Severity::Unknown), "");
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        assert_eq!(markdown_text("a|b\nc <img>"), "a\\|b c \\<img\\>");
    }

    #[test]
    fn fingerprints_separate_their_parts() {
        assert_ne!(fingerprint(&["ab", "c"]), fingerprint(&["a", "bc"]));
        assert_eq!(fingerprint(&["a"])[FINGERPRINT_KEY].len(), 64);
    }

    #[test]
    fn cvss_scores_count_only_when_they_agree_with_the_severity() {
        let mut finding: Finding = serde_json::from_value(json!({
            "id": "CVE-1", "kind": "vulnerability", "severity": "medium", "fix_state": "not_fixed",
            "matched_by": [], "package": {"name": "p", "version": "1", "ecosystem": "Deb", "purl": "pkg:deb/p@1", "locations": []}
        }))
        .unwrap();
        finding.scores = vec![
            score(ScoreKind::CvssV3, 9.8),
            score(ScoreKind::CvssV2, 5.0),
            score(ScoreKind::CvssV4, 6.1),
        ];
        assert_eq!(agreeing_cvss_score(&finding), Some(6.1));
        finding.severity = Severity::Low;
        assert_eq!(agreeing_cvss_score(&finding), None);
    }
}
