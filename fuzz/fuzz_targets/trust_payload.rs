//! cosign simple-signing payloads: parsed, and written back byte-stable.
#![no_main]

use drydock_trust::payload::SimpleSigning;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(payload) = SimpleSigning::parse(data) {
        let bytes = payload.to_bytes();
        let again = SimpleSigning::parse(&bytes).expect("written payloads parse");
        assert_eq!(again.to_bytes(), bytes);
    }
});
