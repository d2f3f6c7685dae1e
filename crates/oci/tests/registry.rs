//! The registry source against real registries: Debian's `docker-registry` on 127.0.0.1,
//! anonymous, with htpasswd basic auth and with token auth, filled by `skopeo` from the
//! fixture images. A scripted fake server stands in only for failures a real registry cannot
//! be made to produce (5xx, 429, cut connections, stalls, expiring tokens, bad digests).

#[path = "support/fake_http.rs"]
mod fake_http;
#[path = "support/registry.rs"]
mod registry_support;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use base64::Engine as _;
use drydock_model::Digest;
use drydock_oci::source::registry::{Credentials, PASSWORD_ENV, RegistryOptions, RegistrySource, USERNAME_ENV};
use drydock_oci::source::{ManifestSource, sha256_digest};
use drydock_oci::{OciError, RegistryRef};
use fake_http::{FakeServer, Reply, ok, response};
use registry_support::{RegistryAuth, TestRegistry, TokenServer, expected, free_port};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const USER: &str = "alice";
const PASSWORD: &str = "correct-horse-battery";
const SMALL_IMAGE: &str = "distroless-style";

/// Options that never read the machine's Docker config and fail fast.
fn options() -> RegistryOptions {
    RegistryOptions {
        docker_config: Some(PathBuf::from("/nonexistent/drydock-registry-test/config.json")),
        max_attempts: 3,
        initial_backoff: Duration::from_millis(10),
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(10),
        ..RegistryOptions::default()
    }
}

fn source(addr: &str, name: &str, options: RegistryOptions) -> RegistrySource {
    let reference = RegistryRef::parse(&format!("{addr}/{name}")).expect("a valid reference");
    RegistrySource::new(reference, options).expect("creating the registry source")
}

fn credentials(password: &str) -> Option<Credentials> {
    Some(Credentials::new(USER, password))
}

/// Reads a blob in small pieces, as the layer engine would, returning its digest and size.
fn digest_of_stream(mut reader: impl Read, chunk: usize) -> (Digest, u64) {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    let mut buffer = vec![0u8; chunk];
    let mut total = 0u64;
    loop {
        let n = reader.read(&mut buffer).expect("reading the blob");
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        total += n as u64;
    }
    let digest = Digest::sha256_from_hex(&hex::encode(hasher.finalize())).expect("sha256 hex");
    (digest, total)
}

fn read_to_end(mut reader: impl Read) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn assert_auth_error(error: &OciError, registry: &str) {
    assert!(
        matches!(error.root(), OciError::Auth { .. }),
        "expected an auth error, got: {error}"
    );
    let message = error.to_string();
    assert!(message.contains(registry), "{message}");
    assert!(!message.contains(PASSWORD), "the password leaked: {message}");
}

// ---- plain registry ----

#[test]
fn plain_registry_serves_manifests_by_tag_and_by_digest() {
    let registry = TestRegistry::start(RegistryAuth::Anonymous);
    registry.push(SMALL_IMAGE, "team/distroless-style:v1");
    let expected = expected(SMALL_IMAGE);

    let by_tag = source(registry.addr(), "team/distroless-style:v1", options())
        .root_manifest()
        .expect("manifest by tag");
    assert_eq!(by_tag.digest, expected.manifest_digest);
    assert_eq!(sha256_digest(&by_tag.bytes), expected.manifest_digest);
    assert_eq!(by_tag.media_type.as_deref(), Some(OCI_MANIFEST));

    let pinned = source(
        registry.addr(),
        &format!("team/distroless-style@{}", expected.manifest_digest),
        options(),
    );
    let by_digest = pinned.root_manifest().expect("manifest by digest");
    assert_eq!(by_digest.bytes, by_tag.bytes);
    let again = pinned
        .manifest_by_digest(&expected.manifest_digest)
        .expect("manifest_by_digest");
    assert_eq!(again.digest, expected.manifest_digest);
}

