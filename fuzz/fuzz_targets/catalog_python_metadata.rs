//! Python core metadata: `*.dist-info/METADATA` and `*.egg-info/PKG-INFO` text, and `.egg`
//! zip archives holding `EGG-INFO/PKG-INFO`.
#![no_main]

use drydock_catalog::ecosystems::python;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for package in [python::parse_metadata(data), python::parse_egg(data)]
        .into_iter()
        .flatten()
    {
        assert!(!package.name.is_empty() && !package.version.is_empty());
        assert!(package.purl.starts_with("pkg:pypi/"));
    }
});
