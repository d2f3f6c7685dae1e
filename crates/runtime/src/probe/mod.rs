//! `drydock probe`: run inside a container, report what it could use to escape.
//!
//! Only reads files and asks access(2) whether a path is writable; nothing is opened for
//! writing, mounted, connected to or executed.

mod parse;
pub mod rules;

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use drydock_model::{CheckFinding, CheckLocation, RuleInfo};
use serde::Serialize;

pub use parse::{
    CAPABILITY_NAMES, MountInfo, ProcessStatus, capability_names, is_identity_map, parse_id_map, parse_mountinfo,
    parse_status,
};

use crate::kernel::{KernelVersion, escapes_for};

/// Capabilities that each open a documented way out of a container or into the kernel.
const DANGEROUS_CAPABILITIES: &[&str] = &[
    "SYS_ADMIN",
    "SYS_PTRACE",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_BOOT",
    "SYS_TIME",
    "DAC_READ_SEARCH",
    "NET_ADMIN",
    "BPF",
    "PERFMON",
    "MAC_ADMIN",
    "MAC_OVERRIDE",
    "SYSLOG",
];

/// Where container runtimes put their control sockets.
const RUNTIME_SOCKET_PATHS: &[&str] = &[
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/var/run/containerd/containerd.sock",
    "/run/crio/crio.sock",
    "/var/run/crio/crio.sock",
    "/run/podman/podman.sock",
    "/var/run/podman/podman.sock",
    "/var/run/dockershim.sock",
];
const RUNTIME_SOCKET_NAMES: &[&str] = &[
    "docker.sock",
    "containerd.sock",
    "crio.sock",
    "podman.sock",
    "dockershim.sock",
];

/// Files the engine itself bind-mounts into every container.
const ENGINE_FILES: &[&str] = &[
    "/etc/hosts",
    "/etc/hostname",
    "/etc/resolv.conf",
    "/dev/termination-log",
];

/// Filesystems that are not host directories.
const VIRTUAL_FILESYSTEMS: &[&str] = &[
    "proc",
    "sysfs",
    "tmpfs",
    "devpts",
    "mqueue",
    "cgroup",
    "cgroup2",
    "securityfs",
    "debugfs",
    "tracefs",
    "bpf",
    "pstore",
    "hugetlbfs",
    "configfs",
    "fusectl",
    "binfmt_misc",
    "autofs",
    "devtmpfs",
    "nsfs",
];

/// The device nodes every container gets.
const DEFAULT_DEVICES: &[&str] = &["null", "zero", "full", "random", "urandom", "tty", "console", "ptmx"];

/// A runtime socket the container can see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SocketAccess {
    pub path: String,
    pub writable: bool,
}

/// What the probe saw.
#[derive(Clone, Debug, Serialize)]
pub struct ProbeReport {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kernel: Option<String>,
    /// Real and effective uid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<(u32, u32)>,
    pub effective_capabilities: Vec<String>,
    pub bounding_capabilities: Vec<String>,
    /// `disabled`, `strict`, `filter` or `unknown`.
    pub seccomp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_new_privileges: Option<bool>,
    /// The AppArmor or SELinux label of this process (`docker-default (enforce)`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lsm_label: Option<String>,
    pub uid_map: Vec<(u64, u64, u64)>,
    /// Whether a user namespace separates this process from the host's ids.
    pub user_namespace: bool,
    pub runtime_sockets: Vec<SocketAccess>,
    /// Host directories and filesystems mounted read-write and writable by this process.
    pub writable_host_mounts: Vec<MountInfo>,
    pub writable_release_agents: Vec<String>,
    pub proc_sys_writable: bool,
    pub host_pid_namespace: bool,
    /// What process 1 is (`sleep`, `systemd`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid1: Option<String>,
    /// Device nodes beyond the default set.
    pub devices: Vec<String>,
    /// Known container escapes the kernel's version is affected by.
    pub kernel_escapes: Vec<String>,
    pub findings: Vec<CheckFinding>,
}

