//! A cargo-auditable `.dep-v0` section: the raw input as the zlib stream, and the input
//! compressed, so the JSON handling behind the decompressor is reached too.
#![no_main]

use std::io::Write;

use drydock_catalog::ecosystems::rust;
use flate2::Compression;
use flate2::write::ZlibEncoder;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = rust::parse_auditable(data);
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::fast());
    if encoder.write_all(data).is_ok()
        && let Ok(compressed) = encoder.finish()
        && let Ok(found) = rust::parse_auditable(&compressed)
    {
        for package in &found.packages {
            assert!(!package.name.is_empty() && !package.version.is_empty());
        }
    }
});
