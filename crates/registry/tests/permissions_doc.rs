//! docs/permissions.md is rendered from the permission table; this keeps it in step.
//! `DRYDOCK_BLESS=1` rewrites it.

use std::path::Path;

use drydock_registry::auth::permissions::{Role, TABLE};

#[test]
fn permissions_doc_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/permissions.md");
    let rendered = drydock_registry::auth::docs::render();
    if std::env::var_os("DRYDOCK_BLESS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
        return;
    }
    let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        on_disk == rendered,
        "docs/permissions.md is out of date: run `DRYDOCK_BLESS=1 cargo nextest run -p drydock-registry permissions_doc`"
    );
}

#[test]
fn permissions_doc_has_a_row_per_permission_with_its_marks() {
    let rendered = drydock_registry::auth::docs::render();
    for grant in TABLE {
        let row = rendered
            .lines()
            .find(|line| line.starts_with(&format!("| `{}` |", grant.name)))
            .unwrap_or_else(|| panic!("{} has no row", grant.name));
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        // "", name, description, one cell per role, public, robot, "".
        assert_eq!(cells.len(), Role::ALL.len() + 6, "{row}");
        for (index, held) in grant.roles.iter().enumerate() {
            assert_eq!(cells[3 + index] == "✓", *held, "{row}");
        }
        assert_eq!(cells[3 + Role::ALL.len()] == "✓", grant.public, "{row}");
        assert_eq!(cells[4 + Role::ALL.len()] == "✓", grant.robot, "{row}");
    }
}
