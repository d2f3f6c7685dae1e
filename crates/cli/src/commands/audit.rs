//! `drydock audit host` and `drydock audit containers`: the CIS Docker Benchmark v1.6.0
//! checks of drydock-runtime, as a table, JSON or SARIF (the scan report's SARIF, so code
//! scanning shows audit findings like scan findings).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use comfy_table::Cell;
use drydock_catalog::TargetKind;
use drydock_catalog::sbom::Subject;
use drydock_model::{CheckFinding, Inventory, SCAN_REPORT_SCHEMA_VERSION, ScanReport, Severity};
use drydock_report::{RenderOptions, ReportFormat};
use drydock_runtime::container::ContainerAudit;
use drydock_runtime::engine::EngineAudit;
use drydock_runtime::host::{HostReport, Status};
use serde_json::json;

use crate::args::{AuditCommand, AuditContainersArgs, AuditFormat, AuditHostArgs, GlobalArgs};
use crate::render::{new_table, printable};

pub fn run(_global: &GlobalArgs, command: &AuditCommand) -> Result<ExitCode> {
    match command {
        AuditCommand::Host(args) => host(args),
        AuditCommand::Containers(args) => containers(args),
    }
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

fn containers(args: &AuditContainersArgs) -> Result<ExitCode> {
    let audit = drydock_runtime::engine::audit_containers(args.docker_host.as_deref(), args.all)?;
    let bytes = match args.format {
        AuditFormat::Table => containers_table(&audit).into_bytes(),
        AuditFormat::Json => json_bytes(&json!({
            "tool": tool(),
            "engine": audit.address,
            "context": audit.context,
            "containers": audit.containers,
        }))?,
        AuditFormat::Sarif => {
            let findings = audit
                .containers
                .iter()
                .flat_map(ContainerAudit::findings_with_container)
                .collect();
            sarif(&format!("docker-engine:{}", audit.address), findings)?
        }
    };
    write_stdout(&bytes)?;
    let any = audit.containers.iter().any(|c| !c.findings.is_empty());
    Ok(exit_code(args.exit_code, any))
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
    let report = ScanReport {
        schema_version: SCAN_REPORT_SCHEMA_VERSION,
        tool: tool(),
        target: target.to_string(),
        image: None,
        os: None,
        database: Default::default(),
        packages: 0,
        targets: Vec::new(),
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

fn containers_table(audit: &EngineAudit) -> String {
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
