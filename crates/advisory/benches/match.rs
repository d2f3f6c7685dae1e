//! Opening the database built from all the OSV data in tests/fixtures/vulndb, and matching
//! 10,000 packages against it (goal: under 100 ms in total). The packages are named in the
//! advisories themselves, so every lookup finds candidates to evaluate (see `packages`).

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use drydock_advisory::Database;
use drydock_advisory::import::Importer;
use drydock_advisory::osv::OsvRecord;
use drydock_model::{Ecosystem, Inventory, OsRelease, Package, SourcePackage};
use drydock_version::{Scheme, Version};
use std::collections::BTreeMap;

const ZIPS: [&str; 5] = [
    "PyPI/all.zip",
    "PyPI/ghsa.zip",
    "npm/all.zip",
    "crates.io/all.zip",
    "Debian/all.zip",
];

fn osv_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/vulndb/osv")
}

fn build(path: &Path) {
    let mut importer = Importer::new("2026-11-22T00:00:00Z").expect("importer");
    for zip in ZIPS {
        let zip_path = osv_dir().join(zip);
        importer.add_path(&zip_path, zip, zip).expect("import");
    }
    importer.finish(path, "bench").expect("write");
}

/// `count` packages named in the advisories, as an image would hold them: most at the
/// newest version any advisory mentions for them (so every lookup finds candidates to
/// evaluate, but few match), one in ten at an old, affected version.
fn packages(count: usize) -> Inventory {
    let mut inventory = Inventory {
        os: Some(OsRelease {
            id: "debian".into(),
            version_id: Some("12".into()),
            ..OsRelease::default()
        }),
        ..Inventory::default()
    };
    let mut newest: BTreeMap<(Ecosystem, String), (Version, String, String)> = BTreeMap::new();
    for zip in ZIPS {
        let file = std::fs::File::open(osv_dir().join(zip)).unwrap();
        let mut archive = zip::ZipArchive::new(file).unwrap();
        for index in 0..archive.len() {
            let mut member = archive.by_index(index).unwrap();
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut member, &mut bytes).unwrap();
            let Ok(record) = OsvRecord::from_json(&bytes) else {
                continue;
            };
            for affected in &record.affected {
                let Some(package) = &affected.package else { continue };
                let (ecosystem, scheme) = match package.ecosystem.split(':').next().unwrap() {
                    "PyPI" => (Ecosystem::PyPI, Scheme::Pep440),
                    "npm" => (Ecosystem::Npm, Scheme::SemVer),
                    "crates.io" => (Ecosystem::Cargo, Scheme::SemVer),
                    "Debian" => (Ecosystem::Deb, Scheme::Dpkg),
                    _ => continue,
                };
                let key = (ecosystem, package.name.clone());
                for event in affected.ranges.iter().flat_map(|r| r.events.iter()) {
                    if let Some(bound) = event.fixed.as_deref().or(event.last_affected.as_deref())
                        && let Ok(version) = scheme.parse(bound)
                    {
                        let entry = newest
                            .entry(key.clone())
                            .or_insert_with(|| (version.clone(), bound.to_string(), String::new()));
                        if version > entry.0 {
                            entry.0 = version;
                            entry.1 = bound.to_string();
                        }
                    }
                    if let Some(old) = event.introduced.as_deref()
                        && old != "0"
                        && scheme.parse(old).is_ok()
                        && let Some(entry) = newest.get_mut(&key)
                    {
                        entry.2 = old.to_string();
                    }
                }
            }
        }
    }
    let distinct: Vec<_> = newest.into_iter().collect();
    for (index, ((ecosystem, name), (_, newest, old))) in distinct.iter().cycle().enumerate() {
        if inventory.packages.len() == count {
            break;
        }
        let version = if index % 10 == 0 && !old.is_empty() {
            old.clone()
        } else {
            newest.clone()
        };
        let mut found = Package::new(*ecosystem, name, &version);
        if *ecosystem == Ecosystem::Deb {
            found.source = Some(SourcePackage {
                name: name.clone(),
                version: version.clone(),
            });
        }
        inventory.packages.push(found);
    }
    inventory
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.ddb");
    build(&path);
    let inventory = packages(10_000);
    assert_eq!(inventory.packages.len(), 10_000);
    c.bench_function("open the database", |b| b.iter(|| Database::open(&path).unwrap()));
    let database = Database::open(&path).unwrap();
    let matches = drydock_advisory::matcher::match_inventory(&database, &inventory).unwrap();
    let findings: usize = matches.packages.iter().map(|p| p.findings.len()).sum();
    // CPU time, which other work on a shared machine inflates less than wall time.
    let (runs, cpu_before) = (20, thread_cpu_ticks());
    for _ in 0..runs {
        drydock_advisory::matcher::match_inventory(&database, &inventory).unwrap();
    }
    let cpu_ms = (thread_cpu_ticks() - cpu_before) as f64 * 10.0 / f64::from(runs);
    eprintln!(
        "workload: {} packages, {} of them affected, {findings} findings; {cpu_ms:.1} ms of CPU per run",
        inventory.packages.len(),
        matches.packages.len(),
    );
    c.bench_function("match 10,000 packages", |b| {
        b.iter(|| drydock_advisory::matcher::match_inventory(&database, &inventory).unwrap())
    });
    c.bench_function("open and match 10,000 packages", |b| {
        b.iter(|| {
            let database = Database::open(&path).unwrap();
            drydock_advisory::matcher::match_inventory(&database, &inventory).unwrap()
        })
    });
}

/// utime + stime of this thread in clock ticks (10 ms on Linux).
fn thread_cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or_default();
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |index: usize| fields.get(index).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    // Fields 14 and 15 of stat(5); `after_name` starts at field 3.
    field(11) + field(12)
}

criterion_group! {
    name = advisory;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(advisory);
