//! A Docker Engine container inspect document: parse, then every DD-RUN check, with and
//! without AppArmor/SELinux on the engine.
#![no_main]

use drydock_runtime::EngineContext;
use drydock_runtime::container::audit_inspect_json;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let plain = EngineContext::default();
    let confined = EngineContext {
        apparmor: true,
        selinux: true,
        ..EngineContext::default()
    };
    for engine in [plain, confined] {
        if let Ok(audit) = audit_inspect_json(data, "fuzz", &engine) {
            assert!(!audit.id.is_empty());
            assert_eq!(audit.findings_with_container().count(), audit.findings.len());
        }
    }
});
