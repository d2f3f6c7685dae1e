//! The /proc files the probe reads (status, mountinfo, uid_map) and kernel releases.
#![no_main]

use drydock_runtime::kernel::{KernelVersion, escapes_for};
use drydock_runtime::probe::{capability_names, is_identity_map, parse_id_map, parse_mountinfo, parse_status};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let status = parse_status(&text);
    let names = capability_names(status.cap_effective);
    assert_eq!(names.len(), status.cap_effective.count_ones() as usize);
    for mount in parse_mountinfo(&text) {
        assert!(!mount.fstype.is_empty());
    }
    let _ = is_identity_map(&parse_id_map(&text));
    if let Some(version) = KernelVersion::parse(&text) {
        let _ = escapes_for(version);
    }
});
