//! `--format table`: the report for a person at a terminal.
//!
//! A header (what was scanned, against which database), then one section per target:
//! a line with its package and finding counts, known malware in a table of its own, the
//! vulnerabilities most severe first, and a summary by severity. Check findings follow in
//! their own section, then the totals. Every string from an image or advisory goes through
//! [`printable`] (via [`one_line`]) before it reaches the terminal.

use std::fmt::Write as _;

use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use drydock_model::{CheckFinding, CheckLocation, Finding, FindingKind, FixState, ScanReport, ScanTarget, Severity};

use crate::RenderOptions;
use crate::order;
use crate::text::{one_line, printable};

/// The longest title shown in a row; the JSON and SARIF outputs carry it whole.
const TITLE_CHARS: usize = 60;
/// The longest single field (name, version, path) shown; longer ones are cut.
const FIELD_CHARS: usize = 80;

pub fn render(report: &ScanReport, options: &RenderOptions) -> String {
    let mut out = String::new();
    write_header(&mut out, report);
    for target in &report.targets {
        write_target(&mut out, target, options);
    }
    if !report.checks.is_empty() {
        write_checks(&mut out, &report.checks, options);
    }
    write_totals(&mut out, report);
    out
}

fn write_header(out: &mut String, report: &ScanReport) {
    let _ = writeln!(out, "Target: {}", one_line(&report.target, FIELD_CHARS));
    if let Some(os) = &report.os {
        let name = os
            .pretty_name
            .clone()
            .unwrap_or_else(|| format!("{} {}", os.id, os.version_id.as_deref().unwrap_or_default()));
        let _ = writeln!(out, "OS: {}", one_line(&name, FIELD_CHARS));
    }
    let database = &report.database;
    let built = if database.built.is_empty() {
        "unknown"
    } else {
        &database.built
    };
    let _ = writeln!(
        out,
        "Database: built {}, {} source{} ({})",
        one_line(built, FIELD_CHARS),
        database.sources.len(),
        plural(database.sources.len()),
        one_line(&database.path, FIELD_CHARS)
    );
    let _ = writeln!(out, "Packages: {}", report.packages);
}

fn write_target(out: &mut String, target: &ScanTarget, options: &RenderOptions) {
    let visible: Vec<&Finding> = target
        .findings
        .iter()
        .filter(|finding| options.show_suppressed || finding.suppressed.is_none())
        .collect();
    let suppressed = target.findings.iter().filter(|f| f.suppressed.is_some()).count();
    let active = target.findings.len() - suppressed;
    let _ = write!(
        out,
        "\n{}: {} package{}, {} finding{}",
        one_line(&target.name, FIELD_CHARS),
        target.packages,
        plural(target.packages),
        active,
        plural(active)
    );
    if suppressed > 0 {
        let shown = if options.show_suppressed {
            "shown"
        } else {
            "hidden, see --show-suppressed"
        };
        let _ = write!(out, " ({suppressed} suppressed, {shown})");
    }
    out.push('\n');
    let (malware, vulnerabilities): (Vec<&Finding>, Vec<&Finding>) = order::findings(visible)
        .into_iter()
        .partition(|f| f.kind == FindingKind::Malware);
    if !malware.is_empty() {
        let _ = writeln!(
            out,
            "MALWARE: {} known malicious package{} (remove, do not upgrade)",
            malware.len(),
            plural(malware.len())
        );
        let _ = writeln!(out, "{}", malware_table(&malware, options));
    }
    if vulnerabilities.is_empty() {
        let _ = writeln!(out, "No vulnerabilities found.");
    } else {
        let _ = writeln!(out, "{}", vulnerability_table(&vulnerabilities, options));
    }
    let severities = active_severities(&target.findings);
    let _ = writeln!(out, "Summary: {}", severity_counts(&severities));
}

fn write_checks(out: &mut String, checks: &[CheckFinding], options: &RenderOptions) {
    let _ = writeln!(out, "\nChecks: {} finding{}", checks.len(), plural(checks.len()));
    let mut table = new_table(options);
    table.set_header(vec!["Rule", "Severity", "Title", "Location", "Message"]);
    for check in order::checks(checks) {
        table.add_row(vec![
            Cell::new(one_line(&check.rule, FIELD_CHARS)),
            severity_cell(check.severity, options),
            Cell::new(one_line(&check.title, TITLE_CHARS)),
            Cell::new(location_label(&check.location)),
            Cell::new(one_line(&check.message, TITLE_CHARS)),
        ]);
    }
    let _ = writeln!(out, "{table}");
    let severities: Vec<Severity> = checks.iter().map(|c| c.severity).collect();
    let _ = writeln!(out, "Summary: {}", severity_counts(&severities));
}

fn write_totals(out: &mut String, report: &ScanReport) {
    let findings: Vec<&Finding> = report.findings().collect();
    let suppressed = findings.iter().filter(|f| f.suppressed.is_some()).count();
    let malware = findings
        .iter()
        .filter(|f| f.suppressed.is_none() && f.kind == FindingKind::Malware)
        .count();
    let active = findings.len() - suppressed;
    let counts: Vec<String> = report
        .summary()
        .into_iter()
        .map(|(severity, count)| format!("{}: {count}", severity_word(severity)))
        .collect();
    let _ = writeln!(
        out,
        "\nTotal: {active} finding{} in {} target{} ({malware} malware, {suppressed} suppressed). {}",
        plural(active),
        report.targets.len(),
        plural(report.targets.len()),
        counts.join(", ")
    );
    if !report.checks.is_empty() {
        let severities: Vec<Severity> = report.checks.iter().map(|c| c.severity).collect();
        let _ = writeln!(
            out,
            "Checks: {} finding{}. {}",
            report.checks.len(),
            plural(report.checks.len()),
            severity_counts(&severities)
        );
    }
    if !report.warnings.is_empty() {
        let _ = writeln!(out, "Warnings: {} (listed in --format json)", report.warnings.len());
    }
}

