//! The scan report renderers: any report that reads from JSON (as `drydock scan --format
//! json` writes it, and as the registry stores it) renders in every format. The table never
//! lets a control character through, the machine formats are JSON, and the JSON format
//! reads back as the same report.
#![no_main]

use drydock_catalog::TargetKind;
use drydock_catalog::sbom::Subject;
use drydock_model::{Inventory, Package, SCAN_REPORT_SCHEMA_VERSION, ScanReport};
use drydock_report::{RenderOptions, ReportFormat, render};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut report) = serde_json::from_slice::<ScanReport>(data) else {
        return;
    };
    report.schema_version = SCAN_REPORT_SCHEMA_VERSION;
    let inventory = inventory_of(&report);
    let subject = Subject {
        name: "fuzz".to_string(),
        kind: TargetKind::Image,
        digest: None,
        purl: None,
        properties: Vec::new(),
    };
    for show_suppressed in [false, true] {
        let options = RenderOptions {
            show_suppressed,
            color: false,
            width: show_suppressed.then_some(80),
        };
        for format in ReportFormat::ALL {
            let bytes = render(format, &report, &inventory, &subject, 0, &options).expect("a report always renders");
            let text = String::from_utf8(bytes).expect("renderers write UTF-8");
            match format {
                ReportFormat::Table => {
                    assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "control character in the table");
                }
                ReportFormat::Json => {
                    let back: ScanReport = serde_json::from_str(&text).expect("the JSON report reads back");
                    assert_eq!(back, report);
                }
                ReportFormat::Sarif | ReportFormat::CycloneDx => {
                    serde_json::from_str::<serde_json::Value>(&text).expect("machine formats are JSON");
                }
            }
        }
    }
});

/// The packages the findings are about, so CycloneDX has components to point at.
fn inventory_of(report: &ScanReport) -> Inventory {
    let packages = report
        .findings()
        .map(|finding| {
            let affected = &finding.package;
            let mut package = Package::new(affected.ecosystem, &affected.name, &affected.version);
            package.purl = affected.purl.clone();
            package.locations = affected.locations.clone();
            package
        })
        .collect();
    Inventory {
        os: report.os.clone(),
        packages,
        warnings: Vec::new(),
    }
}
