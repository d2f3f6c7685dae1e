//! Ignore files and VEX documents (OpenVEX, CycloneDX).
#![no_main]

use drydock_advisory::suppress::{ignore, vex};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz");
    if let Ok(rules) = ignore::parse(&String::from_utf8_lossy(data), path) {
        for rule in rules {
            let _ = rule.expired(u64::MAX / 4);
        }
    }
    let _ = vex::parse(data, path);
    let text = String::from_utf8_lossy(data);
    let _ = vex::purl_matches(&text, "pkg:npm/%40scope/name@1.0.0");
});
