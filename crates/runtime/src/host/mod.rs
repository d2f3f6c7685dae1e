//! `drydock audit host`: the CIS Docker Benchmark v1.6.0 checks a machine's files can
//! answer (sections 1 to 3) and the kernel's container hardening, each a result with a
//! status (pass, fail, warn, info, not applicable) and a remediation.
//!
//! Everything is read through [`HostFs`] from a root directory, so `--root DIR` audits an
//! unpacked or mounted host offline exactly as `/` is audited live (its `proc/` and `sys/`
//! files included, when the copy has them).

mod daemon;
mod daemon_checks;
mod files;
mod fs;
mod host_config;
mod kernel_checks;
mod layout;
pub mod rules;

use std::path::Path;

use drydock_model::{CheckFinding, CheckLocation, RuleInfo, Severity};
use serde::Serialize;

pub use daemon::{DaemonOptions, split_cmdline};
pub use fs::HostFs;
pub use host_config::rule_paths;
pub(crate) use host_config::unescape_octal as unescape_mount_path;
pub use layout::{DockerLayout, Layout};

use crate::error::{Result, RuntimeError};

/// The outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Fail,
    Warn,
    Info,
    Pass,
    NotApplicable,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Fail => "fail",
            Status::Warn => "warn",
            Status::Info => "info",
            Status::Pass => "pass",
            Status::NotApplicable => "n/a",
        }
    }
}

/// One check's result.
#[derive(Clone, Debug, Serialize)]
pub struct HostCheck {
    pub id: &'static str,
    pub title: &'static str,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cis: Option<String>,
    pub status: Status,
    /// What was found.
    pub detail: String,
    pub remediation: &'static str,
    /// The file, setting or CVE the result is about, when one rule checks several.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
}

impl HostCheck {
    pub fn new(rule: &RuleInfo, status: Status, detail: impl Into<String>) -> HostCheck {
        HostCheck {
            id: rule.id,
            title: rule.title,
            severity: rule.severity,
            cis: rule.cis.map(str::to_string),
            status,
            detail: detail.into(),
            remediation: rule.remediation,
            object: None,
        }
    }

    pub fn on(mut self, object: impl Into<String>) -> HostCheck {
        self.object = Some(object.into());
        self
    }

    pub fn cis(mut self, cis: impl Into<String>) -> HostCheck {
        self.cis = Some(cis.into());
        self
    }
}

/// The whole host audit.
#[derive(Clone, Debug, Serialize)]
pub struct HostReport {
    /// The root that was audited (`/` live).
    pub root: String,
    pub layout: Layout,
    /// The kernel release, when the root has /proc/sys/kernel/osrelease.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    /// The dockerd command line found under /proc, if a daemon runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dockerd_command_line: Option<Vec<String>>,
    pub results: Vec<HostCheck>,
}

impl HostReport {
    /// Failures and warnings as check findings, for SARIF and the scan report's JSON.
    pub fn findings(&self) -> Vec<CheckFinding> {
        self.results
            .iter()
            .filter(|r| matches!(r.status, Status::Fail | Status::Warn))
            .map(|r| CheckFinding {
                rule: r.id.to_string(),
                severity: r.severity,
                title: r.title.to_string(),
                message: r.detail.clone(),
                remediation: r.remediation.to_string(),
                location: CheckLocation {
                    object: Some(r.object.clone().unwrap_or_else(|| r.id.to_string())),
                    ..CheckLocation::default()
                },
                cis: r.cis.clone(),
            })
            .collect()
    }

    /// How many results have each status.
    pub fn count(&self, status: Status) -> usize {
        self.results.iter().filter(|r| r.status == status).count()
    }
}

/// Audits the host whose filesystem is at `root` (`/` for this machine).
pub fn audit_host(root: &Path) -> Result<HostReport> {
    if !root.is_dir() {
        return Err(RuntimeError::NotADirectory {
            path: root.to_path_buf(),
        });
    }
    let fs = HostFs::new(root);
    let dockerd = layout::dockerd_command_line(&fs);
    let layout = Layout::detect(&fs, dockerd.as_deref());
    let mut results = Vec::new();
    let options = match &layout.docker {
        Some(docker) => {
            let (options, result) = daemon_checks::effective_options(&fs, docker, dockerd.as_deref());
            results.extend(result);
            Some(options)
        }
        None => None,
    };
    results.extend(host_config::checks(&fs, &layout, options.as_ref()));
    results.extend(daemon_checks::checks(&layout, options.as_ref()));
    results.extend(files::checks(&fs, &layout, options.as_ref()));
    results.extend(kernel_checks::checks(&fs));
    Ok(HostReport {
        root: root.display().to_string(),
        layout,
        kernel: fs.read_value("/proc/sys/kernel/osrelease"),
        dockerd_command_line: dockerd,
        results,
    })
}
