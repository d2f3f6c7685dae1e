//! docker-compose files (the Compose Specification) to [`Workload`]s, one per service. Unset
//! confinements are the engine's defaults (seccomp and AppArmor on), as `docker run` does.

use std::collections::BTreeMap;

use serde::Deserialize;
use yaml_serde::Value;

use super::kubernetes::added_capabilities;
use super::model::{Confinement, Container, HostMount, PublishedPort, User, Workload};
use super::rules::{capability_name, user_is_root};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ComposeFile {
    services: Option<BTreeMap<String, Option<Service>>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Service {
    image: Option<String>,
    privileged: Option<bool>,
    cap_add: Option<Vec<String>>,
    cap_drop: Option<Vec<String>>,
    security_opt: Option<Vec<String>>,
    user: Option<Value>,
    read_only: Option<bool>,
    network_mode: Option<String>,
    pid: Option<String>,
    ipc: Option<String>,
    uts: Option<String>,
    userns_mode: Option<String>,
    volumes: Option<Vec<Value>>,
    ports: Option<Vec<Value>>,
    devices: Option<Vec<Value>>,
    deploy: Option<Deploy>,
    mem_limit: Option<Value>,
    cpus: Option<Value>,
    cpu_shares: Option<Value>,
    cpu_quota: Option<Value>,
    pids_limit: Option<Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Deploy {
    resources: Option<DeployResources>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct DeployResources {
    limits: Option<BTreeMap<String, Value>>,
}

/// Whether a YAML document looks like a compose file rather than a Kubernetes object.
pub fn is_compose(document: &Value) -> bool {
    document.get("services").is_some() && document.get("kind").is_none()
}

/// One workload per service of the compose document.
pub fn workloads(document: Value) -> Result<Vec<Workload>, String> {
    let file: ComposeFile = yaml_serde::from_value(document).map_err(|e| e.to_string())?;
    let mut found = Vec::new();
    for (name, service) in file.services.unwrap_or_default() {
        let service = service.unwrap_or_default();
        found.push(service_workload(&name, &service).map_err(|e| format!("service {name}: {e}"))?);
    }
    Ok(found)
}

fn service_workload(name: &str, service: &Service) -> Result<Workload, String> {
    let is_host = |mode: &Option<String>| mode.as_deref() == Some("host");
    let options = security_options(service);
    let has = |key: &str, value: &str| options.iter().any(|(k, v)| k == key && v.eq_ignore_ascii_case(value));
    let no_new_privileges = options
        .iter()
        .any(|(k, v)| k == "no-new-privileges" && (v.is_empty() || v.eq_ignore_ascii_case("true")));
    let disabled_if = |off: bool, why: &str| {
        if off {
            Confinement::Disabled(why.into())
        } else {
            Confinement::Confined
        }
    };
    let container = Container {
        name: String::new(),
        image: service.image.clone(),
        privileged: service.privileged == Some(true),
        no_new_privileges,
        capabilities_added: added_capabilities(service.cap_add.as_deref().unwrap_or_default()),
        all_capabilities_dropped: service.cap_drop.iter().flatten().any(|c| capability_name(c) == "ALL"),
        user: user(service.user.as_ref())?,
        read_only_root_filesystem: service.read_only == Some(true),
        seccomp: disabled_if(has("seccomp", "unconfined"), "security_opt seccomp:unconfined"),
        apparmor: disabled_if(has("apparmor", "unconfined"), "security_opt apparmor:unconfined"),
        selinux: disabled_if(has("label", "disable"), "security_opt label:disable"),
        memory_limit: Some(limit_set(service, "memory", &[&service.mem_limit])),
        cpu_limit: Some(limit_set(
            service,
            "cpus",
            &[&service.cpus, &service.cpu_shares, &service.cpu_quota],
        )),
        pids_limit: Some(limit_set(service, "pids", &[&service.pids_limit])),
        host_mounts: host_mounts(service)?,
        ports: ports(service)?,
        devices: service.devices.iter().flatten().map(scalar_text).collect(),
    };
    Ok(Workload {
        name: format!("service/{name}"),
        host_network: is_host(&service.network_mode),
        host_pid: is_host(&service.pid),
        host_ipc: is_host(&service.ipc),
        host_uts: is_host(&service.uts),
        host_user_namespace: is_host(&service.userns_mode),
        containers: vec![container],
        ..Workload::default()
    })
}

/// `seccomp=unconfined`, `seccomp:unconfined` → (`seccomp`, `unconfined`).
fn security_options(service: &Service) -> Vec<(String, String)> {
    service
        .security_opt
        .iter()
        .flatten()
        .map(|option| match option.split_once(['=', ':']) {
            Some((key, value)) => (key.trim().to_ascii_lowercase(), value.trim().to_string()),
            None => (option.trim().to_ascii_lowercase(), String::new()),
        })
        .collect()
}

fn user(value: Option<&Value>) -> Result<User, String> {
    let text = match value {
        None | Some(Value::Null) => return Ok(User::Unset),
        Some(Value::String(text)) => text.clone(),
        Some(Value::Number(number)) => number.to_string(),
        Some(other) => return Err(format!("`user` must be a string or a number, not {other:?}")),
    };
    if text.trim().is_empty() {
        Ok(User::Unset)
    } else if user_is_root(&text) {
        Ok(User::Root(format!("user: {text}")))
    } else {
        Ok(User::NonRoot)
    }
}

/// A limit set under `deploy.resources.limits.<key>` or one of the legacy service keys; a
/// number of zero or below (`pids_limit: -1`) means unlimited.
fn limit_set(service: &Service, key: &str, legacy: &[&Option<Value>]) -> bool {
    let deploy = service
        .deploy
        .as_ref()
        .and_then(|d| d.resources.as_ref())
        .and_then(|r| r.limits.as_ref())
        .and_then(|l| l.get(key));
    deploy
        .into_iter()
        .chain(legacy.iter().filter_map(|v| v.as_ref()))
        .any(limits)
}

fn limits(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Number(number) => number.as_f64().is_some_and(|n| n > 0.0),
        Value::String(text) => !matches!(text.trim(), "" | "0" | "-1"),
        _ => true,
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(flag) => flag.to_string(),
        other => format!("{other:?}"),
    }
}

fn host_mounts(service: &Service) -> Result<Vec<HostMount>, String> {
    let mut mounts = Vec::new();
    for volume in service.volumes.iter().flatten() {
        let mount = match volume {
            Value::String(text) => short_volume(text),
            Value::Mapping(_) => long_volume(volume),
            other => return Err(format!("a volume must be a string or a mapping, not {other:?}")),
        };
        mounts.extend(mount);
    }
    Ok(mounts)
}

/// `SOURCE:TARGET[:MODE]`; only host paths (not named volumes) are host mounts.
fn short_volume(text: &str) -> Option<HostMount> {
    let mut parts = text.splitn(3, ':');
    let source = parts.next()?;
    let destination = parts.next()?;
    let mode = parts.next().unwrap_or_default();
    if !is_host_path(source) {
        return None;
    }
    let modes: Vec<&str> = mode.split(',').collect();
    Some(HostMount {
        source: source.to_string(),
        destination: destination.to_string(),
        read_only: modes.contains(&"ro"),
        shared_propagation: modes.iter().any(|m| matches!(*m, "shared" | "rshared")),
    })
}

fn long_volume(volume: &Value) -> Option<HostMount> {
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_string);
    if text(volume.get("type")).as_deref() != Some("bind") {
        return None;
    }
    let propagation = text(volume.get("bind").and_then(|b| b.get("propagation")));
    Some(HostMount {
        source: text(volume.get("source"))?,
        destination: text(volume.get("target")).unwrap_or_default(),
        read_only: volume.get("read_only").and_then(Value::as_bool) == Some(true),
        shared_propagation: matches!(propagation.as_deref(), Some("shared" | "rshared")),
    })
}

fn is_host_path(source: &str) -> bool {
    source.starts_with('/') || source.starts_with('.') || source.starts_with('~')
}

fn ports(service: &Service) -> Result<Vec<PublishedPort>, String> {
    let mut published = Vec::new();
    for port in service.ports.iter().flatten() {
        published.push(match port {
            Value::Number(number) => PublishedPort {
                container_port: number.to_string(),
                ..PublishedPort::default()
            },
            Value::String(text) => short_port(text).ok_or_else(|| format!("port `{text}` cannot be read"))?,
            Value::Mapping(_) => long_port(port),
            other => return Err(format!("a port must be a string, a number or a mapping, not {other:?}")),
        });
    }
    Ok(published)
}

/// `[IP:][HOST:]CONTAINER[/PROTOCOL]`, IPv6 addresses in brackets; a host port range counts
/// by its first port.
fn short_port(text: &str) -> Option<PublishedPort> {
    let text = text.split('/').next().unwrap_or_default();
    let (host_ip, rest) = match text.strip_prefix('[') {
        Some(bracketed) => {
            let (address, rest) = bracketed.split_once("]:")?;
            (address.to_string(), rest)
        }
        None => (String::new(), text),
    };
    let parts: Vec<&str> = rest.split(':').collect();
    let (ip, host, container) = match parts.as_slice() {
        [container] => (host_ip, "", *container),
        [host, container] => (host_ip, *host, *container),
        [ip, host, container] => (ip.to_string(), *host, *container),
        _ => return None,
    };
    Some(PublishedPort {
        host_ip: ip,
        host_port: first_port(host),
        container_port: container.to_string(),
    })
}

fn long_port(port: &Value) -> PublishedPort {
    let published = port.get("published").map(scalar_text).unwrap_or_default();
    PublishedPort {
        host_ip: port.get("host_ip").map(scalar_text).unwrap_or_default(),
        host_port: first_port(&published),
        container_port: port.get("target").map(scalar_text).unwrap_or_default(),
    }
}

fn first_port(text: &str) -> Option<u16> {
    text.split('-').next()?.trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_ports() {
        let port = short_port("127.0.0.1:8080:80/tcp").unwrap();
        assert_eq!((port.host_ip.as_str(), port.host_port), ("127.0.0.1", Some(8080)));
        let port = short_port("[::1]:443:8443").unwrap();
        assert_eq!((port.host_ip.as_str(), port.host_port), ("::1", Some(443)));
        assert_eq!(short_port("80").unwrap().host_port, None);
        assert_eq!(short_port("8000-8010:80").unwrap().host_port, Some(8000));
        assert!(short_port("1:2:3:4").is_none());
    }

    #[test]
    fn short_volumes() {
        let mount = short_volume("/var/run/docker.sock:/var/run/docker.sock:ro").unwrap();
        assert!(mount.read_only);
        assert!(short_volume("data:/var/lib/data").is_none());
        assert!(short_volume("/mnt:/mnt:rw,rshared").unwrap().shared_propagation);
    }
}
