//! Opening the database built from all the OSV data in tests/fixtures/vulndb, and matching
//! 10,000 packages against it (goal: under 100 ms in total). The packages are drawn from
//! the advisories themselves (their names, with versions taken from their ranges and lists)
//! plus names no advisory mentions, so most lookups find candidates to evaluate.

use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use drydock_advisory::Database;
use drydock_advisory::import::Importer;
use drydock_advisory::osv::OsvRecord;
use drydock_model::{Ecosystem, Inventory, OsRelease, Package, SourcePackage};

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

/// Up to `count` packages named in the advisories, with versions the advisories mention.
fn packages(count: usize) -> Inventory {
    let mut inventory = Inventory {
        os: Some(OsRelease {
            id: "debian".into(),
            version_id: Some("12".into()),
            ..OsRelease::default()
        }),
        ..Inventory::default()
    };
    'zips: for zip in ZIPS {
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
                let ecosystem = match package.ecosystem.split(':').next().unwrap() {
                    "PyPI" => Ecosystem::PyPI,
                    "npm" => Ecosystem::Npm,
                    "crates.io" => Ecosystem::Cargo,
                    "Debian" => Ecosystem::Deb,
                    _ => continue,
                };
                let versions: Vec<&str> = affected
                    .ranges
                    .iter()
                    .flat_map(|r| r.events.iter())
                    .filter_map(|e| e.fixed.as_deref().or(e.introduced.as_deref()))
                    .filter(|v| *v != "0")
                    .chain(affected.versions.iter().map(String::as_str))
                    .take(3)
                    .collect();
                for version in versions {
                    let mut found = Package::new(ecosystem, &package.name, version);
                    if ecosystem == Ecosystem::Deb {
                        found.source = Some(SourcePackage {
                            name: package.name.clone(),
                            version: version.to_string(),
                        });
                    }
                    inventory.packages.push(found);
                    if inventory.packages.len() * 10 >= count * 9 {
                        break 'zips;
                    }
                }
            }
        }
    }
    let mut filler = 0;
    while inventory.packages.len() < count {
        inventory.packages.push(Package::new(
            Ecosystem::Npm,
            &format!("no-such-package-{filler}"),
            "1.0.0",
        ));
        filler += 1;
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

criterion_group! {
    name = advisory;
    config = Criterion::default().sample_size(20);
    targets = benches
}
criterion_main!(advisory);
