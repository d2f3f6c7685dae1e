//! Kubernetes workload objects (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
//! CronJob, and `List`s of them) to [`Workload`]s. Pod- and container-level
//! `securityContext`s are merged the way the kubelet does: the container's field wins.

use std::collections::BTreeMap;

use serde::Deserialize;
use yaml_serde::Value;

use super::model::{Confinement, Container, HostMount, PublishedPort, User, Workload};
use super::rules::{DEFAULT_CAPABILITIES, capability_name};

/// The object kinds whose pod template is audited; every other kind is skipped.
const POD_TEMPLATE_KINDS: &[&str] = &["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"];

/// The legacy per-container AppArmor annotation (before `appArmorProfile`, Kubernetes 1.30).
const APPARMOR_ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Object {
    kind: Option<String>,
    metadata: Option<Metadata>,
    spec: Option<Value>,
    items: Option<Vec<Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Metadata {
    name: Option<String>,
    annotations: Option<BTreeMap<String, Option<String>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct PodTemplate {
    metadata: Option<Metadata>,
    spec: Option<PodSpec>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct PodSpec {
    containers: Option<Vec<K8sContainer>>,
    init_containers: Option<Vec<K8sContainer>>,
    host_network: Option<bool>,
    #[serde(rename = "hostPID")]
    host_pid: Option<bool>,
    #[serde(rename = "hostIPC")]
    host_ipc: Option<bool>,
    security_context: Option<SecurityContext>,
    volumes: Option<Vec<Volume>>,
    automount_service_account_token: Option<bool>,
}

/// The fields of pod and container security contexts (each level uses a subset).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct SecurityContext {
    privileged: Option<bool>,
    allow_privilege_escalation: Option<bool>,
    capabilities: Option<Capabilities>,
    run_as_user: Option<i64>,
    run_as_non_root: Option<bool>,
    read_only_root_filesystem: Option<bool>,
    seccomp_profile: Option<Profile>,
    app_armor_profile: Option<Profile>,
    #[serde(rename = "seLinuxOptions")]
    selinux_options: Option<SelinuxOptions>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct Capabilities {
    add: Option<Vec<String>>,
    drop: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct Profile {
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct SelinuxOptions {
    #[serde(rename = "type")]
    kind: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Volume {
    name: Option<String>,
    host_path: Option<HostPathSource>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct HostPathSource {
    path: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct K8sContainer {
    name: Option<String>,
    image: Option<String>,
    security_context: Option<SecurityContext>,
    resources: Option<Resources>,
    volume_mounts: Option<Vec<VolumeMount>>,
    ports: Option<Vec<ContainerPort>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Resources {
    limits: Option<BTreeMap<String, Value>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct VolumeMount {
    name: Option<String>,
    mount_path: Option<String>,
    read_only: Option<bool>,
    mount_propagation: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct ContainerPort {
    container_port: Option<i64>,
    host_port: Option<i64>,
    #[serde(rename = "hostIP")]
    host_ip: Option<String>,
}

/// The workloads of one YAML document (none for kinds without pods, such as a Service).
pub fn workloads(document: Value) -> Result<Vec<Workload>, String> {
    let object: Object = yaml_serde::from_value(document).map_err(|e| e.to_string())?;
    let kind = object
        .kind
        .as_deref()
        .ok_or("no `kind`: not a Kubernetes object (nor a compose file with `services`)")?;
    let name = format!(
        "{kind}/{}",
        object
            .metadata
            .as_ref()
            .and_then(|m| m.name.as_deref())
            .unwrap_or("(unnamed)")
    );
    let in_context = |e: yaml_serde::Error| format!("{name}: {e}");
    match kind {
        "List" => {
            let mut found = Vec::new();
            for item in object.items.unwrap_or_default() {
                found.extend(workloads(item)?);
            }
            Ok(found)
        }
        "Pod" => {
            let spec: PodSpec = from_optional(object.spec).map_err(in_context)?;
            Ok(vec![pod_workload(name, object.metadata.as_ref(), &spec)])
        }
        "CronJob" => {
            let template = from_optional::<CronJobSpec>(object.spec)
                .map_err(in_context)?
                .job_template
                .and_then(|job| job.spec)
                .and_then(|job| job.template)
                .unwrap_or_default();
            Ok(vec![template_workload(name, &template)])
        }
        kind if POD_TEMPLATE_KINDS.contains(&kind) => {
            let template = from_optional::<ControllerSpec>(object.spec)
                .map_err(in_context)?
                .template
                .unwrap_or_default();
            Ok(vec![template_workload(name, &template)])
        }
        _ => Ok(Vec::new()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ControllerSpec {
    template: Option<PodTemplate>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct CronJobSpec {
    job_template: Option<JobTemplate>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct JobTemplate {
    spec: Option<ControllerSpec>,
}

fn from_optional<T: Default + serde::de::DeserializeOwned>(value: Option<Value>) -> Result<T, yaml_serde::Error> {
    match value {
        None | Some(Value::Null) => Ok(T::default()),
        Some(value) => yaml_serde::from_value(value),
    }
}

fn template_workload(name: String, template: &PodTemplate) -> Workload {
    let spec = template.spec.as_ref();
    pod_workload(name, template.metadata.as_ref(), spec.unwrap_or(&PodSpec::default()))
}

fn pod_workload(name: String, metadata: Option<&Metadata>, spec: &PodSpec) -> Workload {
    let pod_context = spec.security_context.clone().unwrap_or_default();
    let annotations = metadata.and_then(|m| m.annotations.as_ref());
    let init = spec.init_containers.iter().flatten().map(|c| ("initContainer", c));
    let regular = spec.containers.iter().flatten().map(|c| ("container", c));
    let containers = init
        .chain(regular)
        .map(|(role, container)| convert_container(role, container, &pod_context, spec, annotations))
        .collect();
    Workload {
        name,
        host_network: spec.host_network == Some(true),
        host_pid: spec.host_pid == Some(true),
        host_ipc: spec.host_ipc == Some(true),
        service_account_token: Some(spec.automount_service_account_token != Some(false)),
        containers,
        ..Workload::default()
    }
}

fn convert_container(
    role: &str,
    container: &K8sContainer,
    pod: &SecurityContext,
    spec: &PodSpec,
    annotations: Option<&BTreeMap<String, Option<String>>>,
) -> Container {
    let own = container.security_context.clone().unwrap_or_default();
    let name = container.name.as_deref().unwrap_or("(unnamed)");
    let capabilities = own.capabilities.clone().unwrap_or_default();
    let limits = container.resources.as_ref().and_then(|r| r.limits.as_ref());
    Container {
        name: format!("{role} {name}"),
        image: container.image.clone(),
        privileged: own.privileged == Some(true),
        no_new_privileges: own.allow_privilege_escalation == Some(false),
        capabilities_added: added_capabilities(capabilities.add.as_deref().unwrap_or_default()),
        all_capabilities_dropped: capabilities.drop.iter().flatten().any(|c| capability_name(c) == "ALL"),
        user: user(&own, pod),
        read_only_root_filesystem: own.read_only_root_filesystem == Some(true),
        seccomp: seccomp(&own, pod),
        apparmor: apparmor(&own, pod, annotations, name),
        selinux: selinux(&own, pod),
        memory_limit: Some(limits.is_some_and(|l| l.contains_key("memory"))),
        cpu_limit: Some(limits.is_some_and(|l| l.contains_key("cpu"))),
        pids_limit: None,
        host_mounts: host_mounts(container, spec),
        ports: ports(container),
        devices: Vec::new(),
    }
}

/// The added capabilities a container runtime does not grant by default, normalized.
pub fn added_capabilities(added: &[String]) -> Vec<String> {
    added
        .iter()
        .map(|c| capability_name(c))
        .filter(|c| !DEFAULT_CAPABILITIES.contains(&c.as_str()))
        .collect()
}

fn user(own: &SecurityContext, pod: &SecurityContext) -> User {
    let run_as_user = own.run_as_user.or(pod.run_as_user);
    let run_as_non_root = own.run_as_non_root.or(pod.run_as_non_root);
    match run_as_user {
        Some(0) => User::Root("runAsUser: 0".into()),
        Some(_) => User::NonRoot,
        None if run_as_non_root == Some(true) => User::NonRoot,
        None => User::Unset,
    }
}

fn seccomp(own: &SecurityContext, pod: &SecurityContext) -> Confinement {
    let profile = own.seccomp_profile.as_ref().or(pod.seccomp_profile.as_ref());
    match profile.and_then(|p| p.kind.as_deref()) {
        Some("Unconfined") => Confinement::Disabled("seccompProfile.type: Unconfined".into()),
        Some(_) => Confinement::Confined,
        None => Confinement::Disabled(
            "no seccompProfile: the kubelet runs the container Unconfined unless SeccompDefault is enabled".into(),
        ),
    }
}

fn apparmor(
    own: &SecurityContext,
    pod: &SecurityContext,
    annotations: Option<&BTreeMap<String, Option<String>>>,
    container: &str,
) -> Confinement {
    let profile = own.app_armor_profile.as_ref().or(pod.app_armor_profile.as_ref());
    if profile.and_then(|p| p.kind.as_deref()) == Some("Unconfined") {
        return Confinement::Disabled("appArmorProfile.type: Unconfined".into());
    }
    let annotation = format!("{APPARMOR_ANNOTATION_PREFIX}{container}");
    let value = annotations.and_then(|a| a.get(&annotation)).and_then(Option::as_deref);
    if value == Some("unconfined") {
        return Confinement::Disabled(format!("annotation {annotation}: unconfined"));
    }
    Confinement::Confined
}

fn selinux(own: &SecurityContext, pod: &SecurityContext) -> Confinement {
    let options = own.selinux_options.as_ref().or(pod.selinux_options.as_ref());
    match options.and_then(|o| o.kind.as_deref()) {
        Some("spc_t") => Confinement::Disabled("seLinuxOptions.type: spc_t, an unconfined domain".into()),
        _ => Confinement::Confined,
    }
}

/// The hostPath volumes the container mounts (a hostPath volume no container mounts exposes nothing).
fn host_mounts(container: &K8sContainer, spec: &PodSpec) -> Vec<HostMount> {
    let host_path = |volume_name: &str| {
        spec.volumes
            .iter()
            .flatten()
            .find(|v| v.name.as_deref() == Some(volume_name))
            .and_then(|v| v.host_path.as_ref())
            .and_then(|h| h.path.clone())
    };
    container
        .volume_mounts
        .iter()
        .flatten()
        .filter_map(|mount| {
            let source = host_path(mount.name.as_deref()?)?;
            Some(HostMount {
                source,
                destination: mount.mount_path.clone().unwrap_or_default(),
                read_only: mount.read_only == Some(true),
                shared_propagation: mount.mount_propagation.as_deref() == Some("Bidirectional"),
            })
        })
        .collect()
}

/// Only a `hostPort` publishes a container port on the node.
fn ports(container: &K8sContainer) -> Vec<PublishedPort> {
    container
        .ports
        .iter()
        .flatten()
        .filter_map(|port| {
            let host_port = port.host_port.filter(|p| *p > 0)?;
            Some(PublishedPort {
                host_ip: port.host_ip.clone().unwrap_or_default(),
                host_port: u16::try_from(host_port).ok(),
                container_port: port.container_port.map(|p| p.to_string()).unwrap_or_default(),
            })
        })
        .collect()
}
