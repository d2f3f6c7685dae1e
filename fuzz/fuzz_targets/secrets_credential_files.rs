//! The files the image checks parse: /etc/passwd, /etc/shadow and credential files
//! (.docker/config.json, .npmrc, .netrc, .pgpass, .kube/config, ...), plus image history
//! lines and environment entries.
#![no_main]

use drydock_checks::image::config::{added_url, is_secret_name};
use drydock_checks::image::files::{fact_of, parse_passwd, shadow_empty_passwords};
use libfuzzer_sys::fuzz_target;

const PATHS: &[&str] = &[
    "/etc/passwd",
    "/etc/shadow",
    "/root/.aws/credentials",
    "/root/.docker/config.json",
    "/root/.kube/config",
    "/root/.npmrc",
    "/root/.pypirc",
    "/root/.git-credentials",
    "/root/.netrc",
    "/root/.pgpass",
    "/root/.ssh/id_rsa",
    "/etc/ssh/ssh_host_ed25519_key",
];

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for path in PATHS {
        let _ = fact_of(path, &text);
    }
    for account in parse_passwd(&text) {
        assert!(!account.name.is_empty());
    }
    for name in shadow_empty_passwords(&text) {
        assert!(!name.is_empty());
    }
    let _ = added_url(&text);
    let _ = is_secret_name(&text);
});
