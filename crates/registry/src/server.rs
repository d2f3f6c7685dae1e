//! Listening: plain HTTP or TLS (rustls with the ring provider), and graceful shutdown that
//! lets requests in flight, uploads included, finish.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::Registry;
use crate::error::{Error, Result};

/// How long requests in flight may take to finish once shutdown is asked for: a stalled
/// client must not keep the process alive forever.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(60);

/// How long a client may take to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Loads a PEM certificate chain and private key into a server configuration.
pub fn tls_config(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>> {
    let certs = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| Error::Tls(format!("reading certificates from {}: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(Error::Tls(format!("{} holds no PEM certificate", cert.display())));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| Error::Tls(format!("reading the private key from {}: {e}", key.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| Error::Tls(format!("certificate and key do not make a server identity: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Serves the registry on `listener` until `shutdown` resolves, then waits for requests in
/// flight to finish.
pub async fn serve(
    registry: Arc<Registry>,
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let app = crate::routes::router(registry.clone());
    let header_timeout = registry.limits.header_read_timeout;
    let (signalled, signal_seen) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        shutdown.await;
        let _ = signalled.send(());
    };
    let serving: std::pin::Pin<Box<dyn Future<Output = ()> + Send>> = match tls {
        None => Box::pin(serve_connections(listener, app, header_timeout, shutdown)),
        Some(config) => {
            let listener = TlsListener::spawn(listener, TlsAcceptor::from(config))?;
            Box::pin(serve_connections(listener, app, header_timeout, shutdown))
        }
    };
    let grace_over = async move {
        match signal_seen.await {
            Ok(()) => tokio::time::sleep(SHUTDOWN_GRACE).await,
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        () = serving => {}
        () = grace_over => {
            tracing::warn!(seconds = SHUTDOWN_GRACE.as_secs(), "requests still in flight after the shutdown grace period; stopping anyway");
        }
    }
    registry.meta.close().await;
    Ok(())
}

/// Accepts connections until `shutdown` resolves, then waits for every open connection to
/// finish its request in flight.
///
/// Our own loop rather than `axum::serve`, which sets no timer on hyper and so cannot limit
/// how long a client takes to send its headers (a slow-header client would hold a connection
/// and a task forever). Each request carries the peer address as axum's `ConnectInfo`.
async fn serve_connections<L>(
    mut listener: L,
    app: axum::Router,
    header_timeout: Duration,
    shutdown: impl Future<Output = ()> + Send,
) where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(header_timeout);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: axum::http::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            let mut app = app.clone();
            tower_service::Service::call(&mut app, request.map(axum::body::Body::new))
        });
        let connection = graceful.watch(http.serve_connection(hyper_util::rt::TokioIo::new(io), service));
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%peer, %error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}

/// Resolves on SIGTERM or SIGINT.
pub async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::warn!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = terminate => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// TLS connections, handshaken off the accept path so one slow client cannot stall others.
struct TlsListener {
    connections: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    fn spawn(listener: TcpListener, acceptor: TlsAcceptor) -> Result<Self> {
        let local = listener
            .local_addr()
            .map_err(|e| Error::io("reading the listen address", e))?;
        let (sender, connections) = mpsc::channel(64);
        tokio::spawn(async move {
            loop {
                let (stream, peer) = match listener.accept().await {
                    Ok(accepted) => accepted,
                    Err(error) => {
                        tracing::warn!(%error, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if sender.is_closed() {
                    return;
                }
                let acceptor = acceptor.clone();
                let sender = sender.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = sender.send((tls, peer)).await;
                        }
                        Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(TlsListener { connections, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.connections.recv().await {
            Some(connection) => connection,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}

/// Opens the stores named by the settings and builds a registry over them.
pub async fn open(settings: &crate::Settings) -> Result<Registry> {
    let meta = crate::meta::Metadata::connect_creating(settings).await?;
    let blobs = open_blobs(settings)?;
    Ok(Registry::new(meta, blobs, settings.limits))
}

/// The blob store the settings name: an S3 bucket, else the local blob directory.
pub fn open_blobs(settings: &crate::Settings) -> Result<crate::storage::BlobStore> {
    match &settings.s3 {
        Some(s3) => Ok(crate::storage::BlobStore::new(Arc::new(s3.build()?))),
        None => crate::storage::BlobStore::local(&settings.blob_dir),
    }
}
