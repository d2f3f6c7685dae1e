//! Shared by the catalog's fixture tests: scanning a fixture image and reading its ground truth.

use std::path::{Path, PathBuf};

use drydock_model::Inventory;
use drydock_oci::{ImageRef, OpenOptions, ScanOptions};
use serde_json::Value;

/// `tests/fixtures/images` of the repository.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images")
}

/// `<name>.expected.json`.
pub fn expected(name: &str) -> Value {
    let path = fixtures().join(format!("{name}.expected.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The inventory of a fixture image, scanned from the shared OCI layout with every cataloger.
pub fn inventory_of(name: &str) -> Inventory {
    let text = format!("oci:{}:{name}", fixtures().join("oci").display());
    let reference: ImageRef = text.parse().unwrap();
    let opened = drydock_oci::open(&reference, &text, &OpenOptions::default()).unwrap();
    let options = ScanOptions {
        cache: None,
        ..ScanOptions::default()
    };
    let scan = drydock_oci::scan(opened, &drydock_catalog::analyzers(), &options).unwrap();
    drydock_catalog::inventory(&scan)
}
