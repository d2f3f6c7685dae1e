//! Python declarations: `requirements*.txt`, `poetry.lock`, `uv.lock` and `Pipfile.lock`.
#![no_main]

use drydock_catalog::ecosystems::python;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let results = [
        Ok(python::parse_requirements(data)),
        python::parse_poetry_lock(data),
        python::parse_uv_lock(data),
        python::parse_pipfile_lock(data),
    ];
    for found in results.iter().flatten() {
        for package in &found.packages {
            assert!(!package.name.is_empty() && !package.version.is_empty());
            assert!(package.purl.starts_with("pkg:pypi/"));
        }
    }
});
