//! Stores for the operations tests: metadata in SQLite or a fresh PostgreSQL database, blobs
//! in a directory or in a bucket of a real S3-compatible server (`s3s-fs`, started here on a
//! loopback port and stopped on drop), and a registry served over them.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use drydock_registry::meta::Metadata;
use drydock_registry::s3::{S3Settings, Secret};
use drydock_registry::storage::BlobStore;
use drydock_registry::{Limits, Registry};
use sha2::Digest as _;

#[path = "../shared/postgres.rs"]
mod postgres;
use postgres::{drop_postgres_database, fresh_postgres_database};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blobs {
    Fs,
    S3,
}

/// A `s3s-fs` server on a loopback port, killed on drop.
pub struct S3Server {
    pub endpoint: String,
    child: Child,
    _root: tempfile::TempDir,
}

pub const S3_ACCESS_KEY: &str = "drydock-test";
pub const S3_SECRET_KEY: &str = "drydock-test-secret";
pub const S3_BUCKET: &str = "registry";

fn s3s_fs() -> PathBuf {
    if let Some(path) = std::env::var_os("DRYDOCK_TEST_S3S_FS") {
        return PathBuf::from(path);
    }
    let in_cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .map(|home| home.join("bin/s3s-fs"));
    match in_cargo_home {
        Some(path) if path.exists() => path,
        _ => PathBuf::from("s3s-fs"),
    }
}

impl S3Server {
    pub fn start() -> S3Server {
        let root = tempfile::tempdir().unwrap();
        // s3s-fs serves each top-level directory of its root as a bucket.
        std::fs::create_dir(root.path().join(S3_BUCKET)).unwrap();
        let port = free_port();
        let child = Command::new(s3s_fs())
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--access-key", S3_ACCESS_KEY, "--secret-key", S3_SECRET_KEY])
            .arg(root.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start s3s-fs ({e}): run scripts/test.sh, which installs it (cargo install s3s-fs)")
            });
        let server = S3Server {
            endpoint: format!("http://127.0.0.1:{port}"),
            child,
            _root: root,
        };
        wait_for_port(port);
        server
    }

    pub fn settings(&self) -> S3Settings {
        S3Settings {
            endpoint: self.endpoint.clone(),
            bucket: S3_BUCKET.to_string(),
            region: "us-east-1".to_string(),
            access_key_id: S3_ACCESS_KEY.to_string(),
            secret_access_key: Secret::new(S3_SECRET_KEY),
            allow_http: true,
            ca_file: None,
            virtual_hosted: false,
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub fn wait_for_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on port {port} after 20 s");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A metadata database and a blob store, shared by every registry opened on them.
pub struct Stores {
    pub db: Db,
    pub blobs: Blobs,
    pub database_url: String,
    pub blob_dir: PathBuf,
    pub s3: Option<S3Server>,
    postgres_name: Option<String>,
    pub dir: tempfile::TempDir,
}

impl Stores {
    pub fn new(db: Db, blobs: Blobs) -> Stores {
        let dir = tempfile::tempdir().unwrap();
        let (database_url, postgres_name) = match db {
            Db::Sqlite => (
                format!("sqlite://{}?mode=rwc", dir.path().join("metadata.db").display()),
                None,
            ),
            Db::Postgres => {
                let (url, name) = block_on(fresh_postgres_database());
                (url, Some(name))
            }
        };
        let s3 = (blobs == Blobs::S3).then(S3Server::start);
        Stores {
            db,
            blobs,
            database_url,
            blob_dir: dir.path().join("blobs"),
            s3,
            postgres_name,
            dir,
        }
    }

    pub fn blob_store(&self) -> BlobStore {
        match &self.s3 {
            Some(s3) => BlobStore::new(Arc::new(s3.settings().build().unwrap())),
            None => BlobStore::local(&self.blob_dir).unwrap(),
        }
    }

    /// A registry over the stores (call inside a tokio runtime).
    pub async fn open(&self) -> Registry {
        let meta = Metadata::connect(&self.database_url)
            .await
            .expect("connecting to the metadata database");
        Registry::new(meta, self.blob_store(), Limits::default())
    }

    /// Runs `f` on a registry over the stores, in a runtime of its own.
    pub fn with_registry<T>(&self, f: impl AsyncFnOnce(&Registry) -> T) -> T {
        block_on(async {
            let registry = self.open().await;
            let result = f(&registry).await;
            registry.meta.close().await;
            result
        })
    }

    /// Flags and environment for `drydock serve` on these stores.
    pub fn serve_args(&self) -> (Vec<String>, Vec<(String, String)>) {
        let mut args = vec![
            "--data".to_string(),
            self.dir.path().display().to_string(),
            "--database-url".to_string(),
            self.database_url.clone(),
        ];
        let mut env = Vec::new();
        if let Some(s3) = &self.s3 {
            args.extend([
                "--s3-endpoint".to_string(),
                s3.endpoint.clone(),
                "--s3-bucket".to_string(),
                S3_BUCKET.to_string(),
                "--s3-access-key-id".to_string(),
                S3_ACCESS_KEY.to_string(),
                "--s3-allow-http".to_string(),
            ]);
            env.push((
                "DRYDOCK_REGISTRY_S3_SECRET_ACCESS_KEY".to_string(),
                S3_SECRET_KEY.to_string(),
            ));
        }
        (args, env)
    }
}

impl Drop for Stores {
    fn drop(&mut self) {
        if let Some(name) = self.postgres_name.take() {
            block_on(drop_postgres_database(&name));
        }
    }
}

pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(future)
}

/// A registry served over loopback HTTP from a thread with its own runtime.
pub struct Server {
    pub base: String,
    pub agent: ureq::Agent,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    pub fn start(stores: &Stores) -> Server {
        let database_url = stores.database_url.clone();
        let blobs = stores.blob_store();
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        let (shutdown, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let meta = Metadata::connect(&database_url).await.unwrap();
                let registry = Arc::new(Registry::new(meta, blobs, Limits::default()));
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                address_tx.send(listener.local_addr().unwrap()).unwrap();
                let stop = async {
                    let _ = shutdown_rx.await;
                };
                drydock_registry::server::serve(registry, listener, None, stop)
                    .await
                    .unwrap();
            });
        });
        let address = address_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the test registry did not start");
        Server {
            base: format!("http://{address}"),
            agent: agent(),
            shutdown: Some(shutdown),
            thread: Some(thread),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

pub fn agent() -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build();
    ureq::Agent::new_with_config(config)
}

