//! `drydock image copy SRC DST`: drydock's own image client for pushing.

use std::process::ExitCode;

use anyhow::{Context, Result};
use drydock_oci::ImageRef;
use drydock_oci::write::copy::{CopyOptions, copy_image};
use drydock_oci::write::{Reference, open_repository};

use super::source::open_options;
use crate::args::CopyArgs;

pub fn run(args: &CopyArgs) -> Result<ExitCode> {
    let source: ImageRef = args.source.parse()?;
    let open = open_options(&args.options)?;
    let target = open_repository(&args.destination, &open.registry)
        .with_context(|| format!("destination {}", args.destination))?;
    let tag = match &target.reference {
        Some(Reference::Tag(tag)) => Some(tag.as_str()),
        Some(Reference::Digest(digest)) => {
            anyhow::bail!(
                "destination {}: name a tag, not a digest ({digest}); the digest is the content's own",
                args.destination
            )
        }
        None => None,
    };
    let options = CopyOptions {
        open,
        all_platforms: args.all_platforms,
    };
    let report = copy_image(&source, &args.source, target.repository.as_ref(), tag, &options)
        .map_err(|e| e.in_image(&args.source))
        .with_context(|| format!("copying to {}", args.destination))?;
    tracing::info!(
        blobs_copied = report.blobs_copied,
        blobs_skipped = report.blobs_skipped,
        bytes = report.bytes_copied,
        "copied"
    );
    println!("{}", report.digest);
    Ok(ExitCode::SUCCESS)
}
