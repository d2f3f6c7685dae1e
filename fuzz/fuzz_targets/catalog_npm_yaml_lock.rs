//! `yarn.lock` (Yarn 1 text and Berry YAML), `pnpm-lock.yaml`, and an installed package.json.
#![no_main]

use drydock_catalog::ecosystems::node;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let installed = node::parse_package_json(data).map(|package| vec![package].into());
    let results = [node::parse_yarn_lock(data), node::parse_pnpm_lock(data), installed];
    for found in results.iter().flatten() {
        for package in &found.packages {
            assert!(!package.name.is_empty() && !package.version.is_empty());
            assert!(package.purl.starts_with("pkg:npm/"));
        }
    }
});