#[test]
fn plain_registry_streams_blobs_that_match_their_digests() {
    let registry = TestRegistry::start(RegistryAuth::Anonymous);
    registry.push(SMALL_IMAGE, "distroless-style:latest");
    let expected = expected(SMALL_IMAGE);
    let source = source(registry.addr(), "distroless-style:latest", options());

    let config = source
        .open_blob(&expected.config_digest, None)
        .expect("opening the config");
    assert_eq!(digest_of_stream(config, 100).0, expected.config_digest);
    for (digest, size) in &expected.layers {
        let (actual, length) = digest_of_stream(source.open_blob(digest, Some(*size)).expect("opening a layer"), 4096);
        assert_eq!((&actual, length), (digest, *size));
        // Without a size from the descriptor, Content-Length is the reference.
        let (actual, _) = digest_of_stream(source.open_blob(digest, None).expect("opening a layer"), 7);
        assert_eq!(&actual, digest);
    }
}

#[test]
fn plain_registry_streams_a_large_layer() {
    let registry = TestRegistry::start(RegistryAuth::Anonymous);
    registry.push("debian-min", "debian-min:latest");
    let expected = expected("debian-min");
    let source = source(registry.addr(), "debian-min:latest", options());
    let (digest, size) = &expected.layers[0];
    let (actual, length) = digest_of_stream(
        source.open_blob(digest, Some(*size)).expect("opening the layer"),
        64 * 1024,
    );
    assert_eq!((&actual, length), (digest, *size));
}

#[test]
fn plain_registry_serves_an_image_index_and_its_children() {
    let registry = TestRegistry::start(RegistryAuth::Anonymous);
    registry.push(SMALL_IMAGE, "multi:amd64");
    let amd64 = registry.get_manifest("multi", "amd64", OCI_MANIFEST);
    // A second, distinct manifest over the same blobs stands in for another platform.
    let mut arm64: serde_json::Value = serde_json::from_slice(&amd64).expect("manifest JSON");
    arm64["annotations"] = serde_json::json!({"org.example.variant": "arm64"});
    let arm64 = serde_json::to_vec(&arm64).expect("manifest JSON");
    registry.put_manifest("multi", "arm64", OCI_MANIFEST, &arm64);
    let child = |bytes: &[u8], architecture: &str| {
        serde_json::json!({
            "mediaType": OCI_MANIFEST,
            "digest": sha256_digest(bytes).to_string(),
            "size": bytes.len(),
            "platform": {"os": "linux", "architecture": architecture},
        })
    };
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [child(&amd64, "amd64"), child(&arm64, "arm64")],
    });
    let index = serde_json::to_vec(&index).expect("index JSON");
    registry.put_manifest("multi", "latest", OCI_INDEX, &index);

    let source = source(registry.addr(), "multi:latest", options());
    let root = source.root_manifest().expect("the index");
    assert_eq!(root.media_type.as_deref(), Some(OCI_INDEX));
    assert_eq!(root.bytes, index);
    assert_eq!(root.digest, sha256_digest(&index));
    for bytes in [&amd64, &arm64] {
        let fetched = source
            .manifest_by_digest(&sha256_digest(bytes))
            .expect("a child manifest");
        assert_eq!(&fetched.bytes, bytes);
        assert_eq!(fetched.media_type.as_deref(), Some(OCI_MANIFEST));
    }
}

