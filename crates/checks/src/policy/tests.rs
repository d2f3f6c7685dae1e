use std::path::{Path, PathBuf};

use drydock_model::Severity;
use serde_json::json;

use super::*;

const HEADER: &str = "import rego.v1\n\nmetadata := {\"id\": \"CUSTOM-1\", \"title\": \"A title\", \"severity\": \"high\", \
                      \"remediation\": \"Fix it.\"}\n";

fn policy_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn load_one(files: &[(&str, &str)]) -> (tempfile::TempDir, Result<PolicySet, PolicyError>) {
    let dir = policy_dir(files);
    let loaded = load(&[dir.path().to_path_buf()]);
    (dir, loaded)
}

fn error_of(files: &[(&str, &str)]) -> String {
    match load_one(files).1 {
        Ok(set) => panic!("loaded: {:?}", set.rules()),
        Err(error) => error.to_string(),
    }
}

fn image_input(document: serde_json::Value) -> PolicyInput {
    PolicyInput {
        kind: InputKind::Image,
        document,
        location: CheckLocation::default(),
        name: "image test".into(),
    }
}

fn image_rule(body: &str) -> String {
    format!("package drydock.image.test\n\n{HEADER}\n{body}\n")
}

#[test]
fn parse_errors_name_the_file_and_line() {
    let error = error_of(&[
        ("ok.rego", &image_rule("deny contains \"x\" if { true }")),
        (
            "sub/broken.rego",
            "package drydock.image.broken\n\nimport rego.v1\n\ndeny contains msg if {\n  msg := \n}\n",
        ),
    ]);
    assert!(error.contains("sub/broken.rego:6:7: expecting `}`"), "{error}");
    assert!(!error.contains('\n'), "one line: {error}");
}

#[test]
fn rego_v0_syntax_gets_a_hint() {
    let error = error_of(&[(
        "old.rego",
        "package drydock.image.old\n\ndeny[msg] {\n  msg := \"a\"\n}\n",
    )]);
    assert!(error.contains("old.rego:3:"), "{error}");
    assert!(error.contains("Rego v1"), "{error}");
}

#[test]
fn empty_and_rule_less_directories_are_refused() {
    let error = error_of(&[("README.md", "no policies here")]);
    assert!(error.contains("holds no .rego file"), "{error}");
    let error = error_of(&[(
        "lib.rego",
        "package lib.helpers\n\nimport rego.v1\n\nis_root(u) if { u == \"root\" }\n",
    )]);
    assert!(error.contains("defines a deny or warn rule"), "{error}");
    let missing = load(&[PathBuf::from("/nonexistent/policies")]).unwrap_err().to_string();
    assert!(missing.contains("/nonexistent/policies"), "{missing}");
    let file = tempfile::NamedTempFile::new().unwrap();
    let not_dir = load(&[file.path().to_path_buf()]).unwrap_err().to_string();
    assert!(not_dir.contains("not a directory"), "{not_dir}");
}

#[test]
fn metadata_is_validated() {
    let cases = [
        (
            "metadata := {\"title\": \"t\", \"severity\": \"high\"}",
            "`id` is missing",
        ),
        (
            "metadata := {\"id\": \"X-1\", \"title\": \"t\", \"severity\": \"urgent\"}",
            "\"urgent\" is not one of",
        ),
        (
            "metadata := {\"id\": \"X-1\", \"title\": \"t\", \"severity\": 3}",
            "`severity` must be a string",
        ),
        (
            "metadata := {\"id\": \"X-1\", \"severity\": \"low\"}",
            "`title` is missing",
        ),
        (
            "metadata := {\"id\": \"dd-IMG-001\", \"title\": \"t\", \"severity\": \"low\"}",
            "reserved",
        ),
        (
            "metadata := {\"id\": \"a b\", \"title\": \"t\", \"severity\": \"low\"}",
            "may only hold",
        ),
        ("metadata := [1]", "must be an object"),
        ("metadata := input.x", "undefined"),
    ];
    for (metadata, expected) in cases {
        let text =
            format!("package drydock.image.m\n\nimport rego.v1\n\n{metadata}\n\ndeny contains \"x\" if {{ true }}\n");
        let error = error_of(&[("m.rego", &text)]);
        assert!(error.contains(expected), "{metadata}: {error}");
        assert!(error.contains("m.rego"), "{error}");
    }
    let no_metadata = error_of(&[(
        "n.rego",
        "package drydock.image.n\n\nimport rego.v1\n\ndeny contains \"x\" if { true }\n",
    )]);
    assert!(no_metadata.contains("has no metadata"), "{no_metadata}");
    let reserved = error_of(&[(
        "r.rego",
        &image_rule("deny contains \"x\" if { true }").replace("CUSTOM-1", "DD-IMG-001"),
    )]);
    assert!(
        reserved.contains("CUSTOM-IMG-001"),
        "suggests another prefix: {reserved}"
    );
}

