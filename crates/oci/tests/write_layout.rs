//! Writing OCI image layouts with drydock-oci, read back by drydock, `skopeo` and `umoci`;
//! copies from docker archives and of multi-platform indexes.

#[allow(dead_code)]
#[path = "support/registry.rs"]
mod registry_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use drydock_model::Platform;
use drydock_oci::source::registry::RegistryOptions;
use drydock_oci::source::sha256_digest;
use drydock_oci::write::copy::{CopyOptions, CopyReport, copy_image};
use drydock_oci::write::layout::LayoutRepository;
use drydock_oci::write::registry::RegistryRepository;
use drydock_oci::write::{Descriptor, Reference, Repository};
use drydock_oci::{ImageRef, OciError, OpenOptions, RegistryRef};
use registry_support::{RegistryAuth, TestRegistry, expected, fixtures, require_tool};

const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

fn fixture(image: &str) -> ImageRef {
    format!("oci:{}:{image}", fixtures().join("oci").display())
        .parse()
        .expect("a fixture reference")
}

fn copy(source: &ImageRef, destination: &dyn Repository, tag: &str, options: &CopyOptions) -> CopyReport {
    copy_image(source, "the fixture", destination, Some(tag), options).unwrap_or_else(|e| panic!("copying: {e}"))
}

fn run(program: &str, args: &[&str]) -> String {
    require_tool(program);
    let output = Command::new(program).args(args).output().expect("running a tool");
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn index_json(layout: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(layout.join("index.json")).expect("index.json")).expect("JSON")
}

#[test]
fn skopeo_and_umoci_read_a_layout_drydock_wrote() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("layout");
    let layout = LayoutRepository::open(&path).expect("opening");
    let report = copy(&fixture("debian-min"), &layout, "min", &CopyOptions::default());
    copy(&fixture("distroless-style"), &layout, "small", &CopyOptions::default());
    assert_eq!(report.digest, expected("debian-min").manifest_digest);

    let raw = run("skopeo", &["inspect", "--raw", &format!("oci:{}:min", path.display())]);
    assert_eq!(sha256_digest(raw.as_bytes()), report.digest);
    let listed = run("umoci", &["ls", "--layout", &path.display().to_string()]);
    let mut tags: Vec<&str> = listed.lines().collect();
    tags.sort();
    assert_eq!(tags, vec!["min", "small"]);
    let stat = run(
        "umoci",
        &["stat", "--image", &format!("{}:small", path.display()), "--json"],
    );
    assert!(stat.contains("history"), "{stat}");

    // Tagging again replaces the tag's entry instead of adding one.
    copy(&fixture("layers-whiteout"), &layout, "min", &CopyOptions::default());
    let index = index_json(&path);
    let names: Vec<&str> = index["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .filter_map(|m| m["annotations"]["org.opencontainers.image.ref.name"].as_str())
        .collect();
    assert_eq!(names, vec!["small", "min"]);
    let resolved = layout
        .resolve(&Reference::Tag("min".into()))
        .expect("resolving")
        .expect("tagged");
    assert_eq!(resolved.digest, expected("layers-whiteout").manifest_digest);
    assert!(
        std::fs::read_dir(&path).expect("listing").all(|e| {
            let name = e.expect("an entry").file_name();
            ["oci-layout", "index.json", "blobs"].contains(&name.to_str().unwrap_or(""))
        }),
        "temporary files were left in the layout"
    );
}

