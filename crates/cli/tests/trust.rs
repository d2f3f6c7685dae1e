//! `drydock key/sign/verify/attest/verify-attestation/policy check` end to end, on OCI
//! layouts (copies of the fixture images) and on Debian's `docker-registry` on 127.0.0.1,
//! with every tamper case rejected for its reason.

#[path = "../../oci/tests/support/registry.rs"]
#[allow(dead_code)]
mod registry_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use assert_cmd::cargo::cargo_bin;
use drydock_oci::source::registry::RegistryOptions;
use drydock_oci::source::sha256_digest;
use drydock_oci::write::{Reference, Repository, open_repository};
use registry_support::{RegistryAuth, TestRegistry, fixtures};
use serde_json::{Value, json};

const PASSWORD: &str = "correct horse";

fn drydock(dir: &Path, args: &[&str]) -> Output {
    Command::new(cargo_bin("drydock"))
        .current_dir(dir)
        .env("DRYDOCK_PASSWORD", PASSWORD)
        .args(args)
        .output()
        .expect("run drydock")
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let output = drydock(dir, args);
    assert!(
        output.status.success(),
        "drydock {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Runs a command that must fail with exit 1 and returns its stderr.
fn fails(dir: &Path, args: &[&str]) -> String {
    let output = drydock(dir, args);
    assert_eq!(
        output.status.code(),
        Some(1),
        "drydock {args:?}: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8(output.stderr).unwrap()
}

/// A new OCI layout in `dir` holding the fixture images `names`, each tagged by its name.
fn layout_with(dir: &Path, names: &[&str]) -> PathBuf {
    let source = fixtures().join("oci");
    let index: Value = serde_json::from_slice(&std::fs::read(source.join("index.json")).unwrap()).unwrap();
    let target = dir.join("layout");
    std::fs::create_dir_all(target.join("blobs/sha256")).unwrap();
    let copy = |digest: &str| {
        let hex = digest.trim_start_matches("sha256:");
        std::fs::copy(
            source.join("blobs/sha256").join(hex),
            target.join("blobs/sha256").join(hex),
        )
        .unwrap();
    };
    let mut manifests = Vec::new();
    for entry in index["manifests"].as_array().unwrap() {
        let name = entry["annotations"]["org.opencontainers.image.ref.name"]
            .as_str()
            .unwrap();
        if !names.contains(&name) {
            continue;
        }
        let digest = entry["digest"].as_str().unwrap();
        copy(digest);
        let manifest: Value =
            serde_json::from_slice(&std::fs::read(source.join("blobs/sha256").join(&digest[7..])).unwrap()).unwrap();
        copy(manifest["config"]["digest"].as_str().unwrap());
        for layer in manifest["layers"].as_array().unwrap() {
            copy(layer["digest"].as_str().unwrap());
        }
        manifests.push(entry.clone());
    }
    std::fs::write(
        target.join("index.json"),
        serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": manifests})).unwrap(),
    )
    .unwrap();
    std::fs::write(target.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    target
}

fn keys(dir: &Path, prefix: &str) {
    ok(dir, &["key", "generate", "--output-key-prefix", prefix]);
}

fn verify_json(dir: &Path, image: &str, key: &str) -> Value {
    serde_json::from_str(&ok(dir, &["verify", image, "--key", key, "--format", "json"])).unwrap()
}

fn open(target: &str) -> Box<dyn Repository> {
    open_repository(target, &RegistryOptions::default()).unwrap().repository
}

fn digest_of(repository: &dyn Repository, tag: &str) -> drydock_model::Digest {
    repository.resolve(&Reference::Tag(tag.into())).unwrap().unwrap().digest
}

/// Edits the first layer descriptor of the manifest tagged `tag` and pushes it back under
/// `new_tag`; `payload` replaces the layer's blob when given.
fn rewrite_layer(
    repository: &dyn Repository,
    tag: &str,
    new_tag: &str,
    edit: impl Fn(&mut Value),
    payload: Option<Vec<u8>>,
) {
    let manifest = repository
        .fetch_manifest(&Reference::Tag(tag.into()))
        .unwrap()
        .expect("signature manifest");
    let mut document: Value = serde_json::from_slice(&manifest.bytes).unwrap();
    let layer = &mut document["layers"][0];
    if let Some(bytes) = payload {
        let digest = sha256_digest(&bytes);
        repository.push_blob(&digest, &bytes).unwrap();
        layer["digest"] = json!(digest.to_string());
        layer["size"] = json!(bytes.len());
    }
    edit(layer);
    repository
        .push_manifest(
            &serde_json::to_vec(&document).unwrap(),
            &manifest.media_type,
            Some(new_tag),
        )
        .unwrap();
}

fn sig_tag(digest: &drydock_model::Digest) -> String {
    format!("sha256-{}.sig", digest.hex())
}

#[test]
fn layout_sign_verify_and_every_tamper_case() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let layout = layout_with(dir, &["distroless-style", "layers-whiteout"]);
    let image = format!("oci:{}:distroless-style", layout.display());
    keys(dir, "release");
    keys(dir, "other");
    ok(
        dir,
        &["sign", &image, "--key", "release.key", "-a", "team=core", "--referrers"],
    );

    let report = verify_json(dir, &image, "release.pub");
    let candidates = report["candidates"].as_array().unwrap();
    let schemes: Vec<&str> = candidates.iter().map(|c| c["scheme"].as_str().unwrap()).collect();
    assert_eq!(schemes, ["tag", "referrer"], "{report}");
    assert!(
        candidates
            .iter()
            .all(|c| c["verdict"] == "valid" && c["annotations"]["team"] == "core")
    );

    // Wrong key.
    let error = fails(dir, &["verify", &image, "--key", "other.pub"]);
    assert!(error.contains("does not match the payload for this key"), "{error}");

    let repository = open(&format!("oci:{}", layout.display()));
    let digest = digest_of(repository.as_ref(), "distroless-style");
    let tag = sig_tag(&digest);
    let verify_fails_with = |expected: &str| {
        let error = fails(dir, &["verify", &image, "--key", "release.pub"]);
        assert!(error.contains(expected), "expected `{expected}` in: {error}");
    };
    // Signing twice appends nothing new (same key, same payload, deterministic ECDSA).
    let before = repository
        .fetch_manifest(&Reference::Tag(tag.clone()))
        .unwrap()
        .unwrap();
    ok(dir, &["sign", &image, "--key", "release.key", "-a", "team=core"]);
    assert_eq!(
        repository
            .fetch_manifest(&Reference::Tag(tag.clone()))
            .unwrap()
            .unwrap()
            .digest,
        before.digest
    );
    // Keep only the tag scheme from here on, so each case has one candidate.
    let referrer_free = repository.referrers(&digest, None).unwrap();
    assert_eq!(referrer_free.len(), 1);
    let original = before.bytes.clone();
    let restore = || {
        repository
            .push_manifest(&original, &before.media_type, Some(&tag))
            .unwrap();
    };
    let index_path = layout.join("index.json");
    let mut index: Value = serde_json::from_slice(&std::fs::read(&index_path).unwrap()).unwrap();
    index["manifests"]
        .as_array_mut()
        .unwrap()
        .retain(|m| m.get("subject").is_none() && m["digest"] != json!(referrer_free[0].digest.to_string()));
    std::fs::write(&index_path, serde_json::to_vec(&index).unwrap()).unwrap();

    // Signature bytes changed (still base64).
    rewrite_layer(
        repository.as_ref(),
        &tag,
        &tag,
        |layer| {
            let signature = layer["annotations"]["dev.cosignproject.cosign/signature"]
                .as_str()
                .unwrap()
                .to_string();
            let mut bytes = signature.into_bytes();
            bytes[12] = if bytes[12] == b'A' { b'B' } else { b'A' };
            layer["annotations"]["dev.cosignproject.cosign/signature"] = json!(String::from_utf8(bytes).unwrap());
        },
        None,
    );
    verify_fails_with("does not match the payload");
    restore();
    // Truncated signature, non-base64 signature.
    rewrite_layer(
        repository.as_ref(),
        &tag,
        &tag,
        |layer| {
            let signature = layer["annotations"]["dev.cosignproject.cosign/signature"]
                .as_str()
                .unwrap()
                .to_string();
            layer["annotations"]["dev.cosignproject.cosign/signature"] = json!(signature[..40].to_string());
        },
        None,
    );
    verify_fails_with("not an ASN.1 DER ECDSA signature");
    restore();
    rewrite_layer(
        repository.as_ref(),
        &tag,
        &tag,
        |layer| layer["annotations"]["dev.cosignproject.cosign/signature"] = json!("not*base64"),
        None,
    );
    verify_fails_with("the signature is not base64");
    restore();
    // Payload changed: a new blob under the old signature.
    let payload = repository
        .fetch_blob(
            &serde_json::from_slice::<Value>(&original).unwrap()["layers"][0]["digest"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap(),
            1 << 20,
        )
        .unwrap();
    let changed = String::from_utf8(payload.clone())
        .unwrap()
        .replace("core", "evil")
        .into_bytes();
    rewrite_layer(repository.as_ref(), &tag, &tag, |_| {}, Some(changed));
    verify_fails_with("does not match the payload");
    restore();
    // Payload bytes changed in place: the blob no longer matches its digest.
    let payload_path = layout.join("blobs/sha256").join(sha256_digest(&payload).hex());
    std::fs::write(
        &payload_path,
        String::from_utf8(payload.clone()).unwrap().replace("core", "evil"),
    )
    .unwrap();
    verify_fails_with("digest mismatch");
    std::fs::write(&payload_path, &payload).unwrap();

    // A signature for another digest, copied to this image's tag.
    let other_image = format!("oci:{}:layers-whiteout", layout.display());
    ok(dir, &["sign", &other_image, "--key", "release.key"]);
    let other_digest = digest_of(repository.as_ref(), "layers-whiteout");
    rewrite_layer(repository.as_ref(), &sig_tag(&other_digest), &tag, |_| {}, None);
    verify_fails_with(&format!("it signs {other_digest}, the image is {digest}"));
    restore();

    // Manifest changed after signing: the tag now names another manifest.
    let manifest = repository
        .fetch_manifest(&Reference::Digest(digest.clone()))
        .unwrap()
        .unwrap();
    let mut changed: Value = serde_json::from_slice(&manifest.bytes).unwrap();
    changed["annotations"] = json!({"changed": "after signing"});
    let changed_digest = repository
        .push_manifest(
            &serde_json::to_vec(&changed).unwrap(),
            &manifest.media_type,
            Some("distroless-style"),
        )
        .unwrap();
    verify_fails_with("has no signatures");
    // ...and the old signature copied to the new digest's tag names the old digest.
    repository
        .push_manifest(&original, &before.media_type, Some(&sig_tag(&changed_digest)))
        .unwrap();
    verify_fails_with(&format!("it signs {digest}, the image is {changed_digest}"));
    repository
        .push_manifest(&manifest.bytes, &manifest.media_type, Some("distroless-style"))
        .unwrap();
    ok(dir, &["verify", &image, "--key", "release.pub"]);

    // A signature copied with the image into another repository (another layout).
    let copy = dir.join("copy");
    assert!(
        Command::new("cp")
            .arg("-r")
            .arg(&layout)
            .arg(&copy)
            .status()
            .unwrap()
            .success()
    );
    let error = fails(
        dir,
        &[
            "verify",
            &format!("oci:{}:distroless-style", copy.display()),
            "--key",
            "release.pub",
        ],
    );
    assert!(error.contains("made for another repository"), "{error}");

    // Malformed key files and a wrong password.
    std::fs::write(
        dir.join("broken.key"),
        "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nnot base64!\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
    )
    .unwrap();
    let error = fails(dir, &["sign", &image, "--key", "broken.key"]);
    assert!(error.contains("broken.key") && error.contains("not base64"), "{error}");
    std::fs::write(
        dir.join("broken.pub"),
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    )
    .unwrap();
    let error = fails(dir, &["verify", &image, "--key", "broken.pub"]);
    assert!(error.contains("not an ECDSA P-256 public key"), "{error}");
    let output = Command::new(cargo_bin("drydock"))
        .current_dir(dir)
        .env("DRYDOCK_PASSWORD", "wrong")
        .args(["sign", &image, "--key", "release.key"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("wrong password"));
}

const SCAN_REPORT: &str = r#"{"schema_version":1,"tool":"drydock 0.1.0","target":"oci:x","database":{"path":"db","built":"2026-01-01T00:00:00Z","sources":[]},"packages":0,"targets":[]}"#;

#[test]
fn layout_attestations_and_trust_policy() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let layout = layout_with(dir, &["distroless-style", "layers-whiteout"]);
    let image = format!("oci:{}:distroless-style", layout.display());
    let other_image = format!("oci:{}:layers-whiteout", layout.display());
    keys(dir, "release");
    keys(dir, "ci");
    std::fs::write(dir.join("scan.json"), SCAN_REPORT).unwrap();
    std::fs::write(
        dir.join("bom.json"),
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[]}"#,
    )
    .unwrap();

    ok(dir, &["sign", &image, "--key", "release.key"]);
    ok(
        dir,
        &[
            "attest",
            &image,
            "--type",
            "vuln",
            "--predicate",
            "scan.json",
            "--key",
            "ci.key",
        ],
    );
    ok(
        dir,
        &[
            "attest",
            &image,
            "--type",
            "sbom",
            "--predicate",
            "bom.json",
            "--key",
            "ci.key",
            "--referrers",
        ],
    );
    let report: Value = serde_json::from_str(&ok(
        dir,
        &[
            "verify-attestation",
            &image,
            "--key",
            "ci.pub",
            "--type",
            "vuln",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    let candidates = report["candidates"].as_array().unwrap();
    assert_eq!(candidates.len(), 1, "{report}");
    assert_eq!(
        candidates[0]["predicate_type"],
        "https://cosign.sigstore.dev/attestation/vuln/v1"
    );
    let all: Value = serde_json::from_str(&ok(
        dir,
        &["verify-attestation", &image, "--key", "ci.pub", "--format", "json"],
    ))
    .unwrap();
    assert_eq!(
        all["candidates"].as_array().unwrap().len(),
        3,
        "sbom by tag and referrer, vuln by tag: {all}"
    );
    let error = fails(dir, &["verify-attestation", &image, "--key", "release.pub"]);
    assert!(error.contains("does not match"), "{error}");

    // The stored envelope holds an in-toto v1 statement about this digest.
    let repository = open(&format!("oci:{}", layout.display()));
    let digest = digest_of(repository.as_ref(), "distroless-style");
    let att = repository
        .fetch_manifest(&Reference::Tag(format!("sha256-{}.att", digest.hex())))
        .unwrap()
        .unwrap();
    let att_doc: Value = serde_json::from_slice(&att.bytes).unwrap();
    assert_eq!(
        att_doc["layers"][0]["mediaType"],
        "application/vnd.dsse.envelope.v1+json"
    );
    assert_eq!(
        att_doc["layers"][0]["annotations"]["predicateType"],
        "https://cosign.sigstore.dev/attestation/vuln/v1"
    );

    // An envelope whose subject is another image, copied to this image's .att tag.
    let other_digest = digest_of(repository.as_ref(), "layers-whiteout");
    ok(
        dir,
        &[
            "attest",
            &other_image,
            "--type",
            "vuln",
            "--predicate",
            "scan.json",
            "--key",
            "ci.key",
        ],
    );
    let other_att = repository
        .fetch_manifest(&Reference::Tag(format!("sha256-{}.att", other_digest.hex())))
        .unwrap()
        .unwrap();
    repository
        .push_manifest(
            &other_att.bytes,
            &other_att.media_type,
            Some(&format!("sha256-{}.att", digest.hex())),
        )
        .unwrap();
    let report: Value = serde_json::from_str(&ok(
        dir,
        &["verify-attestation", &image, "--key", "ci.pub", "--format", "json"],
    ))
    .unwrap();
    let rejected: Vec<&Value> = report["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["verdict"] == "rejected")
        .collect();
    assert_eq!(rejected.len(), 1, "{report}");
    assert!(
        rejected[0]["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("about another image: its subject is {other_digest}"))
    );
    repository
        .push_manifest(
            &att.bytes,
            &att.media_type,
            Some(&format!("sha256-{}.att", digest.hex())),
        )
        .unwrap();

    // Unsigned attachments: the SBOM under cosign's .sbom tag, the scan report as a referrer.
    ok(dir, &["attach", "sbom", &image, "--file", "bom.json"]);
    let sbom = repository
        .fetch_manifest(&Reference::Tag(format!("sha256-{}.sbom", digest.hex())))
        .unwrap()
        .expect(".sbom tag");
    let sbom: Value = serde_json::from_slice(&sbom.bytes).unwrap();
    assert_eq!(sbom["layers"][0]["mediaType"], "application/vnd.cyclonedx+json");
    ok(dir, &["attach", "scan", &image, "--file", "scan.json"]);
    let scans = repository
        .referrers(&digest, Some("application/vnd.drydock.scan.report.v1+json"))
        .unwrap();
    assert_eq!(scans.len(), 1);
    let error = fails(dir, &["attach", "sbom", &image, "--file", "scan.json"]);
    assert!(error.contains("neither a CycloneDX"), "{error}");

    // The policy: release must sign, ci must attest vuln, and the base must be trusted.
    // distroless-style's own layers serve as the trusted base (pinned by digest).
    let policy = format!(
        r#"
version = 1
[keys]
release = "release.pub"
ci = "ci.pub"

[[base_images]]
name = "base"
reference = "oci:layout:distroless-style"
digest = "{digest}"

[[rules]]
pattern = "oci:**"
signed_by = ["release"]
attestations = ["vuln", "cyclonedx"]
attestations_signed_by = ["ci"]
require_trusted_base = true
"#
    );
    std::fs::write(dir.join("trust-policy.toml"), &policy).unwrap();
    let out = ok(dir, &["policy", "check", &image]);
    assert!(out.contains("decision: allow"), "{out}");
    let decision: Value = serde_json::from_str(&ok(dir, &["policy", "check", &image, "--format", "json"])).unwrap();
    assert_eq!(decision["allowed"], true);
    assert_eq!(decision["checks"].as_array().unwrap().len(), 4, "{decision}");

    // A policy requiring a key that did not sign.
    std::fs::write(
        dir.join("strict.toml"),
        policy.replace("signed_by = [\"release\"]", "signed_by = [\"release\", \"ci\"]"),
    )
    .unwrap();
    let output = drydock(dir, &["policy", "check", &image, "--policy", "strict.toml"]);
    assert_eq!(output.status.code(), Some(1));
    let out = String::from_utf8(output.stdout).unwrap();
    assert!(
        out.contains("decision: deny") && out.contains("no valid signature by `ci`"),
        "{out}"
    );

    // The base trusted by signature instead of by digest: signed by release, not by ci.
    let by_signature = policy.replace(&format!("digest = \"{digest}\""), "signed_by = [\"release\"]");
    std::fs::write(dir.join("signed-base.toml"), &by_signature).unwrap();
    let decision: Value = serde_json::from_str(&ok(
        dir,
        &[
            "policy",
            "check",
            &image,
            "--policy",
            "signed-base.toml",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    assert!(
        decision["checks"][3]["detail"]
            .as_str()
            .unwrap()
            .contains("trusted by signature of `release`"),
        "{decision}"
    );
    std::fs::write(
        dir.join("ci-base.toml"),
        by_signature.replace(
            "signed_by = [\"release\"]\n\n[[rules]]",
            "signed_by = [\"ci\"]\n\n[[rules]]",
        ),
    )
    .unwrap();
    let output = drydock(
        dir,
        &[
            "policy",
            "check",
            &image,
            "--policy",
            "ci-base.toml",
            "--format",
            "json",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let decision: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        decision["checks"][3]["detail"]
            .as_str()
            .unwrap()
            .contains("is not trusted: oci:layout:distroless-style has no valid signature by `ci`"),
        "{decision}"
    );

    // The other image: unsigned, no attestations of its own, another base.
    let output = drydock(dir, &["policy", "check", &other_image, "--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let decision: Value = serde_json::from_slice(&output.stdout).unwrap();
    let failed: Vec<&str> = decision["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == false)
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert!(
        failed.contains(&"signed by `release`") && failed.contains(&"trusted base image"),
        "{decision}"
    );
}

#[test]
fn registry_sign_verify_attest_and_copied_signature() {
    let registry = TestRegistry::start(RegistryAuth::Anonymous);
    registry.push("distroless-style", "team/app:v1");
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    keys(dir, "release");
    let image = format!("{}/team/app:v1", registry.addr());
    ok(
        dir,
        &["sign", &image, "--key", "release.key", "--referrers", "-a", "build=42"],
    );
    let report = verify_json(dir, &image, "release.pub");
    let candidates = report["candidates"].as_array().unwrap();
    assert_eq!(
        candidates
            .iter()
            .map(|c| c["scheme"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["tag", "referrer"],
        "{report}"
    );
    assert!(
        candidates
            .iter()
            .all(|c| c["verdict"] == "valid" && c["identity"] == json!(format!("{}/team/app", registry.addr())))
    );

    // The signature tag is what cosign would look for, readable by skopeo.
    let repository = open(&image);
    let digest = digest_of(repository.as_ref(), "v1");
    let sig = registry.get_manifest(
        "team/app",
        &sig_tag(&digest),
        "application/vnd.oci.image.manifest.v1+json",
    );
    let sig: Value = serde_json::from_slice(&sig).unwrap();
    assert_eq!(
        sig["layers"][0]["mediaType"],
        "application/vnd.dev.cosign.simplesigning.v1+json"
    );

    std::fs::write(dir.join("scan.json"), SCAN_REPORT).unwrap();
    ok(
        dir,
        &[
            "attest",
            &image,
            "--type",
            "vuln",
            "--predicate",
            "scan.json",
            "--key",
            "release.key",
        ],
    );
    ok(
        dir,
        &["verify-attestation", &image, "--key", "release.pub", "--type", "vuln"],
    );

    // Image and signature copied to another repository: the signature names team/app.
    for tag in ["v1".to_string(), sig_tag(&digest)] {
        let status = Command::new("skopeo")
            .args([
                "--insecure-policy",
                "copy",
                "--quiet",
                "--src-tls-verify=false",
                "--dest-tls-verify=false",
            ])
            .arg(format!("docker://{}/team/app:{tag}", registry.addr()))
            .arg(format!("docker://{}/elsewhere/app:{tag}", registry.addr()))
            .status()
            .unwrap();
        assert!(status.success());
    }
    let error = fails(
        dir,
        &[
            "verify",
            &format!("{}/elsewhere/app:v1", registry.addr()),
            "--key",
            "release.pub",
        ],
    );
    assert!(error.contains("made for another repository"), "{error}");
}

/// Without DRYDOCK_PASSWORD the password is asked on the terminal (twice for a new key);
/// `script` gives drydock a pseudo-terminal and types the answers.
#[test]
fn passwords_are_asked_on_the_terminal() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path();
    let command = format!(
        "{} key generate --output-key-prefix tty",
        cargo_bin("drydock").display()
    );
    // `timeout`: a prompt that lost the typed answer would otherwise wait forever.
    let mut child = Command::new("timeout")
        .current_dir(dir)
        .env_remove("DRYDOCK_PASSWORD")
        .args(["60", "script", "-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script (util-linux) runs");
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"typed secret\ntyped secret\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stdout));
    assert!(String::from_utf8_lossy(&output.stdout).contains("Enter password for private key again"));
    // The key opens with what was typed, and not with anything else.
    let text = std::fs::read_to_string(dir.join("tty.key")).unwrap();
    drydock_trust::PrivateKey::from_encrypted_pem(&text, b"typed secret", "tty.key").unwrap();
    assert!(drydock_trust::PrivateKey::from_encrypted_pem(&text, b"", "tty.key").is_err());
}
