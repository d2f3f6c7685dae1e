//! `drydock image copy` against a real registry (Debian's `docker-registry`), OCI layouts,
//! docker archives and, when one runs, the Docker Engine; read back by drydock and skopeo.

#[path = "../../oci/tests/support/registry.rs"]
#[allow(dead_code)]
mod registry_support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use assert_cmd::cargo::cargo_bin;
use registry_support::{RegistryAuth, TestRegistry, expected, fixtures};
use serde_json::Value;
use sha2::Digest as _;

fn drydock(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(cargo_bin("drydock"))
        .arg("--no-cache")
        .args(args)
        .env("DOCKER_CONFIG", "/nonexistent/drydock-copy-test")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run drydock");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("writing stdin");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("waiting for drydock")
}

/// Runs a copy that must succeed; returns the digest it printed.
fn copy(args: &[&str], stdin: Option<&str>) -> String {
    let mut full = vec!["image", "copy"];
    full.extend_from_slice(args);
    let output = drydock(&full, stdin);
    assert!(
        output.status.success(),
        "drydock {full:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8").trim().to_string()
}

fn inspect(reference: &str) -> Value {
    let output = drydock(&["image", "inspect", reference, "--files", "--format", "json"], None);
    assert!(
        output.status.success(),
        "inspect {reference}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON")
}

fn skopeo_raw_digest(target: &str) -> String {
    let output = Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false", target])
        .output()
        .expect("running skopeo");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(&output.stdout)))
}

fn fixture(image: &str) -> String {
    format!("oci:{}:{image}", fixtures().join("oci").display())
}

#[test]
fn copies_to_a_registry_and_back_to_a_layout() {
    let registry = TestRegistry::start(RegistryAuth::Anonymous);
    let pushed = format!("{}/team/app:1.0", registry.addr());
    let digest = copy(&[&fixture("layers-whiteout"), &pushed], None);
    assert_eq!(digest, expected("layers-whiteout").manifest_digest.to_string());
    assert_eq!(skopeo_raw_digest(&format!("docker://{pushed}")), digest);

    let dir = tempfile::tempdir().expect("a temporary directory");
    let layout = format!("oci:{}:back", dir.path().join("layout").display());
    assert_eq!(copy(&[&pushed, &layout], None), digest);
    let original = inspect(&fixture("layers-whiteout"));
    for copied in [inspect(&pushed), inspect(&layout)] {
        assert_eq!(copied["manifest_digest"], original["manifest_digest"]);
        assert_eq!(copied["files"], original["files"]);
    }
}

#[test]
fn copies_a_docker_archive_with_credentials() {
    let registry = TestRegistry::start(RegistryAuth::Htpasswd {
        username: "carol",
        password: "archive-pass",
    });
    let archive = format!(
        "docker-archive:{}",
        fixtures().join("distroless-style.docker.tar").display()
    );
    let pushed = format!("{}/from/docker:v1", registry.addr());
    let output = drydock(&["image", "copy", &archive, &pushed], None);
    assert!(
        !output.status.success(),
        "an anonymous push to an htpasswd registry succeeded"
    );
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(message.contains(registry.addr()), "{message}");

    let digest = copy(
        &[&archive, &pushed, "--username", "carol", "--password-stdin"],
        Some("archive-pass\n"),
    );
    assert!(digest.starts_with("sha256:"), "{digest}");
    let output = drydock(
        &[
            "image",
            "inspect",
            &pushed,
            "--format",
            "json",
            "--username",
            "carol",
            "--password-stdin",
        ],
        Some("archive-pass\n"),
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let pushed_json: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    assert_eq!(pushed_json["manifest_digest"], digest);
    assert_eq!(
        pushed_json["config_digest"],
        expected("distroless-style").config_digest.to_string()
    );
}

#[test]
fn bad_destinations_are_clear_errors() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let cases = [
        (
            format!("docker-archive:{}", dir.path().join("x.tar").display()),
            "can be read but not written",
        ),
        (
            format!("oci:{}@sha256:{}", dir.path().display(), "a".repeat(64)),
            "name a tag",
        ),
        ("Not A Reference".to_string(), "invalid image reference"),
    ];
    for (destination, wanted) in cases {
        let output = drydock(&["image", "copy", &fixture("distroless-style"), &destination], None);
        assert_eq!(output.status.code(), Some(1), "{destination}");
        let message = String::from_utf8_lossy(&output.stderr);
        assert!(message.contains(wanted), "{destination}: {message}");
    }
    let output = drydock(
        &[
            "image",
            "copy",
            &format!("dir:{}", dir.path().display()),
            &format!("oci:{}:x", dir.path().join("out").display()),
        ],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        !dir.path().join("out").exists(),
        "a layout was created for a failed copy"
    );
}

/// The Docker Engine on this machine, when one runs: load the fixture archive, copy it out.
#[test]
fn copies_from_the_docker_engine() {
    let running = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !running {
        eprintln!("skipping: no Docker Engine answers `docker info`");
        return;
    }
    let archive = fixtures().join("distroless-style.docker.tar");
    let loaded = Command::new("docker")
        .arg("load")
        .arg("--input")
        .arg(&archive)
        .output()
        .expect("docker load");
    assert!(loaded.status.success(), "{}", String::from_utf8_lossy(&loaded.stderr));
    let text = String::from_utf8_lossy(&loaded.stdout);
    let name = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("Loaded image: ")
                .or_else(|| l.strip_prefix("Loaded image ID: "))
        })
        .expect("docker load names the image")
        .trim()
        .to_string();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let layout = format!("oci:{}:engine", dir.path().join("layout").display());
    let digest = copy(&[&format!("docker:{name}"), &layout], None);
    let copied = inspect(&layout);
    assert_eq!(copied["manifest_digest"], digest);
    assert_eq!(
        copied["config_digest"],
        expected("distroless-style").config_digest.to_string()
    );
}
