//! `drydock registry gc`: garbage collection of a `drydock serve` registry's stores, run
//! beside the serving processes (see docs/registry.md for why that is safe).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use drydock_registry::gc::{Options, Report};
use drydock_registry::{Config, server};

use crate::args::{RegistryGcArgs, RegistryStoreArgs};

pub fn run(args: &RegistryGcArgs) -> anyhow::Result<ExitCode> {
    let settings = settings(&args.stores)?;
    let options = Options {
        dry_run: args.dry_run,
        grace: args.grace,
        upload_max_age: args.upload_max_age,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let report = runtime.block_on(async {
        let registry = server::open(&settings).await?;
        let report = drydock_registry::gc::collect(&registry, &options).await;
        registry.meta.close().await;
        anyhow::Ok(report?)
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", summary(&report, args.dry_run));
    }
    Ok(ExitCode::SUCCESS)
}

/// The stores' settings: the configuration file, then DRYDOCK_REGISTRY_* variables, then flags.
pub(crate) fn settings(args: &RegistryStoreArgs) -> anyhow::Result<drydock_registry::Settings> {
    let file = match &args.config {
        Some(path) => Config::from_file(path)?,
        None => Config::default(),
    };
    let env = Config::from_env(|key| std::env::var(key).ok())?;
    let flags = Config {
        data: args.data.clone(),
        database_url: args.database_url.clone(),
        ..Config::default()
    };
    Ok(file
        .overridden_by(env)
        .overridden_by(flags)
        .resolve(crate::serve::default_data_dir())?)
}

fn summary(report: &Report, dry_run: bool) -> String {
    let verb = if dry_run { "would remove" } else { "removed" };
    let mut text = String::new();
    for manifest in &report.manifests {
        text.push_str(&format!("{verb} manifest {manifest}\n"));
    }
    for blob in &report.blobs {
        text.push_str(&format!("{verb} blob {blob}\n"));
    }
    for upload in &report.uploads {
        text.push_str(&format!("{verb} upload session {upload}\n"));
    }
    for object in &report.orphaned_objects {
        text.push_str(&format!("{verb} orphaned object {object}\n"));
    }
    text.push_str(&format!(
        "{verb} {} manifests, {} blob links, {} blobs ({} bytes), {} upload sessions, {} orphaned objects\n",
        report.manifests.len(),
        report.links.len(),
        report.blobs.len(),
        report.blob_bytes,
        report.uploads.len(),
        report.orphaned_objects.len()
    ));
    text
}

/// `30s`, `15m`, `1h`, `2d`, or a bare number of seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 30s, 15m, 1h or 2d"))?;
    let seconds = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{text}`: the unit must be s, m, h or d")),
    };
    value
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("`{text}` is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_duration("2d").unwrap(), Duration::from_secs(172_800));
        assert!(parse_duration("1w").unwrap_err().contains("unit"));
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }
}
