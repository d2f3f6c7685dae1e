//! The SBOM reader: CycloneDX 1.4–1.6 and SPDX 2.2/2.3 JSON into an inventory. Whatever it
//! reads must also survive being written as either format and read back.
#![no_main]

use drydock_catalog::TargetKind;
use drydock_catalog::sbom::{self, SbomDocument, SbomFormat, Subject};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(inventory) = sbom::read(data, "fuzz.json") else {
        return;
    };
    let subject = Subject {
        name: "fuzz".to_string(),
        kind: TargetKind::Image,
        digest: None,
        purl: None,
        properties: Vec::new(),
    };
    let document = SbomDocument {
        inventory: &inventory,
        subject: &subject,
        tool_version: "0.0.0",
        created: 0,
    };
    for format in [SbomFormat::CycloneDx, SbomFormat::Spdx] {
        let written = sbom::render(format, &document).expect("an inventory always renders");
        let again = sbom::read(&written, "again.json").expect("drydock reads what it wrote");
        assert_eq!(again.packages.len(), inventory.packages.len());
    }
});
