//! `drydock audit host`, `drydock audit containers` and `drydock audit manifest`: the CIS
//! Docker Benchmark v1.6.0 checks of drydock-runtime and the manifest audit of
//! drydock-checks, as a table, JSON or SARIF (the scan report's SARIF, so code
//! scanning shows audit findings like scan findings).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use comfy_table::Cell;
use drydock_catalog::TargetKind;
use drydock_catalog::sbom::Subject;
use drydock_model::{CheckFinding, Inventory, SCAN_REPORT_SCHEMA_VERSION, ScanReport, ScanTarget, Severity};
use drydock_report::{RenderOptions, ReportFormat};
use drydock_runtime::container::ContainerAudit;
use drydock_runtime::engine::EngineAudit;
use drydock_runtime::host::{HostReport, Status};
use serde_json::json;

use crate::args::{
    AuditCommand, AuditContainersArgs, AuditFormat, AuditHostArgs, AuditManifestArgs, GlobalArgs, ScanArgs, ScanFormat,
    Scanner, SourceArgs,
};
use crate::render::{new_table, printable};

pub fn run(global: &GlobalArgs, command: &AuditCommand) -> Result<ExitCode> {
    match command {
        AuditCommand::Host(args) => host(args),
        AuditCommand::Containers(args) => containers(global, args),
        AuditCommand::Manifest(args) => manifest(args),
    }
}

/// The findings of one manifest file.
#[derive(serde::Serialize)]
struct ManifestAudit {
    path: String,
    findings: Vec<CheckFinding>,
}

fn manifest(args: &AuditManifestArgs) -> Result<ExitCode> {
    let mut policies = crate::policy::load(&args.policy)?;
    let mut audits = Vec::new();
    for path in &args.files {
        match drydock_checks::workload::audit_file(path) {
            Ok(mut findings) => {
                if let Some(set) = policies.as_mut() {
                    findings.extend(manifest_policy_findings(set, path)?);
                }
                audits.push(ManifestAudit {
                    path: path.display().to_string(),
                    findings,
                })
            }
            Err(error) => {
                eprintln!("drydock: {error}");
                return Ok(ExitCode::from(2));
            }
        }
    }
    let bytes = match args.format {
        AuditFormat::Table => manifest_table(&audits).into_bytes(),
        AuditFormat::Json => json_bytes(&json!({ "tool": tool(), "manifests": audits }))?,
        AuditFormat::Sarif => {
            let findings = audits.iter().flat_map(|a| a.findings.iter().cloned()).collect();
            let names: Vec<&str> = audits.iter().map(|a| a.path.as_str()).collect();
            sarif(&format!("manifest:{}", names.join(",")), findings)?
        }
    };
    write_stdout(&bytes)?;
    let any = audits.iter().any(|a| !a.findings.is_empty());
    Ok(exit_code(args.exit_code, any))
}

/// The custom policies' findings, each YAML document evaluated once.
fn manifest_policy_findings(set: &mut drydock_checks::policy::PolicySet, path: &Path) -> Result<Vec<CheckFinding>> {
    let bytes = crate::policy::read_manifest(path)?;
    let mut findings = Vec::new();
    for input in drydock_checks::policy::input::manifest(&path.display().to_string(), &bytes)? {
        findings.extend(crate::policy::evaluate(set, &input)?);
    }
    Ok(findings)
}

fn manifest_table(audits: &[ManifestAudit]) -> String {
    let mut out = String::new();
    for audit in audits {
        let count = audit.findings.len();
        out.push_str(&format!(
            "Manifest {}: {count} finding{}\n",
            printable(&audit.path),
            if count == 1 { "" } else { "s" }
        ));
        if count > 0 {
            out.push_str(&findings_table(&audit.findings));
            out.push('\n');
        }
    }
    let total: usize = audits.iter().map(|a| a.findings.len()).sum();
    out.push_str(&format!(
        "{} file{}, {total} finding{} ({}).\n",
        audits.len(),
        if audits.len() == 1 { "" } else { "s" },
        if total == 1 { "" } else { "s" },
        severity_summary(audits.iter().flat_map(|a| a.findings.iter()))
    ));
    out
}

fn host(args: &AuditHostArgs) -> Result<ExitCode> {
    let root = args.root.as_deref().unwrap_or(Path::new("/"));
    let report = drydock_runtime::host::audit_host(root).with_context(|| format!("auditing {}", root.display()))?;
    let bytes = match args.format {
        AuditFormat::Table => host_table(&report).into_bytes(),
        AuditFormat::Json => json_bytes(&json!({
            "tool": tool(),
            "root": report.root,
            "layout": report.layout,
            "kernel": report.kernel,
            "dockerd_command_line": report.dockerd_command_line,
            "results": report.results,
        }))?,
        AuditFormat::Sarif => sarif(&format!("host:{}", report.root), report.findings())?,
    };
    write_stdout(&bytes)?;
    let failed = report.count(Status::Fail) + report.count(Status::Warn) > 0;
    Ok(exit_code(args.exit_code, failed))
}

