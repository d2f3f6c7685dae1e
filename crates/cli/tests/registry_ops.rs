//! Operating `drydock serve` as real processes: `drydock registry gc`, `/metrics`, graceful
//! shutdown with an upload in flight, two replicas on one PostgreSQL database and one S3
//! bucket, and durability across `kill -9` during concurrent pushes (SQLite + filesystem,
//! PostgreSQL + S3). S3 is a real S3-compatible server, `s3s-fs`, started per test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin;
use sha2::Digest as _;

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const FIXTURE_IMAGES: [&str; 3] = ["debian-min", "misconfig", "layers-whiteout"];

fn fixture_layout() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images/oci")
}

fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on port {port}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------- stores

const S3_ACCESS_KEY: &str = "drydock-ops";
const S3_SECRET_KEY: &str = "drydock-ops-secret";
const S3_BUCKET: &str = "registry";

/// A real S3-compatible server (s3s-fs) on a loopback port, killed on drop.
struct S3 {
    endpoint: String,
    child: Child,
    _root: tempfile::TempDir,
}

impl S3 {
    fn start() -> S3 {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir(root.path().join(S3_BUCKET)).unwrap();
        let port = free_port();
        let binary = std::env::var_os("DRYDOCK_TEST_S3S_FS")
            .map(PathBuf::from)
            .or_else(|| {
                let home = std::env::var_os("CARGO_HOME")
                    .map(PathBuf::from)
                    .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
                Some(home.join("bin/s3s-fs")).filter(|p| p.exists())
            })
            .unwrap_or_else(|| PathBuf::from("s3s-fs"));
        let child = Command::new(binary)
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", S3_ACCESS_KEY, "--secret-key", S3_SECRET_KEY])
            .arg(root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start s3s-fs ({e}): run scripts/test.sh, which installs it"));
        wait_for_port(port);
        S3 {
            endpoint: format!("http://127.0.0.1:{port}"),
            child,
            _root: root,
        }
    }
}

impl Drop for S3 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh PostgreSQL database, dropped on drop.
struct Postgres {
    url: String,
    name: String,
    admin: String,
}

impl Postgres {
    fn create() -> Postgres {
        let admin = std::env::var("DRYDOCK_TEST_POSTGRES_URL").unwrap_or_else(|_| {
            panic!("DRYDOCK_TEST_POSTGRES_URL is not set: run scripts/test.sh, which starts PostgreSQL and sets it")
        });
        let name = format!(
            "drydock_ops_{}",
            hex::encode(&sha2::Sha256::digest(format!("{:?}", Instant::now()))[..8])
        );
        psql(&admin, &format!("CREATE DATABASE {name}"));
        let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
        Postgres {
            url: format!("{base}/{name}"),
            name,
            admin,
        }
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let _ = Command::new("psql")
            .args([
                &self.admin,
                "-q",
                "-c",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .output();
    }
}

fn psql(url: &str, sql: &str) {
    let output = Command::new("psql")
        .args([url, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("run psql");
    assert!(
        output.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Where a registry keeps things: a data directory, and optionally PostgreSQL and S3.
struct Stores {
    data: tempfile::TempDir,
    postgres: Option<Postgres>,
    s3: Option<S3>,
}

impl Stores {
    fn local() -> Stores {
        Stores {
            data: tempfile::tempdir().unwrap(),
            postgres: None,
            s3: None,
        }
    }

    fn shared() -> Stores {
        Stores {
            data: tempfile::tempdir().unwrap(),
            postgres: Some(Postgres::create()),
            s3: Some(S3::start()),
        }
    }

    fn args(&self) -> Vec<String> {
        let mut args = vec!["--data".to_string(), self.data.path().display().to_string()];
        if let Some(postgres) = &self.postgres {
            args.extend(["--database-url".to_string(), postgres.url.clone()]);
        }
        if let Some(s3) = &self.s3 {
            args.extend(
                [
                    "--s3-endpoint",
                    &s3.endpoint,
                    "--s3-bucket",
                    S3_BUCKET,
                    "--s3-access-key-id",
                    S3_ACCESS_KEY,
                    "--s3-allow-http",
                ]
                .map(str::to_string),
            );
        }
        args
    }

    fn command(&self, subcommand: &[&str]) -> Command {
        let mut command = Command::new(cargo_bin("drydock"));
        command
            .args(subcommand)
            .env_remove("DRYDOCK_REGISTRY_DATABASE_URL")
            .env_remove("DRYDOCK_REGISTRY_S3_SECRET_ACCESS_KEY");
        if self.s3.is_some() {
            command.env("DRYDOCK_REGISTRY_S3_SECRET_ACCESS_KEY", S3_SECRET_KEY);
        }
        command
    }
}

// ---------------------------------------------------------------- server process

/// A `drydock serve` process on a loopback port.
struct Served {
    child: Child,
    base: String,
}

impl Served {
    fn start(stores: &Stores) -> Served {
        let mut child = stores
            .command(&["serve", "--listen", "127.0.0.1:0"])
            .args(stores.args())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run drydock serve");
        let stderr = child.stderr.take().unwrap();
        let (address_tx, address_rx) = mpsc::channel();
        // Keep reading the log so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("listening on http://").nth(1) {
                    let _ = address_tx.send(rest.split_whitespace().next().unwrap_or("").to_string());
                }
            }
        });
        let address = address_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("drydock serve did not say where it listens");
        Served {
            child,
            base: format!("http://{address}"),
        }
    }

    fn address(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit on its own (bounded).
    fn wait(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "drydock serve did not exit within 60 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn kill_9(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------- HTTP client

fn agent() -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build();
    ureq::Agent::new_with_config(config)
}

type Response = ureq::http::Response<ureq::Body>;

fn read_body(response: Response) -> Vec<u8> {
    response.into_body().with_config().limit(1 << 30).read_to_vec().unwrap()
}

fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    fn new(base: &str) -> Client {
        Client {
            base: base.to_string(),
            agent: agent(),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_string()
        } else {
            format!("{}{path}", self.base)
        }
    }

    fn get(&self, path: &str) -> Response {
        self.agent.get(&self.url(path)).call().unwrap()
    }

    fn head(&self, path: &str) -> Response {
        self.agent.head(&self.url(path)).call().unwrap()
    }

    fn start_upload(&self, repo: &str) -> Result<String, String> {
        let response = self
            .agent
            .post(&self.url(&format!("/v2/{repo}/blobs/uploads/")))
            .send_empty()
            .map_err(|e| e.to_string())?;
        if response.status() != 202 {
            return Err(format!("POST answered {}", response.status()));
        }
        Ok(header(&response, "location").unwrap())
    }

    fn patch(&self, location: &str, start: usize, chunk: &[u8]) -> Result<String, String> {
        let response = self
            .agent
            .patch(&self.url(location))
            .header("Content-Type", "application/octet-stream")
            .header("Content-Range", &format!("{start}-{}", start + chunk.len() - 1))
            .send(chunk)
            .map_err(|e| e.to_string())?;
        if response.status() != 202 {
            return Err(format!("PATCH answered {}", response.status()));
        }
        Ok(header(&response, "location").unwrap())
    }

    fn finish(&self, location: &str, digest: &str) -> Result<(), String> {
        let separator = if location.contains('?') { '&' } else { '?' };
        let response = self
            .agent
            .put(&self.url(&format!("{location}{separator}digest={digest}")))
            .send_empty()
            .map_err(|e| e.to_string())?;
        if response.status() != 201 {
            return Err(format!("PUT answered {}", response.status()));
        }
        Ok(())
    }

    fn push_blob(&self, repo: &str, content: &[u8]) -> Result<String, String> {
        let location = self.start_upload(repo)?;
        let location = self.patch(&location, 0, content)?;
        let digest = sha256(content);
        self.finish(&location, &digest)?;
        Ok(digest)
    }

    fn put_manifest(&self, repo: &str, reference: &str, body: &[u8]) -> Result<(), String> {
        let response = self
            .agent
            .put(&self.url(&format!("/v2/{repo}/manifests/{reference}")))
            .header("Content-Type", OCI_MANIFEST)
            .send(body)
            .map_err(|e| e.to_string())?;
        if response.status() != 201 {
            return Err(format!("manifest PUT answered {}", response.status()));
        }
        Ok(())
    }

    /// Pushes a config, one layer and a manifest; returns the manifest digest.
    fn push_image(&self, repo: &str, tag: &str, layer: &[u8]) -> Result<String, String> {
        let config = format!(r#"{{"os":"linux","architecture":"amd64","layer":"{}"}}"#, sha256(layer));
        let config_digest = self.push_blob(repo, config.as_bytes())?;
        let layer_digest = self.push_blob(repo, layer)?;
        let manifest = manifest(&config_digest, config.len(), &layer_digest, layer.len());
        self.put_manifest(repo, tag, &manifest)?;
        Ok(sha256(&manifest))
    }

    /// Every repository of the catalog, every tag, every blob: each verifies. Returns the
    /// number of manifests checked.
    fn verify_everything(&self) -> usize {
        let catalog: serde_json::Value = serde_json::from_slice(&read_body(self.get("/v2/_catalog?n=1000"))).unwrap();
        let mut checked = 0;
        for repo in catalog["repositories"].as_array().unwrap() {
            let repo = repo.as_str().unwrap();
            let tags: serde_json::Value =
                serde_json::from_slice(&read_body(self.get(&format!("/v2/{repo}/tags/list?n=1000")))).unwrap();
            for tag in tags["tags"].as_array().into_iter().flatten() {
                self.verify_image(repo, tag.as_str().unwrap());
                checked += 1;
            }
        }
        checked
    }

    fn verify_image(&self, repo: &str, reference: &str) {
        let response = self
            .agent
            .get(&self.url(&format!("/v2/{repo}/manifests/{reference}")))
            .header("Accept", OCI_MANIFEST)
            .header("Accept", "application/vnd.docker.distribution.manifest.v2+json")
            .call()
            .unwrap();
        assert_eq!(response.status(), 200, "{repo}:{reference}");
        let digest = header(&response, "docker-content-digest").unwrap();
        let body = read_body(response);
        assert_eq!(sha256(&body), digest, "{repo}:{reference} manifest verifies");
        let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let mut blobs = vec![value["config"]["digest"].as_str().unwrap().to_string()];
        for layer in value["layers"].as_array().unwrap() {
            blobs.push(layer["digest"].as_str().unwrap().to_string());
        }
        for blob in blobs {
            let response = self.get(&format!("/v2/{repo}/blobs/{blob}"));
            assert_eq!(response.status(), 200, "{repo}:{reference} blob {blob}");
            assert_eq!(
                sha256(&read_body(response)),
                blob,
                "{repo}:{reference} blob {blob} verifies"
            );
        }
    }

    /// A blob is either absent or whole: never a partial object under its digest.
    fn absent_or_whole(&self, repo: &str, digest: &str) {
        let head = self.head(&format!("/v2/{repo}/blobs/{digest}"));
        match head.status().as_u16() {
            404 => {}
            200 => {
                let response = self.get(&format!("/v2/{repo}/blobs/{digest}"));
                assert_eq!(sha256(&read_body(response)), digest, "blob {digest} is whole");
            }
            other => panic!("HEAD of blob {digest} answered {other}"),
        }
    }
}

fn manifest(config: &str, config_size: usize, layer: &str, layer_size: usize) -> Vec<u8> {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config}","size":{config_size}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer}","size":{layer_size}}}]}}"#
    )
    .into_bytes()
}

