//! `docker save` output read as a stream (the Docker Engine's export path, the same
//! manifest.json and config handling as docker-archive files).
//!
//! The input is raw bytes fed as the stream, and also split on the line `--8<--` into
//! manifest.json, the config and one layer, which are wrapped into a well-formed outer tar
//! as `manifest.json`, `config.json` and `layer.tar`, so mutations reach the manifest and
//! config logic rather than dying in the outer tar. `@LAYER@` in the config is replaced
//! by the layer's sha256, so a fuzzed config can name the layer's real diffID.
#![no_main]

use std::sync::Arc;

use drydock_oci::engine::analyzer::{Analyzer, InterestIndex};
use drydock_oci::engine::limits::Limits;
use drydock_oci::source::docker_archive::scan_stream;
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

const SEPARATOR: &[u8] = b"\n--8<--\n";

fn split_parts(data: &[u8]) -> Vec<&[u8]> {
    let mut parts = Vec::new();
    let mut rest = data;
    while let Some(at) = rest.windows(SEPARATOR.len()).position(|w| w == SEPARATOR) {
        parts.push(&rest[..at]);
        rest = &rest[at + SEPARATOR.len()..];
    }
    parts.push(rest);
    parts
}

fn replace(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if haystack[i..].starts_with(needle) {
            out.extend_from_slice(with);
            i += needle.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

fn outer_tar(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, body) in files {
        let mut header = tar::Header::new_ustar();
        header.set_entry_type(tar::EntryType::Regular);
        header.set_size(body.len() as u64);
        header.set_mode(0o644);
        builder.append_data(&mut header, name, *body).expect("writing to a Vec");
    }
    builder.into_inner().expect("writing to a Vec")
}

fn scan(stream: &[u8]) {
    let analyzers: Vec<Arc<dyn Analyzer>> = Vec::new();
    let index = InterestIndex::new(&analyzers).expect("no globs");
    let limits = Limits {
        max_layer_bytes: 1 << 20,
        max_layer_entries: 2_000,
        max_shared_file_bytes: 1024,
    };
    for name in [None, Some("fuzz:latest")] {
        let _ = scan_stream(stream, name, "docker:fuzz", &analyzers, &index, &limits);
    }
}

fuzz_target!(|data: &[u8]| {
    scan(data);
    let parts = split_parts(data);
    let manifest = parts[0];
    let layer = parts.get(2).copied().unwrap_or_default();
    let diff_id = format!("sha256:{}", hex::encode(Sha256::digest(layer)));
    let config = replace(
        parts.get(1).copied().unwrap_or_default(),
        b"@LAYER@",
        diff_id.as_bytes(),
    );
    let stream = outer_tar(&[
        ("manifest.json", manifest),
        ("config.json", &config),
        ("layer.tar", layer),
    ]);
    scan(&stream);
});
