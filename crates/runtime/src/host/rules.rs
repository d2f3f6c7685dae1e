//! The `DD-HOST-NNN` rules: the host, the Docker daemon's configuration and files, and the
//! kernel. Ids are never reused or renumbered.

use drydock_model::{RuleInfo, Severity};

const fn rule(
    id: &'static str,
    severity: Severity,
    title: &'static str,
    remediation: &'static str,
    cis: Option<&'static str>,
) -> RuleInfo {
    RuleInfo {
        id,
        severity,
        title,
        remediation,
        cis,
    }
}

const CIS: &str = "CIS Docker Benchmark v1.6.0";

pub const DAEMON_CONFIG: RuleInfo = rule(
    "DD-HOST-001",
    Severity::High,
    "daemon.json is readable and valid",
    "Fix /etc/docker/daemon.json: dockerd refuses to start with invalid JSON.",
    None,
);
pub const SEPARATE_PARTITION: RuleInfo = rule(
    "DD-HOST-002",
    Severity::Low,
    "Separate partition for container data",
    "Put the Docker data root (/var/lib/docker) on its own filesystem so containers cannot fill the root one.",
    Some("CIS Docker Benchmark v1.6.0 1.1.1"),
);
pub const DOCKER_GROUP: RuleInfo = rule(
    "DD-HOST-003",
    Severity::Medium,
    "Only trusted users control the Docker daemon",
    "Members of the docker group are root on this host: keep only administrators in it.",
    Some("CIS Docker Benchmark v1.6.0 1.1.2"),
);
pub const AUDIT_RULES: RuleInfo = rule(
    "DD-HOST-004",
    Severity::Low,
    "Docker files are audited",
    "Add a watch rule (`-w PATH -k docker`) to /etc/audit/rules.d/docker.rules and reload auditd.",
    Some("CIS Docker Benchmark v1.6.0 1.1.3-1.1.18"),
);
pub const DAEMON_ROOTLESS: RuleInfo = rule(
    "DD-HOST-010",
    Severity::Low,
    "Docker daemon runs as a non-root user",
    "Consider rootless mode (dockerd-rootless-setuptool.sh install) where the workloads allow it.",
    Some("CIS Docker Benchmark v1.6.0 2.1"),
);
pub const ICC: RuleInfo = rule(
    "DD-HOST-011",
    Severity::Medium,
    "Traffic between containers on the default bridge is restricted",
    "Set \"icc\": false in daemon.json and link the containers that must talk on user-defined networks.",
    Some("CIS Docker Benchmark v1.6.0 2.2"),
);
pub const LOG_LEVEL: RuleInfo = rule(
    "DD-HOST-012",
    Severity::Low,
    "Logging level is info",
    "Set \"log-level\": \"info\" (debug logs may record secrets).",
    Some("CIS Docker Benchmark v1.6.0 2.3"),
);
pub const IPTABLES: RuleInfo = rule(
    "DD-HOST-013",
    Severity::Medium,
    "Docker may change iptables",
    "Remove \"iptables\": false so Docker keeps the firewall consistent with its networks.",
    Some("CIS Docker Benchmark v1.6.0 2.4"),
);
pub const INSECURE_REGISTRIES: RuleInfo = rule(
    "DD-HOST-014",
    Severity::High,
    "No insecure registries",
    "Remove \"insecure-registries\"; give the registries TLS certificates.",
    Some("CIS Docker Benchmark v1.6.0 2.5"),
);
pub const AUFS: RuleInfo = rule(
    "DD-HOST-015",
    Severity::Medium,
    "aufs storage driver is not used",
    "Use overlay2.",
    Some("CIS Docker Benchmark v1.6.0 2.6"),
);
pub const TLS: RuleInfo = rule(
    "DD-HOST-016",
    Severity::Critical,
    "TCP socket requires TLS client authentication",
    "Listen on TCP only with \"tlsverify\": true and tlscacert, tlscert and tlskey set, or not at all.",
    Some("CIS Docker Benchmark v1.6.0 2.7"),
);
pub const DEFAULT_ULIMITS: RuleInfo = rule(
    "DD-HOST-017",
    Severity::Low,
    "Default ulimits are configured",
    "Set \"default-ulimits\" (nofile, nproc) in daemon.json.",
    Some("CIS Docker Benchmark v1.6.0 2.8"),
);
pub const USERNS_REMAP: RuleInfo = rule(
    "DD-HOST-018",
    Severity::Medium,
    "User namespace remapping is enabled",
    "Set \"userns-remap\": \"default\" so root in a container is an unprivileged user on the host.",
    Some("CIS Docker Benchmark v1.6.0 2.9"),
);
pub const AUTHORIZATION_PLUGIN: RuleInfo = rule(
    "DD-HOST-019",
    Severity::Low,
    "Authorization plugin for client commands",
    "Configure \"authorization-plugins\" to control who may do what through the API.",
    Some("CIS Docker Benchmark v1.6.0 2.12"),
);
pub const REMOTE_LOGGING: RuleInfo = rule(
    "DD-HOST-020",
    Severity::Low,
    "Centralized and remote logging",
    "Set \"log-driver\" to syslog, journald, gelf, fluentd or another remote driver.",
    Some("CIS Docker Benchmark v1.6.0 2.13"),
);
pub const NO_NEW_PRIVILEGES: RuleInfo = rule(
    "DD-HOST-021",
    Severity::Medium,
    "Containers are restricted from acquiring new privileges",
    "Set \"no-new-privileges\": true in daemon.json.",
    Some("CIS Docker Benchmark v1.6.0 2.14"),
);
pub const LIVE_RESTORE: RuleInfo = rule(
    "DD-HOST-022",
    Severity::Low,
    "Live restore is enabled",
    "Set \"live-restore\": true so containers keep running while the daemon restarts or upgrades.",
    Some("CIS Docker Benchmark v1.6.0 2.15"),
);
pub const USERLAND_PROXY: RuleInfo = rule(
    "DD-HOST-023",
    Severity::Low,
    "Userland proxy is disabled",
    "Set \"userland-proxy\": false (hairpin NAT through iptables instead of a proxy process per port).",
    Some("CIS Docker Benchmark v1.6.0 2.16"),
);
pub const SECCOMP_PROFILE: RuleInfo = rule(
    "DD-HOST-024",
    Severity::Low,
    "Daemon-wide seccomp profile",
    "Set \"seccomp-profile\" to a profile stricter than the default if the workloads allow it.",
    Some("CIS Docker Benchmark v1.6.0 2.17"),
);
pub const EXPERIMENTAL: RuleInfo = rule(
    "DD-HOST-025",
    Severity::Low,
    "Experimental features are off",
    "Remove \"experimental\": true on production hosts.",
    Some("CIS Docker Benchmark v1.6.0 2.18"),
);
pub const FILE_OWNERSHIP: RuleInfo = rule(
    "DD-HOST-030",
    Severity::High,
    "Docker file ownership and permissions",
    "chown and chmod the file as the benchmark says (root:root and 644 or stricter; sockets root:docker 660).",
    Some("CIS Docker Benchmark v1.6.0 3"),
);
pub const LSM: RuleInfo = rule(
    "DD-HOST-040",
    Severity::High,
    "SELinux or AppArmor enabled and enforcing",
    "Enable AppArmor (Debian, Ubuntu, SUSE) or SELinux in enforcing mode (Red Hat family) at boot.",
    None,
);
pub const SECCOMP: RuleInfo = rule(
    "DD-HOST-041",
    Severity::High,
    "Kernel supports seccomp filters",
    "Use a kernel built with CONFIG_SECCOMP_FILTER=y.",
    None,
);
pub const USER_NAMESPACES: RuleInfo = rule(
    "DD-HOST-042",
    Severity::Low,
    "User namespaces are available",
    "Set user.max_user_namespaces above 0 so the engine can remap users.",
    None,
);
pub const CGROUP_V2: RuleInfo = rule(
    "DD-HOST-043",
    Severity::Medium,
    "cgroup v2 (unified hierarchy)",
    "Boot with systemd.unified_cgroup_hierarchy=1: cgroup v1 has the release_agent escape path.",
    None,
);
pub const UNPRIVILEGED_BPF: RuleInfo = rule(
    "DD-HOST-044",
    Severity::Medium,
    "Unprivileged BPF is disabled",
    "sysctl -w kernel.unprivileged_bpf_disabled=1 (and persist it in /etc/sysctl.d).",
    None,
);
pub const KPTR_RESTRICT: RuleInfo = rule(
    "DD-HOST-045",
    Severity::Low,
    "Kernel pointers are hidden",
    "sysctl -w kernel.kptr_restrict=1 (or 2) so kernel addresses do not help exploits.",
    None,
);
pub const KERNEL_ESCAPE: RuleInfo = rule(
    "DD-HOST-046",
    Severity::High,
    "Kernel has no known container escape",
    "Update the kernel to a release with the fix (or check the distribution's advisory for a backport) and reboot.",
    None,
);

