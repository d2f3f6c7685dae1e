//! The image check rules (`DD-IMG-NNN`). Ids are stable: never renumber, only append.

use drydock_model::{RuleInfo, Severity};

const fn cis(item: &'static str) -> Option<&'static str> {
    Some(item)
}

pub const ROOT_USER: RuleInfo = RuleInfo {
    id: "DD-IMG-001",
    severity: Severity::High,
    title: "Image runs as root",
    remediation: "Create an unprivileged user in the image (useradd) and end the Dockerfile with `USER <name or uid>`.",
    cis: cis("CIS Docker Benchmark v1.6.0 4.1"),
};

pub const NO_HEALTHCHECK: RuleInfo = RuleInfo {
    id: "DD-IMG-002",
    severity: Severity::Low,
    title: "No HEALTHCHECK",
    remediation: "Add a `HEALTHCHECK CMD ...` that probes the service, so the engine can restart an unhealthy \
                  container (or rely on the orchestrator's probes and accept this finding).",
    cis: cis("CIS Docker Benchmark v1.6.0 4.6"),
};

pub const SECRET_IN_ENV: RuleInfo = RuleInfo {
    id: "DD-IMG-003",
    severity: Severity::High,
    title: "Secret in an environment variable of the image",
    remediation: "Remove the value from `ENV` (it is readable by anyone who can pull the image) and rotate it; pass it \
                  at run time from a secret store, or use a `*_FILE` variable pointing at a mounted secret.",
    cis: cis("CIS Docker Benchmark v1.6.0 4.10"),
};

pub const SECRET_IN_LABEL: RuleInfo = RuleInfo {
    id: "DD-IMG-004",
    severity: Severity::High,
    title: "Secret in an image label",
    remediation: "Remove the label and rotate the value: labels are public metadata of the image.",
    cis: cis("CIS Docker Benchmark v1.6.0 4.10"),
};

pub const SECRET_IN_HISTORY: RuleInfo = RuleInfo {
    id: "DD-IMG-005",
    severity: Severity::High,
    title: "Secret in the build history (build argument or command)",
    remediation: "Rotate the value and rebuild without it: build arguments and RUN commands are recorded in the \
                  image history. Use BuildKit secret mounts (`RUN --mount=type=secret`).",
    cis: cis("CIS Docker Benchmark v1.6.0 4.10"),
};

pub const ADD_REMOTE_URL: RuleInfo = RuleInfo {
    id: "DD-IMG-006",
    severity: Severity::Medium,
    title: "ADD of a remote URL",
    remediation: "Download with a verified checksum instead (`ADD --checksum=sha256:...` or `RUN curl ... && \
                  sha256sum -c`), and use COPY for local files.",
    cis: cis("CIS Docker Benchmark v1.6.0 4.9"),
};

pub const SSHD_INSTALLED: RuleInfo = RuleInfo {
    id: "DD-IMG-007",
    severity: Severity::Medium,
    title: "SSH server installed",
    remediation: "Remove the SSH server package; use `docker exec` / `kubectl exec` for access.",
    cis: cis("CIS Docker Benchmark v1.6.0 4.3"),
};

pub const SUDO_INSTALLED: RuleInfo = RuleInfo {
    id: "DD-IMG-008",
    severity: Severity::Medium,
    title: "sudo installed",
    remediation: "Remove sudo; do privileged setup at build time and run the container as an unprivileged user.",
    cis: cis("CIS Docker Benchmark v1.6.0 4.3"),
};

pub const SSH_PORT_EXPOSED: RuleInfo = RuleInfo {
    id: "DD-IMG-009",
    severity: Severity::Medium,
    title: "SSH port 22 exposed",
    remediation: "Remove `EXPOSE 22` and the SSH server it serves.",
    cis: None,
};

pub const PACKAGE_CACHE: RuleInfo = RuleInfo {
    id: "DD-IMG-010",
    severity: Severity::Low,
    title: "Package manager cache or lists left in the image",
    remediation: "Clean up in the same RUN that installs: `rm -rf /var/lib/apt/lists/*`, `apk add --no-cache`, \
                  `yum clean all` / `dnf clean all`, `pip install --no-cache-dir`.",
    cis: None,
};

pub const SETUID_FILE: RuleInfo = RuleInfo {
    id: "DD-IMG-011",
    severity: Severity::Medium,
    title: "setuid or setgid file",
    remediation: "Remove the bit where the program is not needed (`chmod a-s`), or remove the program; run the \
                  container with `--security-opt no-new-privileges`.",
    cis: cis("CIS Docker Benchmark v1.6.0 4.8"),
};

pub const WORLD_WRITABLE_FILE: RuleInfo = RuleInfo {
    id: "DD-IMG-012",
    severity: Severity::Medium,
    title: "World-writable file",
    remediation: "Remove write permission for others (`chmod o-w`).",
    cis: None,
};

pub const WORLD_WRITABLE_DIR: RuleInfo = RuleInfo {
    id: "DD-IMG-013",
    severity: Severity::Medium,
    title: "World-writable directory without the sticky bit",
    remediation: "Remove write permission for others (`chmod o-w`), or set the sticky bit (`chmod +t`) so users \
                  cannot delete each other's files.",
    cis: None,
};

pub const PRIVATE_KEY_FILE: RuleInfo = RuleInfo {
    id: "DD-IMG-014",
    severity: Severity::High,
    title: "Private key file in the image",
    remediation: "Remove the key and replace it (every container of the image shares it); mount keys at run time. \
                  For SSH host keys, generate them when the container starts.",
    cis: cis("CIS Docker Benchmark v1.6.0 4.10"),
};

pub const CREDENTIAL_FILE: RuleInfo = RuleInfo {
    id: "DD-IMG-015",
    severity: Severity::High,
    title: "Credential file in the image",
    remediation: "Remove the file, rotate what it holds, and rebuild (a later layer that deletes it does not remove \
                  it from the image); provide credentials at build time with secret mounts and at run time from a \
                  secret store.",
    cis: cis("CIS Docker Benchmark v1.6.0 4.10"),
};

pub const EMPTY_PASSWORD: RuleInfo = RuleInfo {
    id: "DD-IMG-016",
    severity: Severity::High,
    title: "Account with an empty password",
    remediation: "Lock the account (`passwd -l <name>` or `*` in /etc/shadow) or remove it.",
    cis: None,
};

pub const EXTRA_ROOT_ACCOUNT: RuleInfo = RuleInfo {
    id: "DD-IMG-017",
    severity: Severity::High,
    title: "Second account with UID 0",
    remediation: "Give the account its own UID or remove it: UID 0 is root whatever the name.",
    cis: None,
};

pub const DUPLICATE_UID: RuleInfo = RuleInfo {
    id: "DD-IMG-018",
    severity: Severity::Low,
    title: "Several accounts share one UID",
    remediation: "Give every account its own UID, so file ownership and audit logs name one account.",
    cis: None,
};

pub const BASE_LATEST: RuleInfo = RuleInfo {
    id: "DD-IMG-019",
    severity: Severity::Low,
    title: "Base image tagged latest",
    remediation: "Build FROM a pinned tag and digest (`debian:12.8@sha256:...`) so rebuilds are reproducible and \
                  reviewed.",
    cis: cis("CIS Docker Benchmark v1.6.0 4.2"),
};

/// Every image rule, in id order.
pub static IMAGE_RULES: &[RuleInfo] = &[
    ROOT_USER,
    NO_HEALTHCHECK,
    SECRET_IN_ENV,
    SECRET_IN_LABEL,
    SECRET_IN_HISTORY,
    ADD_REMOTE_URL,
    SSHD_INSTALLED,
    SUDO_INSTALLED,
    SSH_PORT_EXPOSED,
    PACKAGE_CACHE,
    SETUID_FILE,
    WORLD_WRITABLE_FILE,
    WORLD_WRITABLE_DIR,
    PRIVATE_KEY_FILE,
    CREDENTIAL_FILE,
    EMPTY_PASSWORD,
    EXTRA_ROOT_ACCOUNT,
    DUPLICATE_UID,
    BASE_LATEST,
];
