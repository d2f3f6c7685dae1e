//! The DD-RUN checks over inspect documents recorded from a real Docker Engine 20.10
//! (tests/fixtures/runtime/containers, see its README): exactly the expected findings.

use std::path::PathBuf;

use drydock_runtime::EngineContext;
use drydock_runtime::container::{ContainerAudit, audit_inspect_json};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/runtime/containers")
        .join(name)
}

fn audit(name: &str, engine: &EngineContext) -> ContainerAudit {
    let bytes = std::fs::read(fixture(name)).unwrap();
    audit_inspect_json(&bytes, name, engine).unwrap()
}

/// `rule object` per finding, in order.
fn found(audit: &ContainerAudit) -> Vec<String> {
    audit
        .findings
        .iter()
        .map(|f| format!("{} {}", f.rule, f.location.object.as_deref().unwrap_or("-")))
        .collect()
}

#[test]
fn privileged_container_with_host_namespaces_and_mounts() {
    let audit = audit("weak-privileged.json", &EngineContext::default());
    assert_eq!(audit.name, "dd-weak-privileged");
    assert_eq!(audit.state, "created");
    assert_eq!(
        found(&audit),
        [
            "DD-RUN-001 HostConfig.Privileged",
            "DD-RUN-006 HostConfig.SecurityOpt",
            "DD-RUN-007 HostConfig.SecurityOpt",
            "DD-RUN-008 Config.User",
            "DD-RUN-009 HostConfig.ReadonlyRootfs",
            "DD-RUN-010 HostConfig.Memory",
            "DD-RUN-011 HostConfig.NanoCpus",
            "DD-RUN-012 HostConfig.PidsLimit",
            "DD-RUN-013 HostConfig.NetworkMode",
            "DD-RUN-014 HostConfig.PidMode",
            "DD-RUN-015 HostConfig.IpcMode",
            "DD-RUN-016 HostConfig.UTSMode",
            "DD-RUN-017 HostConfig.UsernsMode",
            "DD-RUN-018 Mounts[/host]",
            "DD-RUN-019 Mounts[/var/run/docker.sock]",
            "DD-RUN-020 Mounts[/shared]",
            "DD-RUN-023 HostConfig.RestartPolicy",
            "DD-RUN-026 Config.Image",
        ]
    );
}

#[test]
fn added_capabilities_unconfined_and_published_ports() {
    let audit = audit("weak-caps.json", &EngineContext::default());
    assert_eq!(audit.state, "running");
    assert_eq!(
        found(&audit),
        [
            "DD-RUN-002 HostConfig.CapAdd",
            "DD-RUN-003 HostConfig.CapDrop",
            "DD-RUN-004 HostConfig.SecurityOpt",
            "DD-RUN-005 HostConfig.SecurityOpt",
            "DD-RUN-006 HostConfig.SecurityOpt",
            "DD-RUN-007 HostConfig.SecurityOpt",
            "DD-RUN-008 Config.User",
            "DD-RUN-009 HostConfig.ReadonlyRootfs",
            "DD-RUN-010 HostConfig.Memory",
            "DD-RUN-011 HostConfig.NanoCpus",
            "DD-RUN-012 HostConfig.PidsLimit",
            "DD-RUN-014 HostConfig.PidMode",
            "DD-RUN-015 HostConfig.IpcMode",
            "DD-RUN-016 HostConfig.UTSMode",
            "DD-RUN-018 Mounts[/host-etc]",
            "DD-RUN-020 Mounts[/shared]",
            "DD-RUN-019 Mounts[/var/run/docker.sock]",
            "DD-RUN-021 HostConfig.PortBindings[8080/tcp]",
            "DD-RUN-022 HostConfig.PortBindings[8080/tcp]",
            "DD-RUN-024 Config.Healthcheck",
            "DD-RUN-026 Config.Image",
            "DD-RUN-027 HostConfig.Devices",
        ]
    );
    let caps = &audit.findings[0];
    assert_eq!(caps.message, "added: NET_ADMIN, SYS_ADMIN");
    let etc = audit.findings.iter().find(|f| f.rule == "DD-RUN-018").unwrap();
    assert!(
        etc.message.contains("host /etc") && etc.message.contains("read-only"),
        "{}",
        etc.message
    );
}

#[test]
fn hardened_container_has_no_findings() {
    let audit = audit("hardened.json", &EngineContext::default());
    assert_eq!(found(&audit), Vec::<String>::new());
}

#[test]
fn engine_with_apparmor_and_selinux_expects_profiles_and_labels() {
    let engine = EngineContext {
        apparmor: true,
        selinux: true,
        ..EngineContext::default()
    };
    let audit = audit("hardened.json", &engine);
    assert_eq!(found(&audit), ["DD-RUN-005 AppArmorProfile", "DD-RUN-006 ProcessLabel"]);
    // A daemon-wide no-new-privileges covers containers that do not set it themselves.
    let engine = EngineContext {
        no_new_privileges: true,
        ..EngineContext::default()
    };
    let weak = audit_inspect_json(&std::fs::read(fixture("weak-caps.json")).unwrap(), "weak", &engine).unwrap();
    assert!(!found(&weak).iter().any(|f| f.starts_with("DD-RUN-007")));
}

#[test]
fn bad_documents_are_errors_naming_the_source() {
    let engine = EngineContext::default();
    for (bytes, expected) in [
        (&b"{"[..], "EOF"),
        (b"[]", "no `Id`"),
        (b"7", "invalid type"),
        (b"{}", "no `Id`"),
        (b"{\"Id\": 5}", "invalid type"),
    ] {
        let error = audit_inspect_json(bytes, "bad.json", &engine).unwrap_err().to_string();
        assert!(error.contains("bad.json") && error.contains(expected), "{error}");
    }
    // Null everywhere is what old engines send for absent lists: not an error.
    let nulls = br#"{"Id": "abc", "HostConfig": {"CapAdd": null, "PortBindings": null, "Devices": null}, "Mounts": null, "Config": null, "State": null}"#;
    let audit = audit_inspect_json(nulls, "nulls", &engine).unwrap();
    assert_eq!(audit.name, "abc");
}
