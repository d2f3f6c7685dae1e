//! The abstract workload: what a manifest says about how each container will run, whatever
//! the manifest's format. Parsers fill it; [`super::evaluate`] judges it with the `DD-RUN` rules.
//! A setting a format cannot express is `None` and is never reported.

use serde::Serialize;

/// One unit the manifest runs: a Kubernetes workload object, a compose service or an OCI
/// runtime bundle.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Workload {
    /// `Deployment/web`, `service/db`, `config.json`: how findings name it.
    pub name: String,
    /// The 1-based YAML document of the file that defines it (multi-document files).
    pub document: Option<usize>,
    pub host_network: bool,
    pub host_pid: bool,
    pub host_ipc: bool,
    pub host_uts: bool,
    pub host_user_namespace: bool,
    /// Whether a service account token is mounted (Kubernetes only).
    pub service_account_token: Option<bool>,
    pub containers: Vec<Container>,
}

/// One container of a workload.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Container {
    /// `container app`, `initContainer migrate` (empty when the workload has a single one).
    pub name: String,
    /// The image reference, when the format names one.
    pub image: Option<String>,
    pub privileged: bool,
    /// no-new-privileges is set (`allowPrivilegeEscalation: false`).
    pub no_new_privileges: bool,
    /// Capabilities granted beyond what the runtime starts with, normalized (`SYS_ADMIN`).
    pub capabilities_added: Vec<String>,
    /// Every default capability is dropped (`drop: [ALL]`).
    pub all_capabilities_dropped: bool,
    pub user: User,
    pub read_only_root_filesystem: bool,
    pub seccomp: Confinement,
    pub apparmor: Confinement,
    pub selinux: Confinement,
    /// `None`: the format cannot set this limit (e.g. pids in a Kubernetes pod spec).
    pub memory_limit: Option<bool>,
    pub cpu_limit: Option<bool>,
    pub pids_limit: Option<bool>,
    pub host_mounts: Vec<HostMount>,
    pub ports: Vec<PublishedPort>,
    pub devices: Vec<String>,
}

/// Who the container's process runs as.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub enum User {
    /// Not set: the image's USER decides, and that is root unless the image says otherwise.
    #[default]
    Unset,
    /// Set to root; the text says how (`runAsUser: 0`, `user: root`).
    Root(String),
    /// Set to a non-root user, or non-root is enforced (`runAsNonRoot: true`).
    NonRoot,
}

/// A confinement (seccomp, AppArmor, SELinux): on, or off and why.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub enum Confinement {
    #[default]
    Confined,
    Disabled(String),
}

/// A host path made visible inside the container.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HostMount {
    pub source: String,
    pub destination: String,
    pub read_only: bool,
    /// Mounts made on either side propagate to the other (`rshared`, `Bidirectional`).
    pub shared_propagation: bool,
}

/// A container port published on the host.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PublishedPort {
    /// Empty when the host address is not pinned (every interface).
    pub host_ip: String,
    /// `None`: the runtime picks a free (unprivileged) port.
    pub host_port: Option<u16>,
    pub container_port: String,
}
