//! Installed gem specifications (`specifications/*.gemspec`), read without evaluating Ruby.
#![no_main]

use drydock_catalog::ecosystems::ruby;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(package) = ruby::parse_gemspec(&String::from_utf8_lossy(data)) {
        assert!(!package.name.is_empty() && !package.version.is_empty());
        assert!(package.purl.starts_with("pkg:gem/"));
    }
});
