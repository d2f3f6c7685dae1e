//! The `DD-RUN-NNN` rules: how a container is run. One table for every place a container's
//! settings are judged: the live-container audit (`drydock-runtime`, over Docker inspect
//! documents) and the manifest audit ([`super`], Kubernetes, compose, OCI `config.json`).
//! The same setting always has the same id; ids are never reused or renumbered. Rules that
//! only a manifest can break (service account token, mutable image tag) come after the
//! live-container ones.

use drydock_model::{RuleInfo, Severity};

const fn rule(
    id: &'static str,
    severity: Severity,
    title: &'static str,
    remediation: &'static str,
    cis: &'static str,
) -> RuleInfo {
    RuleInfo {
        id,
        severity,
        title,
        remediation,
        cis: Some(cis),
    }
}

pub const PRIVILEGED: RuleInfo = rule(
    "DD-RUN-001",
    Severity::Critical,
    "Container runs privileged",
    "Run without --privileged (privileged: false); grant only the capabilities and devices it needs.",
    "CIS Docker Benchmark v1.6.0 5.5",
);
pub const CAPABILITIES_ADDED: RuleInfo = rule(
    "DD-RUN-002",
    Severity::High,
    "Capabilities added beyond the runtime's default set",
    "Remove --cap-add (securityContext.capabilities.add) unless the workload cannot run without it.",
    "CIS Docker Benchmark v1.6.0 5.4",
);
pub const CAPABILITIES_NOT_DROPPED: RuleInfo = rule(
    "DD-RUN-003",
    Severity::Low,
    "Default capabilities not dropped",
    "Drop every capability (--cap-drop ALL, capabilities.drop: [ALL]) and add back only the needed ones.",
    "CIS Docker Benchmark v1.6.0 5.4",
);
pub const SECCOMP_DISABLED: RuleInfo = rule(
    "DD-RUN-004",
    Severity::High,
    "Seccomp profile disabled",
    "Remove seccomp=unconfined; keep the runtime's default profile (seccompProfile.type: RuntimeDefault) or a custom one.",
    "CIS Docker Benchmark v1.6.0 5.22",
);
pub const APPARMOR_DISABLED: RuleInfo = rule(
    "DD-RUN-005",
    Severity::Medium,
    "No AppArmor profile",
    "Remove apparmor=unconfined and run with docker-default or a custom profile (--security-opt apparmor=PROFILE).",
    "CIS Docker Benchmark v1.6.0 5.2",
);
pub const SELINUX_DISABLED: RuleInfo = rule(
    "DD-RUN-006",
    Severity::Medium,
    "SELinux labelling disabled",
    "Remove label=disable (and host namespaces that force it); let the engine apply its SELinux labels.",
    "CIS Docker Benchmark v1.6.0 5.3",
);
pub const NEW_PRIVILEGES_ALLOWED: RuleInfo = rule(
    "DD-RUN-007",
    Severity::Medium,
    "Processes may gain privileges (no-new-privileges not set)",
    "Run with --security-opt no-new-privileges (allowPrivilegeEscalation: false), or set it daemon-wide.",
    "CIS Docker Benchmark v1.6.0 5.26",
);
pub const RUNS_AS_ROOT: RuleInfo = rule(
    "DD-RUN-008",
    Severity::Medium,
    "Container runs as root",
    "Run as an unprivileged user (--user UID:GID, runAsNonRoot: true) and give the image a non-root USER.",
    "CIS Docker Benchmark v1.6.0 4.1",
);
pub const WRITABLE_ROOT_FILESYSTEM: RuleInfo = rule(
    "DD-RUN-009",
    Severity::Low,
    "Root filesystem is writable",
    "Run with --read-only (readOnlyRootFilesystem: true) and mount volumes or tmpfs where it must write.",
    "CIS Docker Benchmark v1.6.0 5.13",
);
pub const NO_MEMORY_LIMIT: RuleInfo = rule(
    "DD-RUN-010",
    Severity::Medium,
    "No memory limit",
    "Set a memory limit (--memory, resources.limits.memory).",
    "CIS Docker Benchmark v1.6.0 5.11",
);
pub const NO_CPU_LIMIT: RuleInfo = rule(
    "DD-RUN-011",
    Severity::Low,
    "No CPU limit or priority",
    "Set --cpus or --cpu-shares (resources.limits.cpu).",
    "CIS Docker Benchmark v1.6.0 5.12",
);
pub const NO_PIDS_LIMIT: RuleInfo = rule(
    "DD-RUN-012",
    Severity::Medium,
    "No PIDs limit",
    "Set --pids-limit (a pids cgroup limit) so a fork bomb cannot exhaust the host.",
    "CIS Docker Benchmark v1.6.0 5.29",
);
pub const HOST_NETWORK: RuleInfo = rule(
    "DD-RUN-013",
    Severity::High,
    "Shares the host's network namespace",
    "Do not use --network host (hostNetwork: true); publish the ports it needs.",
    "CIS Docker Benchmark v1.6.0 5.10",
);
pub const HOST_PID: RuleInfo = rule(
    "DD-RUN-014",
    Severity::High,
    "Shares the host's process namespace",
    "Do not use --pid host (hostPID: true).",
    "CIS Docker Benchmark v1.6.0 5.16",
);
pub const HOST_IPC: RuleInfo = rule(
    "DD-RUN-015",
    Severity::High,
    "Shares the host's IPC namespace",
    "Do not use --ipc host (hostIPC: true).",
    "CIS Docker Benchmark v1.6.0 5.17",
);
pub const HOST_UTS: RuleInfo = rule(
    "DD-RUN-016",
    Severity::Medium,
    "Shares the host's UTS namespace",
    "Do not use --uts host.",
    "CIS Docker Benchmark v1.6.0 5.21",
);
pub const HOST_USERNS: RuleInfo = rule(
    "DD-RUN-017",
    Severity::Medium,
    "Shares the host's user namespace",
    "Do not use --userns host where the daemon remaps users; keep the container in the remapped namespace.",
    "CIS Docker Benchmark v1.6.0 5.31",
);
pub const SENSITIVE_MOUNT: RuleInfo = rule(
    "DD-RUN-018",
    Severity::High,
    "Sensitive host directory mounted",
    "Do not bind-mount /, /boot, /dev, /etc, /lib, /proc, /sys, /usr or /var/run (hostPath) into containers.",
    "CIS Docker Benchmark v1.6.0 5.6",
);
pub const RUNTIME_SOCKET_MOUNT: RuleInfo = rule(
    "DD-RUN-019",
    Severity::Critical,
    "Container runtime socket mounted",
    "Do not mount docker.sock, containerd.sock, crio.sock or podman.sock: whoever reaches it controls the host.",
    "CIS Docker Benchmark v1.6.0 5.32",
);
pub const SHARED_PROPAGATION: RuleInfo = rule(
    "DD-RUN-020",
    Severity::Medium,
    "Mount propagation is shared",
    "Use private or slave propagation (the default); never shared/rshared (mountPropagation: Bidirectional).",
    "CIS Docker Benchmark v1.6.0 5.20",
);
pub const PRIVILEGED_PORT: RuleInfo = rule(
    "DD-RUN-021",
    Severity::Low,
    "Privileged host port mapped",
    "Publish on a host port of 1024 or above, or put a proxy in front.",
    "CIS Docker Benchmark v1.6.0 5.8",
);
pub const PORT_ON_ALL_INTERFACES: RuleInfo = rule(
    "DD-RUN-022",
    Severity::Low,
    "Port published on every host interface",
    "Bind published ports to one address (-p 127.0.0.1:8080:8080).",
    "CIS Docker Benchmark v1.6.0 5.14",
);
pub const RESTART_POLICY: RuleInfo = rule(
    "DD-RUN-023",
    Severity::Low,
    "Restart policy retries without bound",
    "Use --restart on-failure:5 so a crashing container is not restarted forever.",
    "CIS Docker Benchmark v1.6.0 5.15",
);
pub const NO_HEALTHCHECK: RuleInfo = rule(
    "DD-RUN-024",
    Severity::Low,
    "No health check",
    "Give the image a HEALTHCHECK or run with --health-cmd (livenessProbe/readinessProbe).",
    "CIS Docker Benchmark v1.6.0 5.27",
);
pub const UNHEALTHY: RuleInfo = rule(
    "DD-RUN-025",
    Severity::Medium,
    "Container is unhealthy",
    "Look at `docker inspect --format '{{json .State.Health}}'` and fix or replace the container.",
    "CIS Docker Benchmark v1.6.0 5.27",
);
pub const IMAGE_NOT_PINNED: RuleInfo = RuleInfo {
    id: "DD-RUN-026",
    severity: Severity::Low,
    title: "Image not referenced by digest",
    remediation: "Run images by digest (name@sha256:…) so what runs is exactly what was scanned and signed.",
    cis: None,
};
pub const HOST_DEVICES: RuleInfo = rule(
    "DD-RUN-027",
    Severity::Medium,
    "Host devices exposed",
    "Remove --device unless the workload needs that device; never expose disks, /dev/mem or /dev/kmsg.",
    "CIS Docker Benchmark v1.6.0 5.18",
);