#[test]
fn trivy_style_metadata_is_accepted() {
    let text = "package drydock.image.t\n\nimport rego.v1\n\n__rego_metadata__ := {\"id\": \"ORG-7\", \"title\": \"T\", \
                \"severity\": \"CRITICAL\", \"recommended_actions\": \"Do this.\"}\n\ndeny contains \"x\" if { true }\n";
    let (_dir, set) = load_one(&[("t.rego", text)]);
    let set = set.unwrap();
    let rule = &set.rules()[0];
    assert_eq!(
        (rule.id.as_str(), rule.severity, rule.remediation.as_str()),
        ("ORG-7", Severity::Critical, "Do this.")
    );
}

#[test]
fn duplicate_ids_and_misplaced_rules_are_refused() {
    let error = error_of(&[
        ("a.rego", &image_rule("deny contains \"x\" if { true }")),
        (
            "b.rego",
            &image_rule("deny contains \"y\" if { true }").replace("drydock.image.test", "drydock.image.other"),
        ),
    ]);
    assert!(
        error.contains("CUSTOM-1") && error.contains("a.rego") && error.contains("b.rego"),
        "{error}"
    );
    let error = error_of(&[(
        "c.rego",
        &image_rule("deny contains \"x\" if { true }").replace("drydock.image.test", "mine.image"),
    )]);
    assert!(error.contains("not under `drydock.<kind>`"), "{error}");
    let error = error_of(&[(
        "d.rego",
        &image_rule("deny contains \"x\" if { true }").replace("drydock.image.test", "drydock.images.x"),
    )]);
    assert!(error.contains("would never run"), "{error}");
    let error = error_of(&[("e.rego", &image_rule(""))]);
    assert!(error.contains("neither deny nor warn"), "{error}");
}

#[test]
fn deny_and_warn_become_findings() {
    let body = "deny contains sprintf(\"user is %q\", [input.config.user]) if { input.config.user == \"root\" }\n\
                deny contains {\"msg\": \"bad file\", \"path\": f.path, \"layer\": f.layer, \"line\": 3} if {\n\
                  some f in input.files\n  f.mode_octal == \"4755\"\n}\n\
                warn contains {\"msg\": \"no label\", \"object\": \"config.Labels\"} if { count(input.config.labels) == 0 }\n";
    let (_dir, set) = load_one(&[("p.rego", &image_rule(body))]);
    let mut set = set.unwrap();
    let input = image_input(json!({
        "config": { "user": "root", "labels": {} },
        "files": [ { "path": "/usr/bin/su", "mode_octal": "4755", "layer": 2 }, { "path": "/etc/passwd", "mode_octal": "0644", "layer": 0 } ],
    }));
    let findings = set.evaluate(&input).unwrap().findings;
    assert_eq!(findings.len(), 3, "{findings:#?}");
    let user = findings.iter().find(|f| f.message == "user is \"root\"").unwrap();
    assert_eq!(
        (user.severity, user.title.as_str(), user.remediation.as_str()),
        (Severity::High, "A title", "Fix it.")
    );
    let file = findings.iter().find(|f| f.message == "bad file").unwrap();
    assert_eq!(
        (file.location.path.as_deref(), file.location.layer, file.location.line),
        (Some("/usr/bin/su"), Some(2), Some(3))
    );
    let warn = findings.iter().find(|f| f.message == "no label").unwrap();
    assert_eq!(
        (warn.severity, warn.location.object.as_deref()),
        (Severity::Low, Some("config.Labels"))
    );
    assert!(findings.iter().all(|f| f.rule == "CUSTOM-1"));
    let clean = image_input(json!({ "config": { "user": "app", "labels": { "a": "b" } }, "files": [] }));
    assert!(set.evaluate(&clean).unwrap().findings.is_empty());
}

#[test]
fn bad_results_and_runtime_errors_name_the_rule() {
    let cases = [
        ("deny contains 42 if { true }", "not a string or an object"),
        (
            "deny contains {\"message\": \"x\"} if { true }",
            "has the key `message`",
        ),
        ("deny contains {\"path\": \"/x\"} if { true }", "has no `msg`"),
        (
            "deny contains {\"msg\": \"x\", \"line\": -1} if { true }",
            "`line` must be a non-negative whole number",
        ),
        ("deny := 7", "must be a set"),
        (
            "deny contains msg if { msg := sprintf(\"%d\", [1 / input.zero]) }",
            "divide by zero",
        ),
    ];
    for (body, expected) in cases {
        let (_dir, set) = load_one(&[("bad.rego", &image_rule(body))]);
        let error = set
            .unwrap()
            .evaluate(&image_input(json!({ "zero": 0 })))
            .unwrap_err()
            .to_string();
        assert!(error.contains(expected), "{body}: {error}");
        assert!(error.contains("bad.rego") && error.contains("deny"), "{error}");
    }
}

