//! The fixture images: `misconfig` yields exactly the problems it was built with (its
//! ground truth, `tests/fixtures/images/misconfig.expected.json`), and no other fixture
//! yields a secret.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use drydock_checks::CheckOptions;
use drydock_model::CheckFinding;
use drydock_oci::{ImageRef, OpenOptions, ScanOptions};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images")
}

fn findings_of(name: &str) -> Vec<CheckFinding> {
    let text = format!("oci:{}:{name}", fixtures().join("oci").display());
    let reference: ImageRef = text.parse().unwrap();
    let opened = drydock_oci::open(&reference, &text, &OpenOptions::default()).unwrap();
    let options = CheckOptions::default();
    let scan_options = ScanOptions {
        cache: None,
        ..ScanOptions::default()
    };
    let scan = drydock_oci::scan(opened, &drydock_checks::analyzers(&options), &scan_options).unwrap();
    drydock_checks::image_findings(&scan, &options).unwrap()
}

/// What identifies a finding: rule, where (path or config object), layer, line.
type Key = (String, String, Option<usize>, Option<u32>);

fn key(finding: &CheckFinding) -> Key {
    let place = finding
        .location
        .path
        .clone()
        .or_else(|| finding.location.object.clone())
        .unwrap_or_default();
    (
        finding.rule.clone(),
        place,
        finding.location.layer,
        finding.location.line,
    )
}

/// The ground truth's names for what it planted, as drydock rule ids and places.
fn expected_misconfig() -> BTreeSet<Key> {
    let truth: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("misconfig.expected.json")).unwrap()).unwrap();
    let layer_of = |path: &str| match path {
        "/etc/app/credentials" => 1,
        "/root/.ssh/id_rsa" => 2,
        other => panic!("no layer known for {other}"),
    };
    let mut expected = BTreeSet::new();
    for secret in truth["planted"]["secrets"].as_array().unwrap() {
        let path = secret["path"].as_str().unwrap();
        let rule = match secret["rule"].as_str().unwrap() {
            "aws-access-key-id" => "DD-SEC-001",
            "aws-secret-access-key" => "DD-SEC-002",
            "private-key" => "DD-SEC-036",
            other => panic!("unmapped planted secret rule {other}"),
        };
        let line = secret["line"].as_u64().unwrap() as u32;
        expected.insert((rule.to_string(), path.to_string(), Some(layer_of(path)), Some(line)));
    }
    for check in truth["planted"]["config"].as_array().unwrap() {
        let (rule, object) = match check["check"].as_str().unwrap() {
            "user-is-root" => ("DD-IMG-001", "config.User"),
            "secret-in-env" => ("DD-IMG-003", "config.Env[1]"),
            "ssh-port-exposed" => ("DD-IMG-009", "config.ExposedPorts"),
            "no-healthcheck" => ("DD-IMG-002", "config.Healthcheck"),
            other => panic!("unmapped planted config check {other}"),
        };
        expected.insert((rule.to_string(), object.to_string(), None, None));
    }
    // Every setuid/setgid file (the Debian base's own and the planted one), and every
    // world-writable directory without the sticky bit.
    let facts = &truth["filesystem_facts"];
    for file in facts["setuid_setgid_files"].as_array().unwrap() {
        let path = file["path"].as_str().unwrap();
        let layer = if path == "/usr/local/bin/suid-tool" { 3 } else { 0 };
        expected.insert(("DD-IMG-011".into(), path.into(), Some(layer), None));
    }
    for dir in facts["world_writable_dirs"].as_array().unwrap() {
        if !dir["sticky"].as_bool().unwrap() {
            expected.insert(("DD-IMG-013".into(), dir["path"].as_str().unwrap().into(), Some(3), None));
        }
    }
    expected
}

#[test]
fn misconfig_yields_exactly_what_it_was_built_with() {
    let findings = findings_of("misconfig");
    let found: BTreeSet<Key> = findings.iter().map(key).collect();
    assert_eq!(found.len(), findings.len(), "one finding per problem");
    let expected = expected_misconfig();
    assert_eq!(
        expected.len(),
        20,
        "3 secrets, 4 config checks, 12 setuid/setgid files, 1 directory, per the truth"
    );
    let missing: Vec<&Key> = expected.difference(&found).collect();
    let unexpected: Vec<&Key> = found.difference(&expected).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "missing {missing:#?}\nunexpected {unexpected:#?}"
    );
}

#[test]
fn misconfig_messages_mask_every_secret() {
    let findings = findings_of("misconfig");
    let text = serde_json::to_string(&findings).unwrap();
    for clear in ["hunter2", "IOSFODNN7", "K7MDENG", "MIIE"] {
        assert!(!text.contains(clear), "`{clear}` appears in clear");
    }
    let by_rule = |rule: &str| findings.iter().find(|f| f.rule == rule).unwrap();
    assert_eq!(
        by_rule("DD-SEC-001").message,
        "AWS access key id (aws-access-key-id) AKIA****"
    );
    assert_eq!(
        by_rule("DD-SEC-036").message,
        "RSA private key (private-key-rsa) -----BEGIN RSA PRIVATE KEY-----****"
    );
    assert_eq!(
        by_rule("DD-IMG-003").message,
        "Env DB_PASSWORD: a literal value under a secret's name (h****)"
    );
}

fn assert_no_secrets(name: &str) {
    let secrets: Vec<CheckFinding> = findings_of(name)
        .into_iter()
        .filter(|f| f.rule.starts_with("DD-SEC"))
        .collect();
    assert!(secrets.is_empty(), "{name}: false positives {secrets:#?}");
}

#[test]
fn debian_min_has_no_secrets() {
    assert_no_secrets("debian-min");
}

#[test]
fn debian_python_has_no_secrets() {
    assert_no_secrets("debian-python");
}

#[test]
fn node_app_has_no_secrets() {
    assert_no_secrets("node-app");
}

#[test]
fn rust_app_has_no_secrets() {
    assert_no_secrets("rust-app");
}

#[test]
fn layers_whiteout_has_no_secrets() {
    assert_no_secrets("layers-whiteout");
}

#[test]
fn distroless_style_has_no_secrets() {
    assert_no_secrets("distroless-style");
}

#[test]
fn debian_nosec_has_no_secrets() {
    assert_no_secrets("debian-nosec");
}
