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
    let run_rules = drydock_checks::workload::rules::ALL.iter();
    for rule in drydock_checks::rules().iter().chain(run_rules) {
        let row = rendered
            .lines()
            .find(|line| line.starts_with(&format!("| {} |", rule.id)))
            .unwrap_or_else(|| panic!("{} has no row", rule.id));
        assert!(row.contains(rule.title), "{row}");
        if rule.id.starts_with("DD-IMG") || rule.id.starts_with("DD-RUN") {
            assert!(row.contains(&rule.remediation.replace('|', "\\|")), "{row}");
        }
    }
}

/// docs/runtime.md's DD-RUN table sits between markers and is the rule table's rendering.
#[test]
fn runtime_md_run_table_is_current() {
    use drydock_checks::docs::{RUNTIME_RUN_SECTION, replace_section, runtime_run_table};
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/runtime.md");
    let on_disk = std::fs::read_to_string(&path).unwrap();
    let rendered = replace_section(&on_disk, RUNTIME_RUN_SECTION, &runtime_run_table())
        .unwrap_or_else(|| panic!("docs/runtime.md has no `{RUNTIME_RUN_SECTION}` markers"));
    if std::env::var_os("DRYDOCK_BLESS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
        return;
    }
    assert!(
        on_disk == rendered,
        "the DD-RUN table of docs/runtime.md is out of date: run `DRYDOCK_BLESS=1 cargo nextest run -p drydock-checks runtime_md`"
    );
}

#[test]
fn run_scopes_cover_every_rule_in_order() {
    let scoped: Vec<&str> = drydock_checks::docs::RUN_SCOPES.iter().map(|(id, _)| *id).collect();
    let rules: Vec<&str> = drydock_checks::workload::rules::ALL.iter().map(|r| r.id).collect();
    assert_eq!(scoped, rules);
}

/// The manifest columns of the DD-RUN table agree with what the manifest audit does: every
/// rule marked for a format fires on one of that format's fixtures, and no unmarked one
/// fires on any of them.
#[test]
fn run_scopes_match_the_manifest_audit() {
    use std::collections::BTreeSet;
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures");
    let mut fired: [BTreeSet<String>; 3] = Default::default();
    let files = ["manifests", "run-scope"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(fixtures.join(dir)).unwrap())
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml" || e == "json"));
    for path in files {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let format = if name.starts_with("compose") {
            1
        } else if name.starts_with("oci-config") {
            2
        } else {
            0
        };
        for finding in drydock_checks::workload::audit_file(&path).unwrap() {
            fired[format].insert(finding.rule);
        }
    }
    let mut wrong = Vec::new();
    for (id, scope) in drydock_checks::docs::RUN_SCOPES {
        let marked = [scope.kubernetes, scope.compose, scope.oci_config];
        for (format, name) in ["Kubernetes", "compose", "OCI config.json"].iter().enumerate() {
            if marked[format] != fired[format].contains(*id) {
                wrong.push(format!(
                    "{id} {name}: table {}, fixtures {}",
                    marked[format], !marked[format]
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// docs/policy.md shows every example policy exactly as examples/policies ships it.
#[test]
fn policy_md_shows_the_example_policies() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let doc = std::fs::read_to_string(root.join("docs/policy.md")).unwrap();
    let mut count = 0;
    for kind in ["image", "kubernetes", "dockerfile"] {
        for entry in std::fs::read_dir(root.join("examples/policies").join(kind)).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let name = format!(
                "examples/policies/{kind}/{}",
                path.file_name().unwrap().to_string_lossy()
            );
            assert!(
                doc.contains(&format!("`{name}`:\n\n```rego\n{text}```")),
                "{name} differs in docs/policy.md"
            );
            count += 1;
        }
    }
    assert_eq!(count, 5);
}
