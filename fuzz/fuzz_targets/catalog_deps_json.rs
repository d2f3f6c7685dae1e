//! .NET `*.deps.json`.
#![no_main]

use drydock_catalog::ecosystems::dotnet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(found) = dotnet::parse_deps_json(data) {
        for package in &found.packages {
            assert!(!package.name.is_empty() && !package.version.is_empty());
            assert!(package.purl.starts_with("pkg:nuget/"));
        }
    }
});
