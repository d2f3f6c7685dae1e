//! `drydock serve` with token authentication against real clients: the first administrator
//! from configuration, `skopeo login` (refused with a wrong password), `skopeo copy` pushing
//! and pulling with the token, anonymous access to the private project denied, and no
//! credential ever in the server's log. The server runs as the real binary.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use assert_cmd::cargo::cargo_bin;

const PASSWORD: &str = "serve-auth test passphrase";

struct Served {
    child: Child,
    address: String,
    log: Arc<Mutex<String>>,
    data: tempfile::TempDir,
}

impl Served {
    fn start() -> Served {
        let data = tempfile::tempdir().unwrap();
        let password_file = data.path().join("admin-password");
        std::fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
        let mut child = Command::new(cargo_bin("drydock"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(data.path().join("registry"))
            .env_remove("DRYDOCK_REGISTRY_DATABASE_URL")
            .env("DRYDOCK_REGISTRY_AUTH_ENABLED", "true")
            .env("DRYDOCK_REGISTRY_AUTH_ADMIN_USER", "admin")
            .env("DRYDOCK_REGISTRY_AUTH_ADMIN_PASSWORD_FILE", &password_file)
            .env("DRYDOCK_LOG", "debug")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run drydock serve");
        let stderr = child.stderr.take().unwrap();
        let (sender, receiver) = mpsc::channel();
        let log = Arc::new(Mutex::new(String::new()));
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                kept.lock().unwrap().push_str(&line);
                kept.lock().unwrap().push('\n');
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let _ = sender.send(rest.split_whitespace().next().unwrap_or("").to_string());
                }
            }
        });
        let address = receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("drydock serve did not say where it listens");
        Served {
            child,
            address,
            log,
            data,
        }
    }

    fn skopeo(&self, args: &[&str], stdin: &str) -> Output {
        use std::io::Write as _;
        let mut child = Command::new("skopeo")
            .args(args)
            .env("REGISTRY_AUTH_FILE", self.data.path().join("auth.json"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run skopeo (scripts/test.sh installs it)");
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images")
}

#[test]
fn skopeo_logs_in_and_copies_with_tokens() {
    let served = Served::start();
    let registry = served.address.clone();
    let login = |password: &str| {
        let args = [
            "login",
            "--tls-verify=false",
            "-u",
            "admin",
            "--password-stdin",
            &registry,
        ];
        served.skopeo(&args, &format!("{password}\n"))
    };
    let refused = login("not the password");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("invalid username/password"));
    let logged_in = login(PASSWORD);
    assert!(
        logged_in.status.success(),
        "{}",
        String::from_utf8_lossy(&logged_in.stderr)
    );

    let source = format!("oci:{}:distroless-style", fixtures().join("oci").display());
    let target = format!("docker://{registry}/team/app:1.0");
    let copy = ["copy", "--quiet", "--dest-tls-verify=false", &source, &target];
    let pushed = served.skopeo(&copy, "");
    assert!(pushed.status.success(), "{}", String::from_utf8_lossy(&pushed.stderr));
    let pulled_dir = tempfile::tempdir().unwrap();
    let back = format!("oci:{}:app", pulled_dir.path().display());
    let pulled = served.skopeo(&["copy", "--quiet", "--src-tls-verify=false", &target, &back], "");
    assert!(pulled.status.success(), "{}", String::from_utf8_lossy(&pulled.stderr));

    // Without credentials the private project's image is refused.
    let logout = served.skopeo(&["logout", &registry], "");
    assert!(logout.status.success());
    let anonymous = served.skopeo(&["inspect", "--raw", "--tls-verify=false", &target], "");
    assert!(!anonymous.status.success());
    let stderr = String::from_utf8_lossy(&anonymous.stderr);
    assert!(stderr.contains("denied") || stderr.contains("unauthorized"), "{stderr}");

    let log = served.log.lock().unwrap().clone();
    assert!(log.contains("created the first administrator"), "{log}");
    assert!(log.contains("login refused"), "{log}");
    assert!(
        !log.contains(PASSWORD) && !log.contains("Basic ") && !log.contains("eyJ"),
        "{log}"
    );
}

fn docker(config: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write as _;
    let mut child = Command::new("docker")
        .arg("--config")
        .arg(config)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run docker");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

/// The audit entries the admin API returns for `query`, waiting briefly for the queue.
fn audit_entries(address: &str, query: &str) -> Vec<serde_json::Value> {
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("admin:{PASSWORD}"));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let body = agent
            .get(format!("http://{address}/api/v1/audit?{query}"))
            .header("Authorization", &format!("Basic {basic}"))
            .call()
            .unwrap()
            .into_body()
            .read_to_vec()
            .unwrap();
        let entries: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
        if !entries.is_empty() || std::time::Instant::now() > deadline {
            return entries;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn docker_logs_in_pushes_and_pulls_with_tokens() {
    let engine_up = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !engine_up {
        eprintln!(
            "SKIP docker_logs_in_pushes_and_pulls_with_tokens: no Docker Engine answers on this machine (`docker info` failed)"
        );
        return;
    }
    let served = Served::start();
    let config = served.data.path().join("docker-config");
    let registry = served.address.clone();
    let login = |password: &str| {
        docker(
            &config,
            &["login", "-u", "admin", "--password-stdin", &registry],
            &format!("{password}\n"),
        )
    };
    let refused = login("not the password");
    assert!(!refused.status.success());
    let logged_in = login(PASSWORD);
    assert!(
        logged_in.status.success(),
        "docker login: {}",
        String::from_utf8_lossy(&logged_in.stderr)
    );

    let archive = fixtures().join("distroless-style.docker.tar");
    let loaded = docker(&config, &["load", "-i", archive.to_str().unwrap()], "");
    let image = String::from_utf8_lossy(&loaded.stdout)
        .lines()
        .find_map(|l| {
            l.strip_prefix("Loaded image: ")
                .or_else(|| l.strip_prefix("Loaded image ID: "))
        })
        .expect("docker load names the image")
        .trim()
        .to_string();
    let tag = format!("{registry}/team/docker:v1");
    assert!(docker(&config, &["tag", &image, &tag], "").status.success());
    let pushed = docker(&config, &["push", &tag], "");
    let _ = docker(&config, &["rmi", &tag], "");
    assert!(
        pushed.status.success(),
        "docker push: {}",
        String::from_utf8_lossy(&pushed.stderr)
    );
    let pulled = docker(&config, &["pull", &tag], "");
    let _ = docker(&config, &["rmi", &tag], "");
    assert!(
        pulled.status.success(),
        "docker pull: {}",
        String::from_utf8_lossy(&pulled.stderr)
    );

    // The trail names who pushed and pulled, from where.
    let pulls = audit_entries(&registry, "action=pull&actor=admin&repository=team/docker");
    assert!(
        pulls.iter().any(|e| e["tag"] == "v1" && e["client"] == "127.0.0.1"),
        "{pulls:?}"
    );
    let pushes = audit_entries(&registry, "action=push-manifest&repository=team/docker");
    assert!(
        pushes.iter().any(|e| e["actor"] == "admin" && e["tag"] == "v1"),
        "{pushes:?}"
    );

    // Logged out, the private project refuses the engine.
    assert!(docker(&config, &["logout", &registry], "").status.success());
    let anonymous = docker(&config, &["pull", &tag], "");
    let _ = docker(&config, &["rmi", &tag], "");
    assert!(!anonymous.status.success());
    let stderr = String::from_utf8_lossy(&anonymous.stderr);
    assert!(
        stderr.contains("denied") || stderr.contains("unauthorized") || stderr.contains("authentication required"),
        "{stderr}"
    );
    let log = served.log.lock().unwrap().clone();
    assert!(!log.contains(PASSWORD) && !log.contains("Basic "), "{log}");
}

/// Runs podman with its own storage (vfs, no daemon) under `dir` and its own auth file.
fn podman(dir: &std::path::Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write as _;
    let mut child = Command::new("podman")
        .arg("--root")
        .arg(dir.join("root"))
        .arg("--runroot")
        .arg(dir.join("run"))
        .args(["--storage-driver", "vfs"])
        .args(args)
        .env("REGISTRY_AUTH_FILE", dir.join("auth.json"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run podman (scripts/test.sh installs it)");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn podman_logs_in_pushes_and_pulls_with_tokens() {
    let served = Served::start();
    let dir = served.data.path().join("podman");
    let registry = served.address.clone();
    let login = |password: &str| {
        podman(
            &dir,
            &[
                "login",
                "--tls-verify=false",
                "-u",
                "admin",
                "--password-stdin",
                &registry,
            ],
            &format!("{password}\n"),
        )
    };
    let refused = login("not the password");
    assert!(!refused.status.success());
    let logged_in = login(PASSWORD);
    assert!(
        logged_in.status.success(),
        "podman login: {}",
        String::from_utf8_lossy(&logged_in.stderr)
    );

    let archive = fixtures().join("distroless-style.docker.tar");
    let loaded = podman(&dir, &["load", "-i", archive.to_str().unwrap()], "");
    assert!(loaded.status.success(), "{}", String::from_utf8_lossy(&loaded.stderr));
    let tag = format!("{registry}/team/podman:v1");
    let tagged = podman(&dir, &["tag", "distroless-style:latest", &tag], "");
    assert!(tagged.status.success(), "{}", String::from_utf8_lossy(&tagged.stderr));
    let pushed = podman(&dir, &["push", "--tls-verify=false", &tag], "");
    assert!(
        pushed.status.success(),
        "podman push: {}",
        String::from_utf8_lossy(&pushed.stderr)
    );
    assert!(podman(&dir, &["rmi", &tag], "").status.success());
    let pulled = podman(&dir, &["pull", "--tls-verify=false", &tag], "");
    assert!(
        pulled.status.success(),
        "podman pull: {}",
        String::from_utf8_lossy(&pulled.stderr)
    );

    let pushes = audit_entries(&registry, "action=push-manifest&repository=team/podman");
    assert!(
        pushes.iter().any(|e| e["actor"] == "admin" && e["tag"] == "v1"),
        "{pushes:?}"
    );

    assert!(podman(&dir, &["logout", &registry], "").status.success());
    assert!(podman(&dir, &["rmi", &tag], "").status.success());
    let anonymous = podman(&dir, &["pull", "--tls-verify=false", &tag], "");
    assert!(!anonymous.status.success());
}
