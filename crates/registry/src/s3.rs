//! Blobs in an S3-compatible object store: settings and the HTTP client `object_store` uses.
//!
//! `object_store`'s own client is reqwest with aws-lc-rs, a second TLS stack and a long C
//! build beside the ring-based rustls the server already has. So the S3 backend is built from
//! `object_store`'s `aws-base` (signing with ring) and [`HyperConnector`], a hyper client over
//! plain TCP or tokio-rustls. Roots of trust: the public web PKI (webpki-roots) plus an
//! optional PEM file for a private CA.
//!
//! The secret access key comes from the environment or a file, never from a flag or the
//! configuration file itself, and is never printed: [`Secret`]'s `Debug` hides it.

use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http_body_util::BodyExt;
use hyper::Uri;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection};
use hyper_util::rt::{TokioExecutor, TokioIo};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::client::{
    ClientOptions, HttpClient, HttpError, HttpErrorKind, HttpRequest, HttpRequestBody, HttpResponse, HttpResponseBody,
    HttpService,
};
use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::error::{Error, Result};

/// How long connecting (TCP and TLS) to the store may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the store may take to answer a request with its status and headers.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(120);

/// A secret string; `Debug` prints `***`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// The `[s3]` table of the configuration file, or `DRYDOCK_REGISTRY_S3_*` variables, or
/// `--s3-*` flags: one layer, unset fields leave the layer below in force.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct S3Config {
    /// `https://s3.example.net` or, with `allow_http`, `http://127.0.0.1:3900`.
    pub endpoint: Option<String>,
    pub bucket: Option<String>,
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    /// A file whose content (trimmed) is the secret access key.
    pub secret_access_key_file: Option<PathBuf>,
    /// Allow a plain-HTTP endpoint (loopback tests, a store on the same host).
    pub allow_http: Option<bool>,
    /// A PEM file of extra trusted CA certificates (a private CA).
    pub ca_file: Option<PathBuf>,
    /// Virtual-hosted style URLs (`bucket.endpoint`) instead of path style.
    pub virtual_hosted: Option<bool>,
    /// Only from the environment (`DRYDOCK_REGISTRY_S3_SECRET_ACCESS_KEY`), never a file field.
    #[serde(skip)]
    pub secret_access_key: Option<Secret>,
    /// A secret written into the file itself: refused by [`S3Config::resolve`] with a message
    /// that does not repeat it (a TOML "unknown field" error would quote the line).
    #[serde(rename = "secret_access_key", default)]
    pub secret_in_file: Option<Secret>,
}

impl S3Config {
    /// Reads `DRYDOCK_REGISTRY_S3_ENDPOINT`, `_BUCKET`, `_REGION`, `_ACCESS_KEY_ID`,
    /// `_SECRET_ACCESS_KEY`, `_SECRET_ACCESS_KEY_FILE`, `_ALLOW_HTTP`, `_CA_FILE`,
    /// `_VIRTUAL_HOSTED` through `var`.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |key: &str| var(&format!("DRYDOCK_REGISTRY_S3_{key}")).filter(|v| !v.is_empty());
        Ok(S3Config {
            endpoint: get("ENDPOINT"),
            bucket: get("BUCKET"),
            region: get("REGION"),
            access_key_id: get("ACCESS_KEY_ID"),
            secret_access_key_file: get("SECRET_ACCESS_KEY_FILE").map(PathBuf::from),
            allow_http: get("ALLOW_HTTP")
                .map(|v| parse_bool("DRYDOCK_REGISTRY_S3_ALLOW_HTTP", &v))
                .transpose()?,
            ca_file: get("CA_FILE").map(PathBuf::from),
            virtual_hosted: get("VIRTUAL_HOSTED")
                .map(|v| parse_bool("DRYDOCK_REGISTRY_S3_VIRTUAL_HOSTED", &v))
                .transpose()?,
            secret_access_key: get("SECRET_ACCESS_KEY").map(Secret::new),
            secret_in_file: None,
        })
    }

    /// Whether any S3 setting is present (then blobs go to S3).
    pub fn is_set(&self) -> bool {
        *self != S3Config::default()
    }

    /// This layer with `over`'s set fields on top.
    pub fn overridden_by(self, over: S3Config) -> S3Config {
        S3Config {
            endpoint: over.endpoint.or(self.endpoint),
            bucket: over.bucket.or(self.bucket),
            region: over.region.or(self.region),
            access_key_id: over.access_key_id.or(self.access_key_id),
            secret_access_key_file: over.secret_access_key_file.or(self.secret_access_key_file),
            allow_http: over.allow_http.or(self.allow_http),
            ca_file: over.ca_file.or(self.ca_file),
            virtual_hosted: over.virtual_hosted.or(self.virtual_hosted),
            secret_access_key: over.secret_access_key.or(self.secret_access_key),
            secret_in_file: over.secret_in_file.or(self.secret_in_file),
        }
    }

    /// Final settings: the bucket, the credentials and an endpoint are required; the secret
    /// is read from its file here when it did not come from the environment.
    pub fn resolve(self) -> Result<S3Settings> {
        let missing = |what: &str| {
            Error::Config(format!(
                "S3 blob storage needs {what} (s3.{what} in the file, DRYDOCK_REGISTRY_S3_{} in the environment)",
                what.to_uppercase()
            ))
        };
        if self.secret_in_file.is_some() {
            return Err(Error::Config(
                "s3.secret_access_key must not be written in the configuration file: use \
                 s3.secret_access_key_file or DRYDOCK_REGISTRY_S3_SECRET_ACCESS_KEY"
                    .into(),
            ));
        }
        let endpoint = self.endpoint.ok_or_else(|| missing("endpoint"))?;
        let bucket = self.bucket.ok_or_else(|| missing("bucket"))?;
        let access_key_id = self.access_key_id.ok_or_else(|| missing("access_key_id"))?;
        let secret_access_key = match (self.secret_access_key, self.secret_access_key_file) {
            (Some(secret), _) => secret,
            (None, Some(file)) => read_secret(&file)?,
            (None, None) => return Err(missing("secret_access_key_file")),
        };
        let allow_http = self.allow_http.unwrap_or(false);
        if endpoint.starts_with("http://") && !allow_http {
            return Err(Error::Config(format!(
                "S3 endpoint {endpoint} is plain HTTP: set s3.allow_http = true to allow it"
            )));
        }
        if !endpoint.starts_with("http://") && !endpoint.starts_with("https://") {
            return Err(Error::Config(format!(
                "S3 endpoint `{endpoint}` must start with https:// (or http:// with allow_http)"
            )));
        }
        Ok(S3Settings {
            endpoint,
            bucket,
            region: self.region.unwrap_or_else(|| "us-east-1".to_string()),
            access_key_id,
            secret_access_key,
            allow_http,
            ca_file: self.ca_file,
            virtual_hosted: self.virtual_hosted.unwrap_or(false),
        })
    }
}

