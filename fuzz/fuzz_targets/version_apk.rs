//! Alpine package versions, as OSV advisories and package databases write them:
//! parsing never panics, and whatever parses is totally ordered with equal versions hashing
//! alike (`version_laws.rs`).
#![no_main]

#[path = "version_laws.rs"]
mod version_laws;

use drydock_version::Scheme;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| version_laws::check(Scheme::Apk, input));
