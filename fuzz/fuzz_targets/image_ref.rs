//! What users type to name an image (`oci:DIR:TAG`, `docker-archive:FILE:NAME:TAG`,
//! `debian:12`, `host:5000/ns/repo@sha256:...`). Besides never panicking, a parsed
//! registry reference must read back as itself: its display form is what reports show and
//! what the cache and credential lookups key on.
#![no_main]

use std::str::FromStr;

use drydock_oci::reference::{ImageRef, RegistryRef};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    if let Ok(ImageRef::Registry(parsed)) = ImageRef::from_str(input) {
        let shown = parsed.to_string();
        let again = RegistryRef::parse(&shown)
            .unwrap_or_else(|e| panic!("`{input}` parsed, but its display form `{shown}` does not: {e}"));
        assert_eq!(again, parsed, "`{input}` does not round-trip through `{shown}`");
        let _ = parsed.api_host();
        let _ = parsed.manifest_reference();
    }
});
