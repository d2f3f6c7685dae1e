//! `drydock serve`: the OCI registry. Settings come from `--config FILE`, then
//! `DRYDOCK_REGISTRY_*` variables, then flags; see docs/registry.md.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use drydock_registry::{Config, server};

use crate::args::ServeArgs;

pub fn run(args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let settings = settings(args)?;
    refuse_open_access(&settings, args.insecure_no_auth)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(settings))?;
    Ok(ExitCode::SUCCESS)
}

fn settings(args: &ServeArgs) -> anyhow::Result<drydock_registry::Settings> {
    let file = match &args.config {
        Some(path) => Config::from_file(path)?,
        None => Config::default(),
    };
    let env = Config::from_env(|key| std::env::var(key).ok())?;
    let flags = Config {
        listen: args.listen.clone(),
        data: args.data.clone(),
        database_url: args.database_url.clone(),
        tls_cert: args.tls_cert.clone(),
        tls_key: args.tls_key.clone(),
        max_blob_size: args.max_blob_size,
        s3: drydock_registry::s3::S3Config {
            endpoint: args.s3_endpoint.clone(),
            bucket: args.s3_bucket.clone(),
            region: args.s3_region.clone(),
            access_key_id: args.s3_access_key_id.clone(),
            secret_access_key_file: args.s3_secret_access_key_file.clone(),
            allow_http: args.s3_allow_http.then_some(true),
            ..Default::default()
        },
        auth: Default::default(),
    };
    Ok(file
        .overridden_by(env)
        .overridden_by(flags)
        .resolve(default_data_dir())?)
}

/// Without authentication anyone who reaches the server may push and delete: fine on
/// loopback, a mistake anywhere else unless the operator says so explicitly.
fn refuse_open_access(settings: &drydock_registry::Settings, insecure_no_auth: bool) -> anyhow::Result<()> {
    if settings.auth.enabled || insecure_no_auth || settings.listen.ip().is_loopback() {
        return Ok(());
    }
    anyhow::bail!(
        "refusing to serve {} without authentication: anyone who reaches it could push and delete; \
         turn on [auth] (docs/access-control.md) or pass --insecure-no-auth",
        settings.listen
    )
}

async fn serve(settings: drydock_registry::Settings) -> anyhow::Result<()> {
    let tls = match &settings.tls {
        Some((cert, key)) => Some(server::tls_config(cert, key)?),
        None => None,
    };
    let admin_password = std::env::var("DRYDOCK_REGISTRY_AUTH_ADMIN_PASSWORD")
        .ok()
        .filter(|v| !v.is_empty())
        .map(drydock_registry::s3::Secret::new);
    let registry = server::open(&settings).await?;
    let (registry, audit) = drydock_registry::auth::setup::secure(registry, &settings.auth, admin_password).await?;
    let registry = Arc::new(registry);
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("listening on {}", settings.listen))?;
    let address = listener.local_addr().context("reading the listen address")?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    eprintln!(
        "drydock serve: listening on {scheme}://{address} (blobs {}, metadata {})",
        settings.blobs_for_log(),
        settings.database_for_log()
    );
    server::serve(registry, listener, tls, server::shutdown_signal()).await?;
    audit.flush().await;
    eprintln!("drydock serve: stopped");
    Ok(())
}

/// `$XDG_DATA_HOME/drydock/registry`, else `~/.local/share/drydock/registry`.
pub(crate) fn default_data_dir() -> PathBuf {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("drydock").join("registry")
}
