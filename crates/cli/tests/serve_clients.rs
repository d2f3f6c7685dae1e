//! `drydock serve` with real clients: skopeo pushes and pulls every fixture image (OCI and
//! Docker schema 2 media types), the Docker CLI pushes and pulls through the machine's
//! engine (skipped, saying why, when no engine answers), and drydock's own client reads
//! from it. The server runs as the real binary on a loopback port.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin;
use sha2::Digest as _;

const FIXTURE_IMAGES: [&str; 8] = [
    "debian-min",
    "debian-python",
    "node-app",
    "rust-app",
    "misconfig",
    "layers-whiteout",
    "distroless-style",
    "debian-nosec",
];

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images")
}

/// A `drydock serve` process on a free loopback port, stopped with SIGTERM on drop.
struct Served {
    child: Child,
    address: String,
    _data: tempfile::TempDir,
}

impl Served {
    fn start() -> Served {
        Self::start_with(&[])
    }

    fn start_with(extra: &[&str]) -> Served {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new(cargo_bin("drydock"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data.path())
            .args(extra)
            .env_remove("DRYDOCK_REGISTRY_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run drydock serve");
        let stderr = child.stderr.take().unwrap();
        let (sender, receiver) = mpsc::channel();
        // Keep reading the log so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let rest = line.split("listening on http://").nth(1);
                if let Some(rest) = rest.or_else(|| line.split("listening on https://").nth(1)) {
                    let address = rest.split_whitespace().next().unwrap_or("").to_string();
                    let _ = sender.send(address);
                }
            }
        });
        let address = receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("drydock serve did not say where it listens");
        Served {
            child,
            address,
            _data: data,
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn run(program: &str, args: &[&str]) -> Output {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e} (scripts/test.sh installs it)"));
    assert!(
        output.status.success(),
        "{program} {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

fn raw_manifest(reference: &str) -> Vec<u8> {
    run("skopeo", &["inspect", "--raw", "--tls-verify=false", reference]).stdout
}

#[test]
fn skopeo_pushes_and_pulls_every_fixture_image() {
    let served = Served::start();
    let pulled = tempfile::tempdir().unwrap();
    let layout = fixtures().join("oci");
    for name in FIXTURE_IMAGES {
        let source = format!("oci:{}:{name}", layout.display());
        let target = format!("docker://{}/fixtures/{name}:v1", served.address);
        run(
            "skopeo",
            &["copy", "--quiet", "--dest-tls-verify=false", &source, &target],
        );
        // The manifest is stored byte for byte: same digest as in the layout.
        let local = run("skopeo", &["inspect", "--raw", &source]).stdout;
        assert_eq!(sha256(&raw_manifest(&target)), sha256(&local), "{name}");
        let back = format!("oci:{}:{name}", pulled.path().display());
        run("skopeo", &["copy", "--quiet", "--src-tls-verify=false", &target, &back]);
        assert_eq!(run("skopeo", &["inspect", "--raw", &back]).stdout, local, "{name}");
    }
}

#[test]
fn skopeo_pushes_docker_schema2_images() {
    let served = Served::start();
    let archive = format!(
        "docker-archive:{}",
        fixtures().join("distroless-style.docker.tar").display()
    );
    let target = format!("docker://{}/docker/distroless:v1", served.address);
    run(
        "skopeo",
        &["copy", "--quiet", "--dest-tls-verify=false", &archive, &target],
    );
    let manifest: serde_json::Value = serde_json::from_slice(&raw_manifest(&target)).unwrap();
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
    // An OCI image converted to Docker media types on the way in, and pulled back.
    let source = format!("oci:{}:node-app", fixtures().join("oci").display());
    let converted = format!("docker://{}/docker/node-app:v1", served.address);
    run(
        "skopeo",
        &[
            "copy",
            "--quiet",
            "--format",
            "v2s2",
            "--dest-tls-verify=false",
            &source,
            &converted,
        ],
    );
    let pulled = tempfile::tempdir().unwrap();
    let back = format!("dir:{}", pulled.path().display());
    run(
        "skopeo",
        &["copy", "--quiet", "--src-tls-verify=false", &converted, &back],
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(pulled.path().join("manifest.json")).unwrap()).unwrap();
    assert_eq!(
        manifest["mediaType"],
        "application/vnd.docker.distribution.manifest.v2+json"
    );
}

#[test]
fn drydock_inspect_reads_from_drydock_serve() {
    let served = Served::start();
    let source = format!("oci:{}:distroless-style", fixtures().join("oci").display());
    let target = format!("{}/fixtures/distroless-style:v1", served.address);
    run(
        "skopeo",
        &[
            "copy",
            "--quiet",
            "--dest-tls-verify=false",
            &source,
            &format!("docker://{target}"),
        ],
    );
    let local = run(
        cargo_bin("drydock").to_str().unwrap(),
        &["--no-cache", "image", "inspect", &source, "--format", "json"],
    );
    let remote = run(
        cargo_bin("drydock").to_str().unwrap(),
        &["--no-cache", "image", "inspect", &target, "--format", "json"],
    );
    let local: serde_json::Value = serde_json::from_slice(&local.stdout).unwrap();
    let remote: serde_json::Value = serde_json::from_slice(&remote.stdout).unwrap();
    assert_eq!(remote["manifest_digest"], local["manifest_digest"]);
    assert_eq!(remote["config_digest"], local["config_digest"]);
    assert_eq!(remote["layers"], local["layers"]);
}

#[test]
fn docker_cli_pushes_and_pulls() {
    let engine_up = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !engine_up {
        eprintln!("SKIP docker_cli_pushes_and_pulls: no Docker Engine answers on this machine (`docker info` failed)");
        return;
    }
    let served = Served::start();
    let archive = fixtures().join("distroless-style.docker.tar");
    let loaded = run("docker", &["load", "-i", archive.to_str().unwrap()]);
    let loaded = String::from_utf8_lossy(&loaded.stdout).to_string();
    let image = loaded
        .lines()
        .find_map(|l| {
            l.strip_prefix("Loaded image: ")
                .or_else(|| l.strip_prefix("Loaded image ID: "))
        })
        .expect("docker load names the image")
        .trim()
        .to_string();
    let tag = format!("{}/docker-cli/distroless:v1", served.address);
    run("docker", &["tag", &image, &tag]);
    let pushed = Command::new("docker").args(["push", &tag]).output().unwrap();
    let _ = Command::new("docker").args(["rmi", &tag]).output();
    assert!(
        pushed.status.success(),
        "docker push: {}",
        String::from_utf8_lossy(&pushed.stderr)
    );
    let pulled = Command::new("docker").args(["pull", &tag]).output().unwrap();
    let inspected = Command::new("docker")
        .args(["image", "inspect", &tag])
        .output()
        .unwrap();
    let _ = Command::new("docker").args(["rmi", &tag]).output();
    assert!(
        pulled.status.success(),
        "docker pull: {}",
        String::from_utf8_lossy(&pulled.stderr)
    );
    assert!(inspected.status.success());
}

#[test]
fn drydock_image_copy_pushes_every_fixture_image() {
    let served = Served::start();
    let layout = fixtures().join("oci");
    let drydock = cargo_bin("drydock");
    let drydock = drydock.to_str().unwrap();
    for name in FIXTURE_IMAGES {
        let source = format!("oci:{}:{name}", layout.display());
        let target = format!("{}/pushed/{name}:v1", served.address);
        run(drydock, &["--no-cache", "image", "copy", &source, &target]);
        let local = run("skopeo", &["inspect", "--raw", &source]).stdout;
        assert_eq!(raw_manifest(&format!("docker://{target}")), local, "{name}");
    }
    // Registry to registry within drydock serve: blobs are mounted or re-pushed, digest kept.
    let from = format!("{}/pushed/debian-min:v1", served.address);
    let to = format!("{}/copied/debian-min:v2", served.address);
    run(drydock, &["--no-cache", "image", "copy", &from, &to]);
    assert_eq!(
        raw_manifest(&format!("docker://{to}")),
        raw_manifest(&format!("docker://{from}"))
    );
}

#[test]
fn tls_with_a_verified_certificate() {
    let certs = tempfile::tempdir().unwrap();
    let cert = certs.path().join("cert.pem");
    let key = certs.path().join("key.pem");
    run(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            cert.to_str().unwrap(),
        ],
    );
    // skopeo trusts the CA certificates (*.crt) of a --cert-dir.
    let trust = tempfile::tempdir().unwrap();
    std::fs::copy(&cert, trust.path().join("ca.crt")).unwrap();
    let served = Served::start_with(&["--tls-cert", cert.to_str().unwrap(), "--tls-key", key.to_str().unwrap()]);
    let source = format!("oci:{}:distroless-style", fixtures().join("oci").display());
    let target = format!("docker://{}/tls/distroless:v1", served.address);
    let trust_dir = trust.path().to_str().unwrap();
    run(
        "skopeo",
        &["copy", "--quiet", "--dest-cert-dir", trust_dir, &source, &target],
    );
    let pulled = run("skopeo", &["inspect", "--raw", "--cert-dir", trust_dir, &target]).stdout;
    assert_eq!(pulled, run("skopeo", &["inspect", "--raw", &source]).stdout);
    // Without trusting the certificate, verification fails: the server really speaks TLS.
    let untrusted = Command::new("skopeo")
        .args(["inspect", "--raw", &target])
        .output()
        .unwrap();
    assert!(!untrusted.status.success());
}

#[test]
fn serving_beyond_loopback_without_authentication_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_str().unwrap();
    // A regression would start serving: the timeout ends the test instead of hanging it.
    let output = assert_cmd::Command::new(cargo_bin("drydock"))
        .args(["serve", "--listen", "0.0.0.0:0", "--data", data_dir])
        .env_remove("DRYDOCK_REGISTRY_INSECURE_NO_AUTH")
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refusing to serve 0.0.0.0:0 without authentication"),
        "{stderr}"
    );
    assert!(stderr.contains("--insecure-no-auth"), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(
        !data.path().join("metadata.db").exists(),
        "nothing is created before the refusal"
    );
}
