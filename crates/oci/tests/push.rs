//! Pushing with drydock-oci's write API against real registries (Debian's
//! `docker-registry`, anonymous, htpasswd and token auth), read back by drydock and by
//! `skopeo`. A scripted fake server stands in only where a real registry cannot misbehave
//! on purpose (a wrong `Docker-Content-Digest`) or where no request may be seen at all.

// Shared with the registry source tests; each test binary uses part of them.
#[allow(dead_code)]
#[path = "support/fake_http.rs"]
mod fake_http;
#[allow(dead_code)]
#[path = "support/registry.rs"]
mod registry_support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use drydock_model::Digest;
use drydock_oci::source::registry::{Credentials, RegistryOptions};
use drydock_oci::source::sha256_digest;
use drydock_oci::write::copy::{CopyOptions, copy_image};
use drydock_oci::write::registry::RegistryRepository;
use drydock_oci::write::{Descriptor, Reference, Repository, open_repository, referrers_tag};
use drydock_oci::{ImageRef, OciError, OpenOptions, RegistryRef, ScanOptions};
use fake_http::{FakeServer, ok};
use registry_support::{RegistryAuth, TestRegistry, TokenServer, expected, fixtures};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const FIXTURE_IMAGES: [&str; 8] = [
    "debian-min",
    "debian-nosec",
    "debian-python",
    "distroless-style",
    "layers-whiteout",
    "misconfig",
    "node-app",
    "rust-app",
];
const SIG_TYPE: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";
const USER: &str = "bob";
const PASSWORD: &str = "push-secret-42";

fn options(credentials: Option<Credentials>) -> RegistryOptions {
    RegistryOptions {
        docker_config: Some(PathBuf::from("/nonexistent/drydock-push-test/config.json")),
        credentials,
        max_attempts: 3,
        initial_backoff: Duration::from_millis(10),
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(20),
        ..RegistryOptions::default()
    }
}

fn repository(addr: &str, name: &str, credentials: Option<Credentials>) -> RegistryRepository {
    let reference = RegistryRef::parse(&format!("{addr}/{name}")).expect("a valid reference");
    RegistryRepository::new(&reference, options(credentials)).expect("a registry repository")
}

fn fixture_ref(image: &str) -> ImageRef {
    format!("oci:{}:{image}", fixtures().join("oci").display())
        .parse()
        .expect("a fixture reference")
}

fn copy_options(credentials: Option<Credentials>) -> CopyOptions {
    CopyOptions {
        open: OpenOptions {
            registry: options(credentials),
            ..OpenOptions::default()
        },
        all_platforms: false,
    }
}

fn copy_fixture(image: &str, destination: &dyn Repository, tag: &str) -> drydock_oci::write::copy::CopyReport {
    copy_image(&fixture_ref(image), image, destination, Some(tag), &copy_options(None))
        .unwrap_or_else(|e| panic!("copying {image}: {e}"))
}

