//! `drydock audit host`, `drydock audit containers` and `drydock probe`.
//!
//! Host audits run on the fixture roots in tests/fixtures/runtime/hosts (copied, with the
//! modes git cannot keep applied and a real unix socket made). The container audit and the
//! probe run against the machine's Docker Engine with containers started for the test from
//! an image built offline (the host's `sleep` and the libraries it and drydock need); the
//! tests say why they skip where no engine runs.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn drydock() -> Command {
    Command::new(env!("CARGO_BIN_EXE_drydock"))
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/runtime")
}

fn json_of(output: &Output) -> Value {
    assert!(
        output.status.success(),
        "drydock failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("Uid:"))
        .is_some_and(|l| l.split_whitespace().nth(2) == Some("0"))
}

/// A fixture host root in a temporary directory, with `modes` applied, a real socket at
/// /var/run/docker.sock when `socket_mode` is given, and root (or root:docker) ownership
/// when the test runs as root.
fn host_root(name: &str, modes: &[(&str, u32)], socket_mode: Option<u32>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("hosts").join(name), dir.path());
    for (path, mode) in modes {
        std::fs::set_permissions(dir.path().join(path), std::fs::Permissions::from_mode(*mode)).unwrap();
    }
    if let Some(mode) = socket_mode {
        let socket = dir.path().join("var/run/docker.sock");
        // git keeps no empty directories: var/run exists only in a working copy.
        std::fs::create_dir_all(socket.parent().unwrap()).unwrap();
        // The listener closes when dropped; the socket file stays, as a stale one does.
        drop(std::os::unix::net::UnixListener::bind(&socket).unwrap());
        std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(mode)).unwrap();
        if is_root() {
            std::os::unix::fs::chown(&socket, Some(0), Some(998)).unwrap();
        }
    }
    if is_root() && dir.path().join("etc/docker").exists() {
        std::os::unix::fs::chown(dir.path().join("etc/docker"), Some(0), Some(0)).unwrap();
    }
    dir
}

/// `status id object` of every result.
fn host_results(root: &Path) -> Vec<String> {
    let output = drydock()
        .args(["audit", "host", "--format", "json", "--root"])
        .arg(root)
        .output()
        .unwrap();
    let report = json_of(&output);
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r["status"].as_str().unwrap(),
                r["id"].as_str().unwrap(),
                r["object"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

fn with_status<'a>(results: &'a [String], status: &str) -> Vec<&'a str> {
    results
        .iter()
        .filter(|r| r.starts_with(&format!("{status} ")))
        .map(|r| r.split_once(' ').unwrap().1)
        .collect()
}

/// Ownership can only be right when the test may chown; as another user every file is the
/// test user's, so the ownership result fails for a reason the test knows.
fn owned_status() -> &'static str {
    if is_root() { "pass" } else { "fail" }
}

#[test]
fn hardened_host_passes_every_check_it_can_answer() {
    let root = host_root(
        "hardened",
        &[
            ("etc/docker", 0o755),
            ("etc/docker/daemon.json", 0o644),
            ("lib/systemd/system/docker.service", 0o644),
            ("lib/systemd/system/docker.socket", 0o644),
        ],
        Some(0o660),
    );
    let results = host_results(root.path());
    assert_eq!(with_status(&results, "fail"), Vec::<&str>::new(), "{results:#?}");
    assert_eq!(with_status(&results, "warn"), Vec::<&str>::new(), "{results:#?}");
    assert_eq!(with_status(&results, "info"), ["DD-HOST-010 -"]);
    let owned = owned_status();
    for file in [
        "/etc/docker",
        "/etc/docker/daemon.json",
        "/lib/systemd/system/docker.service",
        "/var/run/docker.sock",
    ] {
        if owned == "pass" {
            assert!(
                results.contains(&format!("pass DD-HOST-030 {file}")),
                "{file}: {results:#?}"
            );
        }
    }
    assert!(results.contains(&"pass DD-HOST-002 /var/lib/docker".to_string()));
    assert!(results.contains(&"pass DD-HOST-004 /usr/bin/runc".to_string()));
    assert!(results.contains(&"pass DD-HOST-040 -".to_string()));
    assert!(results.contains(&"pass DD-HOST-046 CVE-2024-1086".to_string()));
}

