//! An OCI runtime spec (`config.json` of a bundle) to a [`Workload`]. The spec is explicit
//! where Docker has defaults: a namespace missing from `linux.namespaces` is the host's, no
//! `linux.seccomp` is no filter, the capability sets are exactly what the process gets.

use std::collections::BTreeSet;

use serde::Deserialize;

use super::model::{Confinement, Container, HostMount, User, Workload};
use super::rules::{DEFAULT_CAPABILITIES, capability_name};

/// The one default capability commonly kept after dropping the rest (to bind ports below 1024).
const KEPT_AFTER_DROP_ALL: &str = "NET_BIND_SERVICE";

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Spec {
    process: Option<Process>,
    root: Option<Root>,
    mounts: Option<Vec<Mount>>,
    linux: Option<Linux>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Process {
    user: Option<ProcessUser>,
    no_new_privileges: Option<bool>,
    capabilities: Option<CapabilitySets>,
    apparmor_profile: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ProcessUser {
    uid: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct CapabilitySets {
    bounding: Option<Vec<String>>,
    effective: Option<Vec<String>>,
    permitted: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Root {
    readonly: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Mount {
    destination: Option<String>,
    source: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    options: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Linux {
    namespaces: Option<Vec<Namespace>>,
    seccomp: Option<Seccomp>,
    resources: Option<Resources>,
    devices: Option<Vec<Device>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Namespace {
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Seccomp {
    default_action: Option<String>,
    syscalls: Option<Vec<serde_json::Value>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct Resources {
    memory: Option<Limit>,
    cpu: Option<Cpu>,
    pids: Option<Limit>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct Limit {
    limit: Option<i64>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct Cpu {
    shares: Option<u64>,
    quota: Option<i64>,
    cpus: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Device {
    path: Option<String>,
}

/// Whether a JSON document is an OCI runtime spec.
pub fn is_runtime_spec(document: &serde_json::Value) -> bool {
    document.get("ociVersion").is_some()
}

/// The bundle's one container.
pub fn workload(text: &str) -> Result<Workload, String> {
    let spec: Spec = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let process = spec.process.unwrap_or_default();
    let linux = spec.linux.unwrap_or_default();
    let namespaces: BTreeSet<&str> = linux
        .namespaces
        .iter()
        .flatten()
        .filter_map(|n| n.kind.as_deref())
        .collect();
    let resources = linux.resources.as_ref().cloned().unwrap_or_default();
    let granted = granted_capabilities(process.capabilities.as_ref());
    let container = Container {
        name: String::new(),
        image: None,
        privileged: false,
        no_new_privileges: process.no_new_privileges == Some(true),
        capabilities_added: granted
            .iter()
            .filter(|c| !DEFAULT_CAPABILITIES.contains(&c.as_str()))
            .cloned()
            .collect(),
        all_capabilities_dropped: granted
            .iter()
            .all(|c| c == KEPT_AFTER_DROP_ALL || !DEFAULT_CAPABILITIES.contains(&c.as_str())),
        user: match process.user.and_then(|u| u.uid) {
            Some(0) => User::Root("process.user.uid: 0".into()),
            None => User::Root("no process.user.uid, so 0".into()),
            Some(_) => User::NonRoot,
        },
        read_only_root_filesystem: spec.root.and_then(|r| r.readonly) == Some(true),
        seccomp: seccomp(linux.seccomp.as_ref()),
        apparmor: match process.apparmor_profile.as_deref() {
            Some("unconfined") => Confinement::Disabled("process.apparmorProfile: unconfined".into()),
            _ => Confinement::Confined,
        },
        selinux: Confinement::Confined,
        memory_limit: Some(positive_limit(resources.memory.as_ref())),
        cpu_limit: Some(cpu_limited(resources.cpu.as_ref())),
        pids_limit: Some(positive_limit(resources.pids.as_ref())),
        host_mounts: spec.mounts.iter().flatten().filter_map(host_mount).collect(),
        ports: Vec::new(),
        devices: linux.devices.iter().flatten().filter_map(|d| d.path.clone()).collect(),
    };
    Ok(Workload {
        name: "OCI runtime spec".into(),
        host_network: !namespaces.contains("network"),
        host_pid: !namespaces.contains("pid"),
        host_ipc: !namespaces.contains("ipc"),
        host_uts: !namespaces.contains("uts"),
        containers: vec![container],
        ..Workload::default()
    })
}

/// Every capability in the bounding, effective or permitted set, normalized.
fn granted_capabilities(sets: Option<&CapabilitySets>) -> BTreeSet<String> {
    let Some(sets) = sets else {
        return BTreeSet::new();
    };
    [&sets.bounding, &sets.effective, &sets.permitted]
        .into_iter()
        .flatten()
        .flatten()
        .map(|c| capability_name(c))
        .collect()
}

/// No filter, or one that allows every call by default and names no call.
fn seccomp(seccomp: Option<&Seccomp>) -> Confinement {
    match seccomp {
        None => Confinement::Disabled("no linux.seccomp: every system call is allowed".into()),
        Some(filter)
            if filter.default_action.as_deref() == Some("SCMP_ACT_ALLOW")
                && filter.syscalls.as_ref().is_none_or(Vec::is_empty) =>
        {
            Confinement::Disabled("linux.seccomp allows every system call (SCMP_ACT_ALLOW, no rules)".into())
        }
        Some(_) => Confinement::Confined,
    }
}

fn positive_limit(limit: Option<&Limit>) -> bool {
    limit.and_then(|l| l.limit).is_some_and(|l| l > 0)
}

fn cpu_limited(cpu: Option<&Cpu>) -> bool {
    cpu.is_some_and(|c| {
        c.shares.is_some_and(|s| s > 0)
            || c.quota.is_some_and(|q| q > 0)
            || c.cpus.as_deref().is_some_and(|s| !s.trim().is_empty())
    })
}

/// Bind mounts (`type: bind` or a `bind`/`rbind` option) expose a host path.
fn host_mount(mount: &Mount) -> Option<HostMount> {
    let options = mount.options.as_deref().unwrap_or_default();
    let has = |wanted: &[&str]| options.iter().any(|o| wanted.contains(&o.as_str()));
    let is_bind = mount.kind.as_deref() == Some("bind") || has(&["bind", "rbind"]);
    if !is_bind {
        return None;
    }
    Some(HostMount {
        source: mount.source.clone()?,
        destination: mount.destination.clone().unwrap_or_default(),
        read_only: has(&["ro"]),
        shared_propagation: has(&["shared", "rshared"]),
    })
}
