//! Store files: arbitrary bytes opened as a database (with a valid checksum patched in, so
//! the reader's bounds checks are exercised past the checksum) and queried.
#![no_main]

use drydock_advisory::Database;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::path::Path::new("fuzz.ddb");
    let _ = Database::from_vec(path, data.to_vec());
    let header = 24 + 5 * 16;
    if data.len() < header {
        return;
    }
    let mut patched = data.to_vec();
    patched[..8].copy_from_slice(b"DDOSVDB\0");
    patched[8..12].copy_from_slice(&1u32.to_le_bytes());
    let length = patched.len() as u64;
    patched[16..24].copy_from_slice(&length.to_le_bytes());
    let checksum = crc32fast::hash(&patched[16..]);
    patched[12..16].copy_from_slice(&checksum.to_le_bytes());
    let Ok(database) = Database::from_vec(path, patched) else {
        return;
    };
    for (family, name) in [("PyPI", "django"), ("Debian", "glibc"), ("npm", ""), ("", "")] {
        if let Ok(entries) = database.lookup(family, name) {
            for (record, _) in entries {
                let _ = database.record(record);
                let _ = database.record_id(record);
            }
        }
    }
    for index in 0..database.record_count().min(64) as u32 {
        let _ = database.record(index);
    }
});
