//! The `DD-PRB-NNN` rules: what a container can reach from inside. Ids are never reused
//! or renumbered.

use drydock_model::{RuleInfo, Severity};

const fn rule(id: &'static str, severity: Severity, title: &'static str, remediation: &'static str) -> RuleInfo {
    RuleInfo {
        id,
        severity,
        title,
        remediation,
        cis: None,
    }
}

pub const DANGEROUS_CAPABILITIES: RuleInfo = rule(
    "DD-PRB-001",
    Severity::High,
    "Dangerous capabilities in the effective set",
    "Drop the capabilities (--cap-drop ALL, no --cap-add SYS_ADMIN/SYS_PTRACE/…, never --privileged).",
);
pub const SECCOMP_DISABLED: RuleInfo = rule(
    "DD-PRB-002",
    Severity::High,
    "No seccomp filter",
    "Run with the runtime's default seccomp profile (remove seccomp=unconfined and --privileged).",
);
pub const NO_LSM: RuleInfo = rule(
    "DD-PRB-003",
    Severity::Medium,
    "No AppArmor or SELinux confinement",
    "Enable AppArmor or SELinux on the host and run the container with its default profile or label.",
);
pub const HOST_ROOT: RuleInfo = rule(
    "DD-PRB-004",
    Severity::Medium,
    "Root without a user namespace",
    "Run as a non-root user, or enable userns-remap or rootless mode so root inside is not root outside.",
);
pub const RUNTIME_SOCKET: RuleInfo = rule(
    "DD-PRB-005",
    Severity::Critical,
    "Container runtime socket reachable",
    "Do not mount the runtime's socket into containers.",
);
pub const WRITABLE_HOST_MOUNT: RuleInfo = rule(
    "DD-PRB-006",
    Severity::High,
    "Writable host path",
    "Mount host paths read-only, or use a named volume that holds only the container's own data.",
);
pub const RELEASE_AGENT: RuleInfo = rule(
    "DD-PRB-007",
    Severity::Critical,
    "Writable cgroup release_agent",
    "Do not run privileged or with CAP_SYS_ADMIN; use cgroup v2 and a kernel with the CVE-2022-0492 fix.",
);
pub const PROC_SYS: RuleInfo = rule(
    "DD-PRB-008",
    Severity::High,
    "Writable /proc/sys",
    "Keep /proc/sys read-only (do not run privileged; no systempaths=unconfined).",
);
pub const HOST_PID: RuleInfo = rule(
    "DD-PRB-009",
    Severity::High,
    "Host PID namespace",
    "Do not use --pid host (hostPID: true).",
);
pub const DEVICES: RuleInfo = rule(
    "DD-PRB-010",
    Severity::Medium,
    "Host device nodes present",
    "Remove --device and --privileged; pass only the devices the workload needs.",
);
pub const KERNEL_ESCAPE: RuleInfo = rule(
    "DD-PRB-011",
    Severity::High,
    "Kernel has a known container escape",
    "Update the host kernel (or check the distribution's advisory for a backport) and reboot.",
);
pub const NEW_PRIVILEGES: RuleInfo = rule(
    "DD-PRB-012",
    Severity::Low,
    "Privileges can be gained (no_new_privs off)",
    "Run with --security-opt no-new-privileges.",
);

/// Every `DD-PRB` rule, in id order.
pub const ALL: &[RuleInfo] = &[
    DANGEROUS_CAPABILITIES,
    SECCOMP_DISABLED,
    NO_LSM,
    HOST_ROOT,
    RUNTIME_SOCKET,
    WRITABLE_HOST_MOUNT,
    RELEASE_AGENT,
    PROC_SYS,
    HOST_PID,
    DEVICES,
    KERNEL_ESCAPE,
    NEW_PRIVILEGES,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_in_order() {
        for (index, rule) in ALL.iter().enumerate() {
            assert_eq!(rule.id, format!("DD-PRB-{:03}", index + 1));
        }
    }
}
