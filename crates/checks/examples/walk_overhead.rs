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
        let mut unread = bytes.as_slice();
        let start = Instant::now();
        let result = self.inner.analyze(entry, &mut unread);
        let elapsed = start.elapsed().as_nanos() as u64;
        self.nanos.fetch_add(elapsed, Ordering::Relaxed);
        // The bytes the analyzer actually read (it stops early on binary files).
        self.bytes
            .fetch_add((bytes.len() - unread.len()) as u64, Ordering::Relaxed);
        self.files.fetch_add(1, Ordering::Relaxed);
        result
    }
}

/// User + system CPU seconds of this process so far (Linux `/proc/self/stat`, 100 ticks a
/// second); CPU time is steadier than wall time on a machine shared with other work.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // After the command name: state is field 0, utime field 11, stime field 12.
    (ticks(11) + ticks(12)) / 100.0
}

struct Timing {
    wall: Duration,
    cpu: f64,
    findings: u64,
}

fn walk(reference: &ImageRef, text: &str, analyzers: &[Arc<dyn Analyzer>]) -> Result<Timing, String> {
    let opened = drydock_oci::open(reference, text, &OpenOptions::default()).map_err(|e| e.to_string())?;
    let options = ScanOptions {
        cache: None,
        ..ScanOptions::default()
    };
    let (start, cpu_start) = (Instant::now(), cpu_seconds());
    let scan = drydock_oci::scan(opened, analyzers, &options).map_err(|e| e.to_string())?;
    let (wall, cpu) = (start.elapsed(), cpu_seconds() - cpu_start);
    let findings = drydock_checks::image_findings(&scan, &CheckOptions::default()).map_err(|e| e.to_string())?;
    Ok(Timing {
        wall,
        cpu,
        findings: findings.len() as u64,
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
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
        plain.push(walk(&reference, &text, &[])?);
    }
    let analyzers = drydock_checks::analyzers(&CheckOptions::default());
    let mut checked = Vec::new();
    for _ in 0..runs.max(1) {
        checked.push(walk(&reference, &text, &analyzers)?);
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
    let findings = checked.last().map_or(0, |t| t.findings);
    let wall = |timings: &[Timing]| median(timings.iter().map(|t| t.wall.as_secs_f64()).collect());
    let cpu = |timings: &[Timing]| median(timings.iter().map(|t| t.cpu).collect());
    let (plain_wall, checked_wall, plain_cpu, checked_cpu) = (wall(&plain), wall(&checked), cpu(&plain), cpu(&checked));
    println!("image:                 {text}");
    println!("walk, no analyzer:     {plain_wall:.3} s wall, {plain_cpu:.2} s CPU (medians of {runs})");
    println!("walk + checks:         {checked_wall:.3} s wall, {checked_cpu:.2} s CPU (medians of {runs})");
    println!(
        "overhead:              {:.1} % wall, {:.1} % CPU",
        (checked_wall / plain_wall - 1.0) * 100.0,
        (checked_cpu / plain_cpu - 1.0) * 100.0
    );
    println!("findings:              {findings}");
    for t in &timed {
        let bytes = t.bytes.load(Ordering::Relaxed) as f64;
        let seconds = t.nanos.load(Ordering::Relaxed) as f64 / 1e9;
        println!(
            "{:<22} {} files, {:.1} MB read, {:.3} s inside (CPU, all threads), {:.0} MB/s",
            format!("{}:", t.name()),
            t.files.load(Ordering::Relaxed),
            bytes / 1e6,
            seconds,
            if seconds > 0.0 { bytes / 1e6 / seconds } else { 0.0 }
        );
    }
    Ok(())
}
