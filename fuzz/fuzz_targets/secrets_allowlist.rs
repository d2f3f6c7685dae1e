//! Allow-list files (TOML and YAML) from users: errors, never panics.
#![no_main]

use drydock_checks::allowlist::{AllowList, AllowListFormat, Candidate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for format in [AllowListFormat::Toml, AllowListFormat::Yaml] {
        if let Ok(list) = AllowList::parse(&text, format, "fuzz") {
            list.allows(&Candidate {
                rule: "DD-SEC-001",
                path: Some("/etc/app/credentials"),
                value: Some(data),
            });
        }
    }
});
