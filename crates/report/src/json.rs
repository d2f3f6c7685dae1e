//! `--format json`: the scan report itself, as docs/schemas/scan-report.v1.json describes it.
//! Suppressed findings stay in, each carrying its `suppressed` object.

use drydock_model::ScanReport;

pub fn render(report: &ScanReport) -> Result<Vec<u8>, serde_json::Error> {
    crate::pretty_json(report)
}
