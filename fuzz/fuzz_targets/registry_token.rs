//! Bearer tokens and token-request scopes from clients: never a panic, and a token that was
//! not signed by the key never verifies.
#![no_main]

use std::sync::OnceLock;

use drydock_registry::auth::token::{Access, TokenKey};
use libfuzzer_sys::fuzz_target;

fn key() -> &'static TokenKey {
    static KEY: OnceLock<TokenKey> = OnceLock::new();
    KEY.get_or_init(|| TokenKey::generate().expect("a key"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(access) = Access::parse_scope(text) {
        assert!(!access.kind.is_empty() && !access.name.is_empty());
    }
    assert!(key().verify(text, "drydock", "drydock-registry", 0).is_err());
    let _ = TokenKey::from_pem(text, "fuzz");
});