fn parse_bool(name: &str, value: &str) -> Result<bool> {
    match value {
        "1" | "true" | "yes" => Ok(true),
        "0" | "false" | "no" => Ok(false),
        _ => Err(Error::Config(format!("{name} `{value}` is not true or false"))),
    }
}

fn read_secret(path: &Path) -> Result<Secret> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::io(format!("reading the S3 secret access key file {}", path.display()), e))?;
    let secret = text.trim();
    if secret.is_empty() {
        return Err(Error::Config(format!(
            "the S3 secret access key file {} is empty",
            path.display()
        )));
    }
    Ok(Secret::new(secret))
}

/// Resolved S3 settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Settings {
    pub endpoint: String,
    pub bucket: String,
    pub region: String,
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub allow_http: bool,
    pub ca_file: Option<PathBuf>,
    pub virtual_hosted: bool,
}

impl S3Settings {
    /// An `object_store` client for the bucket.
    pub fn build(&self) -> Result<AmazonS3> {
        let connector = HyperConnector::new(self.allow_http, self.ca_file.as_deref())?;
        let store = AmazonS3Builder::new()
            .with_endpoint(&self.endpoint)
            .with_bucket_name(&self.bucket)
            .with_region(&self.region)
            .with_access_key_id(&self.access_key_id)
            .with_secret_access_key(self.secret_access_key.expose())
            .with_allow_http(self.allow_http)
            .with_virtual_hosted_style_request(self.virtual_hosted)
            .with_http_connector(connector)
            .build()?;
        Ok(store)
    }

    /// Where blobs go, for the startup line.
    pub fn describe(&self) -> String {
        format!("s3 {}/{}", self.endpoint.trim_end_matches('/'), self.bucket)
    }
}

/// `object_store`'s HTTP client: hyper over TCP, or over rustls for `https`.
#[derive(Debug, Clone)]
pub struct HyperConnector {
    allow_http: bool,
    tls: Arc<rustls::ClientConfig>,
}

