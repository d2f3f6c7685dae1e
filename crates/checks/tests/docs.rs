//! docs/checks.md is generated from the rule tables; this keeps it in step.
//! `DRYDOCK_BLESS=1` rewrites it.

use std::path::Path;

#[test]
fn docs_are_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/checks.md");
    let rendered = drydock_checks::docs::render();
    if std::env::var_os("DRYDOCK_BLESS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == rendered,
        "docs/checks.md is out of date: run `DRYDOCK_BLESS=1 cargo nextest run -p drydock-checks docs_are_current`"
    );
}

#[test]
fn docs_list_every_rule_with_its_remediation() {
    let rendered = drydock_checks::docs::render();
    for rule in drydock_checks::rules() {
        let row = rendered
            .lines()
            .find(|line| line.starts_with(&format!("| {} |", rule.id)))
            .unwrap_or_else(|| panic!("{} has no row", rule.id));
        assert!(row.contains(rule.title), "{row}");
        if rule.id.starts_with("DD-IMG") {
            assert!(row.contains(&rule.remediation.replace('|', "\\|")), "{row}");
        }
    }
}