/// `skopeo inspect --raw`: the manifest bytes as skopeo fetches them.
fn skopeo_raw(target: &str) -> Vec<u8> {
    let output = Command::new("skopeo")
        .args(["inspect", "--raw", "--tls-verify=false", target])
        .output()
        .expect("running skopeo");
    assert!(
        output.status.success(),
        "skopeo inspect {target}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// Path, kind, mode, owner and size of every file of the merged filesystem.
fn merged_files(reference: &str) -> Vec<String> {
    let image: ImageRef = reference.parse().expect("a reference");
    let open_options = OpenOptions {
        registry: options(None),
        ..OpenOptions::default()
    };
    let opened = drydock_oci::open(&image, reference, &open_options).unwrap_or_else(|e| panic!("{reference}: {e}"));
    let scan_options = ScanOptions {
        cache: None,
        ..ScanOptions::default()
    };
    let scan = drydock_oci::scan(opened, &[], &scan_options).unwrap_or_else(|e| panic!("{reference}: {e}"));
    let mut files: Vec<String> = scan
        .merged
        .records()
        .iter()
        .map(|r| format!("{} {:?} {:o} {}:{} {}", r.path, r.kind, r.mode, r.uid, r.gid, r.size))
        .collect();
    files.sort();
    files
}

#[test]
fn every_fixture_image_round_trips_through_a_registry() {
    let registry = TestRegistry::start(RegistryAuth::Anonymous);
    for image in FIXTURE_IMAGES {
        let destination = repository(registry.addr(), &format!("fixtures/{image}"), None);
        let report = copy_fixture(image, &destination, "v1");
        let wanted = expected(image);
        assert_eq!(report.digest, wanted.manifest_digest, "{image}");
        assert_eq!(report.blobs_copied, wanted.layers.len() + 1, "{image}");

        let target = format!("docker://{}/fixtures/{image}:v1", registry.addr());
        assert_eq!(sha256_digest(&skopeo_raw(&target)), wanted.manifest_digest, "{image}");
        let resolved = destination
            .resolve(&Reference::Tag("v1".into()))
            .expect("resolving")
            .expect("the tag exists");
        assert_eq!(resolved.digest, wanted.manifest_digest);

        // Pushing again sends no blob.
        let again = copy_fixture(image, &destination, "v1");
        assert_eq!((again.blobs_copied, again.bytes_copied), (0, 0), "{image}");
    }
    for image in ["layers-whiteout", "debian-min"] {
        let pushed = format!("{}/fixtures/{image}:v1", registry.addr());
        let original = format!("oci:{}:{image}", fixtures().join("oci").display());
        assert_eq!(merged_files(&pushed), merged_files(&original), "{image}");
    }
}

#[test]
fn skopeo_copies_back_what_drydock_pushed() {
    let registry = TestRegistry::start(RegistryAuth::Anonymous);
    let destination = repository(registry.addr(), "team/app", None);
    let report = copy_fixture("node-app", &destination, "1.0");
    let out = tempfile::tempdir().expect("a temporary directory");
    let layout = out.path().join("layout");
    let status = Command::new("skopeo")
        .args(["--insecure-policy", "copy", "--quiet", "--src-tls-verify=false"])
        .arg(format!("docker://{}/team/app:1.0", registry.addr()))
        .arg(format!("oci:{}:copied", layout.display()))
        .status()
        .expect("running skopeo");
    assert!(status.success());
    let copied = open_repository(&format!("oci:{}", layout.display()), &options(None)).expect("opening");
    let manifest = copied
        .repository
        .fetch_manifest(&Reference::Tag("copied".into()))
        .expect("reading")
        .expect("tagged");
    assert_eq!(manifest.digest, report.digest);
}

#[test]
fn pushes_with_basic_and_token_auth() {
    let registry = TestRegistry::start(RegistryAuth::Htpasswd {
        username: USER,
        password: PASSWORD,
    });
    let anonymous = repository(registry.addr(), "private/app", None);
    let error = copy_image(
        &fixture_ref("distroless-style"),
        "distroless-style",
        &anonymous,
        Some("v1"),
        &copy_options(None),
    )
    .expect_err("an anonymous push to an htpasswd registry");
    assert!(matches!(error.root(), OciError::Auth { .. }), "{error}");
    let wrong = repository(registry.addr(), "private/app", Some(Credentials::new(USER, "wrong")));
    let error = wrong.tags().expect_err("wrong password");
    assert!(!error.to_string().contains("wrong"), "the password leaked: {error}");

    let authorized = repository(registry.addr(), "private/app", Some(Credentials::new(USER, PASSWORD)));
    let report = copy_fixture_with("distroless-style", &authorized, Some(Credentials::new(USER, PASSWORD)));
    assert_eq!(report.digest, expected("distroless-style").manifest_digest);
    assert_eq!(authorized.tags().expect("tags"), vec!["v1".to_string()]);

    let tokens = TokenServer::start(USER, PASSWORD);
    let registry = TestRegistry::start(RegistryAuth::Token(&tokens));
    let authorized = repository(registry.addr(), "tokens/app", Some(Credentials::new(USER, PASSWORD)));
    let report = copy_fixture_with("distroless-style", &authorized, None);
    assert_eq!(report.digest, expected("distroless-style").manifest_digest);
    // A second repository of the same registry: its blobs are mounted, not sent.
    let mounted = repository(registry.addr(), "tokens/other", Some(Credentials::new(USER, PASSWORD)));
    let source: ImageRef = format!("{}/tokens/app:v1", registry.addr())
        .parse()
        .expect("a reference");
    let report = copy_image(
        &source,
        "tokens/app:v1",
        &mounted,
        Some("v1"),
        &copy_options(Some(Credentials::new(USER, PASSWORD))),
    )
    .expect("copying within the registry");
    assert_eq!(report.digest, expected("distroless-style").manifest_digest);
    assert!(report.blobs_copied >= 2, "{report:?}");
    assert_eq!(report.bytes_copied, 0, "blobs were sent instead of mounted: {report:?}");
}

fn copy_fixture_with(
    image: &str,
    destination: &dyn Repository,
    credentials: Option<Credentials>,
) -> drydock_oci::write::copy::CopyReport {
    copy_image(
        &fixture_ref(image),
        image,
        destination,
        Some("v1"),
        &copy_options(credentials),
    )
    .unwrap_or_else(|e| panic!("copying {image}: {e}"))
}

/// A cosign-style signature manifest: a config, the given layers, optionally a subject.
fn artifact_manifest(repo: &dyn Repository, layers: &[&[u8]], subject: Option<&Descriptor>) -> Vec<u8> {
    let config = b"{}";
    let config_digest = sha256_digest(config);
    repo.push_blob(&config_digest, config).expect("pushing the config");
    let layers: Vec<Descriptor> = layers
        .iter()
        .map(|bytes| {
            let digest = sha256_digest(bytes);
            repo.push_blob(&digest, bytes).expect("pushing a layer");
            let mut descriptor = Descriptor::new(
                "application/vnd.dev.cosign.simplesigning.v1+json",
                digest,
                bytes.len() as u64,
            );
            descriptor
                .annotations
                .insert("dev.cosignproject.cosign/signature".into(), "MEUCIQ==".into());
            descriptor
        })
        .collect();
    let mut manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": Descriptor::new(SIG_TYPE, config_digest, config.len() as u64),
        "layers": layers,
        "annotations": {"created-by": "push test"},
    });
    if let Some(subject) = subject {
        manifest["subject"] = serde_json::to_value(subject).expect("a descriptor");
    }
    serde_json::to_vec(&manifest).expect("manifest JSON")
}