fn containers(global: &GlobalArgs, args: &AuditContainersArgs) -> Result<ExitCode> {
    let mut audit = drydock_runtime::engine::audit_containers(args.docker_host.as_deref(), args.all)?;
    if !args.containers.is_empty() {
        audit.containers.retain(|container| {
            args.containers
                .iter()
                .any(|wanted| container.name == *wanted || container.id.starts_with(wanted.as_str()))
        });
    }
    let image_scans = if args.scan {
        // A missing or damaged database is an error before any image is read.
        super::db::open_database(global, &args.database)?;
        scan_images(global, &audit, args)?
    } else {
        BTreeMap::new()
    };
    let bytes = match args.format {
        AuditFormat::Table => containers_table(&audit, &image_scans).into_bytes(),
        AuditFormat::Json => json_bytes(&json!({
            "tool": tool(),
            "engine": audit.address,
            "context": audit.context,
            "containers": audit.containers,
            "image_scans": image_scans,
        }))?,
        AuditFormat::Sarif => {
            let mut findings: Vec<CheckFinding> = audit
                .containers
                .iter()
                .flat_map(ContainerAudit::findings_with_container)
                .collect();
            let mut targets = Vec::new();
            for (image, report) in &image_scans {
                findings.extend(report.checks.iter().cloned());
                targets.extend(report.targets.iter().cloned().map(|mut target| {
                    target.name = format!("image {image}: {}", target.name);
                    target
                }));
            }
            sarif_with_targets(&format!("docker-engine:{}", audit.address), findings, targets)?
        }
    };
    write_stdout(&bytes)?;
    let any = audit.containers.iter().any(|c| !c.findings.is_empty())
        || image_scans.values().any(|report| super::scan::unsuppressed(report) > 0);
    Ok(exit_code(args.exit_code, any))
}

/// Each distinct image of the audited containers, scanned once for vulnerabilities and
/// secrets (`drydock scan docker:<image id>`; the layer cache makes a rescan cheap).
fn scan_images(
    global: &GlobalArgs,
    audit: &EngineAudit,
    args: &AuditContainersArgs,
) -> Result<BTreeMap<String, ScanReport>> {
    let mut reports = BTreeMap::new();
    for container in &audit.containers {
        if reports.contains_key(&container.image_id) {
            continue;
        }
        let scan_args = ScanArgs {
            target: format!("docker:{}", container.image_id),
            source: SourceArgs {
                docker_host: args.docker_host.clone(),
                ..SourceArgs::default()
            },
            database: args.database.clone(),
            format: ScanFormat::Json,
            output: None,
            severity: Vec::new(),
            ignore_unfixed: false,
            exit_code: 0,
            ignore_file: None,
            vex: Vec::new(),
            show_suppressed: false,
            scanners: vec![Scanner::Vuln, Scanner::Secret],
            secret_allow_list: None,
            policy: Vec::new(),
        };
        // One image that cannot be read (removed meanwhile, say) must not hide the audit.
        match super::scan::scan(global, &scan_args) {
            Ok(outcome) => {
                reports.insert(container.image_id.clone(), outcome.report);
            }
            Err(error) => eprintln!(
                "drydock: warning: the image of container {} was not scanned: {}",
                printable(&container.name),
                printable(&format!("{error:#}"))
            ),
        }
    }
    Ok(reports)
}

/// One line per scanned image: its vulnerabilities and secrets by severity.
fn image_scan_line(report: &ScanReport) -> String {
    let vulnerabilities = report.findings().filter(|f| f.suppressed.is_none()).count();
    let summary: Vec<String> = report
        .summary()
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|(severity, count)| format!("{severity} {count}"))
        .collect();
    format!(
        "  image scan: {vulnerabilities} vulnerabilit{}{}, {} secret finding{}\n",
        if vulnerabilities == 1 { "y" } else { "ies" },
        if summary.is_empty() {
            String::new()
        } else {
            format!(" ({})", summary.join(", "))
        },
        report.checks.len(),
        if report.checks.len() == 1 { "" } else { "s" },
    )
}

fn tool() -> String {
    format!("drydock {}", env!("CARGO_PKG_VERSION"))
}

fn exit_code(code: u8, findings: bool) -> ExitCode {
    if code != 0 && findings {
        ExitCode::from(code)
    } else {
        ExitCode::SUCCESS
    }
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .context("writing the audit to standard output")
}

