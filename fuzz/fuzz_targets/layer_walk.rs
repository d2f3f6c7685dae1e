//! Arbitrary bytes as a layer blob: sniffed (`Compression::Detect`, as docker-archive
//! layers are), declared gzip, and gzip-wrapped (so the fuzzer's tar bytes also reach the
//! tar parser through the gzip path). Errors are expected; panics, hangs and unbounded
//! memory are bugs.
//!
//! Two analyzers with overlapping interests make the walk hand some entries to one and
//! some to both (the shared-buffer path), and small limits make every limit reachable.
#![no_main]

use std::io::{Read, Write};
use std::sync::{Arc, LazyLock};

use drydock_oci::engine::analyzer::{Analyzer, AnalyzerResult, EntryMeta, Interest, InterestIndex, Magic};
use drydock_oci::engine::limits::Limits;
use drydock_oci::engine::walk::{LayerExpectation, walk_layer};
use drydock_oci::image::Compression;
use libfuzzer_sys::fuzz_target;

/// Wants a few names and ELF files, like a cataloger.
struct Names;

impl Analyzer for Names {
    fn name(&self) -> &'static str {
        "fuzz-names"
    }
    fn version(&self) -> u32 {
        1
    }
    fn interest(&self) -> Interest {
        Interest {
            basenames: vec!["os-release".into(), "package.json".into()],
            globs: vec!["/var/lib/dpkg/status.d/*".into()],
            magic: vec![Magic::Elf, Magic::Zip],
            ..Interest::default()
        }
    }
    fn analyze(&self, entry: &EntryMeta<'_>, content: &mut dyn Read) -> AnalyzerResult {
        read_some(entry, content)
    }
}

/// Wants every small file and setuid/setgid entries, like a secret scanner and a check.
struct Everything;

impl Analyzer for Everything {
    fn name(&self) -> &'static str {
        "fuzz-everything"
    }
    fn version(&self) -> u32 {
        1
    }
    fn interest(&self) -> Interest {
        Interest {
            all_files: true,
            max_size: Some(2048),
            mode_bits: 0o6000,
            ..Interest::default()
        }
    }
    fn analyze(&self, entry: &EntryMeta<'_>, content: &mut dyn Read) -> AnalyzerResult {
        read_some(entry, content)
    }
}

fn read_some(entry: &EntryMeta<'_>, content: &mut dyn Read) -> AnalyzerResult {
    let mut bytes = Vec::new();
    content.take(4096).read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    Ok(Some(format!("{} {}", entry.path, bytes.len()).into()))
}

fn walk(blob: &[u8], compression: Compression, analyzers: &[Arc<dyn Analyzer>], index: &InterestIndex) {
    let limits = Limits {
        max_layer_bytes: 1 << 20,
        max_layer_entries: 2_000,
        max_shared_file_bytes: 1024,
    };
    let expect = LayerExpectation {
        index: 0,
        label: "fuzz".to_string(),
        compression,
        digest: None,
        size: Some(blob.len() as u64),
        diff_id: None,
    };
    let _ = walk_layer(blob, &expect, analyzers, index, &limits);
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).expect("writing to a Vec");
    encoder.finish().expect("writing to a Vec")
}

/// Built once: compiling the globs on every run would dominate the run time.
static ANALYZERS: LazyLock<(Vec<Arc<dyn Analyzer>>, InterestIndex)> = LazyLock::new(|| {
    let analyzers: Vec<Arc<dyn Analyzer>> = vec![Arc::new(Names), Arc::new(Everything)];
    let index = InterestIndex::new(&analyzers).expect("the fuzz analyzers' globs are valid");
    (analyzers, index)
});

fuzz_target!(|data: &[u8]| {
    let (analyzers, index) = &*ANALYZERS;
    walk(data, Compression::Detect, analyzers, index);
    walk(data, Compression::Gzip, analyzers, index);
    walk(&gzip(data), Compression::Gzip, analyzers, index);
});