pub const IMAGE_TAG_MUTABLE: RuleInfo = RuleInfo {
    id: "DD-RUN-028",
    severity: Severity::Medium,
    title: "Image tagged latest or untagged",
    remediation: "Reference the image by a version tag and digest (name:1.2.3@sha256:…), never `latest` or no tag.",
    cis: None,
};
pub const SERVICE_ACCOUNT_TOKEN: RuleInfo = RuleInfo {
    id: "DD-RUN-029",
    severity: Severity::Medium,
    title: "Service account token automounted",
    remediation: "Set automountServiceAccountToken: false on the pod (or its service account) unless it calls the API server.",
    cis: None,
};

/// Every `DD-RUN` rule, in id order.
pub const ALL: &[RuleInfo] = &[
    PRIVILEGED,
    CAPABILITIES_ADDED,
    CAPABILITIES_NOT_DROPPED,
    SECCOMP_DISABLED,
    APPARMOR_DISABLED,
    SELINUX_DISABLED,
    NEW_PRIVILEGES_ALLOWED,
    RUNS_AS_ROOT,
    WRITABLE_ROOT_FILESYSTEM,
    NO_MEMORY_LIMIT,
    NO_CPU_LIMIT,
    NO_PIDS_LIMIT,
    HOST_NETWORK,
    HOST_PID,
    HOST_IPC,
    HOST_UTS,
    HOST_USERNS,
    SENSITIVE_MOUNT,
    RUNTIME_SOCKET_MOUNT,
    SHARED_PROPAGATION,
    PRIVILEGED_PORT,
    PORT_ON_ALL_INTERFACES,
    RESTART_POLICY,
    NO_HEALTHCHECK,
    UNHEALTHY,
    IMAGE_NOT_PINNED,
    HOST_DEVICES,
    IMAGE_TAG_MUTABLE,
    SERVICE_ACCOUNT_TOKEN,
];

