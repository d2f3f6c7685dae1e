//! Renderers of a vulnerability scan: `drydock scan --format table|json|sarif|cyclonedx`.
//!
//! One entry point, [`render`], turns a [`ScanReport`] (with the inventory it was matched
//! against) into bytes in one of four formats:
//!
//! - [`ReportFormat::Table`]: for people at a terminal. One section per scan target, findings
//!   sorted most severe first, malware apart, check findings after, summaries by severity.
//!   Every string that comes from an image or an advisory is made printable first, so no
//!   package name or advisory title can move the cursor or fake output lines.
//! - [`ReportFormat::Json`]: the report itself, as `docs/schemas/scan-report.v1.json` describes.
//! - [`ReportFormat::Sarif`]: SARIF 2.1.0 as GitHub code scanning reads it.
//! - [`ReportFormat::CycloneDx`]: the inventory's CycloneDX 1.6 SBOM plus its vulnerabilities.
//!
//! Output is deterministic: the same report, inventory and creation time give the same bytes.
//! The machine formats always carry suppressed findings, marked as such; the table hides them
//! unless [`RenderOptions::show_suppressed`].

mod cyclonedx;
mod json;
mod links;
mod order;
mod sarif;
mod table;
mod text;

use std::fmt;
use std::str::FromStr;

use drydock_catalog::sbom::Subject;
use drydock_model::{Inventory, SCAN_REPORT_SCHEMA_VERSION, ScanReport};

pub use text::printable;

/// The output formats of `drydock scan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportFormat {
    Table,
    Json,
    Sarif,
    CycloneDx,
}

impl ReportFormat {
    /// Every format, in the order `--help` lists them.
    pub const ALL: [ReportFormat; 4] = [
        ReportFormat::Table,
        ReportFormat::Json,
        ReportFormat::Sarif,
        ReportFormat::CycloneDx,
    ];

    /// The name on the command line (`--format sarif`).
    pub fn name(self) -> &'static str {
        match self {
            ReportFormat::Table => "table",
            ReportFormat::Json => "json",
            ReportFormat::Sarif => "sarif",
            ReportFormat::CycloneDx => "cyclonedx",
        }
    }
}

impl fmt::Display for ReportFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for ReportFormat {
    type Err = ReportError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        ReportFormat::ALL
            .into_iter()
            .find(|format| format.name().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| ReportError::UnknownFormat(text.to_string()))
    }
}

/// How to render.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// Show suppressed findings in the table, marked with who suppressed them and why.
    /// The machine formats always carry them.
    pub show_suppressed: bool,
    /// Colour severities with ANSI escapes (table only).
    pub color: bool,
    /// Wrap the table to this many columns; `None` lets rows run as long as they are.
    pub width: Option<u16>,
}

/// Why a report could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("unknown report format `{0}` (expected table, json, sarif or cyclonedx)")]
    UnknownFormat(String),
    #[error("scan report schema version {found} cannot be written; this drydock writes version {supported}")]
    SchemaVersion { found: u32, supported: u32 },
    #[error("writing the {format} report: {source}")]
    Write {
        format: ReportFormat,
        #[source]
        source: serde_json::Error,
    },
}

/// `report` in `format`. `inventory` and `subject` are what was scanned: the CycloneDX
/// output is their SBOM with the findings added. `created_unix_seconds` is the document's
/// creation time (CycloneDX `metadata.timestamp`).
pub fn render(
    format: ReportFormat,
    report: &ScanReport,
    inventory: &Inventory,
    subject: &Subject,
    created_unix_seconds: u64,
    options: &RenderOptions,
) -> Result<Vec<u8>, ReportError> {
    if report.schema_version != SCAN_REPORT_SCHEMA_VERSION {
        return Err(ReportError::SchemaVersion {
            found: report.schema_version,
            supported: SCAN_REPORT_SCHEMA_VERSION,
        });
    }
    let write_error = |source| ReportError::Write { format, source };
    match format {
        ReportFormat::Table => Ok(table::render(report, options).into_bytes()),
        ReportFormat::Json => json::render(report).map_err(write_error),
        ReportFormat::Sarif => sarif::render(report).map_err(write_error),
        ReportFormat::CycloneDx => {
            cyclonedx::render(report, inventory, subject, created_unix_seconds).map_err(write_error)
        }
    }
}

/// drydock's version as the report names it (`drydock 0.1.0` → `0.1.0`), or this crate's.
fn tool_version(report: &ScanReport) -> &str {
    report
        .tool
        .strip_prefix("drydock ")
        .map(str::trim)
        .filter(|version| !version.is_empty())
        .unwrap_or(env!("CARGO_PKG_VERSION"))
}

/// Pretty JSON with a final newline, as every machine format is written.
fn pretty_json(value: &impl serde::Serialize) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = serde_json::to_vec_pretty(value)?;
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_by_name() {
        for format in ReportFormat::ALL {
            assert_eq!(format.name().parse::<ReportFormat>().unwrap(), format);
        }
        assert_eq!("SARIF".parse::<ReportFormat>().unwrap(), ReportFormat::Sarif);
        let error = "xml".parse::<ReportFormat>().unwrap_err().to_string();
        assert!(error.contains("`xml`") && error.contains("sarif"), "{error}");
    }
}
