//! Parser edge cases and bad input: every error names the file and, for YAML, the document.

use super::model::{Confinement, User};
use super::*;

fn error_of(text: &str) -> String {
    match parse("manifests/app.yaml", text.as_bytes()) {
        Ok(workloads) => panic!("accepted: {workloads:?}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn invalid_yaml_names_the_file_and_document() {
    let message = error_of("kind: Pod\n---\nkind: [unclosed\n");
    assert!(
        message.starts_with("manifests/app.yaml, YAML document 2: "),
        "{message}"
    );
}

#[test]
fn wrong_field_types_are_errors_not_guesses() {
    let message = error_of("kind: Pod\nmetadata: {name: p}\nspec:\n  hostNetwork: maybe\n");
    assert!(message.contains("document 1") && message.contains("Pod/p"), "{message}");
    let message = error_of("services:\n  web:\n    user: [1]\n");
    assert!(
        message.contains("service web") && message.contains("`user`"),
        "{message}"
    );
}

#[test]
fn documents_without_kind_are_refused() {
    let message = error_of("apiVersion: v1\nmetadata: {name: x}\n");
    assert!(message.contains("no `kind`"), "{message}");
}

#[test]
fn binary_and_broken_json_are_refused() {
    assert!(
        parse("x", &[0xff, 0xfe, 0x00])
            .unwrap_err()
            .to_string()
            .contains("not UTF-8")
    );
    let message = parse(
        "config.json",
        br#"{"ociVersion": "1.0.2", "process": {"user": {"uid": -1}}}"#,
    )
    .unwrap_err()
    .to_string();
    assert!(
        message.starts_with("config.json: ") && message.contains("line 1"),
        "{message}"
    );
}

#[test]
fn other_kinds_and_empty_documents_are_skipped() {
    let text = "---\n---\napiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n";
    assert!(parse("x.yaml", text.as_bytes()).unwrap().is_empty());
}

#[test]
fn container_security_context_overrides_the_pod() {
    let text = "kind: Pod\nmetadata: {name: p}\nspec:\n  securityContext: {runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}\n  containers:\n  - name: a\n    securityContext: {runAsUser: 0, seccompProfile: {type: Unconfined}}\n  - name: b\n";
    let workloads = parse("p.yaml", text.as_bytes()).unwrap();
    let [a, b] = workloads[0].containers.as_slice() else {
        panic!("two containers expected")
    };
    assert_eq!(a.user, User::Root("runAsUser: 0".into()));
    assert!(matches!(a.seccomp, Confinement::Disabled(_)));
    assert_eq!(b.user, User::NonRoot);
    assert_eq!(b.seccomp, Confinement::Confined);
}

#[test]
fn lists_hold_workloads() {
    let text = "kind: List\nitems:\n- kind: Job\n  metadata: {name: j}\n  spec: {template: {spec: {containers: [{name: c, image: x}]}}}\n";
    let workloads = parse("l.yaml", text.as_bytes()).unwrap();
    assert_eq!(workloads.len(), 1);
    assert_eq!(workloads[0].name, "Job/j");
    assert_eq!(workloads[0].document, None);
}