#[test]
fn weak_host_fails_exactly_what_it_was_built_to_fail() {
    let root = host_root(
        "weak",
        &[
            ("etc/docker", 0o777),
            ("etc/docker/daemon.json", 0o666),
            ("lib/systemd/system/docker.service", 0o664),
        ],
        Some(0o666),
    );
    let results = host_results(root.path());
    assert_eq!(
        with_status(&results, "fail"),
        [
            "DD-HOST-011 -",
            "DD-HOST-012 -",
            "DD-HOST-013 -",
            "DD-HOST-014 -",
            "DD-HOST-015 -",
            "DD-HOST-016 -",
            "DD-HOST-021 -",
            "DD-HOST-022 -",
            "DD-HOST-025 -",
            "DD-HOST-030 /lib/systemd/system/docker.service",
            "DD-HOST-030 /etc/docker",
            "DD-HOST-030 /var/run/docker.sock",
            "DD-HOST-030 /etc/docker/daemon.json",
            "DD-HOST-040 -",
            "DD-HOST-041 -",
            "DD-HOST-044 kernel.unprivileged_bpf_disabled",
            "DD-HOST-045 kernel.kptr_restrict",
        ],
        "{results:#?}"
    );
    assert_eq!(
        with_status(&results, "warn"),
        [
            "DD-HOST-002 /var/lib/docker",
            "DD-HOST-004 /usr/bin/dockerd",
            "DD-HOST-004 /var/lib/docker",
            "DD-HOST-004 /etc/docker",
            "DD-HOST-004 /lib/systemd/system/docker.service",
            "DD-HOST-004 /etc/docker/daemon.json",
            "DD-HOST-004 /usr/bin/runc",
            "DD-HOST-018 -",
            "DD-HOST-019 -",
            "DD-HOST-020 -",
            "DD-HOST-023 -",
            "DD-HOST-042 -",
            "DD-HOST-043 -",
            "DD-HOST-046 CVE-2022-0185",
            "DD-HOST-046 CVE-2022-0492",
            "DD-HOST-046 CVE-2022-0847",
            "DD-HOST-046 CVE-2024-1086",
        ],
        "{results:#?}"
    );
    // The dockerd command line (/proc/31/cmdline) sets the userland proxy explicitly.
    let output = drydock()
        .args(["audit", "host", "--format", "json", "--root"])
        .arg(root.path())
        .output()
        .unwrap();
    let report = json_of(&output);
    assert_eq!(report["dockerd_command_line"][1], "--userland-proxy=true");
    let members = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "DD-HOST-003")
        .unwrap();
    assert!(members["detail"].as_str().unwrap().contains("alice, bob"));
}

#[test]
fn rootless_and_podman_layouts_are_not_failed_for_missing_rootful_files() {
    let root = host_root("rootless", &[("home/alice/.config/docker/daemon.json", 0o644)], None);
    let results = host_results(root.path());
    for expected in [
        "pass DD-HOST-010 -",
        "not-applicable DD-HOST-003 -",
        "not-applicable DD-HOST-004 -",
        "not-applicable DD-HOST-018 -",
        "pass DD-HOST-030 /home/alice/.config/docker/daemon.json",
        "not-applicable DD-HOST-030 /run/user/1000/docker.sock",
        "pass DD-HOST-011 -",
        "pass DD-HOST-022 -",
    ] {
        assert!(results.contains(&expected.to_string()), "{expected}: {results:#?}");
    }
    assert!(!results.iter().any(|r| r.contains("/var/run/docker.sock")));

    let root = host_root("podman", &[], None);
    let results = host_results(root.path());
    assert!(with_status(&results, "fail").is_empty(), "{results:#?}");
    let daemon_checks = results
        .iter()
        .filter(|r| r.contains("DD-HOST-01") || r.contains("DD-HOST-02"))
        .collect::<Vec<_>>();
    assert_eq!(daemon_checks.len(), 16);
    assert!(daemon_checks.iter().all(|r| r.starts_with("not-applicable")));
}