/// Signature tags, appended layers and referrers behave the same in both repositories.
fn signatures_and_referrers(repo: &dyn Repository) {
    let image = repo
        .resolve(&Reference::Tag("v1".into()))
        .expect("resolving")
        .expect("the image is there");
    let sig_tag = format!("{}.sig", referrers_tag(&image.digest));
    assert!(
        repo.fetch_manifest(&Reference::Tag(sig_tag.clone()))
            .expect("asking")
            .is_none()
    );
    let first = artifact_manifest(repo, &[b"signature one"], None);
    repo.push_manifest(&first, OCI_MANIFEST, Some(&sig_tag))
        .expect("pushing");
    let second = artifact_manifest(repo, &[b"signature one", b"signature two"], None);
    let digest = repo
        .push_manifest(&second, OCI_MANIFEST, Some(&sig_tag))
        .expect("appending");
    let fetched = repo
        .fetch_manifest(&Reference::Tag(sig_tag.clone()))
        .expect("reading")
        .expect("the signature tag");
    assert_eq!((fetched.digest, fetched.bytes), (digest, second));
    let layer = sha256_digest(b"signature two");
    assert_eq!(repo.fetch_blob(&layer, 1024).expect("the layer"), b"signature two");
    assert!(repo.fetch_blob(&layer, 4).is_err(), "a blob over the limit is an error");

    let attestation = artifact_manifest(repo, &[b"attestation"], Some(&image));
    let attestation_digest = repo.push_manifest(&attestation, OCI_MANIFEST, None).expect("referrer");
    let signature = artifact_manifest(repo, &[b"signature three"], Some(&image));
    let signature_digest = repo.push_manifest(&signature, OCI_MANIFEST, None).expect("referrer");
    // Pushing the same referrer twice lists it once.
    repo.push_manifest(&signature, OCI_MANIFEST, None).expect("again");
    let referrers = repo.referrers(&image.digest, None).expect("referrers");
    let digests: Vec<&Digest> = referrers.iter().map(|d| &d.digest).collect();
    assert_eq!(digests, vec![&attestation_digest, &signature_digest], "{referrers:?}");
    assert_eq!(referrers[0].artifact_type.as_deref(), Some(SIG_TYPE));
    assert_eq!(
        referrers[0].annotations.get("created-by").map(String::as_str),
        Some("push test")
    );
    assert_eq!(
        repo.referrers(&image.digest, Some(SIG_TYPE)).expect("filtered").len(),
        2
    );
    assert!(
        repo.referrers(&image.digest, Some("application/other"))
            .expect("filtered")
            .is_empty()
    );
    assert!(repo.referrers(&signature_digest, None).expect("none").is_empty());
    assert!(repo.tags().expect("tags").contains(&sig_tag));
}