#[test]
fn rules_see_only_their_kind() {
    let kubernetes =
        image_rule("deny contains \"k8s\" if { true }").replace("drydock.image.test", "drydock.kubernetes.k");
    let manifest = image_rule("deny contains \"any manifest\" if { true }")
        .replace("drydock.image.test", "drydock.manifest.m")
        .replace("CUSTOM-1", "CUSTOM-2");
    let (_dir, set) = load_one(&[("k.rego", &kubernetes), ("m.rego", &manifest)]);
    let mut set = set.unwrap();
    assert!(!set.applies_to(InputKind::Image));
    assert!(set.evaluate(&image_input(json!({}))).unwrap().findings.is_empty());
    let compose = input::manifest("c.yaml", b"services:\n  web:\n    image: nginx\n").unwrap();
    let found = set.evaluate(&compose[0]).unwrap().findings;
    assert_eq!(
        found.iter().map(|f| f.message.as_str()).collect::<Vec<_>>(),
        ["any manifest"]
    );
    let pod = input::manifest("p.yaml", b"kind: Pod\nmetadata:\n  name: x\n").unwrap();
    assert_eq!(set.evaluate(&pod[0]).unwrap().findings.len(), 2);
}

#[test]
fn a_rule_that_runs_too_long_is_stopped() {
    let body = "deny contains \"never\" if {\n  some x in numbers.range(1, 3000000)\n  x < 0\n}";
    let (_dir, set) = load_one(&[("slow.rego", &image_rule(body))]);
    let mut set = set.unwrap();
    set.set_time_limit(std::time::Duration::from_millis(1));
    let error = set.evaluate(&image_input(json!({}))).unwrap_err().to_string();
    assert!(error.contains("time limit") && error.contains("slow.rego"), "{error}");
}

#[test]
fn prints_are_collected() {
    let (_dir, set) = load_one(&[(
        "p.rego",
        &image_rule("deny contains \"x\" if { print(\"seen\", input.n) }"),
    )]);
    let evaluation = set.unwrap().evaluate(&image_input(json!({ "n": 5 }))).unwrap();
    assert_eq!(evaluation.prints.len(), 1);
    assert!(
        evaluation.prints[0].contains("p.rego:") && evaluation.prints[0].contains("seen 5"),
        "{:?}",
        evaluation.prints
    );
}

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(path)
}

#[test]
fn manifest_inputs_are_one_per_document() {
    let path = fixture("tests/fixtures/manifests/multi-weak.yaml");
    let bytes = std::fs::read(&path).unwrap();
    let inputs = input::manifest("multi-weak.yaml", &bytes).unwrap();
    assert!(inputs.len() >= 2);
    for (index, input) in inputs.iter().enumerate() {
        let document = &input.document;
        assert_eq!(input.kind, InputKind::Kubernetes);
        assert_eq!(document["format"], "kubernetes");
        assert_eq!(document["path"], "multi-weak.yaml");
        // Empty documents count in the numbering (as in the built-in audit) but have no input.
        assert_eq!(document["documents"], 4);
        assert!(document["document"].as_u64().unwrap() as usize > index);
        let kind = document["raw"]["kind"].as_str().unwrap();
        let object = input.location.object.as_deref().unwrap();
        assert!(object.starts_with("document ") && object.contains(kind), "{object}");
        if kind != "Service" {
            assert!(
                !document["workloads"][0]["containers"].as_array().unwrap().is_empty(),
                "{document}"
            );
        }
    }
    let compose = std::fs::read(fixture("tests/fixtures/manifests/compose-weak.yaml")).unwrap();
    let compose = input::manifest("compose.yaml", &compose).unwrap();
    assert_eq!((compose.len(), compose[0].kind), (1, InputKind::Compose));
    assert!(compose[0].document["raw"]["services"].is_object());
    let oci = std::fs::read(fixture("tests/fixtures/manifests/oci-config-weak.json")).unwrap();
    let oci = input::manifest("config.json", &oci).unwrap();
    assert_eq!((oci.len(), oci[0].kind), (1, InputKind::OciRuntime));
    assert!(oci[0].document["raw"]["ociVersion"].is_string());
    assert!(input::manifest("bad.yaml", b"kind: [\n").is_err());
}

