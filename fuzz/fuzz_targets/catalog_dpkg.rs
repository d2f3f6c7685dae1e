//! dpkg status files (`/var/lib/dpkg/status`, `status.d/*`), and os-release next to them.
#![no_main]

use drydock_catalog::ecosystems::dpkg;
use drydock_catalog::os_release;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for in_status_d in [false, true] {
        let found = dpkg::parse_status(&text, in_status_d);
        for package in &found.packages {
            assert!(!package.name.is_empty() && !package.version.is_empty());
            assert!(package.source.is_some());
        }
    }
    let _ = os_release::parse_os_release(&text, "/etc/os-release");
});
