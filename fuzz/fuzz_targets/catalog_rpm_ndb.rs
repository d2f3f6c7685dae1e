//! rpm's NDB database (`Packages.db`), each record's header parsed, then the whole
//! cataloger path (format detection, packages, dependency resolution).
#![no_main]

use drydock_catalog::ecosystems::rpm::{self, header, ndb};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = ndb::read_packages(data, &mut |_, blob| {
        assert!(blob.len() <= data.len());
        let _ = header::parse(blob);
    });
    let _ = rpm::read_database(data);
});
