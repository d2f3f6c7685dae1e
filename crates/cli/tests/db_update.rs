//! `drydock db update` against a real HTTP server (Python's `http.server`, which answers
//! `If-Modified-Since` with 304) serving osv.dev's layout, and against a server that cuts a
//! download short: the old database must survive every failure.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::Command;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/vulndb/osv")
}

fn drydock(args: &[&str]) -> Output {
    Command::cargo_bin("drydock")
        .expect("the drydock binary")
        .args(args)
        .env_remove("DRYDOCK_DB")
        .env_remove("DRYDOCK_DB_MIRROR")
        .output()
        .expect("run drydock")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `python3 -m http.server` over `root`, stopped when dropped.
struct StaticServer {
    child: Child,
    url: String,
}

impl StaticServer {
    fn start(root: &Path) -> StaticServer {
        let port = free_port();
        let child = Process::new("python3")
            .args([
                "-m",
                "http.server",
                "--bind",
                "127.0.0.1",
                &port.to_string(),
                "--directory",
            ])
            .arg(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 runs http.server");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "http.server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        StaticServer {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A mirror folder laid out like osv.dev's bucket: `<ECOSYSTEM>/all.zip`.
fn mirror() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for ecosystem in ["npm", "crates.io"] {
        std::fs::create_dir_all(dir.path().join(ecosystem)).unwrap();
        std::fs::copy(
            fixtures().join(ecosystem).join("all.zip"),
            dir.path().join(ecosystem).join("all.zip"),
        )
        .unwrap();
    }
    dir
}

fn status_json(db: &str) -> serde_json::Value {
    let output = drydock(&["db", "status", "--db", db, "--format", "json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn updates_fetch_changed_exports_only() {
    let mirror = mirror();
    let server = StaticServer::start(mirror.path());
    let work = tempfile::tempdir().unwrap();
    let db = work.path().join("db/advisories.ddb").display().to_string();
    let update = |ecosystems: &str| {
        drydock(&[
            "db",
            "update",
            "--db",
            &db,
            "--mirror",
            &server.url,
            "--ecosystems",
            ecosystems,
        ])
    };

    let first = update("npm,crates.io");
    assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
    let status = status_json(&db);
    let names: Vec<&str> = status["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["npm", "crates.io"]);
    assert_eq!(status["sources"][0]["records"], 30);
    assert!(
        status["sources"][0]["origin"]
            .as_str()
            .unwrap()
            .ends_with("/npm/all.zip")
    );
    let built = status["built"].clone();

    // Nothing changed: both answered 304 and the database is left as it is.
    let second = update("npm,crates.io");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(second.status.success(), "{stderr}");
    assert!(
        stderr.contains("unchanged since the last update: npm, crates.io"),
        "{stderr}"
    );
    assert!(stderr.contains("is up to date"), "{stderr}");
    assert_eq!(status_json(&db)["built"], built);

    // A newer npm export is fetched again, crates.io is not.
    let npm = mirror.path().join("npm/all.zip");
    let later = std::time::SystemTime::now() + Duration::from_secs(120);
    std::fs::File::options()
        .write(true)
        .open(&npm)
        .unwrap()
        .set_modified(later)
        .unwrap();
    let third = update("npm,crates.io");
    let stderr = String::from_utf8_lossy(&third.stderr);
    assert!(third.status.success(), "{stderr}");
    assert!(
        stderr.contains("unchanged since the last update: crates.io"),
        "{stderr}"
    );
    assert!(stderr.contains("wrote"), "{stderr}");

    // An ecosystem the mirror does not have: an error that names it; the database stays.
    let before = std::fs::read(&db).unwrap();
    let missing = update("npm,Nonexistent");
    assert_eq!(missing.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert!(
        stderr.contains("Nonexistent/all.zip") && stderr.contains("404"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);
}

/// Answers every request with a zip's headers and only the first half of its bytes.
fn cut_off_server(body: Vec<u8>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body[..body.len() / 2]);
        }
    });
    url
}

#[test]
fn a_download_cut_short_leaves_the_old_database_working() {
    let mirror = mirror();
    let server = StaticServer::start(mirror.path());
    let work = tempfile::tempdir().unwrap();
    let db = work.path().join("advisories.ddb").display().to_string();
    let good = drydock(&[
        "db",
        "update",
        "--db",
        &db,
        "--mirror",
        &server.url,
        "--ecosystems",
        "npm",
    ]);
    assert!(good.status.success(), "{}", String::from_utf8_lossy(&good.stderr));
    let before = std::fs::read(&db).unwrap();
    let export = std::fs::read(work.path().join("sources/npm.zip")).unwrap();

    let broken = cut_off_server(std::fs::read(fixtures().join("crates.io/all.zip")).unwrap());
    let failed = drydock(&["db", "update", "--db", &db, "--mirror", &broken, "--ecosystems", "npm"]);
    assert_eq!(failed.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(stderr.contains("npm/all.zip"), "{stderr}");
    assert!(stderr.contains("truncated") || stderr.contains("broke off"), "{stderr}");

    assert_eq!(std::fs::read(&db).unwrap(), before, "the database was not touched");
    assert_eq!(std::fs::read(work.path().join("sources/npm.zip")).unwrap(), export);
    assert_eq!(status_json(&db)["records"], 30);
    let leftovers: Vec<String> = std::fs::read_dir(work.path().join("sources"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind: {leftovers:?}");
}