/// Probes the current process's container.
pub fn probe() -> ProbeReport {
    let status = parse_status(&read("/proc/self/status"));
    let mounts = parse_mountinfo(&read("/proc/self/mountinfo"));
    let uid_map = parse_id_map(&read("/proc/self/uid_map"));
    let kernel = read_value("/proc/sys/kernel/osrelease");
    let mut report = ProbeReport {
        kernel_escapes: kernel
            .as_deref()
            .and_then(KernelVersion::parse)
            .map(|v| escapes_for(v).iter().map(|e| e.cve.to_string()).collect())
            .unwrap_or_default(),
        kernel,
        uid: status.uid,
        effective_capabilities: capability_names(status.cap_effective),
        bounding_capabilities: capability_names(status.cap_bounding),
        seccomp: seccomp_mode(status.seccomp).to_string(),
        no_new_privileges: status.no_new_privs,
        lsm_label: lsm_label(),
        user_namespace: !uid_map.is_empty() && !is_identity_map(&uid_map),
        uid_map,
        runtime_sockets: runtime_sockets(&mounts),
        writable_host_mounts: writable_host_mounts(&mounts),
        writable_release_agents: writable_release_agents(&mounts),
        proc_sys_writable: writable("/proc/sys/kernel/core_pattern") || writable("/proc/sysrq-trigger"),
        host_pid_namespace: read_value("/proc/2/comm").as_deref() == Some("kthreadd"),
        pid1: read_value("/proc/1/comm"),
        devices: extra_devices(),
        findings: Vec::new(),
    };
    report.findings = findings(&report);
    report
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn read_value(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|text| text.trim().to_string())
        .filter(|text| !text.is_empty())
}

/// access(2) with W_OK: would a write be allowed (permissions, read-only mounts)?
fn writable(path: &str) -> bool {
    let Ok(path) = CString::new(Path::new(path).as_os_str().as_bytes()) else {
        return false;
    };
    // SAFETY: `path` is a valid NUL-terminated string that lives across the call; access(2)
    // only reads it.
    unsafe { libc::access(path.as_ptr(), libc::W_OK) == 0 }
}

fn seccomp_mode(mode: Option<u8>) -> &'static str {
    match mode {
        Some(0) => "disabled",
        Some(1) => "strict",
        Some(2) => "filter",
        _ => "unknown",
    }
}

/// The LSM label: /proc/self/attr/apparmor/current (newer kernels), else attr/current.
fn lsm_label() -> Option<String> {
    ["/proc/self/attr/apparmor/current", "/proc/self/attr/current"]
        .iter()
        .find_map(|path| read_value(path))
        .map(|label| label.trim_end_matches('\0').to_string())
}

fn runtime_sockets(mounts: &[MountInfo]) -> Vec<SocketAccess> {
    let mounted = mounts.iter().map(|m| m.mount_point.as_str()).filter(|point| {
        let name = point.rsplit('/').next().unwrap_or_default();
        RUNTIME_SOCKET_NAMES.contains(&name)
    });
    let mut paths: Vec<&str> = RUNTIME_SOCKET_PATHS.iter().copied().chain(mounted).collect();
    paths.sort_unstable();
    paths.dedup();
    paths
        .into_iter()
        .filter(|path| std::fs::metadata(path).is_ok_and(|m| m.file_type().is_socket()))
        .map(|path| SocketAccess {
            path: path.to_string(),
            writable: writable(path),
        })
        .collect()
}

/// A mount of a host directory or disk filesystem (not the container's own root, not a
/// virtual filesystem, not a file the engine manages).
fn is_host_mount(mount: &MountInfo) -> bool {
    mount.mount_point != "/"
        && !VIRTUAL_FILESYSTEMS.contains(&mount.fstype.as_str())
        && !ENGINE_FILES.contains(&mount.mount_point.as_str())
        && !RUNTIME_SOCKET_NAMES.contains(&mount.mount_point.rsplit('/').next().unwrap_or_default())
}

fn writable_host_mounts(mounts: &[MountInfo]) -> Vec<MountInfo> {
    mounts
        .iter()
        .filter(|m| is_host_mount(m) && !m.read_only && writable(&m.mount_point))
        .cloned()
        .collect()
}

