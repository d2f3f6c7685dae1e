//! The `DD-RUN` rules over a [`Workload`]: the judgement every manifest format shares.

use drydock_model::{CheckFinding, CheckLocation, RuleInfo};

use super::model::{Confinement, Container, HostMount, PublishedPort, User, Workload};
use super::rules::{self, image_tag, is_runtime_socket, is_sensitive_host_path, pinned_by_digest};

/// Every finding of one workload of the manifest at `path`, in rule order per container.
pub fn evaluate(path: &str, workload: &Workload) -> Vec<CheckFinding> {
    let mut findings = Vec::new();
    let location = |container: Option<&Container>| CheckLocation {
        path: Some(path.to_string()),
        object: Some(object_name(workload, container)),
        ..CheckLocation::default()
    };
    let mut add = |rule: &RuleInfo, container: Option<&Container>, message: String| {
        findings.push(CheckFinding::new(rule, message, location(container)));
    };
    workload_findings(workload, &mut add);
    for container in &workload.containers {
        container_findings(container, &mut |rule, message| add(rule, Some(container), message));
    }
    findings.sort_by(|a, b| (&a.rule, &a.location.object, &a.message).cmp(&(&b.rule, &b.location.object, &b.message)));
    findings
}

fn object_name(workload: &Workload, container: Option<&Container>) -> String {
    let mut name = match workload.document {
        Some(document) => format!("document {document}: {}", workload.name),
        None => workload.name.clone(),
    };
    if let Some(container) = container.filter(|c| !c.name.is_empty()) {
        name.push(' ');
        name.push_str(&container.name);
    }
    name
}

type AddWorkload<'a> = dyn FnMut(&RuleInfo, Option<&Container>, String) + 'a;

fn workload_findings(workload: &Workload, add: &mut AddWorkload<'_>) {
    let namespaces = [
        (workload.host_network, &rules::HOST_NETWORK, "network"),
        (workload.host_pid, &rules::HOST_PID, "PID"),
        (workload.host_ipc, &rules::HOST_IPC, "IPC"),
        (workload.host_uts, &rules::HOST_UTS, "UTS"),
        (workload.host_user_namespace, &rules::HOST_USERNS, "user"),
    ];
    for (shared, rule, name) in namespaces {
        if shared {
            add(rule, None, format!("runs in the host's {name} namespace"));
        }
    }
    if workload.service_account_token == Some(true) {
        add(
            &rules::SERVICE_ACCOUNT_TOKEN,
            None,
            "automountServiceAccountToken is not false: every container gets an API token".into(),
        );
    }
}

fn container_findings(container: &Container, add: &mut dyn FnMut(&RuleInfo, String)) {
    if container.privileged {
        add(
            &rules::PRIVILEGED,
            "privileged: every capability, every device, no seccomp or LSM confinement".into(),
        );
    }
    capability_findings(container, add);
    confinement_findings(container, add);
    user_findings(&container.user, add);
    if !container.read_only_root_filesystem {
        add(
            &rules::WRITABLE_ROOT_FILESYSTEM,
            "the root filesystem is writable (no read-only root filesystem)".into(),
        );
    }
    limit_findings(container, add);
    for mount in &container.host_mounts {
        mount_findings(mount, add);
    }
    for port in &container.ports {
        port_findings(port, add);
    }
    if !container.devices.is_empty() {
        add(
            &rules::HOST_DEVICES,
            format!("devices: {}", container.devices.join(", ")),
        );
    }
    if let Some(image) = &container.image {
        image_findings(image, add);
    }
}

fn capability_findings(container: &Container, add: &mut dyn FnMut(&RuleInfo, String)) {
    if container.privileged {
        return;
    }
    if !container.capabilities_added.is_empty() {
        add(
            &rules::CAPABILITIES_ADDED,
            format!("added: {}", container.capabilities_added.join(", ")),
        );
    }
    if !container.all_capabilities_dropped {
        add(
            &rules::CAPABILITIES_NOT_DROPPED,
            "the default capabilities are kept (ALL is not dropped)".into(),
        );
    }
}