fn vulnerability_table(findings: &[&Finding], options: &RenderOptions) -> Table {
    let mut table = new_table(options);
    table.set_header(vec![
        "Vulnerability",
        "Package",
        "Installed",
        "Fixed",
        "Severity",
        "Title",
    ]);
    for finding in findings {
        table.add_row(vec![
            Cell::new(id_label(finding)),
            Cell::new(package_label(finding)),
            Cell::new(one_line(&finding.package.version, FIELD_CHARS)),
            Cell::new(fixed_label(finding)),
            severity_cell(finding.severity, options),
            Cell::new(title_label(finding)),
        ]);
    }
    table
}

fn malware_table(findings: &[&Finding], options: &RenderOptions) -> Table {
    let mut table = new_table(options);
    table.set_header(vec!["Malware", "Package", "Version", "Title"]);
    for finding in findings {
        table.add_row(vec![
            Cell::new(id_label(finding)),
            Cell::new(package_label(finding)),
            Cell::new(one_line(&finding.package.version, FIELD_CHARS)),
            Cell::new(title_label(finding)),
        ]);
    }
    table
}

fn new_table(options: &RenderOptions) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        // The terminal is the caller's business: width and colour come from the options
        // only, so the same report always renders the same text.
        .force_no_tty();
    if options.color {
        table.enforce_styling();
    }
    if let Some(width) = options.width {
        table.set_width(width);
    }
    table
}

/// The id, with the CVE it is known as when the id is another database's, or else the
/// number of other ids.
fn id_label(finding: &Finding) -> String {
    let id = one_line(&finding.id, FIELD_CHARS);
    let cve = finding.aliases.iter().find(|alias| alias.starts_with("CVE-"));
    match cve {
        Some(cve) if !finding.id.starts_with("CVE-") => format!("{id} ({})", one_line(cve, FIELD_CHARS)),
        _ if !finding.aliases.is_empty() => format!("{id} (+{})", finding.aliases.len()),
        _ => id,
    }
}

/// The package, with the source package it was matched through when that is another name.
fn package_label(finding: &Finding) -> String {
    let name = one_line(&finding.package.name, FIELD_CHARS);
    match &finding.package.source {
        Some(source) if source.name != finding.package.name => {
            format!("{name} (src: {})", one_line(&source.name, FIELD_CHARS))
        }
        _ => name,
    }
}

fn fixed_label(finding: &Finding) -> String {
    if !finding.fixed_versions.is_empty() {
        return one_line(&finding.fixed_versions.join(", "), FIELD_CHARS);
    }
    match finding.fix_state {
        FixState::Fixed => "fixed".to_string(),
        FixState::NotFixed => "not fixed".to_string(),
    }
}

/// The title (or the start of the description), and for a suppressed finding a second
/// line saying who suppressed it and why.
fn title_label(finding: &Finding) -> String {
    let text = finding
        .title
        .as_deref()
        .or(finding.description.as_deref())
        .unwrap_or_default();
    let mut label = one_line(text, TITLE_CHARS);
    if let Some(suppression) = &finding.suppressed {
        let reason = suppression
            .justification
            .as_deref()
            .or(suppression.statement.as_deref())
            .map(|why| format!(": {}", one_line(why, TITLE_CHARS)))
            .unwrap_or_default();
        let _ = write!(
            label,
            "\nSUPPRESSED by {} ({}){reason}",
            one_line(&suppression.source, FIELD_CHARS),
            one_line(&suppression.file, FIELD_CHARS)
        );
    }
    label
}

/// `path:line:column (layer N)`, the configuration object, or `image`.
fn location_label(location: &CheckLocation) -> String {
    let mut label = match (&location.path, &location.object) {
        (Some(path), _) => printable(path).into_owned(),
        (None, Some(object)) => printable(object).into_owned(),
        (None, None) => "image".to_string(),
    };
    if location.path.is_some()
        && let Some(line) = location.line
    {
        let _ = write!(label, ":{line}");
        if let Some(column) = location.column {
            let _ = write!(label, ":{column}");
        }
    }
    if let Some(layer) = location.layer {
        let _ = write!(label, " (layer {layer})");
    }
    one_line(&label, FIELD_CHARS)
}

fn severity_cell(severity: Severity, options: &RenderOptions) -> Cell {
    let cell = Cell::new(severity_label(severity));
    if !options.color {
        return cell;
    }
    match severity {
        Severity::Critical => cell.fg(Color::Red).add_attribute(Attribute::Bold),
        Severity::High => cell.fg(Color::Red),
        Severity::Medium => cell.fg(Color::Yellow),
        Severity::Low => cell.fg(Color::Blue),
        Severity::Unknown => cell.fg(Color::DarkGrey),
    }
}

fn severity_label(severity: Severity) -> String {
    severity.as_str().to_ascii_uppercase()
}

fn severity_word(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "Critical",
        Severity::High => "High",
        Severity::Medium => "Medium",
        Severity::Low => "Low",
        Severity::Unknown => "Unknown",
    }
}

fn active_severities(findings: &[Finding]) -> Vec<Severity> {
    findings
        .iter()
        .filter(|finding| finding.suppressed.is_none())
        .map(|finding| finding.severity)
        .collect()
}

/// `Critical: 1, High: 0, Medium: 2, Low: 0, Unknown: 0`.
fn severity_counts(severities: &[Severity]) -> String {
    Severity::DESCENDING
        .iter()
        .map(|&bucket| {
            let count = severities.iter().filter(|&&s| s == bucket).count();
            format!("{}: {count}", severity_word(bucket))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