#[test]
fn signatures_and_referrers_in_a_registry() {
    let registry = TestRegistry::start(RegistryAuth::Anonymous);
    let repo = repository(registry.addr(), "signed/app", None);
    copy_fixture("distroless-style", &repo, "v1");
    signatures_and_referrers(&repo);
    // docker-registry 2.8 has no referrers API: the tag schema holds them.
    let image = expected("distroless-style").manifest_digest;
    assert!(repo.tags().expect("tags").contains(&referrers_tag(&image)));
}

#[test]
fn signatures_and_referrers_in_a_layout() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let target = open_repository(&format!("oci:{}:v1", dir.path().join("new").display()), &options(None))
        .expect("opening a new layout");
    assert_eq!(target.reference, Some(Reference::Tag("v1".into())));
    copy_fixture("distroless-style", target.repository.as_ref(), "v1");
    signatures_and_referrers(target.repository.as_ref());
}

#[test]
fn tags_of_a_real_registry() {
    let registry = TestRegistry::start(RegistryAuth::Anonymous);
    let repo = repository(registry.addr(), "many/tags", None);
    let manifest = artifact_manifest(&repo, &[b"tagged"], None);
    let mut wanted: Vec<String> = (0..7).map(|i| format!("t{i}")).collect();
    for tag in &wanted {
        repo.push_manifest(&manifest, OCI_MANIFEST, Some(tag)).expect("tagging");
    }
    wanted.sort();
    // docker-registry 2.8 ignores `n` and answers in its own order: one page.
    let mut tags = repo.tags_paged(2).expect("tags");
    tags.sort();
    assert_eq!(tags, wanted);
}

