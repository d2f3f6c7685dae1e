//! The secret scanner and its masking over arbitrary file contents: no panic, every match
//! inside the text, masks that never hold more than a short prefix of the value.
#![no_main]

use drydock_checks::AllowList;
use drydock_checks::secrets::analyzer::scan_file;
use drydock_checks::secrets::{FileContext, SecretScanner};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for in_package_tree in [false, true] {
        for found in SecretScanner::get().scan(data, FileContext { in_package_tree }) {
            assert!(found.span.start <= found.span.end && found.span.end <= data.len());
            assert!(found.line >= 1 && found.column >= 1);
            assert!(found.masked(data).ends_with("****"));
        }
    }
    for hit in scan_file("/app/config", data, &AllowList::default()) {
        assert!(hit.masked.ends_with("****"));
    }
});
