//! docs/runtime.md's DD-HOST and DD-PRB tables sit between markers and are the rule tables'
//! rendering (`DRYDOCK_BLESS=1` rewrites them); the "live container" column of
//! docs/checks.md's DD-RUN table agrees with the container audit.

use std::path::{Path, PathBuf};

use drydock_checks::docs::{RUN_SCOPES, replace_section, rule_table};
use drydock_runtime::EngineContext;
use drydock_runtime::container::audit_inspect_json;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn runtime_md_host_and_probe_tables_are_current() {
    let path = root().join("docs/runtime.md");
    let on_disk = std::fs::read_to_string(&path).unwrap();
    let mut rendered = on_disk.clone();
    for (section, rules) in [
        ("DD-HOST rules (crates/runtime)", drydock_runtime::host::rules::ALL),
        ("DD-PRB rules (crates/runtime)", drydock_runtime::probe::rules::ALL),
    ] {
        rendered = replace_section(&rendered, section, &rule_table(rules))
            .unwrap_or_else(|| panic!("docs/runtime.md has no `{section}` markers"));
    }
    if std::env::var_os("DRYDOCK_BLESS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
        return;
    }
    assert!(
        on_disk == rendered,
        "docs/runtime.md's rule tables are out of date: run `DRYDOCK_BLESS=1 cargo nextest run -p drydock-runtime runtime_md`"
    );
}

/// No rule the table says live containers cannot break fires on a recorded container.
#[test]
fn live_container_column_matches_the_audit() {
    let dir = root().join("tests/fixtures/runtime/containers");
    let mut fired = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let bytes = std::fs::read(&path).unwrap();
            let audit = audit_inspect_json(&bytes, &path.display().to_string(), &EngineContext::default()).unwrap();
            fired.extend(audit.findings.into_iter().map(|f| f.rule));
        }
    }
    assert!(fired.len() > 10, "the fixtures exercise the audit: {fired:?}");
    for rule in &fired {
        let scope = RUN_SCOPES.iter().find(|(id, _)| id == rule).map(|(_, s)| *s);
        assert!(
            scope.is_some_and(|s| s.live_container),
            "{rule} fires on a live container but docs/checks.md says it cannot"
        );
    }
}
