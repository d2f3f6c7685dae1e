//! Custom Rego rules end to end: the example policies of examples/policies over the fixture
//! images, Dockerfiles and manifests through `scan`, `lint` and `audit manifest` (each policy
//! with a positive and a negative case), JSON and SARIF output, exit codes, severity filters,
//! `drydock policy input|rules`, and bad policies.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use assert_cmd::Command;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn image(name: &str) -> String {
    format!("oci:{}:{name}", root().join("tests/fixtures/images/oci").display())
}

fn examples() -> String {
    root().join("examples/policies").display().to_string()
}

fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temp dir")).path()
}

fn drydock(args: &[&str]) -> Output {
    Command::cargo_bin("drydock")
        .expect("the drydock binary")
        .arg("--cache-dir")
        .arg(scratch().join("cache"))
        .args(args)
        .env_remove("DRYDOCK_LINT_IGNORE")
        .current_dir(root())
        .output()
        .expect("run drydock")
}

fn stdout_json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

/// `rule severity place` of every custom finding, sorted.
fn custom(findings: &Value) -> Vec<String> {
    let mut found: Vec<String> = findings
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| !f["rule"].as_str().unwrap().starts_with("DD-"))
        .map(|f| {
            let location = &f["location"];
            let place = location["object"].as_str().or(location["path"].as_str()).unwrap_or("-");
            format!(
                "{} {} {place}",
                f["rule"].as_str().unwrap(),
                f["severity"].as_str().unwrap()
            )
        })
        .collect();
    found.sort();
    found
}

fn scan_checks(target: &str, extra: &[&str]) -> (Value, i32) {
    let mut args = vec![
        "scan",
        target,
        "--scanners",
        "misconfig",
        "--format",
        "json",
        "--policy",
    ];
    let policies = examples();
    args.push(&policies);
    args.extend_from_slice(extra);
    let output = drydock(&args);
    let code = output.status.code().unwrap_or(-1);
    (stdout_json(&output)["checks"].clone(), code)
}

#[test]
fn scan_reports_custom_findings_beside_the_built_in_ones() {
    let (checks, code) = scan_checks(&image("misconfig"), &[]);
    assert_eq!(code, 0);
    assert_eq!(
        custom(&checks),
        [
            "CUSTOM-IMG-002 low config.Labels[org.opencontainers.image.revision]",
            "CUSTOM-IMG-002 medium config.Labels[org.opencontainers.image.source]",
            "CUSTOM-IMG-003 critical /root/.ssh/id_rsa",
            "CUSTOM-IMG-003 critical /root/.ssh/id_rsa.pub",
        ]
    );
    let key = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "CUSTOM-IMG-003" && f["location"]["path"] == "/root/.ssh/id_rsa")
        .unwrap();
    assert_eq!(key["location"]["layer"], 2);
    assert_eq!(key["title"], "File under /root/.ssh");
    assert_eq!(key["cis"], "CIS Docker Benchmark v1.6.0 4.10");
    assert!(key["remediation"].as_str().unwrap().contains("--mount=type=ssh"));
    assert!(
        checks.as_array().unwrap().iter().any(|f| f["rule"] == "DD-IMG-001"),
        "built-in checks still run"
    );
}

#[test]
fn denied_packages_policy() {
    let (checks, _) = scan_checks(&image("node-app"), &[]);
    let denied: Vec<String> = custom(&checks)
        .into_iter()
        .filter(|f| f.starts_with("CUSTOM-IMG-001"))
        .collect();
    assert_eq!(denied, ["CUSTOM-IMG-001 high /app/node_modules/lodash/package.json"]);
    let message = checks
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "CUSTOM-IMG-001")
        .unwrap()["message"]
        .clone();
    assert_eq!(
        message,
        "npm lodash 4.17.15 is denied: prototype pollution, CVE-2021-23337"
    );
    // debian-min has neither lodash nor any other denied package, nor files in /root/.ssh.
    let (checks, _) = scan_checks(&image("debian-min"), &[]);
    let found = custom(&checks);
    assert!(found.iter().all(|f| f.starts_with("CUSTOM-IMG-002")), "{found:?}");
}