#[test]
fn concurrent_writers_keep_every_tag() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("shared");
    let writers: Vec<_> = (0..6)
        .map(|i| {
            let path = path.clone();
            std::thread::spawn(move || {
                let layout = LayoutRepository::open(&path).expect("opening");
                let config = format!("{{\"writer\":{i}}}");
                let digest = sha256_digest(config.as_bytes());
                layout.push_blob(&digest, config.as_bytes()).expect("a blob");
                let manifest = serde_json::json!({
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": Descriptor::new("application/vnd.example+json", digest, config.len() as u64),
                    "layers": [],
                });
                let bytes = serde_json::to_vec(&manifest).expect("JSON");
                for round in 0..5 {
                    layout
                        .push_manifest(&bytes, "", Some(&format!("w{i}-{round}")))
                        .expect("tagging");
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().expect("a writer thread");
    }
    let mut tags = LayoutRepository::open(&path).expect("opening").tags().expect("tags");
    tags.sort();
    let mut wanted: Vec<String> = (0..6).flat_map(|i| (0..5).map(move |r| format!("w{i}-{r}"))).collect();
    wanted.sort();
    assert_eq!(tags, wanted);
}

#[test]
fn blobs_are_never_written_outside_the_layout() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let outside = dir.path().join("outside");
    std::fs::create_dir_all(&outside).expect("mkdir");
    let path = dir.path().join("layout");
    std::fs::create_dir_all(&path).expect("mkdir");
    std::os::unix::fs::symlink(&outside, path.join("blobs")).expect("a symlink");
    let layout = LayoutRepository::open(&path).expect("opening");
    let error = layout.push_blob(&sha256_digest(b"x"), b"x").expect_err("an escape");
    assert!(matches!(error.root(), OciError::Path { .. }), "{error}");
    assert!(
        std::fs::read_dir(&outside).expect("listing").next().is_none(),
        "something was written outside"
    );

    let file = dir.path().join("file");
    std::fs::write(&file, b"not a directory").expect("a file");
    assert!(LayoutRepository::open(&file).is_err());
}

#[test]
fn a_manifest_needs_its_blobs_first() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let layout = LayoutRepository::open(dir.path()).expect("opening");
    let config = sha256_digest(b"{}");
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": Descriptor::new("application/vnd.oci.image.config.v1+json", config.clone(), 2),
        "layers": [],
    }))
    .expect("JSON");
    let error = layout
        .push_manifest(&manifest, "", Some("v1"))
        .expect_err("the config is missing");
    assert!(error.to_string().contains(&config.to_string()), "{error}");
    assert!(layout.tags().expect("tags").is_empty());
    layout.push_blob(&config, b"{}").expect("the config");
    layout.push_manifest(&manifest, "", Some("v1")).expect("now it can go");
    assert_eq!(layout.tags().expect("tags"), vec!["v1".to_string()]);
}

#[test]
fn a_wrong_blob_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let layout = LayoutRepository::open(dir.path()).expect("opening");
    let claimed = sha256_digest(b"meant");
    let error = layout
        .push_blob_stream(&claimed, 4, &mut &b"sent"[..])
        .expect_err("mismatch");
    assert!(matches!(error.root(), OciError::DigestMismatch { .. }), "{error}");
    let blobs = dir.path().join("blobs/sha256");
    assert_eq!(std::fs::read_dir(blobs).expect("listing").count(), 0);
    assert!(!layout.blob_exists(&claimed).expect("asking"));
}

#[test]
fn docker_archives_become_oci_manifests_with_their_layers_as_they_are() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let layout = LayoutRepository::open(&dir.path().join("from-docker")).expect("opening");
    let source: ImageRef = format!(
        "docker-archive:{}",
        fixtures().join("distroless-style.docker.tar").display()
    )
    .parse()
    .expect("a reference");
    let report = copy(&source, &layout, "docker", &CopyOptions::default());
    let manifest = layout
        .fetch_manifest(&Reference::Digest(report.digest.clone()))
        .expect("reading")
        .expect("pushed");
    let json: serde_json::Value = serde_json::from_slice(&manifest.bytes).expect("JSON");
    let wanted = expected("distroless-style");
    assert_eq!(json["config"]["digest"], wanted.config_digest.to_string());
    for layer in json["layers"].as_array().expect("layers") {
        assert_eq!(layer["mediaType"], "application/vnd.oci.image.layer.v1.tar");
    }
    let path = dir.path().join("from-docker");
    let inspected = run("skopeo", &["inspect", &format!("oci:{}:docker", path.display())]);
    let inspected: serde_json::Value = serde_json::from_str(&inspected).expect("skopeo's JSON");
    assert_eq!(inspected["Digest"], report.digest.to_string());
}

