//! `drydock audit manifest`: the fixtures in tests/fixtures/manifests yield exactly the
//! findings they were written to contain; the hardened ones yield none.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Output};

use serde_json::Value;

/// Rules only a live container can break (restart policy, health): never from a manifest.
const LIVE_ONLY_RULES: &[&str] = &["DD-RUN-023", "DD-RUN-024", "DD-RUN-025"];

const HARDENED: &[&str] = &[
    "deployment-hardened.yaml",
    "cronjob-hardened.yaml",
    "multi-hardened.yaml",
    "compose-hardened.yaml",
    "oci-config-hardened.json",
];

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/manifests")
        .join(name)
}

fn audit(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_drydock"))
        .args(["audit", "manifest"])
        .args(args)
        .output()
        .unwrap()
}

/// (rule, object) of every finding of one file, as the JSON output reports them.
fn findings(name: &str) -> Vec<(String, String)> {
    let path = fixture(name);
    let output = audit(&[path.to_str().unwrap(), "--format", "json"]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let json: Value = serde_json::from_slice(&output.stdout).unwrap();
    let manifests = json["manifests"].as_array().unwrap();
    assert_eq!(manifests.len(), 1);
    manifests[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let object = f["location"]["object"].as_str().unwrap_or_default();
            (f["rule"].as_str().unwrap().to_string(), object.to_string())
        })
        .collect()
}

fn expect(name: &str, expected: &[(&str, &str)]) {
    let found: BTreeSet<(String, String)> = findings(name).into_iter().collect();
    let wanted: BTreeSet<(String, String)> = expected
        .iter()
        .map(|(rule, object)| (format!("DD-RUN-{rule}"), object.to_string()))
        .collect();
    assert_eq!(found, wanted, "{name}");
    assert_eq!(findings(name).len(), expected.len(), "{name}: duplicate findings");
}

fn on(object: &'static str, rules: &[&'static str]) -> Vec<(&'static str, &'static str)> {
    rules.iter().map(|rule| (*rule, object)).collect()
}

#[test]
fn weak_deployment() {
    let app = "Deployment/web container app";
    let mut expected = on(
        app,
        &[
            "002", "003", "004", "005", "006", "007", "008", "009", "010", "011", "018", "019", "020", "021", "022",
            "026", "028",
        ],
    );
    expected.extend(on("Deployment/web", &["013", "014", "015", "029"]));
    expect("deployment-weak.yaml", &expected);
}

#[test]
fn weak_cronjob() {
    let mut expected = on(
        "CronJob/backup container backup",
        &["001", "004", "008", "009", "010", "011", "026", "028"],
    );
    expected.extend(on("CronJob/backup", &["029"]));
    expect("cronjob-weak.yaml", &expected);
}

#[test]
fn weak_multi_document_file() {
    let mut expected = on("document 1: Pod/tools container shell", &["026"]);
    expected.extend(on("document 1: Pod/tools", &["029"]));
    expected.extend(on(
        "document 4: StatefulSet/db initContainer migrate",
        &["002", "005", "008"],
    ));
    expected.extend(on("document 4: StatefulSet/db container postgres", &["005"]));
    expect("multi-weak.yaml", &expected);
}

#[test]
fn weak_compose_file() {
    let mut expected = on(
        "service/web",
        &[
            "002", "003", "004", "005", "006", "007", "008", "009", "010", "011", "012", "013", "014", "015", "016",
            "017", "018", "019", "020", "021", "022", "026", "027", "028",
        ],
    );
    expected.extend(on("service/worker", &["001", "009", "012", "026", "028"]));
    expect("compose-weak.yaml", &expected);
}

#[test]
fn weak_oci_runtime_spec() {
    let expected = on(
        "OCI runtime spec",
        &[
            "002", "003", "004", "005", "007", "008", "009", "010", "011", "012", "013", "016", "018", "019", "020",
            "027",
        ],
    );
    expect("oci-config-weak.json", &expected);
}

#[test]
fn hardened_manifests_have_no_findings() {
    for name in HARDENED {
        assert_eq!(findings(name), Vec::new(), "{name}");
    }
}

/// Every rule a manifest can break has a positive case above; the hardened files are the
/// negative case of each.
#[test]
fn every_manifest_rule_is_exercised() {
    let weak = [
        "deployment-weak.yaml",
        "cronjob-weak.yaml",
        "multi-weak.yaml",
        "compose-weak.yaml",
        "oci-config-weak.json",
    ];
    let found: BTreeSet<String> = weak
        .iter()
        .flat_map(|name| findings(name))
        .map(|(rule, _)| rule)
        .collect();
    let all: BTreeSet<String> = drydock_checks::workload::rules::ALL
        .iter()
        .map(|rule| rule.id.to_string())
        .filter(|id| !LIVE_ONLY_RULES.contains(&id.as_str()))
        .collect();
    assert_eq!(found, all);
}

#[test]
fn table_sarif_and_exit_code() {
    let weak = fixture("cronjob-weak.yaml");
    let hardened = fixture("cronjob-hardened.yaml");
    let output = audit(&[weak.to_str().unwrap(), hardened.to_str().unwrap(), "--exit-code", "3"]);
    assert_eq!(output.status.code(), Some(3));
    let table = String::from_utf8(output.stdout).unwrap();
    assert!(table.contains("cronjob-weak.yaml: 9 findings"), "{table}");
    assert!(table.contains("cronjob-hardened.yaml: 0 findings"), "{table}");
    assert!(
        table.contains("2 files, 9 findings (1 critical, 1 high, 4 medium, 3 low)."),
        "{table}"
    );

    let output = audit(&[hardened.to_str().unwrap(), "--exit-code", "3"]);
    assert_eq!(output.status.code(), Some(0));

    let output = audit(&[weak.to_str().unwrap(), "--format", "sarif"]);
    assert!(output.status.success());
    let sarif: Value = serde_json::from_slice(&output.stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 9);
    assert!(results.iter().any(|r| r["ruleId"] == "DD-RUN-001"));
}

#[test]
fn bad_input_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "kind: Pod\n---\nspec: [unclosed\n").unwrap();
    let output = audit(&[broken.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("broken.yaml, YAML document 2"), "{stderr}");

    let missing = dir.path().join("missing.yaml");
    let output = audit(&[missing.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("missing.yaml"));
}
