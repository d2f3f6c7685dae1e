//! `drydock lint DOCKERFILE…`: the DD-DF rules over Dockerfiles, as a table, JSON or SARIF.
//!
//! Exit status, as hadolint users expect it: `--exit-code` (default 1) when a reported
//! finding is at or above `--failure-threshold` (default `low`: any finding), 2 when a file
//! cannot be read or parsed (the other files are still checked), else 0.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use comfy_table::{ContentArrangement, Table, presets::UTF8_FULL_CONDENSED};
use drydock_checks::policy::{PolicyRule, input};
use drydock_dockerfile::{Dockerfile, DockerfileError, LintConfig, rules};
use drydock_model::{CheckFinding, Severity};
use serde_json::{Value, json};

use crate::args::{GlobalArgs, LintArgs, LintFormat, SeverityArg};
use crate::render::printable;

pub fn run(_global: &GlobalArgs, args: &LintArgs) -> Result<ExitCode> {
    let config = LintConfig {
        ignored: args.ignore.clone(),
    };
    for id in config.unknown_ids() {
        tracing::warn!("--ignore {id}: no drydock, hadolint or BuildKit rule has this id");
    }
    let mut policies = crate::policy::load(&args.policy)?;
    let mut findings = Vec::new();
    let mut failed = Vec::new();
    for path in &args.files {
        match read(path) {
            Ok(file) => {
                findings.extend(drydock_dockerfile::lint(&file, &config));
                if let Some(set) = policies.as_mut() {
                    findings.extend(crate::policy::evaluate(set, &input::dockerfile(&file))?);
                }
            }
            Err(error) => {
                eprintln!("drydock: error: {}", printable(&error.to_string()));
                failed.push(error.to_string());
            }
        }
    }
    let wanted: Vec<Severity> = args.severity.iter().copied().map(severity).collect();
    findings.retain(|f| wanted.is_empty() || wanted.contains(&f.severity));
    let bytes = match args.format {
        LintFormat::Table => table(&findings, args.files.len()).into_bytes(),
        LintFormat::Json => json_document(&findings, &failed)?,
        LintFormat::Sarif => sarif(&findings, policies.as_ref().map_or(&[], |set| set.rules()))?,
    };
    let mut out = std::io::stdout().lock();
    out.write_all(&bytes)
        .and_then(|()| out.flush())
        .context("writing the findings to standard output")?;
    Ok(exit_code(&findings, !failed.is_empty(), args))
}

fn read(path: &std::path::Path) -> Result<Dockerfile, DockerfileError> {
    if path.as_os_str() == "-" {
        let mut text = String::new();
        std::io::stdin()
            .take(drydock_dockerfile::MAX_DOCKERFILE_BYTES as u64 + 1)
            .read_to_string(&mut text)
            .map_err(|source| DockerfileError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        return drydock_dockerfile::parse("-", &text);
    }
    drydock_dockerfile::parse_file(path)
}

fn severity(arg: SeverityArg) -> Severity {
    match arg {
        SeverityArg::Unknown => Severity::Unknown,
        SeverityArg::Low => Severity::Low,
        SeverityArg::Medium => Severity::Medium,
        SeverityArg::High => Severity::High,
        SeverityArg::Critical => Severity::Critical,
    }
}

fn exit_code(findings: &[CheckFinding], failed: bool, args: &LintArgs) -> ExitCode {
    if failed {
        return ExitCode::from(2);
    }
    let threshold = severity(args.failure_threshold);
    if args.exit_code != 0 && findings.iter().any(|f| f.severity >= threshold) {
        return ExitCode::from(args.exit_code);
    }
    ExitCode::SUCCESS
}

fn location(finding: &CheckFinding) -> String {
    let path = finding.location.path.as_deref().unwrap_or("-");
    match (finding.location.line, finding.location.column) {
        (Some(line), Some(column)) => format!("{path}:{line}:{column}"),
        (Some(line), None) => format!("{path}:{line}"),
        _ => path.to_string(),
    }
}

fn table(findings: &[CheckFinding], files: usize) -> String {
    if findings.is_empty() {
        return format!(
            "No findings in {files} Dockerfile{}.\n",
            if files == 1 { "" } else { "s" }
        );
    }
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_header(["LOCATION", "RULE", "SEVERITY", "MESSAGE"]);
    for finding in findings {
        table.add_row([
            printable(&location(finding)).into_owned(),
            finding.rule.clone(),
            finding.severity.to_string(),
            printable(&finding.message).into_owned(),
        ]);
    }
    let mut counts: BTreeMap<std::cmp::Reverse<Severity>, usize> = BTreeMap::new();
    for finding in findings {
        *counts.entry(std::cmp::Reverse(finding.severity)).or_default() += 1;
    }
    let summary: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {}", s.0)).collect();
    format!("{table}\n{} findings ({}).\n", findings.len(), summary.join(", "))
}

fn json_document(findings: &[CheckFinding], failed: &[String]) -> Result<Vec<u8>> {
    let document = json!({ "findings": findings, "errors": failed });
    let mut bytes = serde_json::to_vec_pretty(&document)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// SARIF 2.1.0 with every DD-DF rule and custom rule in the driver and one result per finding.
fn sarif(findings: &[CheckFinding], custom: &[PolicyRule]) -> Result<Vec<u8>> {
    let all = rules::all();
    let mut ids: Vec<&str> = all.iter().map(|rule| rule.info.id).collect();
    ids.extend(custom.iter().map(|rule| rule.id.as_str()));
    let mut descriptors: Vec<Value> = all
        .iter()
        .map(|rule| {
            json!({
                "id": rule.info.id,
                "name": rule.info.title,
                "shortDescription": { "text": rule.info.title },
                "help": { "text": rule.info.remediation },
                "defaultConfiguration": { "level": level(rule.info.severity) },
                "properties": { "tags": ["dockerfile", "security"], "hadolint": rule.hadolint },
            })
        })
        .collect();
    descriptors.extend(custom.iter().map(|rule| {
        json!({
            "id": rule.id,
            "name": rule.title,
            "shortDescription": { "text": rule.title },
            "fullDescription": { "text": rule.description },
            "help": { "text": rule.remediation },
            "defaultConfiguration": { "level": level(rule.severity) },
            "properties": { "tags": ["dockerfile", "security", "custom-policy"], "package": rule.package },
        })
    }));
    let results: Vec<Value> = findings
        .iter()
        .map(|finding| {
            let index = ids.iter().position(|id| *id == finding.rule);
            let mut region = serde_json::Map::new();
            region.insert("startLine".into(), json!(finding.location.line.unwrap_or(1).max(1)));
            if let Some(column) = finding.location.column {
                region.insert("startColumn".into(), json!(column.max(1)));
            }
            let mut result = json!({
                "ruleId": finding.rule,
                "level": level(finding.severity),
                "message": { "text": format!("{}: {}", finding.title, finding.message) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": finding.location.path.as_deref().unwrap_or("Dockerfile") },
                        "region": region,
                    }
                }],
            });
            if let (Some(index), Some(object)) = (index, result.as_object_mut()) {
                object.insert("ruleIndex".into(), json!(index));
            }
            result
        })
        .collect();
    let document = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "drydock",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/drydock-sec/drydock",
                "rules": descriptors,
            }},
            "results": results,
        }],
    });
    let mut bytes = serde_json::to_vec_pretty(&document)?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Unknown => "note",
    }
}
