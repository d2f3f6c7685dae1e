//! `drydock sbom TARGET`: the inventory of an image, a project directory (`fs:PATH`) or a
//! root filesystem (`rootfs:PATH`) as CycloneDX 1.6, SPDX 2.3 or drydock's own JSON.
//!
//! The document's time is now, or `SOURCE_DATE_EPOCH` when set (reproducible builds), and
//! everything else in it depends only on what was scanned. With `--output` the file is
//! written to a temporary file beside it and renamed into place, so a failed run leaves
//! no half-written SBOM behind.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use drydock_catalog::TargetKind;
use drydock_catalog::sbom::{self, SbomDocument, Subject};
use drydock_oci::ImageRef;

use super::source::{open_options, scan_options};
use crate::args::{GlobalArgs, SbomArgs, SbomFormat};

pub fn run(global: &GlobalArgs, args: &SbomArgs) -> Result<ExitCode> {
    let (kind, reference) = target(&args.target)?;
    let options = open_options(&args.source)?;
    let opened = drydock_oci::open(&reference, &args.target, &options).map_err(|e| e.in_image(&args.target))?;
    let analyzers = drydock_catalog::analyzers_for(kind);
    let scan = drydock_oci::scan(opened, &analyzers, &scan_options(global, &args.source))
        .map_err(|e| e.in_image(&args.target))?;
    let inventory = drydock_catalog::inventory(&scan);
    for warning in &inventory.warnings {
        let layer = warning.layer.map(|l| format!(" (layer {l})")).unwrap_or_default();
        tracing::warn!("{}: {}{layer}: {}", warning.cataloger, warning.path, warning.message);
    }
    let bytes = match args.format {
        SbomFormat::Json => {
            let mut bytes = serde_json::to_vec_pretty(&inventory)?;
            bytes.push(b'\n');
            bytes
        }
        SbomFormat::Cyclonedx | SbomFormat::Spdx => {
            let subject = Subject::new(&args.target, &reference, &scan.description, kind);
            let document = SbomDocument {
                inventory: &inventory,
                subject: &subject,
                tool_version: env!("CARGO_PKG_VERSION"),
                created: created()?,
            };
            let format = match args.format {
                SbomFormat::Spdx => sbom::SbomFormat::Spdx,
                _ => sbom::SbomFormat::CycloneDx,
            };
            sbom::render(format, &document)?
        }
    };
    match &args.output {
        Some(path) => write_atomically(path, &bytes)?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)
                .and_then(|()| out.flush())
                .context("writing the SBOM to standard output")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `fs:PATH` and `rootfs:PATH` are directories read with only some catalogers; anything
/// else is an image reference.
pub(crate) fn target(text: &str) -> Result<(TargetKind, ImageRef)> {
    let directory = |kind: TargetKind, path: &str| -> Result<(TargetKind, ImageRef)> {
        if path.is_empty() {
            bail!("`{text}`: a directory must follow the prefix");
        }
        Ok((
            kind,
            ImageRef::Dir {
                path: PathBuf::from(path),
            },
        ))
    };
    if let Some(path) = text.strip_prefix("fs:") {
        return directory(TargetKind::Project, path);
    }
    if let Some(path) = text.strip_prefix("rootfs:") {
        return directory(TargetKind::RootFs, path);
    }
    Ok((TargetKind::Image, text.parse()?))
}

/// `SOURCE_DATE_EPOCH` when set, else now.
pub(crate) fn created() -> Result<u64> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) => value
            .trim()
            .parse()
            .with_context(|| format!("SOURCE_DATE_EPOCH `{value}` is not a number of seconds")),
        Err(_) => Ok(SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default()),
    }
}

/// Writes to a temporary file in the destination's directory and renames it over `path`.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut file = tempfile::Builder::new()
        .prefix(".drydock-sbom-")
        .tempfile_in(directory)
        .with_context(|| format!("creating a temporary file in {}", directory.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.as_file().sync_all())
        .with_context(|| format!("writing {}", file.path().display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .with_context(|| format!("setting the mode of {}", file.path().display()))?;
    }
    file.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        assert!(matches!(
            target("fs:./app"),
            Ok((TargetKind::Project, ImageRef::Dir { .. }))
        ));
        assert!(matches!(
            target("rootfs:/"),
            Ok((TargetKind::RootFs, ImageRef::Dir { .. }))
        ));
        assert!(matches!(
            target("dir:/x"),
            Ok((TargetKind::Image, ImageRef::Dir { .. }))
        ));
        assert!(matches!(
            target("debian:12"),
            Ok((TargetKind::Image, ImageRef::Registry(_)))
        ));
        assert!(target("fs:").is_err());
        assert!(target("").is_err());
    }

    #[test]
    fn atomic_writes_leave_only_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.json");
        write_atomically(&path, b"one").unwrap();
        write_atomically(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert!(write_atomically(&dir.path().join("missing/out.json"), b"x").is_err());
    }
}
