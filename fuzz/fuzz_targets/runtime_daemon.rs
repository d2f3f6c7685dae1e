//! The Docker daemon's configuration: daemon.json, a dockerd command line (NUL-separated,
//! as /proc/PID/cmdline), audit rules, and every accessor the host checks use.
#![no_main]

use drydock_runtime::host::{DaemonOptions, rule_paths, split_cmdline};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut options = DaemonOptions::from_daemon_json(&text).unwrap_or_default();
    options.merge_command_line(&split_cmdline(data));
    for key in ["icc", "hosts", "userns-remap", "insecure-registries", "default-ulimits", "tlsverify"] {
        let _ = options.flag(key);
        let _ = options.text(key);
        let _ = options.list(key);
        let _ = options.has(key);
    }
    let _ = rule_paths(&text);
});
