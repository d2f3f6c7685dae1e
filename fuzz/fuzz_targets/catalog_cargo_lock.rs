//! `Cargo.lock`, read by drydock's own parser of the TOML subset Cargo writes.
#![no_main]

use drydock_catalog::ecosystems::rust;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let found = rust::parse_cargo_lock(&String::from_utf8_lossy(data));
    for package in &found.packages {
        assert!(!package.name.is_empty() && !package.version.is_empty());
        assert!(package.purl.starts_with("pkg:cargo/"));
    }
});
