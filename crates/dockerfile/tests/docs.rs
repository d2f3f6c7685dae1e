//! docs/dockerfile-rules.md is generated from the rule table; this test keeps it in step.
//! `DRYDOCK_BLESS=1` rewrites it.

use std::path::Path;

#[test]
fn rules_document_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/dockerfile-rules.md");
    let generated = drydock_dockerfile::rules_markdown();
    if std::env::var_os("DRYDOCK_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "{} is out of date: run `DRYDOCK_BLESS=1 cargo nextest run -p drydock-dockerfile --test docs`",
        path.display()
    );
    for rule in drydock_dockerfile::rules::all() {
        assert!(current.contains(rule.info.id));
    }
}