/// distribution 2.8 does not paginate tag lists, so a scripted server plays one that does
/// (`n`, `last`, and a `Link` to the next page, as the distribution spec describes).
#[test]
fn tags_follow_link_headers_across_pages() {
    let all: Vec<String> = (0..5).map(|i| format!("t{i}")).collect();
    let served = all.clone();
    let server = FakeServer::start(move |_, request| {
        let query = request.target.split_once('?').map(|(_, q)| q).unwrap_or("");
        let param = |name: &str| {
            query
                .split('&')
                .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
                .map(str::to_string)
        };
        let n: usize = param("n").and_then(|n| n.parse().ok()).unwrap_or(100);
        let start = param("last").map_or(0, |last| served.iter().position(|t| *t == last).map_or(0, |i| i + 1));
        let page: Vec<&String> = served.iter().skip(start).take(n).collect();
        let body = serde_json::to_vec(&serde_json::json!({"name": "app", "tags": page})).expect("JSON");
        let mut headers = vec![("Content-Type", "application/json".to_string())];
        if start + n < served.len() {
            let last = page.last().map(|t| t.as_str()).unwrap_or_default();
            headers.push(("Link", format!("</v2/app/tags/list?n={n}&last={last}>; rel=\"next\"")));
        }
        ok("200 OK", &headers, &body)
    });
    let repo = repository(server.addr(), "app", None);
    assert_eq!(repo.tags_paged(2).expect("paged tags"), all);
    let targets: Vec<String> = server.requests().iter().map(|r| r.target.clone()).collect();
    assert_eq!(
        targets,
        vec![
            "/v2/app/tags/list?n=2",
            "/v2/app/tags/list?n=2&last=t1",
            "/v2/app/tags/list?n=2&last=t3"
        ]
    );
}

#[test]
fn chunked_uploads_stream_and_refuse_wrong_bytes() {
    let registry = TestRegistry::start(RegistryAuth::Anonymous);
    let repo = repository(registry.addr(), "chunked/app", None).with_chunk_size(4096);
    let blob: Vec<u8> = (0..50_000u32).flat_map(|i| i.to_le_bytes()).collect();
    let digest = sha256_digest(&blob);
    repo.push_blob_stream(&digest, blob.len() as u64, &mut &blob[..])
        .expect("a chunked upload");
    assert_eq!(repo.fetch_blob(&digest, 1 << 20).expect("reading back"), blob);

    let mut tampered = blob.clone();
    tampered[10_000] ^= 1;
    let claimed = sha256_digest(&[blob.as_slice(), b"x"].concat());
    let error = repo
        .push_blob_stream(&claimed, tampered.len() as u64, &mut &tampered[..])
        .expect_err("a stream that does not match its digest");
    assert!(matches!(error.root(), OciError::DigestMismatch { .. }), "{error}");
    assert!(
        !repo.blob_exists(&claimed).expect("asking"),
        "the wrong blob was committed"
    );
    let error = repo
        .push_blob_stream(&claimed, 10, &mut &tampered[..])
        .expect_err("a stream longer than announced");
    assert!(matches!(error.root(), OciError::SizeMismatch { .. }), "{error}");
}

#[test]
fn a_blob_that_does_not_match_its_digest_is_refused_before_any_request() {
    let server = FakeServer::start(|_, _| ok("500 Internal Server Error", &[], b""));
    let repo = repository(server.addr(), "app", None);
    let claimed = sha256_digest(b"what the caller meant");
    let error = repo.push_blob(&claimed, b"what the caller sent").expect_err("refused");
    assert!(matches!(error.root(), OciError::DigestMismatch { .. }), "{error}");
    assert!(
        server.requests().is_empty(),
        "a request was sent: {:?}",
        server.requests().len()
    );
}

#[test]
fn a_registry_that_stores_another_digest_is_an_error() {
    let wrong = format!("sha256:{}", "e".repeat(64));
    let server = FakeServer::start(move |_, request| {
        if request.method == "PUT" {
            ok("201 Created", &[("Docker-Content-Digest", wrong.clone())], b"")
        } else {
            ok("404 Not Found", &[], b"")
        }
    });
    let repo = repository(server.addr(), "app", None);
    let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
    let error = repo
        .push_manifest(manifest, OCI_MANIFEST, Some("v1"))
        .expect_err("a mismatching Docker-Content-Digest");
    let message = error.to_string();
    assert!(
        message.contains("Docker-Content-Digest") && message.contains(&"e".repeat(64)) && message.contains("app"),
        "{message}"
    );
}

