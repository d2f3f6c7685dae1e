//! Manifests pushed to `drydock serve`: validation never panics, and what it accepts is
//! consistent (a known media type, children with valid digests, annotations as JSON).
#![no_main]

use drydock_registry::manifest::{MANIFEST_TYPES, accepts, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (Option<String>, Vec<u8>, String)| {
    let (content_type, body, accept) = input;
    if let Ok(info) = validate(&body, content_type.as_deref()) {
        assert!(MANIFEST_TYPES.contains(&info.media_type.as_str()));
        for (digest, _) in &info.children {
            assert!(digest.parse::<drydock_model::Digest>().is_ok());
        }
        if let Some(annotations) = &info.annotations {
            assert!(serde_json::from_str::<serde_json::Value>(annotations).is_ok());
        }
        assert!(accepts(std::iter::once(info.media_type.as_str()), &info.media_type));
    }
    let _ = accepts(std::iter::once(accept.as_str()), "application/vnd.oci.image.manifest.v1+json");
});
