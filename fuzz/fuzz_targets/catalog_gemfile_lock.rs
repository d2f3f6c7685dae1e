//! Bundler's `Gemfile.lock`.
#![no_main]

use drydock_catalog::ecosystems::ruby;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let found = ruby::parse_gemfile_lock(&String::from_utf8_lossy(data));
    for package in &found.packages {
        assert!(!package.name.is_empty() && !package.version.is_empty());
        assert!(package.purl.starts_with("pkg:gem/"));
    }
});