/// The CIS edition every reference above names.
pub const CIS_EDITION: &str = CIS;

/// Every `DD-HOST` rule, in id order.
pub const ALL: &[RuleInfo] = &[
    DAEMON_CONFIG,
    SEPARATE_PARTITION,
    DOCKER_GROUP,
    AUDIT_RULES,
    DAEMON_ROOTLESS,
    ICC,
    LOG_LEVEL,
    IPTABLES,
    INSECURE_REGISTRIES,
    AUFS,
    TLS,
    DEFAULT_ULIMITS,
    USERNS_REMAP,
    AUTHORIZATION_PLUGIN,
    REMOTE_LOGGING,
    NO_NEW_PRIVILEGES,
    LIVE_RESTORE,
    USERLAND_PROXY,
    SECCOMP_PROFILE,
    EXPERIMENTAL,
    FILE_OWNERSHIP,
    LSM,
    SECCOMP,
    USER_NAMESPACES,
    CGROUP_V2,
    UNPRIVILEGED_BPF,
    KPTR_RESTRICT,
    KERNEL_ESCAPE,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_sorted() {
        for pair in ALL.windows(2) {
            assert!(pair[0].id < pair[1].id, "{} then {}", pair[0].id, pair[1].id);
        }
        for rule in ALL {
            assert!(rule.cis.is_none_or(|cis| cis.starts_with(CIS_EDITION)), "{}", rule.id);
        }
    }
}
