//! rpm's SQLite database (`rpmdb.sqlite`), read with drydock's own SQLite page reader, each
//! record's header parsed. Seed with crates/catalog/tests/fixtures/rpm/rpmdb.sqlite.
#![no_main]

use drydock_catalog::ecosystems::rpm::{header, sqlite};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = sqlite::read_packages(data, &mut |_, blob| {
        assert!(blob.len() <= data.len());
        let _ = header::parse(blob);
    });
});
