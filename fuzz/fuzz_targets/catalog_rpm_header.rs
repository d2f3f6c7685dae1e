//! An rpm header blob, as every rpm database backend stores one per installed package.
#![no_main]

use drydock_catalog::ecosystems::rpm::header;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(info) = header::parse(data) {
        assert!(!info.name.is_empty());
        let _ = info.evr();
    }
});