#[test]
fn host_audit_formats_and_errors() {
    let root = host_root("weak", &[], None);
    let sarif = drydock()
        .args(["audit", "host", "--format", "sarif", "--exit-code", "3", "--root"])
        .arg(root.path())
        .output()
        .unwrap();
    assert_eq!(sarif.status.code(), Some(3));
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let rules: BTreeSet<&str> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains("DD-HOST-016") && rules.contains("DD-HOST-046"),
        "{rules:?}"
    );
    assert!(!rules.contains("DD-HOST-001"), "passing checks are not results");

    let table = drydock()
        .args(["audit", "host", "--root"])
        .arg(root.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.contains("DD-HOST-016") && text.contains("fail,"), "{text}");

    let missing = drydock()
        .args(["audit", "host", "--root", "/nonexistent/drydock-root"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent/drydock-root is not a directory"));

    let bad = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(bad.path().join("etc/docker")).unwrap();
    std::fs::write(bad.path().join("etc/docker/daemon.json"), "{\"icc\": ").unwrap();
    let results = host_results(bad.path());
    assert!(
        results.contains(&"fail DD-HOST-001 /etc/docker/daemon.json".to_string()),
        "{results:#?}"
    );
}

#[test]
fn engine_socket_that_is_not_there_is_a_clear_error() {
    let output = drydock()
        .args([
            "audit",
            "containers",
            "--docker-host",
            "unix:///nonexistent/docker.sock",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("unix:///nonexistent/docker.sock"), "{stderr}");
    let tcp = drydock()
        .args(["audit", "containers", "--docker-host", "tcp://127.0.0.1:2375"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&tcp.stderr).contains("only unix:// sockets"));
}

// ---------------------------------------------------------------------------------------
// The live engine.

fn docker(args: &[&str]) -> Output {
    Command::new("docker").args(args).output().unwrap()
}

fn docker_ok(args: &[&str]) -> String {
    let output = docker(args);
    assert!(
        output.status.success(),
        "docker {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn engine_running() -> bool {
    match Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .output()
    {
        Ok(output) if output.status.success() => true,
        Ok(output) => {
            eprintln!(
                "skipped: no Docker Engine answers ({})",
                String::from_utf8_lossy(&output.stderr).trim()
            );
            false
        }
        Err(e) => {
            eprintln!("skipped: no docker command ({e})");
            false
        }
    }
}

/// Removes the test's containers, then its image, however the test ends.
struct Containers(Vec<String>);

impl Drop for Containers {
    fn drop(&mut self) {
        let mut args = vec!["rm", "-f"];
        args.extend(self.0.iter().map(String::as_str));
        let _ = Command::new("docker").args(&args).output();
        // Fails harmlessly while another run's containers still use it.
        let _ = Command::new("docker").args(["rmi", "drydock-test/runtime:1"]).output();
    }
}

/// The shared libraries `binary` loads, from ldd.
fn libraries(binary: &Path) -> Vec<PathBuf> {
    let output = Command::new("ldd").arg(binary).output().unwrap();
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .filter(|word| word.starts_with('/'))
        .map(PathBuf::from)
        .collect()
}

fn append_file(builder: &mut tar::Builder<Vec<u8>>, path: &Path) {
    let bytes = std::fs::read(std::fs::canonicalize(path).unwrap()).unwrap();
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o755);
    header.set_mtime(0);
    header.set_cksum();
    let name = path.strip_prefix("/").unwrap();
    builder.append_data(&mut header, name, bytes.as_slice()).unwrap();
}

/// A docker-archive holding `sleep` and the libraries it and drydock need, with a health
/// check, loaded into the engine as `drydock-test/runtime:1`; returns the image id.
fn load_test_image(scratch: &Path) -> String {
    let sleep = PathBuf::from("/usr/bin/sleep");
    let mut files: BTreeSet<PathBuf> = libraries(&sleep).into_iter().collect();
    files.extend(libraries(Path::new(env!("CARGO_BIN_EXE_drydock"))));
    files.insert(sleep);
    let mut layer = tar::Builder::new(Vec::new());
    let mut tmp = tar::Header::new_gnu();
    tmp.set_entry_type(tar::EntryType::Directory);
    tmp.set_mode(0o1777);
    tmp.set_size(0);
    tmp.set_cksum();
    layer.append_data(&mut tmp, "tmp/", std::io::empty()).unwrap();
    for file in &files {
        append_file(&mut layer, file);
    }
    let layer = layer.into_inner().unwrap();
    use sha2::Digest;
    let diff_id = hex::encode(sha2::Sha256::digest(&layer));
    let config = serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": {
            "Cmd": ["/usr/bin/sleep", "infinity"],
            "Healthcheck": {"Test": ["CMD", "/usr/bin/sleep", "0"], "Interval": 1_000_000_000u64},
        },
        "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{diff_id}")]},
    });
    let config = serde_json::to_vec(&config).unwrap();
    let manifest = serde_json::json!([{
        "Config": "config.json",
        "RepoTags": ["drydock-test/runtime:1"],
        "Layers": ["layer.tar"],
    }]);
    let mut archive = tar::Builder::new(Vec::new());
    for (name, bytes) in [
        ("config.json", config),
        ("layer.tar", layer),
        ("manifest.json", serde_json::to_vec(&manifest).unwrap()),
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        archive.append_data(&mut header, name, bytes.as_slice()).unwrap();
    }
    let path = scratch.join("runtime-image.tar");
    std::fs::write(&path, archive.into_inner().unwrap()).unwrap();
    docker_ok(&["load", "-i", path.to_str().unwrap()]);
    docker_ok(&["image", "inspect", "--format", "{{.Id}}", "drydock-test/runtime:1"])
}