/// The capabilities Docker and containerd grant by default; adding one of these is not a finding.
pub const DEFAULT_CAPABILITIES: &[&str] = &[
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "NET_RAW",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// Host directories never to bind-mount whole (CIS 5.6, plus /var/run and /run, which hold
/// every runtime's socket).
const SENSITIVE_DIRECTORIES: &[&str] = &[
    "/", "/boot", "/dev", "/etc", "/lib", "/proc", "/sys", "/usr", "/var/run", "/run",
];

/// Kernel interfaces: anything under them is as sensitive as the whole.
const SENSITIVE_PREFIXES: &[&str] = &["/proc/", "/sys/", "/boot/", "/dev/"];

/// The control sockets of container runtimes.
const RUNTIME_SOCKETS: &[&str] = &[
    "docker.sock",
    "containerd.sock",
    "crio.sock",
    "podman.sock",
    "dockershim.sock",
];

/// `CAP_SYS_ADMIN`, `sys_admin` → `SYS_ADMIN`.
pub fn capability_name(text: &str) -> String {
    let upper = text.trim().to_ascii_uppercase();
    upper.strip_prefix("CAP_").map(str::to_string).unwrap_or(upper)
}

/// `/var/run/` → `/var/run`; `/` stays.
pub fn normalized_path(path: &str) -> &str {
    if path.len() > 1 {
        path.trim_end_matches('/')
    } else {
        path
    }
}

/// A host path whose name is a container runtime's control socket.
pub fn is_runtime_socket(source: &str) -> bool {
    let name = normalized_path(source).rsplit('/').next().unwrap_or_default();
    RUNTIME_SOCKETS.contains(&name)
}

/// A host path that must not be mounted into a container (DD-RUN-018).
pub fn is_sensitive_host_path(source: &str) -> bool {
    let source = normalized_path(source);
    SENSITIVE_DIRECTORIES.contains(&source) || SENSITIVE_PREFIXES.iter().any(|prefix| source.starts_with(prefix))
}

/// A Docker `--user` value that means root: empty, `root`, `0`, `0:…` or `root:…`.
pub fn user_is_root(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or_default().trim();
    name.is_empty() || name == "root" || name == "0"
}

/// `name@sha256:…` or an image id (`sha256:<64 hex>`): content-addressed.
pub fn pinned_by_digest(image: &str) -> bool {
    if image.contains("@sha256:") {
        return true;
    }
    image
        .strip_prefix("sha256:")
        .is_some_and(|hex| hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The tag of an image reference, if it has one (`registry:5000/app:1.2` → `1.2`).
pub fn image_tag(image: &str) -> Option<&str> {
    let name = image.split('@').next().unwrap_or_default();
    let last_component = name.rsplit('/').next().unwrap_or_default();
    last_component.split_once(':').map(|(_, tag)| tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_in_order() {
        for (index, rule) in ALL.iter().enumerate() {
            assert_eq!(rule.id, format!("DD-RUN-{:03}", index + 1));
        }
    }
}

#[cfg(test)]
mod helper_tests {
    use super::*;

    #[test]
    fn root_users() {
        for user in ["", "root", "0", "0:0", "root:wheel"] {
            assert!(user_is_root(user), "{user}");
        }
        for user in ["1000", "1000:1000", "app", "65532:65532"] {
            assert!(!user_is_root(user), "{user}");
        }
    }

    #[test]
    fn digests_and_tags() {
        assert!(pinned_by_digest("nginx@sha256:abc"));
        assert!(pinned_by_digest(&format!("sha256:{}", "a".repeat(64))));
        assert!(!pinned_by_digest("nginx:latest"));
        assert!(!pinned_by_digest("sha256:abc"));
        assert_eq!(image_tag("registry:5000/app:1.2"), Some("1.2"));
        assert_eq!(image_tag("registry:5000/app"), None);
        assert_eq!(image_tag("nginx:1.27@sha256:abc"), Some("1.27"));
    }

    #[test]
    fn capability_names_normalize() {
        assert_eq!(capability_name("cap_sys_admin"), "SYS_ADMIN");
        assert_eq!(capability_name("NET_ADMIN"), "NET_ADMIN");
    }

    #[test]
    fn sensitive_sources() {
        assert!(is_sensitive_host_path("/"));
        assert!(is_sensitive_host_path("/etc/"));
        assert!(is_sensitive_host_path("/proc/sys"));
        assert!(!is_sensitive_host_path("/etc/localtime"));
        assert!(!is_sensitive_host_path("/srv/data"));
        assert!(is_runtime_socket("/run/containerd/containerd.sock"));
        assert!(!is_runtime_socket("/run/docker"));
    }
}
