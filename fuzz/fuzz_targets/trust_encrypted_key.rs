//! cosign private key files: PEM armour and the encrypted key document (kdf, cipher,
//! ciphertext), parsed without the expensive scrypt; a document that parses has bounded
//! scrypt parameters. Public keys too.
#![no_main]

use drydock_trust::PublicKey;
use drydock_trust::keys::EncryptedKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = EncryptedKey::parse(text, "fuzz.key");
    if let Ok(key) = PublicKey::from_pem(text, "fuzz.pub") {
        let again = PublicKey::from_pem(&key.to_pem(), "again").expect("a written key reads back");
        assert_eq!(again, key);
    }
});