#[test]
fn oci_archives_copy_with_their_digests() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let layout = LayoutRepository::open(dir.path()).expect("opening");
    let source: ImageRef = format!(
        "oci-archive:{}:latest",
        fixtures().join("distroless-style.oci.tar").display()
    )
    .parse()
    .expect("a reference");
    let report = copy(&source, &layout, "from-archive", &CopyOptions::default());
    assert_eq!(report.digest, expected("distroless-style").manifest_digest);
    assert_eq!(report.blobs_copied, 2);
}

/// A layout with an index of two platforms: debian-min as linux/amd64 and
/// distroless-style as linux/arm64 (their configs do not matter for copying).
fn multi_platform_layout(dir: &Path) -> (PathBuf, CopyReport, CopyReport, drydock_model::Digest) {
    let path = dir.join("multi");
    let layout = LayoutRepository::open(&path).expect("opening");
    let amd64 = copy(&fixture("debian-min"), &layout, "amd64", &CopyOptions::default());
    let arm64 = copy(&fixture("distroless-style"), &layout, "arm64", &CopyOptions::default());
    let entry = |report: &CopyReport, arch: &str| {
        let size = layout
            .fetch_manifest(&Reference::Digest(report.digest.clone()))
            .expect("reading")
            .expect("there")
            .bytes
            .len() as u64;
        let mut descriptor = Descriptor::new(report.media_type.clone(), report.digest.clone(), size);
        descriptor.platform = Some(serde_json::json!({"os": "linux", "architecture": arch}));
        descriptor
    };
    let index = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [entry(&amd64, "amd64"), entry(&arm64, "arm64")],
    });
    let bytes = serde_json::to_vec(&index).expect("JSON");
    let index_digest = layout
        .push_manifest(&bytes, OCI_INDEX, Some("multi"))
        .expect("the index");
    (path, amd64, arm64, index_digest)
}

#[test]
fn indexes_copy_whole_or_as_one_platform() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let (path, _, arm64, index_digest) = multi_platform_layout(dir.path());
    let source: ImageRef = format!("oci:{}:multi", path.display()).parse().expect("a reference");

    let registry = TestRegistry::start(RegistryAuth::Anonymous);
    let reference = RegistryRef::parse(&format!("{}/multi/app", registry.addr())).expect("a reference");
    let repo = RegistryRepository::new(&reference, RegistryOptions::default()).expect("a repository");
    let all = CopyOptions {
        all_platforms: true,
        ..CopyOptions::default()
    };
    let report = copy(&source, &repo, "all", &all);
    assert_eq!(report.digest, index_digest);
    let raw = run(
        "skopeo",
        &[
            "inspect",
            "--raw",
            "--tls-verify=false",
            &format!("docker://{}/multi/app:all", registry.addr()),
        ],
    );
    assert_eq!(sha256_digest(raw.as_bytes()), index_digest);
    // Every platform's image is complete: skopeo copies them all back out.
    let back = dir.path().join("back");
    run(
        "skopeo",
        &[
            "--insecure-policy",
            "copy",
            "--quiet",
            "--all",
            "--src-tls-verify=false",
            &format!("docker://{}/multi/app:all", registry.addr()),
            &format!("oci:{}:all", back.display()),
        ],
    );

    let one = CopyOptions {
        open: OpenOptions {
            platform: Some(Platform::new("linux", "arm64", None)),
            ..OpenOptions::default()
        },
        all_platforms: false,
    };
    let report = copy(&source, &repo, "arm64", &one);
    assert_eq!(report.digest, arm64.digest);
    assert_eq!(report.digest, expected("distroless-style").manifest_digest);
}
