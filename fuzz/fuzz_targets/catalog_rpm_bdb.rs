//! rpm's Berkeley DB hash database (`Packages`), each record's header parsed. Seed with
//! crates/catalog/tests/fixtures/rpm/Packages.
#![no_main]

use drydock_catalog::ecosystems::rpm::{bdb, header};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = bdb::read_packages(data, &mut |_, blob| {
        assert!(blob.len() <= data.len());
        let _ = header::parse(blob);
    });
});
