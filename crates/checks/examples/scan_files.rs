//! The secret scanner alone over files on this machine: its throughput without the layer
//! walk, and what it finds (masked).
//!
//! ```text
//! cargo run --release -p drydock-checks --example scan_files -- DIR_OR_FILE...
//! ```
//!
//! Every regular text file up to 1 MiB under the arguments is read into memory first; then
//! the files are scanned twice, once timing the keyword prefilter alone and once the whole
//! scan, and the MB/s of both are printed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use drydock_checks::AllowList;
use drydock_checks::secrets::analyzer::scan_file;
use drydock_checks::secrets::{FileContext, SecretScanner};

fn collect(path: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    if meta.is_dir() {
        let Ok(entries) = std::fs::read_dir(path) else { return };
        for entry in entries.flatten() {
            collect(&entry.path(), out);
        }
    } else if meta.is_file()
        && meta.len() <= drydock_checks::DEFAULT_MAX_SECRET_FILE_BYTES
        && let Ok(bytes) = std::fs::read(path)
        && !bytes[..bytes.len().min(8192)].contains(&0)
    {
        out.push((path.to_path_buf(), bytes));
    }
}

fn main() {
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        collect(Path::new(&arg), &mut files);
    }
    let total: usize = files.iter().map(|(_, b)| b.len()).sum();
    let scanner = SecretScanner::get();
    let start = Instant::now();
    let triggered: usize = files.iter().map(|(_, b)| scanner.count_triggered_rules(b)).sum();
    let prefilter = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let found: usize = files
        .iter()
        .map(|(_, b)| scanner.scan(b, FileContext::default()).len())
        .sum();
    let full = start.elapsed().as_secs_f64();
    println!("{} text files, {:.1} MB", files.len(), total as f64 / 1e6);
    println!(
        "prefilter: {prefilter:.3} s, {:.0} MB/s, {triggered} rule runs",
        total as f64 / 1e6 / prefilter
    );
    println!(
        "full scan: {full:.3} s, {:.0} MB/s, {found} matches before path filters",
        total as f64 / 1e6 / full
    );
    for (path, bytes) in &files {
        let path = path.to_string_lossy();
        for hit in scan_file(&path, bytes, &AllowList::default()) {
            println!("{} {path}:{} {}", hit.rule, hit.line, hit.masked);
        }
    }
}
