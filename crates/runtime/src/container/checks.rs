//! The `DD-RUN` checks over one container's inspect document: pure functions, so recorded
//! documents test them on any machine.

use drydock_model::{CheckFinding, CheckLocation, RuleInfo};

use super::inspect::{ContainerInspect, Mount};
use super::rules::{
    self, DEFAULT_CAPABILITIES, capability_name, is_runtime_socket, is_sensitive_host_path, pinned_by_digest,
    user_is_root,
};
use crate::EngineContext;

/// Every finding for one container.
pub fn check(inspect: &ContainerInspect, engine: &EngineContext) -> Vec<CheckFinding> {
    let mut findings = Vec::new();
    let mut add = |rule: &RuleInfo, object: &str, message: String| {
        findings.push(CheckFinding::new(rule, message, field(object)));
    };
    let host = &inspect.host_config;
    if host.privileged {
        add(
            &rules::PRIVILEGED,
            "HostConfig.Privileged",
            "privileged: every capability, every device, no seccomp or LSM confinement".into(),
        );
    }
    capability_findings(inspect, &mut add);
    security_option_findings(inspect, engine, &mut add);
    if user_is_root(&inspect.config.user) {
        let user = if inspect.config.user.is_empty() {
            "no user set, so root".to_string()
        } else {
            format!("user `{}`", inspect.config.user)
        };
        add(&rules::RUNS_AS_ROOT, "Config.User", user);
    }
    if !host.readonly_rootfs {
        add(
            &rules::WRITABLE_ROOT_FILESYSTEM,
            "HostConfig.ReadonlyRootfs",
            "the root filesystem is mounted read-write".into(),
        );
    }
    limit_findings(inspect, &mut add);
    namespace_findings(inspect, &mut add);
    for mount in &inspect.mounts {
        mount_findings(mount, &mut add);
    }
    port_findings(inspect, &mut add);
    restart_findings(inspect, &mut add);
    health_findings(inspect, &mut add);
    if !pinned_by_digest(&inspect.config.image) {
        add(
            &rules::IMAGE_NOT_PINNED,
            "Config.Image",
            format!(
                "created from `{}`, a name that can point to other content later",
                inspect.config.image
            ),
        );
    }
    if !host.devices.is_empty() {
        let devices: Vec<String> = host
            .devices
            .iter()
            .map(|d| format!("{} as {}", d.path_on_host, d.path_in_container))
            .collect();
        add(&rules::HOST_DEVICES, "HostConfig.Devices", devices.join(", "));
    }
    findings
}

fn field(object: &str) -> CheckLocation {
    CheckLocation {
        object: Some(object.to_string()),
        ..CheckLocation::default()
    }
}

fn capability_findings(inspect: &ContainerInspect, add: &mut impl FnMut(&RuleInfo, &str, String)) {
    let host = &inspect.host_config;
    if host.privileged {
        return;
    }
    let added: Vec<String> = host
        .cap_add
        .iter()
        .map(|c| capability_name(c))
        .filter(|c| !DEFAULT_CAPABILITIES.contains(&c.as_str()))
        .collect();
    if !added.is_empty() {
        add(
            &rules::CAPABILITIES_ADDED,
            "HostConfig.CapAdd",
            format!("added: {}", added.join(", ")),
        );
    }
    if !host.cap_drop.iter().any(|c| capability_name(c) == "ALL") {
        add(
            &rules::CAPABILITIES_NOT_DROPPED,
            "HostConfig.CapDrop",
            "the default capabilities are kept (no --cap-drop ALL)".into(),
        );
    }
}

/// `seccomp=unconfined`, `seccomp:unconfined` → (`seccomp`, `unconfined`).
fn security_options(inspect: &ContainerInspect) -> Vec<(String, String)> {
    inspect
        .host_config
        .security_opt
        .iter()
        .map(|option| match option.split_once(['=', ':']) {
            Some((key, value)) => (key.trim().to_ascii_lowercase(), value.trim().to_string()),
            None => (option.trim().to_ascii_lowercase(), String::new()),
        })
        .collect()
}

