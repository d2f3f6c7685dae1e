//! Throughput of the layer walk (`walk_layer`) over an in-memory layer.
//!
//! The layer looks like a package-manager layer: many small files in a directory tree,
//! some symlinks, a few larger binaries. It is built once, as a plain tar and as gzip,
//! before anything is timed. Each is walked with no analyzer (the `inspect --files` path:
//! entry metadata, digests, decompression) and with one analyzer that wants a few
//! basenames (the interest index is consulted for every entry, and the wanted files are
//! read). Throughput is in uncompressed tar bytes for both, so plain and gzip compare.
//!
//! Times are the walking thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`), not wall time:
//! `walk_layer` runs on the calling thread only, so on an idle machine the two agree, and on
//! a machine shared with other builds CPU time still measures the walk rather than the
//! scheduler. `DRYDOCK_BENCH_WALL_TIME=1` switches to criterion's usual wall-clock time.
//!
//! Run: `cargo bench -p drydock-oci --bench tar_walk` (add `-- --quick` for a short run).

use std::hint::black_box;
use std::io::{Read, Write};
use std::sync::Arc;
use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};
use criterion::{BenchmarkId, Criterion, Throughput};
use drydock_oci::engine::analyzer::{Analyzer, AnalyzerResult, EntryMeta, Interest, InterestIndex};
use drydock_oci::engine::limits::Limits;
use drydock_oci::engine::walk::{LayerExpectation, walk_layer};
use drydock_oci::image::Compression;

const SMALL_FILES: usize = 20_000;
const FILES_PER_DIR: usize = 50;
const LARGE_FILES: usize = 8;
const LARGE_FILE_BYTES: usize = 2 * 1024 * 1024;
/// Basenames the analyzer asks for; each occurs in a few directories of the layer.
const WANTED: [&str; 3] = ["package.json", "METADATA", "os-release"];

/// Deterministic filler that compresses about as well as real binaries and text do
/// (neither all zeros nor incompressible noise).
fn content(seed: usize, len: usize) -> Vec<u8> {
    let mut state = seed as u64 ^ 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|i| {
            if i % 64 < 40 {
                b"drydock layer walk benchmark content "[i % 37]
            } else {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state & 0xff) as u8
            }
        })
        .collect()
}

fn header(kind: tar::EntryType, size: u64, mode: u32) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(kind);
    header.set_size(size);
    header.set_mode(mode);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(1_700_000_000);
    header
}

fn add_dir(tar: &mut tar::Builder<Vec<u8>>, path: &str) {
    let mut h = header(tar::EntryType::Directory, 0, 0o755);
    tar.append_data(&mut h, path, std::io::empty()).expect("append dir");
}

/// The uncompressed layer tar.
fn build_layer() -> Vec<u8> {
    let mut tar = tar::Builder::new(Vec::new());
    add_dir(&mut tar, "usr/");
    add_dir(&mut tar, "usr/lib/");
    for i in 0..SMALL_FILES {
        let dir = format!("usr/lib/pkg{:04}", i / FILES_PER_DIR);
        if i % FILES_PER_DIR == 0 {
            add_dir(&mut tar, &format!("{dir}/"));
        }
        let name = match i % 997 {
            0 => WANTED[0].to_string(),
            1 => WANTED[1].to_string(),
            2 => WANTED[2].to_string(),
            _ => format!("file{i}.py"),
        };
        let body = content(i, 200 + (i * 131) % 6000);
        let mut h = header(tar::EntryType::Regular, body.len() as u64, 0o644);
        tar.append_data(&mut h, format!("{dir}/{name}"), body.as_slice())
            .expect("append file");
        if i % 10 == 0 {
            let mut h = header(tar::EntryType::Symlink, 0, 0o777);
            tar.append_link(&mut h, format!("{dir}/link{i}"), format!("file{i}.py"))
                .expect("append symlink");
        }
    }
    add_dir(&mut tar, "usr/bin/");
    for i in 0..LARGE_FILES {
        let body = content(SMALL_FILES + i, LARGE_FILE_BYTES);
        let mut h = header(tar::EntryType::Regular, body.len() as u64, 0o755);
        tar.append_data(&mut h, format!("usr/bin/tool{i}"), body.as_slice())
            .expect("append large file");
    }
    tar.into_inner().expect("finish tar")
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

/// Reads the files it is handed and counts their bytes, like a cataloger would.
struct Basenames;

impl Analyzer for Basenames {
    fn name(&self) -> &'static str {
        "bench-basenames"
    }

    fn version(&self) -> u32 {
        1
    }

    fn interest(&self) -> Interest {
        Interest {
            basenames: WANTED.iter().map(|s| s.to_string()).collect(),
            ..Interest::default()
        }
    }

    fn analyze(&self, _entry: &EntryMeta<'_>, content: &mut dyn Read) -> AnalyzerResult {
        let mut bytes = Vec::new();
        content.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
        Ok(Some(serde_json::json!(bytes.len())))
    }
}

fn expectation(compression: Compression) -> LayerExpectation {
    LayerExpectation {
        index: 0,
        label: "bench".to_string(),
        compression,
        digest: None,
        size: None,
        diff_id: None,
    }
}

/// CPU time consumed by the current thread.
struct ThreadCpuTime;

fn thread_cpu_now() -> Duration {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `now` is a valid, writable timespec; this clock exists on every Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(now.tv_sec as u64, now.tv_nsec as u32)
}

impl Measurement for ThreadCpuTime {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        thread_cpu_now()
    }
    fn end(&self, start: Duration) -> Duration {
        thread_cpu_now().saturating_sub(start)
    }
    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }
    fn zero(&self) -> Duration {
        Duration::ZERO
    }
    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        // Values are nanoseconds, like wall time's: reuse its formatting.
        static WALL: WallTime = WallTime;
        WALL.formatter()
    }
}

fn bench_walk<M: Measurement>(c: &mut Criterion<M>) {
    let tar = build_layer();
    let gz = gzip(&tar);
    let limits = Limits::default();
    let none: Vec<Arc<dyn Analyzer>> = Vec::new();
    let one: Vec<Arc<dyn Analyzer>> = vec![Arc::new(Basenames)];
    let analyzer_sets = [("no-analyzer", &none), ("basenames", &one)];

    let mut group = c.benchmark_group("walk_layer");
    group.throughput(Throughput::Bytes(tar.len() as u64));
    // One walk takes 0.2 to 0.5 s: ten samples need more than the default 5 s.
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for (label, analyzers) in analyzer_sets {
        let index = InterestIndex::new(analyzers).expect("interest index");
        for (format, blob, compression) in [("tar", &tar, Compression::None), ("tar.gz", &gz, Compression::Gzip)] {
            let expect = expectation(compression);
            group.bench_with_input(BenchmarkId::new(label, format), blob, |b, blob| {
                b.iter(|| {
                    let walked = walk_layer(blob.as_slice(), &expect, analyzers, &index, &limits).expect("walk");
                    black_box(walked.facts.entries.len())
                })
            });
        }
    }
    group.finish();
}

fn main() {
    if std::env::var_os("DRYDOCK_BENCH_WALL_TIME").is_some() {
        let mut c = Criterion::default().configure_from_args();
        bench_walk(&mut c);
        c.final_summary();
    } else {
        let mut c = Criterion::default()
            .with_measurement(ThreadCpuTime)
            .configure_from_args();
        bench_walk(&mut c);
        c.final_summary();
    }
}
