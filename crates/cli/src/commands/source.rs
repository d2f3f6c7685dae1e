//! Turning the shared image arguments into library options.

use std::io::BufRead;

use anyhow::{Context, Result, bail};
use drydock_oci::engine::cache::LayerCache;
use drydock_oci::engine::limits::Limits;
use drydock_oci::source::registry::{Credentials, RegistryOptions};
use drydock_oci::{OpenOptions, ScanOptions};

use crate::args::{GlobalArgs, SourceArgs};

pub fn open_options(args: &SourceArgs) -> Result<OpenOptions> {
    let platform = args
        .platform
        .as_deref()
        .map(str::parse)
        .transpose()
        .context("--platform")?;
    let credentials = match (&args.username, args.password_stdin) {
        (Some(username), true) => Some(Credentials {
            username: username.clone(),
            password: read_password_from_stdin()?,
        }),
        _ => None,
    };
    Ok(OpenOptions {
        platform,
        registry: RegistryOptions {
            insecure: args.insecure,
            credentials,
            ..RegistryOptions::default()
        },
        docker_host: args.docker_host.clone(),
    })
}

fn read_password_from_stdin() -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\r', '\n']).to_string();
    if password.is_empty() {
        bail!("--password-stdin: standard input held no password");
    }
    Ok(password)
}

pub fn cache(global: &GlobalArgs) -> Option<LayerCache> {
    if global.no_cache {
        return None;
    }
    global
        .cache_dir
        .clone()
        .or_else(LayerCache::default_root)
        .map(LayerCache::new)
}

pub fn scan_options(global: &GlobalArgs, args: &SourceArgs) -> ScanOptions {
    let defaults = ScanOptions::default();
    ScanOptions {
        limits: Limits {
            max_layer_bytes: args.max_layer_size.unwrap_or(defaults.limits.max_layer_bytes),
            ..defaults.limits
        },
        cache: cache(global),
        jobs: args.jobs.unwrap_or(defaults.jobs).max(1),
    }
}