fn security_option_findings(
    inspect: &ContainerInspect,
    engine: &EngineContext,
    add: &mut impl FnMut(&RuleInfo, &str, String),
) {
    let options = security_options(inspect);
    let has = |key: &str, value: &str| options.iter().any(|(k, v)| k == key && v.eq_ignore_ascii_case(value));
    if has("seccomp", "unconfined") {
        add(
            &rules::SECCOMP_DISABLED,
            "HostConfig.SecurityOpt",
            "seccomp=unconfined: every system call is allowed".into(),
        );
    }
    let profile = inspect.app_armor_profile.as_str();
    if has("apparmor", "unconfined") || profile == "unconfined" {
        add(
            &rules::APPARMOR_DISABLED,
            "HostConfig.SecurityOpt",
            "AppArmor is switched off for this container (apparmor=unconfined)".into(),
        );
    } else if engine.apparmor && profile.is_empty() && !inspect.host_config.privileged {
        add(
            &rules::APPARMOR_DISABLED,
            "AppArmorProfile",
            "the engine has AppArmor but this container runs without a profile".into(),
        );
    }
    if has("label", "disable") {
        add(
            &rules::SELINUX_DISABLED,
            "HostConfig.SecurityOpt",
            "label=disable: SELinux separation is off for this container".into(),
        );
    } else if engine.selinux && inspect.process_label.is_empty() && !inspect.host_config.privileged {
        add(
            &rules::SELINUX_DISABLED,
            "ProcessLabel",
            "the engine has SELinux but this container has no process label".into(),
        );
    }
    let no_new_privileges = options
        .iter()
        .any(|(k, v)| k == "no-new-privileges" && (v.is_empty() || v.eq_ignore_ascii_case("true")));
    if !no_new_privileges && !engine.no_new_privileges {
        add(
            &rules::NEW_PRIVILEGES_ALLOWED,
            "HostConfig.SecurityOpt",
            "setuid binaries and file capabilities can raise privileges".into(),
        );
    }
}

fn limit_findings(inspect: &ContainerInspect, add: &mut impl FnMut(&RuleInfo, &str, String)) {
    let host = &inspect.host_config;
    if host.memory <= 0 {
        add(
            &rules::NO_MEMORY_LIMIT,
            "HostConfig.Memory",
            "no memory limit: it can use all of the host's memory".into(),
        );
    }
    if host.nano_cpus <= 0 && host.cpu_shares <= 0 && host.cpu_quota <= 0 {
        add(
            &rules::NO_CPU_LIMIT,
            "HostConfig.NanoCpus",
            "no CPU limit, quota or shares".into(),
        );
    }
    if host.pids_limit.is_none_or(|limit| limit <= 0) {
        add(
            &rules::NO_PIDS_LIMIT,
            "HostConfig.PidsLimit",
            "no PIDs limit: it can create processes until the host runs out".into(),
        );
    }
}

fn namespace_findings(inspect: &ContainerInspect, add: &mut impl FnMut(&RuleInfo, &str, String)) {
    let host = &inspect.host_config;
    let shared = [
        (
            &rules::HOST_NETWORK,
            "HostConfig.NetworkMode",
            &host.network_mode,
            "network",
        ),
        (&rules::HOST_PID, "HostConfig.PidMode", &host.pid_mode, "PID"),
        (&rules::HOST_IPC, "HostConfig.IpcMode", &host.ipc_mode, "IPC"),
        (&rules::HOST_UTS, "HostConfig.UTSMode", &host.uts_mode, "UTS"),
        (&rules::HOST_USERNS, "HostConfig.UsernsMode", &host.userns_mode, "user"),
    ];
    for (rule, object, mode, name) in shared {
        if mode.eq_ignore_ascii_case("host") {
            add(rule, object, format!("runs in the host's {name} namespace"));
        }
    }
}