/// `drydock image copy` of a fixture image to the registry: drydock's own push client.
fn copy_fixture(image: &str, destination: &str) -> Output {
    Command::new(cargo_bin("drydock"))
        .args(["image", "copy"])
        .arg(format!("oci:{}:{image}", fixture_layout().display()))
        .arg(destination)
        .output()
        .expect("run drydock image copy")
}

// ---------------------------------------------------------------- tests

#[test]
fn gc_command_dry_run_then_collect() {
    let stores = Stores::local();
    let server = Served::start(&stores);
    let client = Client::new(&server.base);
    client.push_image("ops/app", "v1", &bytes(1, 3000)).unwrap();
    let untagged = client.push_image("ops/app", "old", &bytes(2, 4000)).unwrap();
    let untag = client
        .agent
        .delete(&client.url("/v2/ops/app/manifests/old"))
        .call()
        .unwrap();
    assert_eq!(untag.status(), 202);
    let orphan = client.push_blob("ops/app", &bytes(3, 500)).unwrap();

    let run = |extra: &[&str]| {
        let output = stores
            .command(&["registry", "gc", "--grace", "0s", "--json"])
            .args(extra)
            .args(["--data", &stores.data.path().display().to_string()])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice::<serde_json::Value>(&output.stdout).unwrap()
    };
    let planned = run(&["--dry-run"]);
    assert_eq!(planned["manifests"][0], format!("ops/app@{untagged}").as_str());
    let planned_blobs: Vec<&str> = planned["blobs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b.as_str())
        .collect();
    assert!(planned_blobs.contains(&orphan.as_str()), "{planned}");
    assert_eq!(client.head(&format!("/v2/ops/app/manifests/{untagged}")).status(), 200);
    assert_eq!(client.head(&format!("/v2/ops/app/blobs/{orphan}")).status(), 200);

    let done = run(&[]);
    assert_eq!(done["manifests"], planned["manifests"]);
    assert_eq!(done["blobs"].as_array().unwrap().len(), planned_blobs.len());
    assert_eq!(client.head(&format!("/v2/ops/app/manifests/{untagged}")).status(), 404);
    assert_eq!(client.head(&format!("/v2/ops/app/blobs/{orphan}")).status(), 404);
    client.verify_image("ops/app", "v1");

    let text = stores
        .command(&[
            "registry",
            "gc",
            "--dry-run",
            "--data",
            &stores.data.path().display().to_string(),
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("would remove 0 manifests"));
    let bad = stores
        .command(&["registry", "gc", "--grace", "1week"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("1week"));
}

#[test]
fn metrics_count_routes_bytes_and_storage() {
    let stores = Stores::local();
    let server = Served::start(&stores);
    let client = Client::new(&server.base);
    let content = bytes(4, 12_345);
    let digest = client.push_blob("ops/metrics", &content).unwrap();
    let pulled = client.get(&format!("/v2/ops/metrics/blobs/{digest}"));
    assert_eq!(pulled.status(), 200);
    assert_eq!(read_body(pulled), content);
    assert_eq!(client.get("/v2/ops/metrics/manifests/missing").status(), 404);
    let response = client.get("/metrics");
    assert_eq!(response.status(), 200);
    assert!(
        header(&response, "content-type")
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = String::from_utf8(read_body(response)).unwrap();
    let value = |prefix: &str| -> f64 {
        text.lines()
            .find(|line| line.starts_with(prefix))
            .unwrap_or_else(|| panic!("no `{prefix}` in\n{text}"))
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(
        value(r#"drydock_http_requests_total{route="/v2/{name}/manifests/{reference}",method="GET",status="404"}"#),
        1.0
    );
    assert_eq!(
        value(r#"drydock_http_requests_total{route="/v2/{name}/blobs/uploads/{id}",method="PATCH",status="202"}"#),
        1.0
    );
    assert_eq!(
        value(r#"drydock_http_request_duration_seconds_count{route="/v2/{name}/blobs/{digest}"}"#),
        1.0
    );
    assert!(value("drydock_http_received_bytes_total ") >= content.len() as f64);
    assert!(value("drydock_http_sent_bytes_total ") >= content.len() as f64);
    assert_eq!(value("drydock_storage_blob_bytes "), content.len() as f64);
    assert_eq!(value("drydock_storage_blobs "), 1.0);
    // Repository names and digests never become label values.
    assert!(!text.contains("ops/metrics"));
}

/// A single-request upload whose body is still arriving when SIGTERM comes: the upload
/// completes, the server exits 0, and the blob is there after a restart.
#[test]
fn sigterm_finishes_an_upload_in_flight() {
    let stores = Stores::local();
    let mut server = Served::start(&stores);
    let content = bytes(5, 2 * 1024 * 1024);
    let digest = sha256(&content);
    let mut stream = TcpStream::connect(server.address()).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        stream,
        "POST /v2/ops/slow/blobs/uploads/?digest={digest} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        server.address(),
        content.len()
    )
    .unwrap();
    let (first, rest) = content.split_at(content.len() / 4);
    stream.write_all(first).unwrap();
    stream.flush().unwrap();
    // The request is in flight: the server has read the first quarter of its body.
    wait_for_received_bytes(&server, first.len());
    server.terminate();
    for piece in rest.chunks(256 * 1024) {
        std::thread::sleep(Duration::from_millis(50));
        stream.write_all(piece).unwrap();
    }
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buffer).unwrap();
        assert!(n > 0, "connection closed before an answer");
        answer.extend_from_slice(&buffer[..n]);
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    drop(stream);
    let status = server.wait();
    assert!(status.success(), "drydock serve exited with {status}");
    let restarted = Served::start(&stores);
    let client = Client::new(&restarted.base);
    let response = client.get(&format!("/v2/ops/slow/blobs/{digest}"));
    assert_eq!(response.status(), 200);
    assert_eq!(sha256(&read_body(response)), digest);
}

/// Waits until the server has received at least `at_least` request body bytes, read from
/// its own `/metrics`.
fn wait_for_received_bytes(server: &Served, at_least: usize) {
    let client = Client::new(&server.base);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = String::from_utf8(read_body(client.get("/metrics"))).unwrap();
        let received: f64 = text
            .lines()
            .find_map(|l| l.strip_prefix("drydock_http_received_bytes_total "))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0);
        if received >= at_least as f64 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the server never read the upload's first bytes"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn two_replicas_share_postgres_and_s3() {
    let stores = Stores::shared();
    let a = Served::start(&stores);
    let b = Served::start(&stores);
    let (on_a, on_b) = (Client::new(&a.base), Client::new(&b.base));
    // drydock's own client pushes to one replica; the other serves it.
    let copied = copy_fixture("debian-min", &format!("{}/ops/debian:1", a.address()));
    assert!(copied.status.success(), "{}", String::from_utf8_lossy(&copied.stderr));
    on_b.verify_image("ops/debian", "1");
    on_a.push_image("ops/app", "v1", &bytes(6, 70_000)).unwrap();
    on_b.verify_image("ops/app", "v1");
    // An upload session started on one replica, continued and finished on the other.
    let content = bytes(7, 3 * 1024 * 1024);
    let (first, second) = content.split_at(1024 * 1024 + 3);
    let location = on_a.start_upload("ops/shared").unwrap();
    let location = on_b.patch(&location, 0, first).unwrap();
    let status = on_a.get(&location);
    assert_eq!(status.status(), 204);
    assert_eq!(header(&status, "range").unwrap(), format!("0-{}", first.len() - 1));
    let location = on_a.patch(&location, first.len(), second).unwrap();
    let digest = sha256(&content);
    on_b.finish(&location, &digest).unwrap();
    let pulled = on_a.get(&format!("/v2/ops/shared/blobs/{digest}"));
    assert_eq!(sha256(&read_body(pulled)), digest);
    // A tag moved on one replica is seen by the other at once.
    on_b.push_image("ops/app", "v1", &bytes(8, 1000)).unwrap();
    let on_a_now = on_a.get("/v2/ops/app/manifests/v1");
    let on_b_now = on_b.get("/v2/ops/app/manifests/v1");
    assert_eq!(
        header(&on_a_now, "docker-content-digest"),
        header(&on_b_now, "docker-content-digest")
    );
}

#[test]
fn kill_9_during_concurrent_pushes_sqlite_and_filesystem() {
    durability(Stores::local());
}

#[test]
fn kill_9_during_concurrent_pushes_postgres_and_s3() {
    durability(Stores::shared());
}

/// Many pushes at once (drydock's own client copying fixture images, and chunked uploads of
/// larger blobs), `kill -9` while they run, restart on the same stores: everything served
/// verifies, blobs being uploaded are absent or whole, and every push retried succeeds.
fn durability(stores: Stores) {
    let mut server = Served::start(&stores);
    let base = server.base.clone();
    let address = server.address().to_string();
    let pushers = 3u64;
    let (progress_tx, progress) = mpsc::channel::<()>();
    let chunked: Vec<_> = (0..pushers)
        .map(|worker| {
            let base = base.clone();
            let progress_tx = progress_tx.clone();
            std::thread::spawn(move || {
                let client = Client::new(&base);
                let mut attempted = Vec::new();
                for n in 0..4u64 {
                    let layer = bytes(100 + worker * 10 + n, 3 * 512 * 1024);
                    attempted.push((format!("ops/chunked{worker}"), format!("t{n}"), layer.clone()));
                    if chunked_push(
                        &client,
                        &format!("ops/chunked{worker}"),
                        &format!("t{n}"),
                        &layer,
                        &progress_tx,
                    )
                    .is_err()
                    {
                        break;
                    }
                }
                attempted
            })
        })
        .collect();
    let copies: Vec<_> = FIXTURE_IMAGES
        .iter()
        .map(|image| {
            let destination = format!("{address}/ops/fixture-{image}:1");
            let image = image.to_string();
            std::thread::spawn(move || {
                let _ = copy_fixture(&image, &destination);
                (image, destination)
            })
        })
        .collect();
    // Kill while chunked uploads are under way: after a few chunks have landed.
    for _ in 0..4 {
        progress
            .recv_timeout(Duration::from_secs(60))
            .expect("pushes make progress");
    }
    server.kill_9();
    let attempted: Vec<(String, String, Vec<u8>)> = chunked.into_iter().flat_map(|t| t.join().unwrap()).collect();
    let copied: Vec<(String, String)> = copies.into_iter().map(|t| t.join().unwrap()).collect();

    let restarted = Served::start(&stores);
    let client = Client::new(&restarted.base);
    client.verify_everything();
    for (repo, _, layer) in &attempted {
        client.absent_or_whole(repo, &sha256(layer));
    }
    // Every interrupted push, retried, succeeds.
    let address = restarted.address().to_string();
    for (repo, tag, layer) in &attempted {
        client.push_image(repo, tag, layer).unwrap();
        client.verify_image(repo, tag);
    }
    for (image, destination) in &copied {
        let destination = destination.replace(destination.split('/').next().unwrap(), &address);
        let output = copy_fixture(image, &destination);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    }
    assert!(client.verify_everything() >= attempted.len() + copied.len());
    drop(restarted);
    drop(stores);
}

/// A push in 512 KiB chunks, saying after each chunk that it made progress.
fn chunked_push(
    client: &Client,
    repo: &str,
    tag: &str,
    layer: &[u8],
    progress: &mpsc::Sender<()>,
) -> Result<(), String> {
    let config = format!(r#"{{"os":"linux","architecture":"amd64","layer":"{}"}}"#, sha256(layer));
    let config_digest = client.push_blob(repo, config.as_bytes())?;
    let mut location = client.start_upload(repo)?;
    let mut start = 0;
    for chunk in layer.chunks(512 * 1024) {
        location = client.patch(&location, start, chunk)?;
        start += chunk.len();
        let _ = progress.send(());
    }
    let layer_digest = sha256(layer);
    client.finish(&location, &layer_digest)?;
    client.put_manifest(
        repo,
        tag,
        &manifest(&config_digest, config.len(), &layer_digest, layer.len()),
    )
}
