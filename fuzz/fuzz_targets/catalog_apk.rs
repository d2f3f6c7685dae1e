//! apk-tools' installed database (`/lib/apk/db/installed`).
#![no_main]

use drydock_catalog::ecosystems::apk;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let found = apk::parse_installed(&String::from_utf8_lossy(data));
    for package in &found.packages {
        assert!(!package.name.is_empty() && !package.version.is_empty());
    }
});
