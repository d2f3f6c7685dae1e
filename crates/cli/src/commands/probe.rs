//! `drydock probe`: inside a container, what it could use to escape (drydock-runtime's
//! probe), as a table or JSON. Reads only; nothing is exploited or changed.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use drydock_runtime::probe::ProbeReport;

use super::audit::{findings_table, severity_summary};
use crate::args::{GlobalArgs, OutputFormat, ProbeArgs};
use crate::render::{new_table, printable};

pub fn run(_global: &GlobalArgs, args: &ProbeArgs) -> Result<ExitCode> {
    let report = drydock_runtime::probe::probe();
    let bytes = match args.format {
        OutputFormat::Table => table(&report).into_bytes(),
        OutputFormat::Json => {
            let mut bytes = serde_json::to_vec_pretty(&report)?;
            bytes.push(b'\n');
            bytes
        }
    };
    let mut out = std::io::stdout().lock();
    out.write_all(&bytes)
        .and_then(|()| out.flush())
        .context("writing the probe report to standard output")?;
    if args.exit_code != 0 && !report.findings.is_empty() {
        return Ok(ExitCode::from(args.exit_code));
    }
    Ok(ExitCode::SUCCESS)
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "-".to_string()
    } else {
        items.join(", ")
    }
}

fn table(report: &ProbeReport) -> String {
    let mut facts = new_table();
    facts.set_header(["WHAT", "SEEN"]);
    let uid_map: Vec<String> = report
        .uid_map
        .iter()
        .map(|(inside, outside, count)| format!("{inside} {outside} {count}"))
        .collect();
    let sockets: Vec<String> = report
        .runtime_sockets
        .iter()
        .map(|s| format!("{}{}", s.path, if s.writable { " (writable)" } else { " (read-only)" }))
        .collect();
    let mounts: Vec<String> = report
        .writable_host_mounts
        .iter()
        .map(|m| format!("{} ({})", m.mount_point, m.fstype))
        .collect();
    let rows = [
        ("Kernel", report.kernel.clone().unwrap_or_else(|| "-".into())),
        (
            "uid (real, effective)",
            report.uid.map_or("-".into(), |(r, e)| format!("{r}, {e}")),
        ),
        ("Effective capabilities", list(&report.effective_capabilities)),
        ("Bounding capabilities", list(&report.bounding_capabilities)),
        ("Seccomp", report.seccomp.clone()),
        (
            "no_new_privs",
            report.no_new_privileges.map_or("-".into(), |v| v.to_string()),
        ),
        ("LSM label", report.lsm_label.clone().unwrap_or_else(|| "-".into())),
        (
            "uid_map",
            format!("{} (user namespace: {})", list(&uid_map), report.user_namespace),
        ),
        ("Runtime sockets", list(&sockets)),
        ("Writable host mounts", list(&mounts)),
        ("Writable release_agent", list(&report.writable_release_agents)),
        ("/proc/sys writable", report.proc_sys_writable.to_string()),
        (
            "Host PID namespace",
            format!(
                "{} (pid 1: {})",
                report.host_pid_namespace,
                report.pid1.as_deref().unwrap_or("?")
            ),
        ),
        ("Extra devices", list(&report.devices)),
        ("Known kernel escapes", list(&report.kernel_escapes)),
    ];
    for (what, seen) in rows {
        facts.add_row([what.to_string(), printable(&seen).into_owned()]);
    }
    let mut out = format!("{facts}\n");
    if report.findings.is_empty() {
        out.push_str("No findings.\n");
    } else {
        out.push_str(&findings_table(&report.findings));
        out.push_str(&format!(
            "{} findings ({}).\n",
            report.findings.len(),
            severity_summary(report.findings.iter())
        ));
    }
    out
}
