//! `drydock image inspect` against real registries (Debian's `docker-registry` on
//! 127.0.0.1, images pushed with skopeo): the same files as the OCI layout, platform
//! selection from an image index, and credentials from `--password-stdin`.

#[path = "../../oci/tests/support/registry.rs"]
#[allow(dead_code)]
mod registry_support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use assert_cmd::cargo::cargo_bin;
use registry_support::{RegistryAuth, TestRegistry, fixtures};
use serde_json::Value;
use sha2::Digest as _;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

fn drydock(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(cargo_bin("drydock"))
        .arg("--no-cache")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run drydock");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn inspect_json(args: &[&str], stdin: Option<&str>) -> Value {
    let output = drydock(args, stdin);
    assert!(
        output.status.success(),
        "drydock {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

#[test]
fn registry_gives_the_same_files_as_the_layout() {
    let registry = TestRegistry::start(RegistryAuth::Anonymous);
    for name in ["distroless-style", "layers-whiteout"] {
        registry.push(name, &format!("fixtures/{name}:v1"));
        let layout = inspect_json(
            &[
                "image",
                "inspect",
                &format!("oci:{}", fixtures().join("oci").join(name).display()),
                "--files",
                "--format",
                "json",
            ],
            None,
        );
        let remote = inspect_json(
            &[
                "image",
                "inspect",
                &format!("{}/fixtures/{name}:v1", registry.addr()),
                "--files",
                "--format",
                "json",
            ],
            None,
        );
        assert_eq!(remote["files"], layout["files"], "{name}");
        assert_eq!(remote["manifest_digest"], layout["manifest_digest"], "{name}");
        assert_eq!(remote["source"], "registry");
        let by_digest = format!(
            "{}/fixtures/{name}@{}",
            registry.addr(),
            layout["manifest_digest"].as_str().unwrap()
        );
        let pinned = inspect_json(&["image", "inspect", &by_digest, "--format", "json"], None);
        assert_eq!(pinned["config_digest"], layout["config_digest"], "{name}");
    }
    let missing = drydock(
        &["image", "inspect", &format!("{}/fixtures/nothing:v1", registry.addr())],
        None,
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("not found"));
    assert!(missing.stdout.is_empty());
}

#[test]
fn platform_is_chosen_from_an_image_index() {
    let registry = TestRegistry::start(RegistryAuth::Anonymous);
    registry.push("distroless-style", "multi:amd64");
    registry.push("layers-whiteout", "multi:arm64");
    let amd64 = registry.get_manifest("multi", "amd64", OCI_MANIFEST);
    let arm64 = registry.get_manifest("multi", "arm64", OCI_MANIFEST);
    let child = |bytes: &[u8], architecture: &str, variant: Option<&str>| {
        let mut platform = serde_json::json!({"os": "linux", "architecture": architecture});
        if let Some(variant) = variant {
            platform["variant"] = variant.into();
        }
        serde_json::json!({"mediaType": OCI_MANIFEST, "digest": sha256(bytes), "size": bytes.len(), "platform": platform})
    };
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [child(&amd64, "amd64", None), child(&arm64, "arm64", Some("v8"))],
    });
    let index = serde_json::to_vec(&index).unwrap();
    registry.put_manifest("multi", "latest", OCI_INDEX, &index);
    let reference = format!("{}/multi:latest", registry.addr());

    let arm = inspect_json(
        &[
            "image",
            "inspect",
            &reference,
            "--platform",
            "linux/arm64",
            "--format",
            "json",
            "--files",
        ],
        None,
    );
    assert_eq!(arm["manifest_digest"], sha256(&arm64));
    assert_eq!(arm["index_digest"], sha256(&index));
    assert!(
        arm["files"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["path"] == "/opt/gone/y.txt")
    );
    let amd = inspect_json(
        &[
            "image",
            "inspect",
            &reference,
            "--platform",
            "linux/amd64",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(amd["manifest_digest"], sha256(&amd64));

    let none = drydock(&["image", "inspect", &reference, "--platform", "linux/s390x"], None);
    assert_eq!(none.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&none.stderr);
    assert!(
        stderr.contains("no image for platform linux/s390x") && stderr.contains("linux/amd64, linux/arm64/v8"),
        "{stderr}"
    );
}

#[test]
fn credentials_from_password_stdin() {
    let registry = TestRegistry::start(RegistryAuth::Htpasswd {
        username: "ci",
        password: "s3cret-pass",
    });
    registry.push("distroless-style", "private/app:1");
    let reference = format!("{}/private/app:1", registry.addr());
    let ok = inspect_json(
        &[
            "image",
            "inspect",
            &reference,
            "--username",
            "ci",
            "--password-stdin",
            "--format",
            "json",
        ],
        Some("s3cret-pass\n"),
    );
    assert!(ok["config_digest"].is_string());
    let wrong = drydock(
        &["image", "inspect", &reference, "--username", "ci", "--password-stdin"],
        Some("nope\n"),
    );
    assert_eq!(wrong.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        stderr.contains("authentication to") && !stderr.contains("nope"),
        "{stderr}"
    );
    let anonymous = drydock(&["image", "inspect", &reference], None);
    assert_eq!(anonymous.status.code(), Some(1));
}

#[test]
fn fixtures_dir_exists() {
    assert!(fixtures().join("oci/index.json").is_file());
}