fn mount_findings(mount: &Mount, add: &mut impl FnMut(&RuleInfo, &str, String)) {
    let source = drydock_checks::workload::rules::normalized_path(&mount.source);
    let object = format!("Mounts[{}]", mount.destination);
    let access = if mount.rw { "read-write" } else { "read-only" };
    if mount.r#type == "bind" {
        if is_runtime_socket(source) {
            add(
                &rules::RUNTIME_SOCKET_MOUNT,
                &object,
                format!("{source} is mounted at {} ({access})", mount.destination),
            );
        } else if is_sensitive_host_path(source) {
            add(
                &rules::SENSITIVE_MOUNT,
                &object,
                format!("host {source} is mounted at {} ({access})", mount.destination),
            );
        }
    }
    if matches!(mount.propagation.as_str(), "shared" | "rshared") {
        add(
            &rules::SHARED_PROPAGATION,
            &object,
            format!(
                "{} propagation: mounts made inside reach the host at {source}",
                mount.propagation
            ),
        );
    }
}

fn port_findings(inspect: &ContainerInspect, add: &mut impl FnMut(&RuleInfo, &str, String)) {
    for (container_port, bindings) in &inspect.host_config.port_bindings {
        for binding in bindings.iter().flatten() {
            let object = format!("HostConfig.PortBindings[{container_port}]");
            let host_port = binding.host_port.trim();
            // An empty host port is a random one (above 1024).
            if let Ok(port) = host_port.parse::<u16>()
                && (1..1024).contains(&port)
            {
                add(
                    &rules::PRIVILEGED_PORT,
                    &object,
                    format!("host port {port} is published for {container_port}"),
                );
            }
            let address = binding.host_ip.trim();
            if matches!(address, "" | "0.0.0.0" | "::" | "[::]") {
                let shown = if address.is_empty() { "0.0.0.0" } else { address };
                add(
                    &rules::PORT_ON_ALL_INTERFACES,
                    &object,
                    format!("{container_port} is published on {shown}, every host interface"),
                );
            }
        }
    }
}

fn restart_findings(inspect: &ContainerInspect, add: &mut impl FnMut(&RuleInfo, &str, String)) {
    let policy = &inspect.host_config.restart_policy;
    let message = match policy.name.as_str() {
        "always" | "unless-stopped" => Some(format!("`{}` restarts it forever", policy.name)),
        "on-failure" if policy.maximum_retry_count <= 0 || policy.maximum_retry_count > 5 => {
            let count = if policy.maximum_retry_count <= 0 {
                "no retry limit".to_string()
            } else {
                format!("{} retries", policy.maximum_retry_count)
            };
            Some(format!("on-failure with {count}; at most 5 is recommended"))
        }
        _ => None,
    };
    if let Some(message) = message {
        add(&rules::RESTART_POLICY, "HostConfig.RestartPolicy", message);
    }
}

fn health_findings(inspect: &ContainerInspect, add: &mut impl FnMut(&RuleInfo, &str, String)) {
    let test = inspect.config.healthcheck.as_ref().map(|h| h.test.as_slice());
    match test {
        None | Some([]) => add(
            &rules::NO_HEALTHCHECK,
            "Config.Healthcheck",
            "neither the image nor the container defines a health check".into(),
        ),
        Some([first, ..]) if first.eq_ignore_ascii_case("NONE") => add(
            &rules::NO_HEALTHCHECK,
            "Config.Healthcheck",
            "the health check is switched off (--no-healthcheck)".into(),
        ),
        Some(_) => {}
    }
    if let Some(health) = &inspect.state.health
        && health.status.eq_ignore_ascii_case("unhealthy")
    {
        add(&rules::UNHEALTHY, "State.Health", "the health check fails".into());
    }
}
