//! Java archives (`.jar`, `.war`, `.ear`) with the archives nested in them, under smaller
//! decompression limits than a scan's so zip bombs cost the fuzzer little time.
#![no_main]

use drydock_catalog::ecosystems::java::{self, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_nested_bytes: 1 << 20,
        max_total_bytes: 4 << 20,
        ..java::LIMITS
    };
    if let Ok(found) = java::catalog_archive_with("/srv/app-1.0.war", data, &limits) {
        for package in &found.packages {
            assert!(!package.name.is_empty());
            assert!(package.purl.starts_with("pkg:maven/"));
            assert_eq!(package.properties.get("sha1").map(String::len), Some(40));
        }
        assert!(found.warnings.len() <= limits.max_warnings + 1);
    }
});
