//! `drydock registry audit verify|export` on the stores of a real `drydock serve`: after
//! skopeo pushes an image the trail verifies and exports as JSON lines; an entry edited
//! directly in the SQLite database (the `sqlite3` tool) makes verify exit 1 naming it.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use assert_cmd::cargo::cargo_bin;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images")
}

/// Runs `drydock serve` on `data`, pushes one fixture image with skopeo, stops it (SIGTERM).
fn serve_and_push(data: &Path) {
    let mut child = Command::new(cargo_bin("drydock"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(data)
        .env_remove("DRYDOCK_REGISTRY_DATABASE_URL")
        .env_remove("DRYDOCK_REGISTRY_AUTH_ENABLED")
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
        .expect("drydock serve started");
    let source = format!("oci:{}:debian-min", fixtures().join("oci").display());
    let target = format!("docker://{address}/team/app:1.0");
    let copied = Command::new("skopeo")
        .args(["copy", "--quiet", "--dest-tls-verify=false", &source, &target])
        .output()
        .expect("run skopeo (scripts/test.sh installs it)");
    assert!(copied.status.success(), "{}", String::from_utf8_lossy(&copied.stderr));
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}

fn drydock(args: &[&str], data: &Path) -> std::process::Output {
    Command::new(cargo_bin("drydock"))
        .args(args)
        .arg("--data")
        .arg(data)
        .env_remove("DRYDOCK_REGISTRY_DATABASE_URL")
        .output()
        .unwrap()
}

#[test]
fn audit_verify_and_export_then_detect_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("registry");
    serve_and_push(&data);

    let verified = drydock(&["registry", "audit", "verify"], &data);
    let stdout = String::from_utf8_lossy(&verified.stdout).to_string();
    assert!(
        verified.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(stdout.contains("intact"), "{stdout}");

    let exported = drydock(&["registry", "audit", "export", "--action", "push-manifest"], &data);
    assert!(exported.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&exported.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(lines.len(), 1, "one manifest pushed");
    assert_eq!(lines[0]["repository"], "team/app");
    assert_eq!(lines[0]["tag"], "1.0");
    assert_eq!(lines[0]["actor"], "anonymous");
    let seq = lines[0]["seq"].as_i64().unwrap();
    let count = |args: &[&str]| {
        let output = drydock(args, &data);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).lines().count()
    };
    let base = [
        "registry",
        "audit",
        "export",
        "--project",
        "team",
        "--action",
        "push-manifest",
    ];
    assert_eq!(count(&[&base[..], &["--since", "1970-01-01"]].concat()), 1);
    assert_eq!(count(&[&base[..], &["--since", "9999-01-01T00:00:00Z"]].concat()), 0);
    assert_eq!(count(&[&base[..], &["--until", "1970-01-02"]].concat()), 0);
    let bad_time = drydock(&["registry", "audit", "export", "--since", "yesterday"], &data);
    assert!(!bad_time.status.success());
    assert!(String::from_utf8_lossy(&bad_time.stderr).contains("`yesterday` is not a UTC time"));

    let database = data.join("metadata.db");
    let edited = Command::new("sqlite3")
        .arg(&database)
        .arg(format!("UPDATE audit_log SET tag = 'other' WHERE seq = {seq}"))
        .output()
        .expect("run sqlite3 (scripts/test.sh installs it)");
    assert!(edited.status.success(), "{}", String::from_utf8_lossy(&edited.stderr));
    let tampered = drydock(&["registry", "audit", "verify"], &data);
    let stdout = String::from_utf8_lossy(&tampered.stdout).to_string();
    assert_eq!(tampered.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("entry {seq}: entry {seq} does not match its hash")),
        "{stdout}"
    );
    assert!(stdout.contains("TAMPERED"), "{stdout}");
}
