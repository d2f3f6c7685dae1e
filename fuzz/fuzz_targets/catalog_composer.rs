//! Composer's `composer.lock` and `vendor/composer/installed.json` (both generations).
#![no_main]

use drydock_catalog::ecosystems::php;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for found in [php::parse_composer_lock(data), php::parse_installed_json(data)]
        .into_iter()
        .flatten()
    {
        for package in &found.packages {
            assert!(package.name.contains('/') && !package.version.is_empty());
            assert!(package.purl.starts_with("pkg:composer/"));
        }
    }
});