#[test]
fn missing_manifest_and_blob_are_not_found_with_their_names() {
    let registry = TestRegistry::start(RegistryAuth::Anonymous);
    registry.push(SMALL_IMAGE, "distroless-style:latest");

    let error = source(registry.addr(), "distroless-style:nope", options())
        .root_manifest()
        .expect_err("a missing tag");
    assert!(matches!(error.root(), OciError::NotFound { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.contains("manifest distroless-style:nope") && message.contains(registry.addr()),
        "{message}"
    );

    let absent: Digest = format!("sha256:{}", "0".repeat(64)).parse().expect("digest");
    let error = source(registry.addr(), "distroless-style:latest", options())
        .open_blob(&absent, Some(10))
        .err()
        .expect("a missing blob");
    assert!(matches!(error.root(), OciError::NotFound { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.contains(&absent.to_string()) && message.contains("repository distroless-style"),
        "{message}"
    );
}

// ---- htpasswd basic auth ----

fn htpasswd_registry() -> TestRegistry {
    let registry = TestRegistry::start(RegistryAuth::Htpasswd {
        username: USER,
        password: PASSWORD,
    });
    registry.push(SMALL_IMAGE, "distroless-style:latest");
    registry
}

/// Pulls the small image's manifest and layer, checking both.
fn pull_small_image(source: &RegistrySource) -> Result<(), OciError> {
    let expected = expected(SMALL_IMAGE);
    assert_eq!(source.root_manifest()?.digest, expected.manifest_digest);
    let (digest, size) = &expected.layers[0];
    let (actual, _) = digest_of_stream(source.open_blob(digest, Some(*size))?, 8192);
    assert_eq!(&actual, digest);
    Ok(())
}

fn write_docker_config(dir: &Path, name: &str, json: &serde_json::Value) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(json).expect("config JSON")).expect("writing a docker config");
    path
}

/// Writes an executable `docker-credential-<name>`. It goes through `sh` so that no file
/// descriptor of ours is open for writing on it when another thread execs something.
fn write_helper(dir: &Path, name: &str, script: &str) {
    let path = dir.join(format!("docker-credential-{name}"));
    let status = Command::new("sh")
        .arg("-c")
        .arg(r#"printf '%s\n' "$1" > "$2" && chmod +x "$2""#)
        .arg("sh")
        .arg(format!("#!/bin/sh\n{script}"))
        .arg(&path)
        .status()
        .expect("running sh");
    assert!(status.success(), "writing {}", path.display());
}

#[test]
fn htpasswd_registry_accepts_explicit_credentials_over_the_docker_config() {
    let registry = htpasswd_registry();
    let wrong = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:wrong"));
    let config = write_docker_config(
        registry.dir(),
        "config.json",
        &serde_json::json!({"auths": {registry.addr(): {"auth": wrong}}}),
    );
    let options = RegistryOptions {
        credentials: credentials(PASSWORD),
        docker_config: Some(config),
        ..options()
    };
    pull_small_image(&source(registry.addr(), "distroless-style:latest", options))
        .expect("pull with explicit credentials");
}

#[test]
fn htpasswd_registry_accepts_docker_config_auths() {
    let registry = htpasswd_registry();
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    let with_auth = write_docker_config(
        registry.dir(),
        "auth.json",
        &serde_json::json!({"auths": {registry.addr(): {"auth": encoded}}}),
    );
    let with_fields = write_docker_config(
        registry.dir(),
        "fields.json",
        &serde_json::json!({"auths": {format!("http://{}/v2/", registry.addr()): {"username": USER, "password": PASSWORD}}}),
    );
    for config in [with_auth, with_fields] {
        let options = RegistryOptions {
            docker_config: Some(config.clone()),
            ..options()
        };
        pull_small_image(&source(registry.addr(), "distroless-style:latest", options))
            .unwrap_or_else(|e| panic!("pull with {}: {e}", config.display()));
    }
}

#[test]
fn htpasswd_registry_accepts_credential_helpers() {
    let registry = htpasswd_registry();
    let helpers = registry.dir().join("helpers");
    std::fs::create_dir(&helpers).expect("creating the helper directory");
    let script = format!(
        r#"read -r server
[ "$1" = get ] && [ "$server" = "{addr}" ] || {{ echo "credentials not found in native keychain"; exit 1; }}
printf '{{"ServerURL":"%s","Username":"{USER}","Secret":"{PASSWORD}"}}' "$server""#,
        addr = registry.addr()
    );
    write_helper(&helpers, "test", &script);
    let per_registry = write_docker_config(
        registry.dir(),
        "helpers.json",
        &serde_json::json!({"credHelpers": {registry.addr(): "test"}, "auths": {registry.addr(): {"auth": "d3Jvbmc6d3Jvbmc="}}}),
    );
    let store = write_docker_config(registry.dir(), "store.json", &serde_json::json!({"credsStore": "test"}));
    for config in [per_registry, store] {
        let options = RegistryOptions {
            docker_config: Some(config.clone()),
            credential_helper_dir: Some(helpers.clone()),
            ..options()
        };
        pull_small_image(&source(registry.addr(), "distroless-style:latest", options))
            .unwrap_or_else(|e| panic!("pull with {}: {e}", config.display()));
    }
}

const CHILD_REFERENCE_ENV: &str = "DRYDOCK_REGISTRY_TEST_CHILD_REFERENCE";

/// Environment variables are process-wide and tests share the process: this one runs the
/// check in a child process of this test binary with the variables set.
#[test]
fn htpasswd_registry_accepts_environment_credentials() {
    let registry = htpasswd_registry();
    let output = Command::new(std::env::current_exe().expect("the test binary"))
        .args([
            "--exact",
            "environment_credentials_child",
            "--ignored",
            "--test-threads=1",
        ])
        .env(
            CHILD_REFERENCE_ENV,
            format!("{}/distroless-style:latest", registry.addr()),
        )
        .env(USERNAME_ENV, USER)
        .env(PASSWORD_ENV, PASSWORD)
        .output()
        .expect("running the child test");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "child test failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
#[ignore = "run in a child process by htpasswd_registry_accepts_environment_credentials"]
fn environment_credentials_child() {
    let Ok(reference) = std::env::var(CHILD_REFERENCE_ENV) else {
        return;
    };
    let reference = RegistryRef::parse(&reference).expect("a valid reference");
    let source = RegistrySource::new(reference, options()).expect("creating the source");
    pull_small_image(&source).expect("pull with credentials from the environment");
}

#[test]
fn htpasswd_registry_rejects_wrong_and_missing_credentials() {
    let registry = htpasswd_registry();
    let wrong = RegistryOptions {
        credentials: credentials("not-the-password"),
        ..options()
    };
    let error = source(registry.addr(), "distroless-style:latest", wrong)
        .root_manifest()
        .expect_err("wrong password");
    assert_auth_error(&error, registry.addr());
    let message = error.to_string();
    assert!(message.contains("401") && message.contains(USER), "{message}");
    assert!(!message.contains("not-the-password"), "{message}");

    let error = source(registry.addr(), "distroless-style:latest", options())
        .root_manifest()
        .expect_err("no credentials");
    assert_auth_error(&error, registry.addr());
    assert!(error.to_string().contains("none were found"), "{error}");
}

#[test]
fn credential_helper_failures_name_the_helper_and_hide_the_secret() {
    let registry = htpasswd_registry();
    let helpers = registry.dir().join("helpers");
    std::fs::create_dir(&helpers).expect("creating the helper directory");
    write_helper(
        &helpers,
        "broken",
        &format!(r#"printf '{{"Username":"{USER}","Secret":"{PASSWORD}"}}'; echo "keychain locked" >&2; exit 3"#),
    );
    for (helper, expected_text) in [("broken", "keychain locked"), ("absent", "not found")] {
        let config = write_docker_config(
            registry.dir(),
            &format!("{helper}.json"),
            &serde_json::json!({"credHelpers": {registry.addr(): helper}}),
        );
        let options = RegistryOptions {
            docker_config: Some(config),
            credential_helper_dir: Some(helpers.clone()),
            ..options()
        };
        let error = source(registry.addr(), "distroless-style:latest", options)
            .root_manifest()
            .expect_err("a failing helper");
        let message = error.to_string();
        assert!(message.contains(&format!("docker-credential-{helper}")), "{message}");
        assert!(message.contains(expected_text), "{message}");
        assert!(!message.contains(PASSWORD), "the secret leaked: {message}");
    }
}

// ---- token auth ----

fn token_registry(token_server: &TokenServer) -> TestRegistry {
    let registry = TestRegistry::start(RegistryAuth::Token(token_server));
    registry.push(SMALL_IMAGE, "distroless-style:latest");
    registry
}

#[test]
fn token_registry_pulls_with_credentials_and_reuses_the_token() {
    let token_server = TokenServer::start(USER, PASSWORD);
    let registry = token_registry(&token_server);
    let before = token_server.requests();
    let options = RegistryOptions {
        credentials: credentials(PASSWORD),
        ..options()
    };
    let source = source(registry.addr(), "distroless-style:latest", options);
    pull_small_image(&source).expect("pull with a bearer token");
    let config = read_to_end(
        source
            .open_blob(&expected(SMALL_IMAGE).config_digest, None)
            .expect("the config"),
    )
    .expect("reading the config");
    assert_eq!(sha256_digest(&config), expected(SMALL_IMAGE).config_digest);
    assert_eq!(
        token_server.requests() - before,
        1,
        "the token should be fetched once and reused"
    );
}

#[test]
fn token_registry_refuses_anonymous_and_wrong_credentials() {
    let token_server = TokenServer::start(USER, PASSWORD);
    let registry = token_registry(&token_server);
    let error = source(registry.addr(), "distroless-style:latest", options())
        .root_manifest()
        .expect_err("anonymous pull");
    assert_auth_error(&error, registry.addr());
    assert!(error.to_string().contains("401"), "{error}");

    let wrong = RegistryOptions {
        credentials: credentials("not-the-password"),
        ..options()
    };
    let error = source(registry.addr(), "distroless-style:latest", wrong)
        .root_manifest()
        .expect_err("wrong password");
    assert_auth_error(&error, registry.addr());
    assert!(
        error.to_string().contains("401") && error.to_string().contains(USER),
        "{error}"
    );
}

// ---- failures, from a scripted server ----

/// A tiny image for the fake server: one manifest whose config is `blob`.
struct FakeImage {
    manifest: Vec<u8>,
    blob: Vec<u8>,
    blob_digest: Digest,
}

fn fake_image() -> FakeImage {
    let blob: Vec<u8> = (0..1024u32).map(|i| (i * 7 % 251) as u8).collect();
    let blob_digest = sha256_digest(&blob);
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob_digest.to_string(), "size": blob.len()},
        "layers": [],
    }))
    .expect("manifest JSON");
    FakeImage {
        manifest,
        blob,
        blob_digest,
    }
}

fn manifest_reply(image: &FakeImage) -> Reply {
    ok("200 OK", &[("Content-Type", OCI_MANIFEST.to_string())], &image.manifest)
}

fn error_reply(status: &str) -> Reply {
    ok(
        status,
        &[("Content-Type", "text/plain".to_string())],
        b"try again later",
    )
}

#[test]
fn retries_server_errors_until_one_succeeds() {
    let image = Arc::new(fake_image());
    let served = image.clone();
    let server = FakeServer::start(move |index, _| match index {
        0 => error_reply("500 Internal Server Error"),
        1 => error_reply("502 Bad Gateway"),
        _ => manifest_reply(&served),
    });
    let fetched = source(server.addr(), "test:latest", options())
        .root_manifest()
        .expect("the third attempt succeeds");
    assert_eq!(fetched.bytes, image.manifest);
    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert!(
        requests
            .iter()
            .all(|r| r.method == "GET" && r.target == "/v2/test/manifests/latest")
    );
}

#[test]
fn retries_a_manifest_whose_body_breaks_off() {
    let image = Arc::new(fake_image());
    let served = image.clone();
    let server = FakeServer::start(move |index, _| {
        let headers = [("Content-Type", OCI_MANIFEST.to_string())];
        let sent = if index == 0 {
            served.manifest.len() / 2
        } else {
            served.manifest.len()
        };
        response("200 OK", &headers, &served.manifest, sent)
    });
    let fetched = source(server.addr(), "test:latest", options())
        .root_manifest()
        .expect("the second attempt succeeds");
    assert_eq!(fetched.bytes, image.manifest);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn gives_up_after_max_attempts_naming_the_status() {
    let server = FakeServer::start(|_, _| error_reply("503 Service Unavailable"));
    let error = source(server.addr(), "test:latest", options())
        .root_manifest()
        .expect_err("always 503");
    let message = error.to_string();
    assert!(message.contains(server.addr()), "{message}");
    assert!(
        message.contains("GET http://") && message.contains("/v2/test/manifests/latest"),
        "{message}"
    );
    assert!(
        message.contains("failed after 3 attempts: 503 Service Unavailable"),
        "{message}"
    );
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn honours_retry_after_on_429() {
    let image = Arc::new(fake_image());
    let served = image.clone();
    let server = FakeServer::start(move |index, _| match index {
        0 => ok("429 Too Many Requests", &[("Retry-After", "0".to_string())], b""),
        _ => manifest_reply(&served),
    });
    // A long backoff that Retry-After: 0 must override.
    let options = RegistryOptions {
        initial_backoff: Duration::from_secs(20),
        ..options()
    };
    let fetched = source(server.addr(), "test:latest", options)
        .root_manifest()
        .expect("the retry succeeds");
    assert_eq!(fetched.bytes, image.manifest);
}

#[test]
fn unreachable_registry_fails_after_retries() {
    let addr = format!("127.0.0.1:{}", free_port());
    let error = source(&addr, "test:latest", options())
        .root_manifest()
        .expect_err("nothing listens");
    let message = error.to_string();
    assert!(matches!(error.root(), OciError::Registry { .. }), "{message}");
    assert!(
        message.contains(&addr) && message.contains("failed after 3 attempts"),
        "{message}"
    );
}

#[test]
fn stalled_server_times_out_instead_of_hanging() {
    let server = FakeServer::start(|_, _| Reply::Stall);
    let options = RegistryOptions {
        read_timeout: Duration::from_secs(1),
        max_attempts: 2,
        ..options()
    };
    let error = source(server.addr(), "test:latest", options)
        .root_manifest()
        .expect_err("a stalled server");
    let message = error.to_string();
    assert!(
        message.contains("failed after 2 attempts") && message.contains("timeout"),
        "{message}"
    );
}

/// A blob server that cuts the first response at half the blob, then answers the resumed
/// request with `resume(request)`.
fn blob_server(image: &Arc<FakeImage>, resume: fn(&FakeImage, &fake_http::Request) -> Reply) -> FakeServer {
    let image = image.clone();
    FakeServer::start(move |index, request| {
        if index == 0 {
            response("200 OK", &[], &image.blob, image.blob.len() / 2)
        } else {
            resume(&image, request)
        }
    })
}

#[test]
fn resumes_a_dropped_blob_with_a_range_request() {
    let image = Arc::new(fake_image());
    let server = blob_server(&image, |image, request| {
        let half = image.blob.len() / 2;
        if request.header("Range") != Some(&format!("bytes={half}-")) {
            return error_reply("400 Bad Request");
        }
        let range = format!("bytes {half}-{}/{}", image.blob.len() - 1, image.blob.len());
        ok("206 Partial Content", &[("Content-Range", range)], &image.blob[half..])
    });
    let source = source(server.addr(), "test:latest", options());
    let bytes = read_to_end(source.open_blob(&image.blob_digest, Some(1024)).expect("open")).expect("resumed read");
    assert_eq!(bytes, image.blob);
    assert_eq!(server.requests().len(), 2);
}

#[test]
fn resumes_a_dropped_blob_when_the_server_ignores_the_range() {
    let image = Arc::new(fake_image());
    let server = blob_server(&image, |image, _| ok("200 OK", &[], &image.blob));
    let source = source(server.addr(), "test:latest", options());
    // No size from a descriptor: Content-Length tells how much is missing.
    let bytes = read_to_end(source.open_blob(&image.blob_digest, None).expect("open")).expect("resumed read");
    assert_eq!(bytes, image.blob);
}

#[test]
fn gives_up_on_a_blob_that_always_breaks_off() {
    let image = Arc::new(fake_image());
    let server = blob_server(&image, |image, _| {
        response("200 OK", &[], &image.blob, image.blob.len() / 2)
    });
    let source = source(server.addr(), "test:latest", options());
    let error =
        read_to_end(source.open_blob(&image.blob_digest, Some(1024)).expect("open")).expect_err("never complete");
    let message = error.to_string();
    for part in [
        server.addr(),
        "repository test",
        &image.blob_digest.to_string(),
        "gave up after 3 attempts",
        "512 of 1024 bytes",
    ] {
        assert!(message.contains(part), "`{part}` missing from: {message}");
    }
}

#[test]
fn blob_longer_than_its_descriptor_is_an_error() {
    let image = Arc::new(fake_image());
    let served = image.clone();
    // Chunked, so no Content-Length gives the excess away before the body does.
    let server = FakeServer::start(move |_, _| {
        let mut raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n".to_vec();
        raw.extend_from_slice(format!("{:x}\r\n", served.blob.len()).as_bytes());
        raw.extend_from_slice(&served.blob);
        raw.extend_from_slice(b"\r\n0\r\n\r\n");
        Reply::Raw(raw)
    });
    let source = source(server.addr(), "test:latest", options());
    let error = read_to_end(source.open_blob(&image.blob_digest, Some(1000)).expect("open")).expect_err("too long");
    assert!(
        error.to_string().contains("more than the expected 1000 bytes"),
        "{error}"
    );
}

#[test]
fn content_length_contradicting_the_descriptor_is_a_size_mismatch() {
    let image = Arc::new(fake_image());
    let served = image.clone();
    let server = FakeServer::start(move |_, _| ok("200 OK", &[], &served.blob));
    let error = source(server.addr(), "test:latest", options())
        .open_blob(&image.blob_digest, Some(999))
        .err()
        .expect("a size mismatch");
    assert!(matches!(error.root(), OciError::SizeMismatch { .. }), "{error}");
}

#[test]
fn manifests_that_do_not_match_their_digest_are_rejected() {
    let image = Arc::new(fake_image());
    let served = image.clone();
    let other_digest = sha256_digest(b"something else");
    let claimed = other_digest.clone();
    let server = FakeServer::start(move |_, _| {
        ok(
            "200 OK",
            &[
                ("Content-Type", OCI_MANIFEST.to_string()),
                ("Docker-Content-Digest", claimed.to_string()),
            ],
            &served.manifest,
        )
    });
    let by_tag = source(server.addr(), "test:latest", options()).root_manifest();
    let error = by_tag.expect_err("Docker-Content-Digest mismatch");
    assert!(matches!(error.root(), OciError::DigestMismatch { .. }), "{error}");

    let pinned = source(server.addr(), &format!("test@{other_digest}"), options());
    let error = pinned.root_manifest().expect_err("reference digest mismatch");
    assert!(matches!(error.root(), OciError::DigestMismatch { .. }), "{error}");
    let error = pinned
        .manifest_by_digest(&other_digest)
        .expect_err("asked digest mismatch");
    assert!(matches!(error.root(), OciError::DigestMismatch { .. }), "{error}");
}

#[test]
fn expired_bearer_token_is_renewed_once() {
    let image = Arc::new(fake_image());
    let served = image.clone();
    let tokens_issued = Arc::new(AtomicUsize::new(0));
    let issued = tokens_issued.clone();
    // Only the newest token is valid, so issuing one expires the one before.
    let server = FakeServer::start(move |_, request| {
        if request.target.starts_with("/token") {
            let n = issued.fetch_add(1, Ordering::SeqCst) + 1;
            let body = format!(r#"{{"access_token":"t{n}"}}"#);
            return ok("200 OK", &[], body.as_bytes());
        }
        let current = format!("Bearer t{}", issued.load(Ordering::SeqCst));
        if request.header("Authorization") != Some(current.as_str()) {
            let host = request.header("Host").unwrap_or_default();
            let challenge = format!(r#"Bearer realm="http://{host}/token",service="fake""#);
            return ok("401 Unauthorized", &[("WWW-Authenticate", challenge)], b"");
        }
        if request.target.contains("/manifests/") {
            manifest_reply(&served)
        } else {
            ok("200 OK", &[], &served.blob)
        }
    });
    let source = source(server.addr(), "test:latest", options());
    source.root_manifest().expect("manifest with token t1");
    // Expire t1 by issuing t2 behind the client's back.
    ureq::get(&format!("http://{}/token", server.addr()))
        .call()
        .expect("issuing t2");
    let blob = source.open_blob(&image.blob_digest, None).expect("blob after renewal");
    assert_eq!(read_to_end(blob).expect("read"), image.blob);
    assert_eq!(
        tokens_issued.load(Ordering::SeqCst),
        3,
        "t1, t2 for the test, t3 renewed by the client"
    );
}

#[test]
fn redirected_blob_downloads_do_not_carry_credentials() {
    let image = Arc::new(fake_image());
    let served = image.clone();
    let storage = FakeServer::start(move |_, _| ok("200 OK", &[], &served.blob));
    let storage_url = format!("http://{}/bucket/blob?X-Signature=abc", storage.addr());
    let registry = FakeServer::start(move |_, request| {
        if request.header("Authorization").is_none() {
            return ok(
                "401 Unauthorized",
                &[("WWW-Authenticate", r#"Basic realm="fake""#.to_string())],
                b"",
            );
        }
        ok("307 Temporary Redirect", &[("Location", storage_url.clone())], b"")
    });
    let options = RegistryOptions {
        credentials: credentials(PASSWORD),
        ..options()
    };
    let source = source(registry.addr(), "test:latest", options);
    let bytes = read_to_end(source.open_blob(&image.blob_digest, Some(1024)).expect("open")).expect("read");
    assert_eq!(bytes, image.blob);
    let storage_requests = storage.requests();
    assert_eq!(storage_requests.len(), 1);
    assert_eq!(
        storage_requests[0].header("Authorization"),
        None,
        "credentials leaked to the storage host"
    );
    assert!(registry.requests().iter().any(|r| r.header("Authorization").is_some()));
}