#[test]
fn registry_errors_name_the_registry_repository_and_code() {
    let registry = TestRegistry::start(RegistryAuth::Anonymous);
    let repo = repository(registry.addr(), "missing/blobs", None);
    // A manifest whose blobs were never pushed: the registry says MANIFEST_BLOB_UNKNOWN.
    let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
    let message = repo
        .push_manifest(manifest, OCI_MANIFEST, Some("v1"))
        .expect_err("blobs missing")
        .to_string();
    assert!(
        message.contains(registry.addr())
            && message.contains("missing/blobs")
            && message.contains("MANIFEST_BLOB_UNKNOWN"),
        "{message}"
    );
}

/// distribution answers with absolute `Location`s; the spec allows relative ones, which a
/// scripted server sends here. The requests must be HEAD, POST, then PUT to the session
/// with `digest` added to its query.
#[test]
fn relative_upload_locations_are_followed() {
    let server = FakeServer::start(|_, request| match request.method.as_str() {
        "HEAD" => ok("404 Not Found", &[], b""),
        "POST" => ok(
            "202 Accepted",
            &[("Location", "/v2/app/blobs/uploads/session-1?_state=abc".to_string())],
            b"",
        ),
        "PUT" => ok("201 Created", &[], b""),
        _ => ok("400 Bad Request", &[], b""),
    });
    let repo = repository(server.addr(), "app", None);
    let blob = b"a small blob";
    let digest = sha256_digest(blob);
    repo.push_blob(&digest, blob).expect("a monolithic upload");
    let requests = server.requests();
    let seen: Vec<(String, String)> = requests.iter().map(|r| (r.method.clone(), r.target.clone())).collect();
    assert_eq!(
        seen,
        vec![
            ("HEAD".to_string(), format!("/v2/app/blobs/{digest}")),
            ("POST".to_string(), "/v2/app/blobs/uploads/".to_string()),
            (
                "PUT".to_string(),
                format!("/v2/app/blobs/uploads/session-1?_state=abc&digest={digest}")
            ),
        ]
    );
    let put = &requests[2];
    assert_eq!(put.header("content-type"), Some("application/octet-stream"));
    assert_eq!(put.header("content-length"), Some(blob.len().to_string().as_str()));
}

/// A chunk whose first try landed but whose answer was lost is re-sent by the retry and
/// refused with 416; the upload's `Range` then shows it arrived, and the upload goes on.
/// A real registry cannot be made to lose an answer, so a scripted one does.
#[test]
fn a_refused_resent_chunk_that_had_landed_is_not_sent_again() {
    let session = "/v2/app/blobs/uploads/s1";
    let server = FakeServer::start(move |_, request| {
        let location = [("Location", session.to_string())];
        match (request.method.as_str(), request.header("content-range")) {
            ("HEAD", _) => ok("404 Not Found", &[], b""),
            ("POST", _) => ok("202 Accepted", &location, b""),
            ("PATCH", Some("0-1023")) => ok(
                "202 Accepted",
                &[("Location", session.to_string()), ("Range", "0-1023".to_string())],
                b"",
            ),
            ("PATCH", _) => ok(
                "416 Range Not Satisfiable",
                &[],
                br#"{"errors":[{"code":"BLOB_UPLOAD_INVALID"}]}"#,
            ),
            ("GET", _) => ok(
                "204 No Content",
                &[("Location", session.to_string()), ("Range", "0-2047".to_string())],
                b"",
            ),
            ("PUT", _) => ok("201 Created", &[], b""),
            _ => ok("400 Bad Request", &[], b""),
        }
    });
    let repo = repository(server.addr(), "app", None).with_chunk_size(1024);
    let blob = vec![7u8; 2048];
    let digest = sha256_digest(&blob);
    repo.push_blob(&digest, &blob).expect("the upload recovers");
    let methods: Vec<String> = server.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(methods, ["HEAD", "POST", "PATCH", "PATCH", "GET", "PUT"]);

    // When the registry holds less than was sent, the upload fails and is cancelled.
    let short = FakeServer::start(move |_, request| match request.method.as_str() {
        "HEAD" => ok("404 Not Found", &[], b""),
        "POST" => ok("202 Accepted", &[("Location", session.to_string())], b""),
        "PATCH" => ok("416 Range Not Satisfiable", &[], b""),
        "GET" => ok("204 No Content", &[("Range", "0-99".to_string())], b""),
        "DELETE" => ok("204 No Content", &[], b""),
        _ => ok("400 Bad Request", &[], b""),
    });
    let repo = repository(short.addr(), "app", None).with_chunk_size(1024);
    let error = repo.push_blob(&digest, &blob).expect_err("a lost chunk");
    assert!(error.to_string().contains("bytes 0-99"), "{error}");
    let methods: Vec<String> = short.requests().iter().map(|r| r.method.clone()).collect();
    assert_eq!(methods.last().map(String::as_str), Some("DELETE"), "{methods:?}");
}