fn writable_release_agents(mounts: &[MountInfo]) -> Vec<String> {
    mounts
        .iter()
        .filter(|m| m.fstype == "cgroup")
        .map(|m| format!("{}/release_agent", m.mount_point.trim_end_matches('/')))
        .filter(|path| Path::new(path).exists() && writable(path))
        .collect()
}

/// Character and block devices in /dev beyond the default set.
fn extra_devices() -> Vec<String> {
    let mut devices: Vec<String> = std::fs::read_dir("/dev")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| {
            entry
                .file_type()
                .is_ok_and(|t| t.is_char_device() || t.is_block_device())
        })
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| !DEFAULT_DEVICES.contains(&name.as_str()))
        .map(|name| format!("/dev/{name}"))
        .collect();
    devices.sort();
    devices
}

fn finding(rule: &RuleInfo, object: &str, message: String) -> CheckFinding {
    CheckFinding::new(
        rule,
        message,
        CheckLocation {
            object: Some(object.to_string()),
            ..CheckLocation::default()
        },
    )
}

/// The findings a report's facts amount to.
pub fn findings(report: &ProbeReport) -> Vec<CheckFinding> {
    let mut out = Vec::new();
    let dangerous: Vec<&str> = report
        .effective_capabilities
        .iter()
        .map(String::as_str)
        .filter(|c| DANGEROUS_CAPABILITIES.contains(c))
        .collect();
    if !dangerous.is_empty() {
        out.push(finding(
            &rules::DANGEROUS_CAPABILITIES,
            "CapEff",
            format!("effective: {}", dangerous.join(", ")),
        ));
    }
    if report.seccomp == "disabled" {
        out.push(finding(
            &rules::SECCOMP_DISABLED,
            "Seccomp",
            "no seccomp filter: every system call reaches the kernel".into(),
        ));
    }
    let confined = report
        .lsm_label
        .as_deref()
        .is_some_and(|label| !label.is_empty() && !label.starts_with("unconfined") && label != "kernel");
    if !confined {
        let label = report.lsm_label.as_deref().unwrap_or("none");
        out.push(finding(&rules::NO_LSM, "attr/current", format!("LSM label: {label}")));
    }
    let root = report.uid.is_some_and(|(_, effective)| effective == 0);
    if root && !report.user_namespace {
        out.push(finding(
            &rules::HOST_ROOT,
            "uid_map",
            "uid 0 here is uid 0 on the host (no user namespace)".into(),
        ));
    }
    for socket in report.runtime_sockets.iter().filter(|s| s.writable) {
        out.push(finding(
            &rules::RUNTIME_SOCKET,
            &socket.path,
            format!("{} is reachable: it controls the host's containers", socket.path),
        ));
    }
    for mount in &report.writable_host_mounts {
        out.push(finding(
            &rules::WRITABLE_HOST_MOUNT,
            &mount.mount_point,
            format!(
                "{} ({} {}{}) is writable",
                mount.mount_point, mount.fstype, mount.source, mount.root
            ),
        ));
    }
    for agent in &report.writable_release_agents {
        out.push(finding(
            &rules::RELEASE_AGENT,
            agent,
            format!("{agent} is writable: the kernel runs it as root on the host"),
        ));
    }
    if report.proc_sys_writable {
        out.push(finding(
            &rules::PROC_SYS,
            "/proc/sys",
            "/proc/sys is writable (core_pattern runs a host command)".into(),
        ));
    }
    if report.host_pid_namespace {
        out.push(finding(
            &rules::HOST_PID,
            "/proc",
            "the host's processes are visible (kthreadd is pid 2)".into(),
        ));
    }
    if !report.devices.is_empty() {
        out.push(finding(&rules::DEVICES, "/dev", report.devices.join(", ")));
    }
    for cve in &report.kernel_escapes {
        let kernel = report.kernel.as_deref().unwrap_or("?");
        out.push(finding(
            &rules::KERNEL_ESCAPE,
            cve,
            format!("kernel {kernel} is in the affected range of {cve} unless the distribution backported the fix"),
        ));
    }
    if report.no_new_privileges == Some(false) {
        out.push(finding(
            &rules::NEW_PRIVILEGES,
            "NoNewPrivs",
            "setuid binaries and file capabilities can raise privileges".into(),
        ));
    }
    out
}