#[test]
fn dockerfile_input_has_stages_and_instructions() {
    let file = drydock_dockerfile::parse_file(&fixture("tests/fixtures/dockerfiles/hardened.Dockerfile")).unwrap();
    let input = input::dockerfile(&file);
    let document = &input.document;
    assert_eq!(document["format"], "dockerfile");
    assert_eq!(document["directives"]["syntax"], "docker/dockerfile:1.7");
    assert_eq!(document["args"][0]["name"], "PYTHON_IMAGE");
    assert_eq!(document["args"][0]["default"], "python:3.12.7-slim-bookworm");
    let stages = document["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 2);
    assert_eq!(
        (stages[0]["name"].as_str(), stages[0]["image"].as_str()),
        (Some("build"), Some("${PYTHON_IMAGE}"))
    );
    let run = stages[0]["instructions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["keyword"] == "RUN" && i["flags"]["mount"].is_string())
        .unwrap();
    assert_eq!(run["command"]["form"], "shell");
    assert!(run["command"]["script"].as_str().unwrap().contains("pip install"));
    let label = document["instructions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["keyword"] == "LABEL")
        .unwrap();
    assert_eq!(label["stage"], 1);
    assert_eq!(label["pairs"][0]["key"], "org.opencontainers.image.title");
    assert_eq!(input.location.path.as_deref(), Some(file.path.as_str()));
}

fn examples() -> PolicySet {
    load(&[fixture("examples/policies")]).unwrap()
}

#[test]
fn example_policies_load() {
    let set = examples();
    let ids: Vec<&str> = set.rules().iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "CUSTOM-DF-001",
            "CUSTOM-IMG-001",
            "CUSTOM-IMG-003",
            "CUSTOM-IMG-002",
            "CUSTOM-K8S-001"
        ]
    );
}

#[test]
fn example_dockerfile_policy() {
    let mut set = examples();
    let mut findings = |name: &str| {
        let file = drydock_dockerfile::parse_file(&fixture(&format!("tests/fixtures/dockerfiles/{name}"))).unwrap();
        set.evaluate(&input::dockerfile(&file)).unwrap().findings
    };
    let flask = findings("python-flask.Dockerfile");
    assert_eq!(flask.len(), 1, "{flask:#?}");
    assert_eq!(
        (flask[0].rule.as_str(), flask[0].location.line),
        ("CUSTOM-DF-001", Some(1))
    );
    // golang:1.23 is not approved, gcr.io/distroless is; `FROM base` names a stage.
    let go = findings("go-distroless.Dockerfile");
    assert_eq!(
        go.iter().map(|f| f.location.line).collect::<Vec<_>>(),
        [Some(2)],
        "{go:#?}"
    );
    let heredocs = findings("heredocs.Dockerfile");
    assert_eq!(heredocs.len(), 1, "{heredocs:#?}");
    // ${PYTHON_IMAGE} resolves to python:… from Docker Hub, in both stages.
    assert_eq!(findings("hardened.Dockerfile").len(), 2);
    assert!(findings("../policies/inputs/approved.Dockerfile").is_empty());
}

#[test]
fn example_kubernetes_policy() {
    let mut set = examples();
    let mut findings = |name: &str| {
        let bytes = std::fs::read(fixture(name)).unwrap();
        let mut found = Vec::new();
        for input in input::manifest(name, &bytes).unwrap() {
            found.extend(set.evaluate(&input).unwrap().findings);
        }
        found
    };
    let weak = findings("tests/fixtures/manifests/deployment-weak.yaml");
    let severities: Vec<Severity> = weak.iter().map(|f| f.severity).collect();
    assert_eq!(
        severities,
        [Severity::Medium, Severity::Low],
        "deny and warn: {weak:#?}"
    );
    assert_eq!(weak[0].location.object.as_deref(), Some("Deployment/web"));
    assert!(findings("tests/fixtures/policies/inputs/deployment-team.yaml").is_empty());
    // A Service is no workload; compose files are not Kubernetes.
    let multi = findings("tests/fixtures/manifests/multi-weak.yaml");
    assert!(multi.iter().all(|f| !f.message.contains("Service/")), "{multi:#?}");
    assert!(findings("tests/fixtures/manifests/compose-weak.yaml").is_empty());
}

#[test]
fn malformed_policies_never_panic() {
    let dir = fixture("examples/policies");
    let mut texts = Vec::new();
    for kind in ["image", "kubernetes", "dockerfile"] {
        for entry in std::fs::read_dir(dir.join(kind)).unwrap() {
            texts.push(std::fs::read_to_string(entry.unwrap().path()).unwrap());
        }
    }
    for text in texts {
        let cuts: Vec<usize> = text.char_indices().map(|(i, _)| i).step_by(7).collect();
        for cut in cuts {
            for mangled in [&text[..cut], &format!("{}}}{{\"[{}", &text[..cut], &text[cut..])] {
                let mut engine = regorus::Engine::new();
                let _ = engine.add_policy("m.rego".into(), mangled.to_string());
            }
        }
    }
}