/// distroless-style with `org.opencontainers.image.source` and `.revision` labels, as a
/// builder writes them: the same layer, a new config, manifest and index.
fn labelled_image() -> &'static str {
    static IMAGE: OnceLock<String> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let source = root().join("tests/fixtures/images/oci");
        let layout = scratch().join("labelled");
        let blobs = layout.join("blobs/sha256");
        std::fs::create_dir_all(&blobs).unwrap();
        let blob = |digest: &str| std::fs::read(source.join("blobs/sha256").join(&digest[7..])).unwrap();
        let write = |bytes: &[u8]| {
            let digest = format!("sha256:{}", hex::encode(Sha256::digest(bytes)));
            std::fs::write(blobs.join(&digest[7..]), bytes).unwrap();
            digest
        };
        let index: Value = serde_json::from_slice(&std::fs::read(source.join("index.json")).unwrap()).unwrap();
        let entry = index["manifests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == "distroless-style")
            .unwrap();
        let mut manifest: Value = serde_json::from_slice(&blob(entry["digest"].as_str().unwrap())).unwrap();
        let mut config: Value = serde_json::from_slice(&blob(manifest["config"]["digest"].as_str().unwrap())).unwrap();
        let labels = config["config"]["Labels"].as_object_mut().unwrap();
        labels.insert(
            "org.opencontainers.image.source".into(),
            json!("https://git.example.com/platform/app"),
        );
        labels.insert("org.opencontainers.image.revision".into(), json!("4f1e5b0"));
        for layer in manifest["layers"].as_array().unwrap() {
            write(&blob(layer["digest"].as_str().unwrap()));
        }
        let config_bytes = serde_json::to_vec(&config).unwrap();
        manifest["config"]["digest"] = json!(write(&config_bytes));
        manifest["config"]["size"] = json!(config_bytes.len());
        let manifest_bytes = serde_json::to_vec(&manifest).unwrap();
        let new_index = json!({
            "schemaVersion": 2,
            "manifests": [{
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": write(&manifest_bytes),
                "size": manifest_bytes.len(),
                "annotations": { "org.opencontainers.image.ref.name": "labelled" },
            }],
        });
        std::fs::write(layout.join("index.json"), serde_json::to_vec(&new_index).unwrap()).unwrap();
        std::fs::write(layout.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        format!("oci:{}:labelled", layout.display())
    })
}

#[test]
fn required_labels_policy() {
    let (checks, _) = scan_checks(&image("distroless-style"), &[]);
    assert_eq!(
        custom(&checks),
        [
            "CUSTOM-IMG-002 low config.Labels[org.opencontainers.image.revision]",
            "CUSTOM-IMG-002 medium config.Labels[org.opencontainers.image.source]",
        ]
    );
    let (checks, _) = scan_checks(labelled_image(), &[]);
    assert!(custom(&checks).is_empty(), "{:?}", custom(&checks));
}

#[test]
fn exit_code_and_severity_filter_count_custom_findings() {
    let (checks, code) = scan_checks(&image("misconfig"), &["--severity", "critical", "--exit-code", "4"]);
    assert_eq!(code, 4);
    assert_eq!(
        custom(&checks),
        [
            "CUSTOM-IMG-003 critical /root/.ssh/id_rsa",
            "CUSTOM-IMG-003 critical /root/.ssh/id_rsa.pub",
        ]
    );
    // Only custom findings remain on the labelled image at `low`: none, so exit 0.
    let (checks, code) = scan_checks(labelled_image(), &["--severity", "low", "--exit-code", "4"]);
    assert!(custom(&checks).is_empty());
    assert_eq!(code, i32::from(!checks.as_array().unwrap().is_empty()) * 4);
    // An ignore file naming a custom id drops it like a built-in one.
    let ignore = scratch().join("ignore-custom");
    std::fs::write(&ignore, "CUSTOM-IMG-003 # keys are test fixtures\n").unwrap();
    let (checks, _) = scan_checks(&image("misconfig"), &["--ignore-file", ignore.to_str().unwrap()]);
    assert!(custom(&checks).iter().all(|f| !f.starts_with("CUSTOM-IMG-003")));
}

