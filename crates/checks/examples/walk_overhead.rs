//! What secret scanning and the image checks cost on top of the layer walk.
//!
//! ```text
//! cargo run --release -p drydock-checks --example walk_overhead -- oci:<layout>:<tag> [runs]
//! ```
//!
//! Walks the image `runs` times (default 3) with no analyzer, then `runs` times with the
//! checks' analyzers, with no layer cache, and prints the median wall times and the
//! overhead; then once more with every analyzer call timed (content read first, so only the
//! analyzer's own work counts) for each analyzer's throughput: bytes handed to it divided
//! by the time spent inside it (summed over threads).

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use drydock_checks::CheckOptions;
use drydock_oci::engine::analyzer::{Analyzer, AnalyzerResult, EntryMeta, Interest};
use drydock_oci::{ImageRef, OpenOptions, ScanOptions};

/// Counts the bytes an analyzer reads and the time it spends.
struct Timed {
    inner: Arc<dyn Analyzer>,
    bytes: AtomicU64,
    nanos: AtomicU64,
    files: AtomicU64,
}

impl Analyzer for Timed {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn version(&self) -> u32 {
        self.inner.version()
    }

    fn interest(&self) -> Interest {
        self.inner.interest()
    }

    /// The content is read first (that time is the walk's: decompression and hashing), so
    /// only the analyzer's own work is timed.
    fn analyze(&self, entry: &EntryMeta<'_>, content: &mut dyn Read) -> AnalyzerResult {
        let mut bytes = Vec::new();
        content.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
        let start = Instant::now();
        let result = self.inner.analyze(entry, &mut bytes.as_slice());
        self.nanos
            .fetch_add(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
        self.bytes.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        self.files.fetch_add(1, Ordering::Relaxed);
        result
    }
}

fn walk(reference: &ImageRef, text: &str, analyzers: &[Arc<dyn Analyzer>]) -> Result<(Duration, u64), String> {
    let opened = drydock_oci::open(reference, text, &OpenOptions::default()).map_err(|e| e.to_string())?;
    let options = ScanOptions {
        cache: None,
        ..ScanOptions::default()
    };
    let start = Instant::now();
    let scan = drydock_oci::scan(opened, analyzers, &options).map_err(|e| e.to_string())?;
    let elapsed = start.elapsed();
    let findings = drydock_checks::image_findings(&scan, &CheckOptions::default()).map_err(|e| e.to_string())?;
    Ok((elapsed, findings.len() as u64))
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let text = args.next().ok_or("usage: walk_overhead <image reference> [runs]")?;
    let runs: usize = args
        .next()
        .map_or(Ok(3), |r| r.parse())
        .map_err(|e| format!("runs: {e}"))?;
    let reference: ImageRef = text.parse().map_err(|e: drydock_oci::OciError| e.to_string())?;

    let mut plain = Vec::new();
    for _ in 0..runs.max(1) {
        plain.push(walk(&reference, &text, &[])?.0);
    }
    let analyzers = drydock_checks::analyzers(&CheckOptions::default());
    let mut checked = Vec::new();
    let mut findings = 0;
    for _ in 0..runs.max(1) {
        let (elapsed, count) = walk(&reference, &text, &analyzers)?;
        checked.push(elapsed);
        findings = count;
    }
    // One more walk with every analyzer call timed, for the analyzers' own throughput.
    let timed: Vec<Arc<Timed>> = drydock_checks::analyzers(&CheckOptions::default())
        .into_iter()
        .map(|inner| {
            Arc::new(Timed {
                inner,
                bytes: AtomicU64::new(0),
                nanos: AtomicU64::new(0),
                files: AtomicU64::new(0),
            })
        })
        .collect();
    let timed_analyzers: Vec<Arc<dyn Analyzer>> = timed.iter().map(|t| t.clone() as Arc<dyn Analyzer>).collect();
    walk(&reference, &text, &timed_analyzers)?;
    let (plain, checked) = (median(plain), median(checked));
    println!("image:                 {text}");
    println!("walk, no analyzer:     {:.3} s (median of {runs})", plain.as_secs_f64());
    println!(
        "walk + checks:         {:.3} s (median of {runs})",
        checked.as_secs_f64()
    );
    println!(
        "overhead:              {:.1} %",
        (checked.as_secs_f64() / plain.as_secs_f64() - 1.0) * 100.0
    );
    println!("findings:              {findings}");
    for t in &timed {
        let bytes = t.bytes.load(Ordering::Relaxed) as f64;
        let seconds = t.nanos.load(Ordering::Relaxed) as f64 / 1e9;
        println!(
            "{:<22} {} files, {:.1} MB handed over, {:.3} s inside (CPU, all threads), {:.0} MB/s",
            format!("{}:", t.name()),
            t.files.load(Ordering::Relaxed),
            bytes / 1e6,
            seconds,
            if seconds > 0.0 { bytes / 1e6 / seconds } else { 0.0 }
        );
    }
    Ok(())
}
