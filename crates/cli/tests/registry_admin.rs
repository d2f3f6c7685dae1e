//! `drydock login`/`logout` and `drydock registry user|project|member|robot|history` against
//! the real `drydock serve` with token authentication: credentials are checked before they
//! are stored, stored in the Docker config as Docker clients do, then used by the admin
//! commands and by drydock's own registry client for a push whose tag history shows.

use std::io::{BufRead, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin;
use base64::Engine as _;

const PASSWORD: &str = "registry-admin test passphrase";
const ALICE_PASSWORD: &str = "alice's own passphrase";

struct Served {
    child: Child,
    address: String,
    home: tempfile::TempDir,
}

impl Served {
    fn start() -> Served {
        let home = tempfile::tempdir().unwrap();
        let password_file = home.path().join("admin-password");
        std::fs::write(&password_file, format!("{PASSWORD}\n")).unwrap();
        let admin = [
            ("DRYDOCK_REGISTRY_AUTH_ADMIN_USER", PathBuf::from("admin")),
            ("DRYDOCK_REGISTRY_AUTH_ADMIN_PASSWORD_FILE", password_file),
        ];
        Served::start_in(home, &admin)
    }

    /// Serves `home/registry` with token authentication and these extra variables.
    fn start_in(home: tempfile::TempDir, env: &[(&str, PathBuf)]) -> Served {
        let mut child = Command::new(cargo_bin("drydock"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data"])
            .arg(home.path().join("registry"))
            .env_remove("DRYDOCK_REGISTRY_DATABASE_URL")
            .env("DRYDOCK_REGISTRY_AUTH_ENABLED", "true")
            .envs(env.iter().map(|(key, value)| (*key, value)))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run drydock serve");
        let stderr = child.stderr.take().unwrap();
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let _ = sender.send(rest.split_whitespace().next().unwrap_or("").to_string());
                }
            }
        });
        let address = receiver
            .recv_timeout(Duration::from_secs(60))
            .expect("drydock serve did not say where it listens");
        Served { child, address, home }
    }

    fn docker_config(&self) -> PathBuf {
        self.home.path().join("docker")
    }

    /// Runs drydock with this test's Docker config and no credentials from the environment.
    fn drydock(&self, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(cargo_bin("drydock"));
        command
            .args(args)
            .env("DOCKER_CONFIG", self.docker_config())
            .env("HOME", self.home.path())
            .env_remove("DRYDOCK_REGISTRY_USERNAME")
            .env_remove("DRYDOCK_REGISTRY_PASSWORD")
            .env_remove("DRYDOCK_REGISTRY_DATABASE_URL")
            .env("DRYDOCK_REGISTRY", &self.address)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    fn ok(&self, args: &[&str], stdin: &str) -> String {
        let output = self.drydock(args, stdin, &[]);
        assert!(
            output.status.success(),
            "drydock {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
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

fn stored_auth(config: &Path, registry: &str) -> Option<String> {
    let text = std::fs::read_to_string(config.join("config.json")).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let encoded = value["auths"][registry]["auth"].as_str()?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).unwrap();
    Some(String::from_utf8(decoded).unwrap())
}

fn fixture(name: &str) -> String {
    let layout = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images/oci");
    format!("oci:{}:{name}", layout.display())
}

#[test]
fn login_then_administer_through_the_api() {
    let served = Served::start();
    let registry = served.address.clone();

    let refused = served.drydock(
        &["login", &registry, "-u", "admin", "--password-stdin"],
        "wrong password\n",
        &[],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("invalid username or password"));
    assert!(
        !served.docker_config().join("config.json").exists(),
        "nothing stored on a refusal"
    );
    let no_credentials = served.drydock(&["registry", "user", "list"], "", &[]);
    assert!(!no_credentials.status.success());
    assert!(String::from_utf8_lossy(&no_credentials.stderr).contains("drydock login"));

    let login = served.drydock(
        &["login", &registry, "-u", "admin", "--password-stdin"],
        &format!("{PASSWORD}\n"),
        &[],
    );
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stderr));
    assert_eq!(
        stored_auth(&served.docker_config(), &registry),
        Some(format!("admin:{PASSWORD}"))
    );

    served.ok(&["registry", "user", "create", "alice"], &format!("{ALICE_PASSWORD}\n"));
    let users = served.ok(&["registry", "user", "list"], "");
    assert!(users.contains("admin\tadmin") && users.contains("alice\t"), "{users}");
    served.ok(&["registry", "project", "create", "team"], "");
    served.ok(&["registry", "member", "set", "team", "alice", "developer"], "");
    let members = served.ok(&["registry", "member", "list", "team"], "");
    assert_eq!(members, "alice\tdeveloper\n");
    let bad_role = served.drydock(&["registry", "member", "set", "team", "alice", "owner"], "", &[]);
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("unknown role `owner`"));

    let robot = served.ok(
        &[
            "registry",
            "robot",
            "create",
            "team",
            "ci",
            "--permission",
            "pull",
            "--permission",
            "push",
            "--expires-in-days",
            "30",
        ],
        "",
    );
    let secret = robot
        .lines()
        .find_map(|line| line.strip_prefix("secret (shown once, store it now): "))
        .unwrap_or_else(|| panic!("{robot}"))
        .to_string();
    assert_eq!(secret.len(), 64);
    let robots = served.ok(&["registry", "robot", "list", "team"], "");
    assert_eq!(robots, "robot$ci\tenabled\tpull,push\n");

    // drydock's own registry client pushes with the stored login; the tag history shows it.
    let target = format!("{registry}/team/app:1.0");
    let pushed = served.ok(&["image", "copy", &fixture("distroless-style"), &target], "");
    let digest = pushed.trim().rsplit(' ').next().unwrap().to_string();
    assert!(digest.starts_with("sha256:"), "{pushed}");
    let deadline = Instant::now() + Duration::from_secs(10);
    let history = loop {
        let history = served.ok(&["registry", "history", "team/app:1.0"], "");
        if !history.is_empty() || Instant::now() > deadline {
            break history;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(history.contains(&format!("1.0\t-> {digest}\tby admin")), "{history}");

    // Alice, a developer, through the environment: she sees her project, may not manage it.
    let alice = [
        ("DRYDOCK_REGISTRY_USERNAME", "alice"),
        ("DRYDOCK_REGISTRY_PASSWORD", ALICE_PASSWORD),
    ];
    let projects = served.drydock(&["registry", "project", "list"], "", &alice);
    assert_eq!(String::from_utf8_lossy(&projects.stdout), "team\tprivate\n");
    let forbidden = served.drydock(
        &["registry", "robot", "create", "team", "x", "--permission", "pull"],
        "",
        &alice,
    );
    assert!(!forbidden.status.success());
    assert!(String::from_utf8_lossy(&forbidden.stderr).contains("403"));

    let logout = served.drydock(&["logout", &registry], "", &[]);
    assert!(logout.status.success());
    assert_eq!(stored_auth(&served.docker_config(), &registry), None);
    let after = served.drydock(&["registry", "project", "list"], "", &[]);
    assert!(!after.status.success());
}

/// The first administrator from `drydock registry bootstrap-admin`, once only, then a login.
#[test]
fn bootstrap_admin_creates_the_first_administrator_once() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("registry");
    let bootstrap = |name: &str, password: &str| {
        let mut child = Command::new(cargo_bin("drydock"))
            .args(["registry", "bootstrap-admin", name, "--password-stdin", "--data"])
            .arg(&data)
            .env_remove("DRYDOCK_REGISTRY_DATABASE_URL")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(password.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let short = bootstrap("root", "short\n");
    assert!(!short.status.success());
    assert!(String::from_utf8_lossy(&short.stderr).contains("too short"));
    let created = bootstrap("root", &format!("{PASSWORD}\n"));
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let again = bootstrap("other", &format!("{PASSWORD}\n"));
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already has an administrator (root)"));

    let served = Served::start_in(home, &[]);
    let registry = served.address.clone();
    let login = served.drydock(
        &["login", &registry, "-u", "root", "--password-stdin"],
        &format!("{PASSWORD}\n"),
        &[],
    );
    assert!(login.status.success(), "{}", String::from_utf8_lossy(&login.stderr));
    let users = served.ok(&["registry", "user", "list"], "");
    assert_eq!(users, "root\tadmin\n");
    let data = served.home.path().join("registry");
    let data = data.to_str().unwrap();
    let exported = served.ok(
        &["registry", "audit", "export", "--action", "user-create", "--data", data],
        "",
    );
    let entry: serde_json::Value = serde_json::from_str(exported.lines().next().unwrap()).unwrap();
    assert_eq!(
        (entry["actor"].as_str(), entry["client"].as_str()),
        (Some("bootstrap"), Some("local"))
    );
    let verified = served.ok(&["registry", "audit", "verify", "--data", data], "");
    assert!(verified.contains("intact"), "{verified}");
}
