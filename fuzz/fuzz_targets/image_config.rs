//! The image config blob (OCI and Docker's), parsed leniently: parse, then everything the
//! inspect report derives from it.
#![no_main]

use drydock_oci::config::ConfigFile;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(config) = ConfigFile::parse(data, "fuzz config") else {
        return;
    };
    let _ = config.summary();
    let _ = config.platform();
    if let Ok(diff_ids) = config.diff_ids("fuzz config") {
        let history = config.layer_history(diff_ids.len());
        assert_eq!(history.len(), diff_ids.len());
    }
});