/// A registry with the referrers API (docker-registry 2.8 has none, so a scripted one):
/// its answer is used as is when it says it filtered, filtered here when it did not, and a
/// push it answers with `OCI-Subject` updates no tag-schema index.
#[test]
fn the_referrers_api_is_used_when_the_registry_has_it() {
    let subject = sha256_digest(b"the image");
    let sbom = Descriptor {
        artifact_type: Some("application/spdx+json".into()),
        ..Descriptor::new(OCI_MANIFEST, sha256_digest(b"sbom"), 10)
    };
    let sig = Descriptor {
        artifact_type: Some(SIG_TYPE.into()),
        ..Descriptor::new(OCI_MANIFEST, sha256_digest(b"sig"), 10)
    };
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [sbom, sig],
    }))
    .expect("JSON");
    let filtered_answer =
        serde_json::to_vec(&serde_json::json!({"schemaVersion": 2, "manifests": [sig]})).expect("JSON");
    let subject_text = subject.to_string();
    let server = FakeServer::start(move |_, request| {
        let json = [("Content-Type", "application/vnd.oci.image.index.v1+json".to_string())];
        if request.method == "PUT" {
            return ok("201 Created", &[("OCI-Subject", subject_text.clone())], b"");
        }
        if request.target.contains("artifactType=application%2Fvnd.dev.cosign") {
            let headers = [json[0].clone(), ("OCI-Filters-Applied", "artifactType".to_string())];
            return ok("200 OK", &headers, &filtered_answer);
        }
        ok("200 OK", &json, &index)
    });
    let repo = repository(server.addr(), "app", None);
    assert_eq!(repo.referrers(&subject, None).expect("all").len(), 2);
    let only_sig = repo.referrers(&subject, Some(SIG_TYPE)).expect("signatures");
    assert_eq!(
        only_sig.iter().map(|d| &d.digest).collect::<Vec<_>>(),
        vec![&sha256_digest(b"sig")]
    );
    // This answer ignored the filter (no OCI-Filters-Applied): drydock filters.
    let only_sbom = repo.referrers(&subject, Some("application/spdx+json")).expect("SBOMs");
    assert_eq!(
        only_sbom.iter().map(|d| &d.digest).collect::<Vec<_>>(),
        vec![&sha256_digest(b"sbom")]
    );

    let before = server.requests().len();
    let referrer = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": Descriptor::new(SIG_TYPE, sha256_digest(b"{}"), 2),
        "layers": [],
        "subject": Descriptor::new(OCI_MANIFEST, subject.clone(), 9),
    }))
    .expect("JSON");
    repo.push_manifest(&referrer, OCI_MANIFEST, None)
        .expect("pushing a referrer");
    let after: Vec<String> = server.requests()[before..].iter().map(|r| r.method.clone()).collect();
    assert_eq!(after, ["PUT"], "only the manifest itself is pushed");
    let expected_target = format!("/v2/app/referrers/{subject}");
    assert!(server.requests().iter().any(|r| r.target == expected_target));
}