fn rules_of(findings: &Value) -> Vec<String> {
    findings
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["rule"].as_str().unwrap(),
                f["location"]["object"].as_str().unwrap_or("-")
            )
        })
        .collect()
}

fn probe(container: &str) -> Value {
    let output = docker(&["exec", container, "/drydock", "probe", "--format", "json"]);
    json_of(&output)
}

fn probe_rules(report: &Value) -> BTreeSet<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn live_containers_audit_and_probe() {
    if !engine_running() {
        return;
    }
    let scratch = tempfile::tempdir().unwrap();
    let image_id = load_test_image(scratch.path());
    let data = scratch.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o777)).unwrap();
    let binary = format!("{}:/drydock:ro", env!("CARGO_BIN_EXE_drydock"));
    let suffix = std::process::id();
    let names: Vec<String> = ["weak", "privileged", "ports", "hardened"]
        .iter()
        .map(|n| format!("drydock-test-{suffix}-{n}"))
        .collect();
    let _guard = Containers(names.clone());
    let (weak, privileged, ports, hardened) = (&names[0], &names[1], &names[2], &names[3]);
    let data_mount = format!("{}:/data", data.display());
    docker_ok(&[
        "run",
        "-d",
        "--name",
        weak,
        "--cap-add",
        "SYS_ADMIN",
        "--cap-add",
        "NET_ADMIN",
        "--security-opt",
        "seccomp=unconfined",
        "--security-opt",
        "apparmor=unconfined",
        "--pid",
        "host",
        "-v",
        "/var/run/docker.sock:/var/run/docker.sock",
        "-v",
        "/etc:/host-etc:ro",
        "-v",
        &data_mount,
        "-v",
        &binary,
        "--device",
        "/dev/null:/dev/xnull",
        "drydock-test/runtime:1",
    ]);
    // Created only: a privileged container cannot start on every engine, and an rshared
    // mount of / needs / to be a shared mount.
    docker_ok(&[
        "create",
        "--name",
        privileged,
        "--privileged",
        "--net",
        "host",
        "--ipc",
        "host",
        "--uts",
        "host",
        "--userns",
        "host",
        "-v",
        "/:/host:rshared",
        "--restart",
        "always",
        "drydock-test/runtime:1",
    ]);
    // Created only, so the privileged host port is never bound.
    docker_ok(&[
        "create",
        "--name",
        ports,
        "--read-only",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--user",
        "1000:1000",
        "--memory",
        "256m",
        "--pids-limit",
        "64",
        "--cpus",
        "0.5",
        "--restart",
        "on-failure",
        "-p",
        "981:8080",
        "--no-healthcheck",
        "--device",
        "/dev/null:/dev/xnull",
        &image_id,
    ]);
    docker_ok(&[
        "run",
        "-d",
        "--name",
        hardened,
        "--read-only",
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--user",
        "1000:1000",
        "--memory",
        "256m",
        "--pids-limit",
        "64",
        "--cpus",
        "0.5",
        "--restart",
        "on-failure:5",
        "-p",
        "127.0.0.1::8080",
        "-v",
        &binary,
        &image_id,
    ]);

    let output = drydock()
        .args(["audit", "containers", "--all", "--format", "json"])
        .output()
        .unwrap();
    let audit = json_of(&output);
    let findings_of = |name: &str| {
        let container = audit["containers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name} is not in the audit"));
        rules_of(&container["findings"])
    };
    // The engine lists mounts in its own order: compare as sets.
    let weak_found: BTreeSet<String> = findings_of(weak).into_iter().collect();
    let weak_expected: BTreeSet<String> = [
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
        "DD-RUN-018 Mounts[/host-etc]",
        "DD-RUN-019 Mounts[/var/run/docker.sock]",
        "DD-RUN-026 Config.Image",
        "DD-RUN-027 HostConfig.Devices",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(weak_found, weak_expected);
    assert_eq!(
        findings_of(privileged),
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
            "DD-RUN-015 HostConfig.IpcMode",
            "DD-RUN-016 HostConfig.UTSMode",
            "DD-RUN-017 HostConfig.UsernsMode",
            "DD-RUN-018 Mounts[/host]",
            "DD-RUN-020 Mounts[/host]",
            "DD-RUN-023 HostConfig.RestartPolicy",
            "DD-RUN-026 Config.Image",
        ]
    );
    assert_eq!(
        findings_of(ports),
        [
            "DD-RUN-021 HostConfig.PortBindings[8080/tcp]",
            "DD-RUN-022 HostConfig.PortBindings[8080/tcp]",
            "DD-RUN-023 HostConfig.RestartPolicy",
            "DD-RUN-024 Config.Healthcheck",
            "DD-RUN-027 HostConfig.Devices",
        ]
    );
    assert_eq!(findings_of(hardened), Vec::<String>::new());

    // Without --all only running containers are audited.
    let running = json_of(
        &drydock()
            .args(["audit", "containers", "--format", "json"])
            .output()
            .unwrap(),
    );
    let names_running: Vec<&str> = running["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(names_running.contains(&weak.as_str()) && !names_running.contains(&privileged.as_str()));

    let sarif = drydock()
        .args(["audit", "containers", "--all", "--format", "sarif"])
        .output()
        .unwrap();
    let sarif: Value = serde_json::from_slice(&sarif.stdout).unwrap();
    let uris: BTreeSet<String> = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert!(
        uris.contains(&format!("container/{privileged}/HostConfig.Privileged")),
        "{uris:?}"
    );

    // The probe inside both running containers.
    let weak_probe = probe(weak);
    let hardened_probe = probe(hardened);
    assert!(
        weak_probe["effective_capabilities"]
            .as_array()
            .unwrap()
            .contains(&"SYS_ADMIN".into())
    );
    assert_eq!(hardened_probe["effective_capabilities"], serde_json::json!([]));
    assert_eq!(weak_probe["seccomp"], "disabled");
    assert_eq!(hardened_probe["seccomp"], "filter");
    assert_eq!(hardened_probe["no_new_privileges"], true);
    assert_eq!(hardened_probe["uid"], serde_json::json!([1000, 1000]));
    assert_eq!(
        weak_probe["runtime_sockets"],
        serde_json::json!([{"path": "/var/run/docker.sock", "writable": true}])
    );
    assert_eq!(hardened_probe["runtime_sockets"], serde_json::json!([]));
    let writable: Vec<&str> = weak_probe["writable_host_mounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["mount_point"].as_str().unwrap())
        .collect();
    assert_eq!(writable, ["/data"]);
    assert_eq!(hardened_probe["writable_host_mounts"], serde_json::json!([]));
    assert_eq!(weak_probe["devices"], serde_json::json!(["/dev/xnull"]));
    assert_eq!(hardened_probe["devices"], serde_json::json!([]));
    assert_eq!(weak_probe["proc_sys_writable"], false);
    assert_eq!(weak_probe["writable_release_agents"], serde_json::json!([]));

    let weak_rules = probe_rules(&weak_probe);
    let hardened_rules = probe_rules(&hardened_probe);
    let only_weak: Vec<&String> = weak_rules.difference(&hardened_rules).collect();
    let mut expected = vec![
        "DD-PRB-001",
        "DD-PRB-002",
        "DD-PRB-004",
        "DD-PRB-005",
        "DD-PRB-006",
        "DD-PRB-010",
        "DD-PRB-012",
    ];
    if weak_probe["host_pid_namespace"] == true {
        expected.push("DD-PRB-009");
        expected.sort();
    }
    assert_eq!(only_weak, expected);
    assert!(
        hardened_rules.is_subset(&weak_rules),
        "{hardened_rules:?} vs {weak_rules:?}"
    );
    // What both share is the host's: no LSM here, or the kernel's known escapes.
    assert!(
        hardened_rules.iter().all(|r| r == "DD-PRB-003" || r == "DD-PRB-011"),
        "{hardened_rules:?}"
    );

    let table = docker(&["exec", hardened, "/drydock", "probe"]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("Effective capabilities") && text.contains("filter"),
        "{text}"
    );
}

#[test]
fn audit_containers_scan_scans_each_image_once() {
    if !engine_running() {
        return;
    }
    let fixture = fixtures().join("../images/distroless-style.docker.tar");
    let loaded = docker_ok(&["load", "-q", "-i", fixture.to_str().unwrap()]);
    let image = loaded.rsplit(": ").next().unwrap().to_string();
    let name = format!("drydock-scan-test-{}", std::process::id());
    let _guard = Containers(vec![name.clone()]);
    // The fixture has no CMD; the container is only created, never started.
    docker_ok(&["create", "--name", &name, &image, "/nonexistent"]);
    let scratch = tempfile::tempdir().unwrap();
    let db = scratch.path().join("db.ddb");
    let debian = fixtures().join("../vulndb/osv/Debian/all.zip");
    let import = drydock()
        .args(["db", "import", "--db", db.to_str().unwrap(), debian.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));
    let audit = |format: &str| {
        drydock()
            .args(["--cache-dir", scratch.path().join("cache").to_str().unwrap()])
            .args([
                "audit",
                "containers",
                &name,
                "--all",
                "--scan",
                "--db",
                db.to_str().unwrap(),
            ])
            .args(["--db-max-age", "0", "--format", format])
            .output()
            .unwrap()
    };
    let report = json_of(&audit("json"));
    let containers = report["containers"].as_array().unwrap();
    assert_eq!(containers.len(), 1, "only the named container: {containers:?}");
    let image_id = containers[0]["image_id"].as_str().unwrap();
    let scan = &report["image_scans"][image_id];
    assert_eq!(scan["schema_version"], 1, "{report}");
    assert_eq!(scan["target"], format!("docker:{image_id}"));
    assert_eq!(scan["packages"], 3, "the distroless fixture's three dpkg packages");
    let table = audit("table");
    assert!(table.status.success(), "{}", String::from_utf8_lossy(&table.stderr));
    assert!(String::from_utf8_lossy(&table.stdout).contains("image scan: 0 vulnerabilities"));
    let missing = drydock()
        .args([
            "audit",
            "containers",
            &name,
            "--all",
            "--scan",
            "--db",
            "/nonexistent/db.ddb",
        ])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("drydock db update"));
}