impl HyperConnector {
    pub fn new(allow_http: bool, ca_file: Option<&Path>) -> Result<Self> {
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Some(path) = ca_file {
            let certs = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
                .map_err(|e| Error::Tls(format!("reading CA certificates from {}: {e}", path.display())))?;
            for cert in certs {
                roots
                    .add(cert)
                    .map_err(|e| Error::Tls(format!("a CA certificate in {}: {e}", path.display())))?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| Error::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(HyperConnector {
            allow_http,
            tls: Arc::new(tls),
        })
    }
}

impl object_store::client::HttpConnector for HyperConnector {
    fn connect(&self, _options: &ClientOptions) -> object_store::Result<HttpClient> {
        let connect = Connect {
            allow_http: self.allow_http,
            tls: TlsConnector::from(self.tls.clone()),
        };
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(connect);
        Ok(HttpClient::new(HyperService { client }))
    }
}

#[derive(Debug)]
struct HyperService {
    client: Client<Connect, HttpRequestBody>,
}

#[async_trait::async_trait]
impl HttpService for HyperService {
    async fn call(&self, request: HttpRequest) -> Result<HttpResponse, HttpError> {
        let response = tokio::time::timeout(RESPONSE_TIMEOUT, self.client.request(request))
            .await
            .map_err(|_| HttpError::new(HttpErrorKind::Timeout, TimedOut("the S3 store did not answer")))?
            .map_err(|e| {
                let kind = if e.is_connect() {
                    HttpErrorKind::Connect
                } else {
                    HttpErrorKind::Request
                };
                HttpError::new(kind, e)
            })?;
        let (parts, body) = response.into_parts();
        let body = body.map_err(|e| HttpError::new(HttpErrorKind::Interrupted, e));
        Ok(HttpResponse::from_parts(parts, HttpResponseBody::new(body)))
    }
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct TimedOut(&'static str);

/// Opens TCP connections, wrapped in TLS for `https`.
#[derive(Clone)]
struct Connect {
    allow_http: bool,
    tls: TlsConnector,
}

impl std::fmt::Debug for Connect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connect").field("allow_http", &self.allow_http).finish()
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl tower_service::Service<Uri> for Connect {
    type Response = Io;
    type Error = BoxError;
    type Future = Pin<Box<dyn std::future::Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move {
            tokio::time::timeout(CONNECT_TIMEOUT, this.open(uri))
                .await
                .map_err(|_| BoxError::from("connecting to the S3 store timed out"))?
        })
    }
}

impl Connect {
    async fn open(self, uri: Uri) -> Result<Io, BoxError> {
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") if self.allow_http => false,
            _ => return Err(format!("S3 URL scheme of {uri} is not allowed").into()),
        };
        let host = uri.host().ok_or("S3 URL without a host")?.to_string();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let host_for_dial = host.trim_start_matches('[').trim_end_matches(']');
        let tcp = TcpStream::connect((host_for_dial, port)).await?;
        tcp.set_nodelay(true)?;
        if !https {
            return Ok(Io(TokioIo::new(Stream::Plain(tcp))));
        }
        let name = rustls_pki_types::ServerName::try_from(host_for_dial.to_string())?;
        let tls = self.tls.connect(name, tcp).await?;
        Ok(Io(TokioIo::new(Stream::Tls(Box::new(tls)))))
    }
}

/// A connection to the store.
enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

/// A connection as hyper sees it.
struct Io(TokioIo<Stream>);

impl Connection for Io {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl hyper::rt::Read for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for Io {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().0).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().0).poll_shutdown(cx)
    }
}

impl tokio::io::AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl tokio::io::AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> S3Config {
        S3Config {
            endpoint: Some("http://127.0.0.1:9000".into()),
            bucket: Some("blobs".into()),
            access_key_id: Some("id".into()),
            secret_access_key: Some(Secret::new("hunter2")),
            ..S3Config::default()
        }
    }

    #[test]
    fn plain_http_needs_allow_http() {
        let error = base().resolve().unwrap_err().to_string();
        assert!(error.contains("allow_http"), "{error}");
        let allowed = S3Config {
            allow_http: Some(true),
            ..base()
        };
        assert_eq!(allowed.resolve().unwrap().region, "us-east-1");
    }

    #[test]
    fn file_table_parses_and_refuses_an_inline_secret() {
        let config: crate::Config =
            toml::from_str("[s3]\nendpoint = \"https://s3.example.net\"\nbucket = \"b\"\nallow_http = false").unwrap();
        assert_eq!(config.s3.bucket.as_deref(), Some("b"));
        let inline: crate::Config = toml::from_str("[s3]\nsecret_access_key = \"hunter2\"").unwrap();
        let error = inline.resolve("/d".into()).unwrap_err().to_string();
        assert!(error.contains("secret_access_key"), "{error}");
        assert!(!error.contains("hunter2"), "{error}");
    }

    #[test]
    fn secret_never_printed() {
        let settings = S3Config {
            allow_http: Some(true),
            ..base()
        }
        .resolve()
        .unwrap();
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
    }

    #[test]
    fn secret_from_file_and_missing_fields_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("secret");
        std::fs::write(&file, "s3cr3t\n").unwrap();
        let config = S3Config {
            secret_access_key: None,
            secret_access_key_file: Some(file),
            allow_http: Some(true),
            ..base()
        };
        assert_eq!(config.resolve().unwrap().secret_access_key.expose(), "s3cr3t");
        let no_bucket = S3Config { bucket: None, ..base() };
        assert!(no_bucket.resolve().unwrap_err().to_string().contains("bucket"));
        let env = S3Config::from_env(|k| (k == "DRYDOCK_REGISTRY_S3_ALLOW_HTTP").then(|| "maybe".into()));
        assert!(env.unwrap_err().to_string().contains("ALLOW_HTTP"));
    }
}
