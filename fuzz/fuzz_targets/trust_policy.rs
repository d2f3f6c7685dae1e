//! Trust policy files, TOML and YAML; rule lookup on a parsed policy.
#![no_main]

use drydock_trust::policy::{PolicyFile, Syntax};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for syntax in [Syntax::Toml, Syntax::Yaml] {
        if let Ok(policy) = PolicyFile::parse(text, syntax, "fuzz") {
            for rule in &policy.rules {
                let _ = policy.rule_for(&rule.pattern);
            }
        }
    }
});
