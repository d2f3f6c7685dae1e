//! Prints the check findings of an image, one per line (until `drydock scan` shows them).
//!
//! ```text
//! cargo run -p drydock-checks --example findings -- oci:<layout>:<tag> [allow-list file]
//! ```

use std::sync::Arc;

use drydock_checks::{AllowList, CheckOptions};
use drydock_oci::{ImageRef, OpenOptions, ScanOptions};

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let text = args
        .next()
        .ok_or("usage: findings <image reference> [allow-list file]")?;
    let mut options = CheckOptions::default();
    if let Some(path) = args.next() {
        options.allow_list = Arc::new(AllowList::from_file(path.as_ref()).map_err(|e| e.to_string())?);
    }
    let reference: ImageRef = text.parse().map_err(|e: drydock_oci::OciError| e.to_string())?;
    let opened = drydock_oci::open(&reference, &text, &OpenOptions::default()).map_err(|e| e.to_string())?;
    let scan_options = ScanOptions {
        cache: None,
        ..ScanOptions::default()
    };
    let scan =
        drydock_oci::scan(opened, &drydock_checks::analyzers(&options), &scan_options).map_err(|e| e.to_string())?;
    for facts in &scan.layers {
        for warning in &facts.warnings {
            eprintln!("warning: {} {}: {}", warning.analyzer, warning.path, warning.message);
        }
    }
    for finding in drydock_checks::image_findings(&scan, &options).map_err(|e| e.to_string())? {
        let place = finding.location.path.or(finding.location.object).unwrap_or_default();
        let layer = finding
            .location
            .layer
            .map(|l| format!(" layer {l}"))
            .unwrap_or_default();
        let line = finding.location.line.map(|l| format!(":{l}")).unwrap_or_default();
        println!(
            "{} {:?} {place}{line}{layer}: {}",
            finding.rule, finding.severity, finding.message
        );
    }
    Ok(())
}
