//! `drydock lint`: formats, exit codes, severity filters, ignores, standard input and bad files.

use std::path::{Path, PathBuf};
use std::process::Output;

use assert_cmd::Command;
use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/dockerfiles")
        .join(name)
}

fn lint(args: &[&str], files: &[&str]) -> Output {
    Command::cargo_bin("drydock")
        .expect("the drydock binary")
        .arg("lint")
        .args(args)
        .args(files.iter().map(|f| fixture(f)))
        .env_remove("DRYDOCK_LINT_IGNORE")
        .output()
        .expect("run drydock")
}

fn json(args: &[&str], files: &[&str]) -> (Value, i32) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let output = lint(&all, files);
    let value = serde_json::from_slice(&output.stdout).expect("JSON output");
    (value, output.status.code().unwrap_or(-1))
}

fn rules(value: &Value) -> Vec<String> {
    value["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["rule"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn hardened_dockerfile_passes() {
    let output = lint(&[], &["hardened.Dockerfile"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "No findings in 1 Dockerfile.\n"
    );
}

#[test]
fn table_lists_location_rule_severity_and_message() {
    let output = lint(&[], &["misconfig.Dockerfile"]);
    assert_eq!(output.status.code(), Some(1));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("misconfig.Dockerfile:10:5"), "{text}");
    assert!(text.contains("DD-DF-050") && text.contains("high"));
    assert!(text.contains("<7 characters, masked>") && !text.contains("hunter2"));
    assert!(text.contains("findings ("));
}

#[test]
fn misconfig_dockerfile_yields_what_was_planted() {
    let (value, code) = json(&[], &["misconfig.Dockerfile"]);
    assert_eq!(code, 1);
    let mut found = rules(&value);
    found.sort();
    found.dedup();
    let expected = [
        "DD-DF-001",
        "DD-DF-011",
        "DD-DF-014",
        "DD-DF-025",
        "DD-DF-028",
        "DD-DF-042",
        "DD-DF-050",
    ];
    assert_eq!(found, expected);
    let secret = &value["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "DD-DF-050")
        .unwrap();
    assert_eq!(secret["location"]["line"], 10);
    assert_eq!(secret["severity"], "high");
}

#[test]
fn severity_filter_threshold_and_exit_code() {
    let (value, code) = json(&["--severity", "high"], &["installers.Dockerfile"]);
    assert!(
        rules(&value)
            .iter()
            .all(|r| ["DD-DF-012", "DD-DF-041", "DD-DF-060", "DD-DF-066"].contains(&r.as_str()))
    );
    assert_eq!(code, 1);
    let (_, code) = json(&["--failure-threshold", "critical"], &["installers.Dockerfile"]);
    assert_eq!(code, 0);
    let (_, code) = json(&["--exit-code", "0"], &["installers.Dockerfile"]);
    assert_eq!(code, 0);
    let (_, code) = json(
        &["--exit-code", "7", "--failure-threshold", "high"],
        &["installers.Dockerfile"],
    );
    assert_eq!(code, 7);
    let (value, code) = json(
        &["--severity", "low", "--failure-threshold", "medium"],
        &["python-flask.Dockerfile"],
    );
    assert!(!rules(&value).is_empty());
    assert_eq!(code, 0);
}

#[test]
fn ignores_take_drydock_and_hadolint_ids() {
    let (all, _) = json(&[], &["python-flask.Dockerfile"]);
    assert!(rules(&all).iter().any(|r| r == "DD-DF-070"));
    assert!(rules(&all).iter().any(|r| r == "DD-DF-026"));
    let (fewer, _) = json(&["--ignore", "DL3008,DD-DF-026"], &["python-flask.Dockerfile"]);
    assert!(!rules(&fewer).iter().any(|r| r == "DD-DF-070" || r == "DD-DF-026"));
    assert_eq!(rules(&fewer).len() + 2, rules(&all).len());
}

#[test]
fn sarif_is_valid_and_points_at_lines() {
    let output = lint(
        &["--format", "sarif"],
        &["installers.Dockerfile", "hardened.Dockerfile"],
    );
    assert_eq!(output.status.code(), Some(1));
    let value: Value = serde_json::from_slice(&output.stdout).expect("SARIF JSON");
    assert_eq!(value["version"], "2.1.0");
    let run = &value["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.len() >= 40);
    let results = run["results"].as_array().unwrap();
    assert!(!results.is_empty());
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let location = &result["locations"][0]["physicalLocation"];
        assert!(
            location["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .ends_with("installers.Dockerfile")
        );
        assert!(location["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lint.sarif");
    std::fs::write(&path, &output.stdout).unwrap();
    let validator = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/schemas/validate.py");
    let status = std::process::Command::new("python3")
        .arg(validator)
        .arg("sarif")
        .arg(&path)
        .status()
        .expect("python3 runs the SARIF schema check");
    assert!(
        status.success(),
        "the SARIF output does not match the SARIF 2.1.0 schema"
    );
}

#[test]
fn standard_input_and_bad_files() {
    let output = Command::cargo_bin("drydock")
        .unwrap()
        .args(["lint", "--format", "json", "-"])
        .write_stdin("FROM alpine\nUSER app\nHEALTHCHECK NONE\n")
        .output()
        .unwrap();
    let value: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(rules(&value), ["DD-DF-001"]);
    assert_eq!(value["findings"][0]["location"]["path"], "-");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("Dockerfile");
    std::fs::write(&bad, "FROM a:1\nRUN <<EOF\necho never closed\n").unwrap();
    let output = Command::cargo_bin("drydock")
        .unwrap()
        .arg("lint")
        .arg(&bad)
        .arg(fixture("hardened.Dockerfile"))
        .arg(dir.path().join("missing"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Dockerfile:2:5: heredoc <<EOF is not terminated"),
        "{stderr}"
    );
    assert!(stderr.contains("missing"), "{stderr}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("No findings in 3 Dockerfiles."));
}
