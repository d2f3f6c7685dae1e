//! `go.mod`: require and replace directives, lines and blocks.
#![no_main]

use drydock_catalog::ecosystems::golang;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let found = golang::parse_go_mod(&String::from_utf8_lossy(data));
    for package in &found.packages {
        assert!(package.purl.starts_with("pkg:golang/"));
    }
});