/// A client of one registry base URL.
#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub agent: ureq::Agent,
}

pub type Response = ureq::http::Response<ureq::Body>;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

impl Client {
    pub fn new(base: &str) -> Client {
        Client {
            base: base.to_string(),
            agent: agent(),
        }
    }

    pub fn of(server: &Server) -> Client {
        Client::new(&server.base)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn get(&self, path: &str) -> Response {
        self.agent.get(&self.url(path)).call().unwrap()
    }

    pub fn head(&self, path: &str) -> Response {
        self.agent.head(&self.url(path)).call().unwrap()
    }

    /// Starts an upload session; returns its Location as an absolute URL.
    pub fn start_upload(&self, repo: &str) -> String {
        let response = self
            .agent
            .post(&self.url(&format!("/v2/{repo}/blobs/uploads/")))
            .send_empty()
            .unwrap();
        assert_eq!(response.status(), 202, "starting an upload in {repo}");
        self.absolute(&header(&response, "location").unwrap())
    }

    pub fn absolute(&self, location: &str) -> String {
        if location.starts_with("http") {
            location.to_string()
        } else {
            self.url(location)
        }
    }

    /// Pushes a blob with POST + PUT; returns its digest.
    pub fn push_blob(&self, repo: &str, content: &[u8]) -> String {
        let digest = sha256(content);
        let location = self.start_upload(repo);
        let response = self
            .agent
            .put(&format!("{}digest={digest}", with_query(&location)))
            .header("Content-Type", "application/octet-stream")
            .send(content)
            .unwrap();
        assert_eq!(response.status(), 201, "pushing blob {digest}");
        digest
    }

    /// Sends one PATCH chunk at `start`; returns the response.
    pub fn patch(&self, location: &str, start: usize, chunk: &[u8]) -> Response {
        self.agent
            .patch(location)
            .header("Content-Type", "application/octet-stream")
            .header("Content-Range", &format!("{start}-{}", start + chunk.len() - 1))
            .send(chunk)
            .unwrap()
    }

    pub fn put_manifest(&self, repo: &str, reference: &str, media_type: &str, body: &[u8]) -> Response {
        self.agent
            .put(&self.url(&format!("/v2/{repo}/manifests/{reference}")))
            .header("Content-Type", media_type)
            .send(body)
            .unwrap()
    }

    /// Pushes a config and one layer and a manifest naming them at `reference`; returns the
    /// manifest's digest and bytes.
    pub fn push_image(&self, repo: &str, reference: &str, layer: &[u8], extra: &str) -> (String, Vec<u8>) {
        let config_bytes = format!(
            r#"{{"architecture":"amd64","os":"linux","rootfs":"{}"}}"#,
            sha256(layer)
        );
        let config = self.push_blob(repo, config_bytes.as_bytes());
        let layer_digest = self.push_blob(repo, layer);
        let manifest = image_manifest(&config, config_bytes.len(), &layer_digest, layer.len(), extra);
        let response = self.put_manifest(repo, reference, OCI_MANIFEST, &manifest);
        assert_eq!(response.status(), 201, "pushing manifest {repo}:{reference}");
        (sha256(&manifest), manifest)
    }

    /// Fetches `repo:reference` and every blob it names, checking each digest. Returns the
    /// number of blobs verified.
    pub fn verify_image(&self, repo: &str, reference: &str) -> usize {
        let response = self
            .agent
            .get(&self.url(&format!("/v2/{repo}/manifests/{reference}")))
            .header("Accept", OCI_MANIFEST)
            .header("Accept", OCI_INDEX)
            .call()
            .unwrap();
        assert_eq!(response.status(), 200, "manifest {repo}:{reference}");
        let digest = header(&response, "docker-content-digest").unwrap();
        let manifest = body(response);
        assert_eq!(sha256(&manifest), digest, "manifest {repo}:{reference} digest");
        let value: serde_json::Value = serde_json::from_slice(&manifest).unwrap();
        let mut blobs: Vec<String> = vec![value["config"]["digest"].as_str().unwrap().to_string()];
        for layer in value["layers"].as_array().unwrap() {
            blobs.push(layer["digest"].as_str().unwrap().to_string());
        }
        for blob in &blobs {
            let response = self.get(&format!("/v2/{repo}/blobs/{blob}"));
            assert_eq!(response.status(), 200, "blob {blob} of {repo}:{reference}");
            assert_eq!(
                &sha256(&body(response)),
                blob,
                "blob {blob} of {repo}:{reference} verifies"
            );
        }
        blobs.len()
    }
}

pub fn image_manifest(config: &str, config_size: usize, layer: &str, layer_size: usize, extra: &str) -> Vec<u8> {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config}","size":{config_size}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer}","size":{layer_size}}}]{extra}}}"#
    )
    .into_bytes()
}

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

