//! Request paths and headers `drydock serve` reads: endpoint parsing, repository names,
//! references, `Range` and `Content-Range`. Nothing panics; accepted values are in bounds.
#![no_main]

use drydock_registry::names::{Endpoint, Reference, RepositoryName};
use drydock_registry::routes::{parse_content_range, parse_range};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (String, String, u64)| {
    let (path, header, size) = input;
    if let Some(endpoint) = Endpoint::parse(&path) {
        let name = match &endpoint {
            Endpoint::Manifest { name, reference } => {
                let _ = Reference::parse(reference);
                Some(name)
            }
            Endpoint::Blob { name, .. }
            | Endpoint::Uploads { name }
            | Endpoint::Upload { name, .. }
            | Endpoint::Tags { name }
            | Endpoint::Referrers { name, .. } => Some(name),
            Endpoint::Base | Endpoint::Catalog => None,
        };
        if let Some(Ok(valid)) = name.map(|n| RepositoryName::parse(n)) {
            assert!(valid.as_str().len() <= drydock_registry::names::MAX_NAME_LENGTH);
        }
    }
    if let Ok(Some(range)) = parse_range(&header, size) {
        assert!(range.start < range.end && range.end <= size);
    }
    if let Ok((start, end)) = parse_content_range(&header) {
        assert!(start <= end);
    }
});
