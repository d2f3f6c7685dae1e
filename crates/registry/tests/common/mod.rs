//! A real registry for a test: served over loopback HTTP from a thread with its own tokio
//! runtime, with its metadata in a fresh SQLite file or a fresh PostgreSQL database.

#![allow(dead_code)]

use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use drydock_registry::meta::Metadata;
use drydock_registry::storage::BlobStore;
use drydock_registry::{Limits, Registry};
use sha2::Digest as _;

pub use ureq::http::Response;

#[path = "../shared/postgres.rs"]
mod postgres;
use postgres::{drop_postgres_database, fresh_postgres_database};

#[derive(Debug, Clone, Copy)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub struct Server {
    pub base: String,
    pub agent: ureq::Agent,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Server {
    pub fn start(db: Db) -> Server {
        Self::start_with(db, Limits::default())
    }

    pub fn start_with(db: Db, limits: Limits) -> Server {
        Self::start_custom(db, limits, |registry| registry)
    }

    /// A server whose registry `customize` adjusts (authorizer, event sink).
    pub fn start_custom(
        db: Db,
        limits: Limits,
        customize: impl FnOnce(Registry) -> Registry + Send + 'static,
    ) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let blob_dir = dir.path().join("blobs");
        let sqlite_url = format!("sqlite://{}?mode=rwc", dir.path().join("metadata.db").display());
        let (address_tx, address_rx) = std::sync::mpsc::channel();
        let (shutdown, shutdown_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async move {
                let (url, cleanup) = match db {
                    Db::Sqlite => (sqlite_url, None),
                    Db::Postgres => {
                        let (url, name) = fresh_postgres_database().await;
                        (url, Some(name))
                    }
                };
                let meta = Metadata::connect(&url)
                    .await
                    .expect("connecting to the metadata database");
                let blobs = BlobStore::local(&blob_dir).unwrap();
                let registry = Arc::new(customize(Registry::new(meta, blobs, limits)));
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                address_tx.send(listener.local_addr().unwrap()).unwrap();
                let stop = async {
                    let _ = shutdown_rx.await;
                };
                drydock_registry::server::serve(registry, listener, None, stop)
                    .await
                    .unwrap();
                if let Some(name) = cleanup {
                    drop_postgres_database(&name).await;
                }
            });
        });
        let address = address_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the test registry did not start");
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build();
        Server {
            base: format!("http://{address}"),
            agent: ureq::Agent::new_with_config(config),
            shutdown: Some(shutdown),
            thread: Some(thread),
            _dir: dir,
        }
    }

    pub fn address(&self) -> &str {
        self.base.trim_start_matches("http://")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Pushes a blob with POST + PUT; returns its digest.
    pub fn push_blob(&self, repo: &str, content: &[u8]) -> String {
        let digest = sha256(content);
        let location = self.start_upload(repo);
        let response = self
            .agent
            .put(&format!("{}{}digest={digest}", self.base, with_query(&location)))
            .header("Content-Type", "application/octet-stream")
            .send(content)
            .unwrap();
        assert_eq!(response.status(), 201, "pushing blob {digest}");
        digest
    }

    /// Starts an upload session and returns its Location.
    pub fn start_upload(&self, repo: &str) -> String {
        let response = self
            .agent
            .post(&self.url(&format!("/v2/{repo}/blobs/uploads/")))
            .send_empty()
            .unwrap();
        assert_eq!(response.status(), 202);
        header(&response, "location").unwrap()
    }

    /// Pushes a manifest; returns the response.
    pub fn put_manifest(&self, repo: &str, reference: &str, media_type: &str, body: &[u8]) -> Response<ureq::Body> {
        self.agent
            .put(&self.url(&format!("/v2/{repo}/manifests/{reference}")))
            .header("Content-Type", media_type)
            .send(body)
            .unwrap()
    }

    /// Pushes a config and one layer and an OCI manifest naming them, tagged `tag`.
    pub fn push_image(&self, repo: &str, tag: &str, layer: &[u8]) -> (String, Vec<u8>) {
        let config = self.push_blob(repo, br#"{"architecture":"amd64","os":"linux"}"#);
        let layer_digest = self.push_blob(repo, layer);
        let manifest = image_manifest(&config, 38, &layer_digest, layer.len(), "");
        let response = self.put_manifest(repo, tag, OCI_MANIFEST, &manifest);
        assert_eq!(response.status(), 201);
        (sha256(&manifest), manifest)
    }

    pub fn get(&self, path: &str) -> Response<ureq::Body> {
        self.agent.get(&self.url(path)).call().unwrap()
    }
}

impl Server {
    /// Asks the server to stop (as SIGTERM does) without waiting for it.
    pub fn begin_shutdown(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }

    /// Waits until the server has stopped.
    pub fn wait_stopped(mut self) {
        if let Some(thread) = self.thread.take() {
            thread.join().expect("the server thread ended cleanly");
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

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";

pub fn image_manifest(config: &str, config_size: usize, layer: &str, layer_size: usize, extra: &str) -> Vec<u8> {
    format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config}","size":{config_size}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer}","size":{layer_size}}}]{extra}}}"#
    )
    .into_bytes()
}

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

pub fn header(response: &Response<ureq::Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// `location` with `?` or `&` appended, ready for another query parameter.
pub fn with_query(location: &str) -> String {
    if location.contains('?') {
        format!("{location}&")
    } else {
        format!("{location}?")
    }
}

pub fn body(response: Response<ureq::Body>) -> Vec<u8> {
    response.into_body().read_to_vec().unwrap()
}

pub fn json(response: Response<ureq::Body>) -> serde_json::Value {
    serde_json::from_slice(&body(response)).unwrap()
}

/// The error code of an error response, checking its JSON shape.
pub fn error_code(response: Response<ureq::Body>) -> String {
    let value = json(response);
    let errors = value["errors"].as_array().expect("errors array");
    assert!(errors[0]["message"].is_string());
    errors[0]["code"].as_str().expect("code").to_string()
}

/// Runs each named test function once per metadata backend.
#[macro_export]
macro_rules! on_both_databases {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $( #[test] fn $test() { super::$test($crate::common::Db::Sqlite) } )*
        }
        mod postgres {
            $( #[test] fn $test() { super::$test($crate::common::Db::Postgres) } )*
        }
    };
}