pub fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

pub fn with_query(location: &str) -> String {
    if location.contains('?') {
        format!("{location}&")
    } else {
        format!("{location}?")
    }
}

pub fn body(response: Response) -> Vec<u8> {
    response.into_body().with_config().limit(1 << 30).read_to_vec().unwrap()
}

/// Deterministic bytes that differ per seed.
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
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

/// Runs SQL on the stores' database (tests backdate rows with it).
pub fn execute(stores: &Stores, sql: &str) {
    block_on(async {
        sqlx::any::install_default_drivers();
        let mut connection = <sqlx::AnyConnection as sqlx::Connection>::connect(&stores.database_url)
            .await
            .unwrap();
        sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .execute(&mut connection)
            .await
            .unwrap();
    });
}

/// Whether a path exists below a directory (for checking the filesystem store).
pub fn exists_below(dir: &Path, relative: &str) -> bool {
    dir.join(relative).exists()
}

/// Runs each named test function once per metadata backend and blob backend.
#[macro_export]
macro_rules! on_every_backend {
    ($($test:ident),* $(,)?) => {
        mod sqlite_fs {
            $( #[test] fn $test() { super::$test($crate::support::Db::Sqlite, $crate::support::Blobs::Fs) } )*
        }
        mod sqlite_s3 {
            $( #[test] fn $test() { super::$test($crate::support::Db::Sqlite, $crate::support::Blobs::S3) } )*
        }
        mod postgres_fs {
            $( #[test] fn $test() { super::$test($crate::support::Db::Postgres, $crate::support::Blobs::Fs) } )*
        }
        mod postgres_s3 {
            $( #[test] fn $test() { super::$test($crate::support::Db::Postgres, $crate::support::Blobs::S3) } )*
        }
    };
}
