//! A workload manifest (Kubernetes YAML, compose, OCI config.json): detect the format,
//! parse, then judge every workload with the DD-RUN rules. Errors are fine; panics and
//! hangs are not, and every finding must carry a known rule and the file's name.
#![no_main]

use drydock_checks::workload::{audit_bytes, rules};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(findings) = audit_bytes("fuzz.yaml", data) else {
        return;
    };
    for finding in findings {
        assert!(rules::ALL.iter().any(|rule| rule.id == finding.rule));
        assert_eq!(finding.location.path.as_deref(), Some("fuzz.yaml"));
    }
});
