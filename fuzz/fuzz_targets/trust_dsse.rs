//! DSSE envelopes and the in-toto statements inside them, as found in `.att` layers.
#![no_main]

use drydock_trust::PrivateKey;
use drydock_trust::dsse::Envelope;
use drydock_trust::intoto::Statement;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = Statement::parse(data);
    let Ok(envelope) = Envelope::parse(data) else {
        return;
    };
    if let Ok(payload) = envelope.payload_bytes() {
        let _ = Statement::parse(&payload);
    }
    // A key that did not sign never verifies.
    let key = PrivateKey::generate().expect("key");
    assert!(envelope.verify(&key.public_key()).is_err());
});