fn confinement_findings(container: &Container, add: &mut dyn FnMut(&RuleInfo, String)) {
    let confinements = [
        (&container.seccomp, &rules::SECCOMP_DISABLED),
        (&container.apparmor, &rules::APPARMOR_DISABLED),
        (&container.selinux, &rules::SELINUX_DISABLED),
    ];
    for (confinement, rule) in confinements {
        if let Confinement::Disabled(why) = confinement {
            add(rule, why.clone());
        }
    }
    if !container.no_new_privileges && !container.privileged {
        add(
            &rules::NEW_PRIVILEGES_ALLOWED,
            "setuid binaries and file capabilities can raise privileges (no-new-privileges / allowPrivilegeEscalation: false not set)".into(),
        );
    }
}

fn user_findings(user: &User, add: &mut dyn FnMut(&RuleInfo, String)) {
    match user {
        User::NonRoot => {}
        User::Root(how) => add(&rules::RUNS_AS_ROOT, format!("runs as root ({how})")),
        User::Unset => add(
            &rules::RUNS_AS_ROOT,
            "no non-root user is set or enforced: the image's USER decides, root by default".into(),
        ),
    }
}

fn limit_findings(container: &Container, add: &mut dyn FnMut(&RuleInfo, String)) {
    let limits = [
        (container.memory_limit, &rules::NO_MEMORY_LIMIT, "no memory limit"),
        (container.cpu_limit, &rules::NO_CPU_LIMIT, "no CPU limit"),
        (container.pids_limit, &rules::NO_PIDS_LIMIT, "no PIDs limit"),
    ];
    for (limit, rule, message) in limits {
        if limit == Some(false) {
            add(rule, message.into());
        }
    }
}

fn mount_findings(mount: &HostMount, add: &mut dyn FnMut(&RuleInfo, String)) {
    let access = if mount.read_only { "read-only" } else { "read-write" };
    if is_runtime_socket(&mount.source) {
        add(
            &rules::RUNTIME_SOCKET_MOUNT,
            format!("{} is mounted at {} ({access})", mount.source, mount.destination),
        );
    } else if is_sensitive_host_path(&mount.source) {
        add(
            &rules::SENSITIVE_MOUNT,
            format!("host {} is mounted at {} ({access})", mount.source, mount.destination),
        );
    }
    if mount.shared_propagation {
        add(
            &rules::SHARED_PROPAGATION,
            format!(
                "shared propagation: mounts made inside {} reach the host at {}",
                mount.destination, mount.source
            ),
        );
    }
}

fn port_findings(port: &PublishedPort, add: &mut dyn FnMut(&RuleInfo, String)) {
    if let Some(host_port) = port.host_port.filter(|p| (1..1024).contains(p)) {
        add(
            &rules::PRIVILEGED_PORT,
            format!("host port {host_port} is published for {}", port.container_port),
        );
    }
    if matches!(port.host_ip.as_str(), "" | "0.0.0.0" | "::" | "[::]") {
        add(
            &rules::PORT_ON_ALL_INTERFACES,
            format!("{} is published on every host interface", port.container_port),
        );
    }
}

fn image_findings(image: &str, add: &mut dyn FnMut(&RuleInfo, String)) {
    if pinned_by_digest(image) {
        return;
    }
    add(
        &rules::IMAGE_NOT_PINNED,
        format!("`{image}` is a name that can point to other content later"),
    );
    match image_tag(image) {
        None => add(&rules::IMAGE_TAG_MUTABLE, format!("`{image}` has no tag, so `latest`")),
        Some("latest") => add(&rules::IMAGE_TAG_MUTABLE, format!("`{image}` is tagged latest")),
        Some(_) => {}
    }
}
