//! OSV records: parsed, compiled into a store, the store opened and every package looked up.
#![no_main]

use drydock_advisory::Database;
use drydock_advisory::import::Importer;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = drydock_advisory::osv::OsvRecord::from_json(data);
    let mut importer = Importer::new("2026-01-01T00:00:00Z").expect("importer");
    importer.add_json(data, "fuzz.json");
    let Ok((bytes, summary)) = importer.finish_in_memory("fuzz") else {
        return;
    };
    let database = Database::from_vec(std::path::Path::new("fuzz.ddb"), bytes).expect("a store we wrote opens");
    if summary.meta.records == 0 {
        return;
    }
    let record = drydock_advisory::osv::OsvRecord::from_json(data).expect("imported, so it parses");
    for affected in &record.affected {
        if let Some(package) = &affected.package {
            let family = drydock_advisory::ecosystem::family(&package.ecosystem);
            let name = drydock_advisory::ecosystem::normalize_name(family, &package.name);
            database.lookup(family, &name).expect("lookups in a store we wrote succeed");
        }
    }
    for index in 0..database.record_count() as u32 {
        database.record(index).expect("records of a store we wrote read back");
    }
});