#[test]
fn sarif_carries_custom_rules_and_results() {
    let policies = examples();
    let output = drydock(&[
        "scan",
        &image("misconfig"),
        "--scanners",
        "misconfig",
        "--format",
        "sarif",
        "--policy",
        &policies,
    ]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let sarif = stdout_json(&output);
    let run = &sarif["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let index = rules
        .iter()
        .position(|r| r["id"] == "CUSTOM-IMG-003")
        .expect("rule descriptor");
    let results: Vec<&Value> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "CUSTOM-IMG-003")
        .collect();
    assert_eq!(results.len(), 2);
    assert!(results.iter().all(|r| r["ruleIndex"] == index && r["level"] == "error"));
}

#[test]
fn lint_runs_dockerfile_policies() {
    let policies = examples();
    let dockerfile = |name: &str| {
        root()
            .join("tests/fixtures/dockerfiles")
            .join(name)
            .display()
            .to_string()
    };
    let output = drydock(&[
        "lint",
        "--format",
        "json",
        "--policy",
        &policies,
        &dockerfile("python-flask.Dockerfile"),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let findings = stdout_json(&output)["findings"].clone();
    let custom_findings: Vec<&Value> = findings
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "CUSTOM-DF-001")
        .collect();
    assert_eq!(custom_findings.len(), 1);
    assert_eq!(custom_findings[0]["location"]["line"], 1);
    assert_eq!(
        custom_findings[0]["message"],
        "stage 0 is built FROM python:3.11, which is not from an approved registry"
    );
    let approved = root().join("tests/fixtures/policies/inputs/approved.Dockerfile");
    let output = drydock(&[
        "lint",
        "--format",
        "json",
        "--policy",
        &policies,
        approved.to_str().unwrap(),
    ]);
    let findings = stdout_json(&output)["findings"].clone();
    assert!(custom(&findings).is_empty(), "{findings}");
    // SARIF: the custom rule is described and the result points at it.
    let output = drydock(&[
        "lint",
        "--format",
        "sarif",
        "--policy",
        &policies,
        &dockerfile("python-flask.Dockerfile"),
    ]);
    let sarif = stdout_json(&output);
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    let index = rules
        .iter()
        .position(|r| r["id"] == "CUSTOM-DF-001")
        .expect("descriptor");
    let result = sarif["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["ruleId"] == "CUSTOM-DF-001")
        .expect("result");
    assert_eq!(result["ruleIndex"], index);
    assert_eq!(result["locations"][0]["physicalLocation"]["region"]["startLine"], 1);
}

#[test]
fn audit_manifest_runs_manifest_policies() {
    let policies = examples();
    let manifest = |path: &str| root().join(path).display().to_string();
    let weak = manifest("tests/fixtures/manifests/deployment-weak.yaml");
    let output = drydock(&["audit", "manifest", "--format", "json", "--policy", &policies, &weak]);
    assert!(output.status.success());
    let findings = stdout_json(&output)["manifests"][0]["findings"].clone();
    assert_eq!(
        custom(&findings),
        [
            "CUSTOM-K8S-001 low Deployment/web",
            "CUSTOM-K8S-001 medium Deployment/web"
        ]
    );
    assert!(findings.as_array().unwrap().iter().any(|f| f["rule"] == "DD-RUN-013"));
    let team = manifest("tests/fixtures/policies/inputs/deployment-team.yaml");
    let output = drydock(&[
        "audit",
        "manifest",
        "--format",
        "json",
        "--exit-code",
        "3",
        "--policy",
        &policies,
        &team,
    ]);
    let findings = stdout_json(&output)["manifests"][0]["findings"].clone();
    assert!(custom(&findings).is_empty(), "{findings}");
    let output = drydock(&["audit", "manifest", "--format", "sarif", "--policy", &policies, &weak]);
    let sarif = stdout_json(&output);
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.iter().filter(|r| r["ruleId"] == "CUSTOM-K8S-001").count(), 2);
}

#[test]
fn policy_input_prints_what_policies_see() {
    let output = drydock(&["policy", "input", &image("misconfig")]);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let input = stdout_json(&output);
    assert_eq!(input["format"], "image");
    assert_eq!(
        input["digest"],
        "sha256:bed206e069e52ec4dbb5878bccefef392ccdab7c9d016159c6558a61c9ba8ffa"
    );
    assert_eq!(input["platform"], json!({ "os": "linux", "architecture": "amd64" }));
    assert_eq!(input["config"]["env_vars"]["APP_ENV"], "production");
    assert_eq!(input["config"]["workdir"], "/root");
    assert_eq!(input["config"]["exposed_ports"], json!(["22/tcp"]));
    assert_eq!(input["packages"].as_array().unwrap().len(), 88);
    assert_eq!(input["os"]["version_codename"], "bookworm");
    assert_eq!(input["layers"].as_array().unwrap().len(), 4);
    assert_eq!(input["history"][2]["created_by"], "COPY id_rsa id_rsa.pub /root/.ssh/");
    let suid = input["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "/usr/local/bin/suid-tool")
        .unwrap();
    assert_eq!(
        (suid["mode_octal"].as_str(), suid["layer"].as_u64()),
        (Some("4755"), Some(3))
    );
    let adduser = input["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "adduser")
        .unwrap();
    assert_eq!(adduser["type"], "deb");
    assert!(
        adduser["purl"]
            .as_str()
            .unwrap()
            .starts_with("pkg:deb/debian/adduser@3.134")
    );

    let dockerfile = root().join("tests/fixtures/dockerfiles/go-distroless.Dockerfile");
    let output = drydock(&["policy", "input", dockerfile.to_str().unwrap()]);
    let input = stdout_json(&output);
    assert_eq!(input["format"], "dockerfile");
    assert_eq!(input["stages"][1]["image"], "gcr.io/distroless/static-debian12:nonroot");
    assert_eq!(input["stages"][0]["platform"], "$BUILDPLATFORM");

    let multi = root().join("tests/fixtures/manifests/multi-weak.yaml");
    let output = drydock(&["policy", "input", multi.to_str().unwrap()]);
    let all = stdout_json(&output);
    assert_eq!(all.as_array().unwrap().len(), 3, "empty documents have no input");
    let output = drydock(&["policy", "input", "--document", "2", multi.to_str().unwrap()]);
    let second = stdout_json(&output);
    assert_eq!(second["document"], 2);
    assert_eq!(second["raw"]["kind"], "Service");
    let output = drydock(&["policy", "input", "--document", "3", multi.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("no non-empty YAML document 3"));
}

#[test]
fn policy_rules_lists_the_rules() {
    let policies = examples();
    let output = drydock(&["policy", "rules", "--format", "json", "--policy", &policies]);
    assert!(output.status.success());
    let rules = stdout_json(&output);
    let ids: Vec<&str> = rules
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
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
    assert_eq!(rules[4]["applies_to"], json!(["kubernetes"]));
}

fn policy_dir(name: &str, files: &[(&str, &str)]) -> String {
    let dir = scratch().join("bad").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    for (file, text) in files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    dir.display().to_string()
}

/// A scan, lint or audit with a broken policy fails with a one-line error naming the file,
/// before writing anything.
#[test]
fn bad_policies_fail_clearly() {
    let header = "package drydock.image.x\n\nimport rego.v1\n\nmetadata := {\"id\": \"ORG-1\", \"title\": \"t\", \"severity\": \"low\"}\n";
    let throws =
        format!("{header}\ndeny contains msg if {{ msg := sprintf(\"%v\", [1 / count(input.config.volumes)]) }}\n");
    let shape = format!("{header}\ndeny contains 5 if {{ true }}\n");
    let cases = [
        (
            "parse",
            vec![("broken.rego", "package drydock.image.x\n\ndeny contains msg if {\n")],
            "broken.rego:",
        ),
        (
            "reserved",
            vec![(
                "r.rego",
                "package drydock.image.r\n\nimport rego.v1\n\nmetadata := {\"id\": \"DD-IMG-001\", \"title\": \"t\", \"severity\": \"low\"}\n\ndeny contains \"x\" if { true }\n",
            )],
            "reserved",
        ),
        ("empty", vec![("notes.txt", "nothing")], "holds no .rego file"),
        ("throws", vec![("t.rego", throws.as_str())], "t.rego:7:"),
        ("shape", vec![("s.rego", shape.as_str())], "not a string or an object"),
    ];
    for (name, files, expected) in cases {
        let dir = policy_dir(name, &files);
        let output = drydock(&[
            "scan",
            &image("distroless-style"),
            "--scanners",
            "misconfig",
            "--policy",
            &dir,
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{name}: one line: {stderr}");
        assert!(output.stdout.is_empty(), "{name}: nothing written");
    }
    let dir = policy_dir(
        "throws-k8s",
        &[(
            "k.rego",
            "package drydock.kubernetes.k\n\nimport rego.v1\n\nmetadata := {\"id\": \"ORG-2\", \"title\": \"t\", \"severity\": \"low\"}\n\ndeny contains x if { x := 1 / 0 }\n",
        )],
    );
    let weak = root().join("tests/fixtures/manifests/deployment-weak.yaml");
    let output = drydock(&["audit", "manifest", "--policy", &dir, weak.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("k.rego:7:") && stderr.contains("deny") && stderr.contains("divide by zero"),
        "{stderr}"
    );
    let output = drydock(&[
        "scan",
        &image("distroless-style"),
        "--scanners",
        "secret",
        "--policy",
        &examples(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("misconfig"));
    // Usage is checked before the database or the target is opened.
    let output = drydock(&["scan", "fs:examples", "--policy", &examples()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("--policy applies to images"));
}

/// docs/policy.md shows real inputs: what `drydock policy input` prints for three fixtures.
#[test]
fn policy_md_example_inputs_are_current() {
    let path = root().join("docs/policy.md");
    let on_disk = std::fs::read_to_string(&path).unwrap();
    let mut rendered = on_disk.clone();
    for (section, args) in [
        ("image input", vec!["oci:tests/fixtures/images/oci:distroless-style"]),
        (
            "dockerfile input",
            vec!["tests/fixtures/policies/inputs/approved.Dockerfile"],
        ),
        (
            "manifest input",
            vec!["--document", "1", "tests/fixtures/policies/inputs/deployment-team.yaml"],
        ),
    ] {
        let mut command = vec!["policy", "input"];
        command.extend(args);
        let output = drydock(&command);
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let block = format!("```json\n{}```\n", String::from_utf8(output.stdout).unwrap());
        rendered = drydock_checks::docs::replace_section(&rendered, section, &block)
            .unwrap_or_else(|| panic!("docs/policy.md has no `{section}` markers"));
    }
    if std::env::var_os("DRYDOCK_BLESS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
        return;
    }
    assert!(
        on_disk == rendered,
        "docs/policy.md's example inputs are out of date: run `DRYDOCK_BLESS=1 cargo nextest run -p drydock policy_md`"
    );
}
