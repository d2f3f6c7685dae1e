//! `drydock image …`

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use drydock_oci::{ImageRef, OpenedImage};

use super::source::{open_options, scan_options};
use crate::args::{GlobalArgs, ImageCommand, InspectArgs, OutputFormat};
use crate::render;

pub fn run(global: &GlobalArgs, command: &ImageCommand) -> Result<ExitCode> {
    match command {
        ImageCommand::Inspect(args) => inspect(global, args),
        ImageCommand::Copy(args) => super::image_copy::run(args),
    }
}

fn inspect(global: &GlobalArgs, args: &InspectArgs) -> Result<ExitCode> {
    let reference: ImageRef = args.image.parse()?;
    let options = open_options(&args.source)?;
    let opened = drydock_oci::open(&reference, &args.image, &options).map_err(|e| e.in_image(&args.image))?;
    let description = match opened {
        OpenedImage::Resolved(resolved) if !args.files => resolved.description,
        opened => {
            let scan = drydock_oci::scan(opened, &[], &scan_options(global, &args.source))?;
            let mut description = scan.description;
            if args.files {
                description.files = Some(scan.merged.records());
            }
            description
        }
    };
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, stdout.lock());
    match args.format {
        OutputFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &description)?;
            writeln!(out)?;
        }
        OutputFormat::Table => render::inspect_table(&mut out, &description)?,
    }
    out.flush().context("writing the output")?;
    Ok(ExitCode::SUCCESS)
}