fn json_bytes(value: &serde_json::Value) -> Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(value)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// The findings as the scan report's SARIF: a report with only check findings.
fn sarif(target: &str, checks: Vec<CheckFinding>) -> Result<Vec<u8>> {
    sarif_with_targets(target, checks, Vec::new())
}

fn sarif_with_targets(target: &str, checks: Vec<CheckFinding>, targets: Vec<ScanTarget>) -> Result<Vec<u8>> {
    let report = ScanReport {
        schema_version: SCAN_REPORT_SCHEMA_VERSION,
        tool: tool(),
        target: target.to_string(),
        image: None,
        os: None,
        database: Default::default(),
        packages: 0,
        targets,
        checks,
        warnings: Vec::new(),
    };
    let subject = Subject {
        name: target.to_string(),
        kind: TargetKind::Image,
        digest: None,
        purl: None,
        properties: Vec::new(),
    };
    let bytes = drydock_report::render(
        ReportFormat::Sarif,
        &report,
        &Inventory::default(),
        &subject,
        0,
        &RenderOptions::default(),
    )?;
    Ok(bytes)
}

fn host_table(report: &HostReport) -> String {
    let mut table = new_table();
    table.set_header(["STATUS", "ID", "CHECK", "ON", "DETAIL"]);
    let mut results: Vec<_> = report.results.iter().collect();
    results.sort_by_key(|r| r.status);
    for result in results {
        table.add_row([
            Cell::new(result.status.name()),
            Cell::new(result.id),
            Cell::new(result.title),
            Cell::new(printable(result.object.as_deref().unwrap_or("-"))),
            Cell::new(printable(&result.detail)),
        ]);
    }
    let layout = match &report.layout.docker {
        Some(docker) if docker.rootless => "rootless Docker",
        Some(_) => "Docker",
        None if report.layout.podman => "Podman (no Docker)",
        None => "no container engine found",
    };
    format!(
        "Host: {} ({layout}{}), kernel {}\n{table}\n{} fail, {} warn, {} info, {} pass, {} not applicable.\n",
        printable(&report.root),
        if report.layout.podman && report.layout.docker.is_some() {
            ", Podman too"
        } else {
            ""
        },
        printable(report.kernel.as_deref().unwrap_or("unknown")),
        report.count(Status::Fail),
        report.count(Status::Warn),
        report.count(Status::Info),
        report.count(Status::Pass),
        report.count(Status::NotApplicable),
    )
}

fn containers_table(audit: &EngineAudit, image_scans: &BTreeMap<String, ScanReport>) -> String {
    if audit.containers.is_empty() {
        return format!("No containers in the engine at {}.\n", audit.address);
    }
    let mut out = String::new();
    for container in &audit.containers {
        out.push_str(&format!(
            "Container {} ({}, {}), image {}: {} finding{}\n",
            printable(&container.name),
            &container.id.get(..12).unwrap_or(&container.id),
            printable(&container.state),
            printable(&container.image),
            container.findings.len(),
            if container.findings.len() == 1 { "" } else { "s" }
        ));
        if let Some(report) = image_scans.get(&container.image_id) {
            out.push_str(&image_scan_line(report));
        }
        if container.findings.is_empty() {
            continue;
        }
        out.push_str(&findings_table(&container.findings));
        out.push('\n');
    }
    let total: usize = audit.containers.iter().map(|c| c.findings.len()).sum();
    out.push_str(&format!(
        "{} container{}, {total} finding{} ({}).\n",
        audit.containers.len(),
        if audit.containers.len() == 1 { "" } else { "s" },
        if total == 1 { "" } else { "s" },
        severity_summary(audit.containers.iter().flat_map(|c| c.findings.iter()))
    ));
    out
}

/// Rule, severity, title, field and message of each finding.
pub fn findings_table(findings: &[CheckFinding]) -> String {
    let mut table = new_table();
    table.set_header(["RULE", "SEVERITY", "TITLE", "WHERE", "MESSAGE"]);
    for finding in findings {
        table.add_row([
            finding.rule.clone(),
            finding.severity.to_string(),
            finding.title.clone(),
            printable(finding.location.object.as_deref().unwrap_or("-")).into_owned(),
            printable(&finding.message).into_owned(),
        ]);
    }
    format!("{table}\n")
}

/// `2 critical, 1 high` in severity order.
pub fn severity_summary<'a>(findings: impl Iterator<Item = &'a CheckFinding>) -> String {
    let findings: Vec<&CheckFinding> = findings.collect();
    let parts: Vec<String> = Severity::DESCENDING
        .iter()
        .map(|severity| (severity, findings.iter().filter(|f| f.severity == *severity).count()))
        .filter(|(_, count)| *count > 0)
        .map(|(severity, count)| format!("{count} {severity}"))
        .collect();
    if parts.is_empty() {
        "none".to_string()
    } else {
        parts.join(", ")
    }
}
