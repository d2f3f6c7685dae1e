//! npm's `package-lock.json` / `npm-shrinkwrap.json` (v1 tree, v2/v3 `packages` map).
#![no_main]

use drydock_catalog::ecosystems::node;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(found) = node::parse_package_lock(data) {
        for package in &found.packages {
            assert!(!package.name.is_empty() && !package.version.is_empty());
            assert!(package.purl.starts_with("pkg:npm/"));
        }
    }
});
