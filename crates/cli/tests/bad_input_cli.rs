//! `drydock image inspect` on bad input: exit code 1, one `drydock: error: …` message on
//! stderr that names the image as typed and what was wrong, and nothing on stdout (no
//! half-written report). Usage errors exit 2.
//!
//! Broken images are copies of the `distroless-style` fixture layout (three small blobs)
//! with one thing spoiled. The library's own bad-input cases are in
//! `crates/oci/tests/bad_input.rs`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use assert_cmd::assert::OutputAssertExt;
use assert_cmd::cargo::cargo_bin;
use predicates::prelude::*;
use tempfile::TempDir;

/// The distroless-style fixture: its manifest, config and only layer.
const MANIFEST: &str = "sha256:c31c49ce4ff69762d33e36e289b0bda9086c479b5c5b82c772e3958c0acf4362";
const CONFIG: &str = "sha256:753a2c8d81f7f9e87072df90e54dafd16228aa47a0f6cc7e533dad08c91beb36";
const LAYER: &str = "sha256:0d4d5053784dbdeedaabe806ff9b42f73a17ab65a773aaeeb5e6feb0de9978e7";
const MANIFEST_SIZE: u64 = 347;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images/oci")
}

fn fixture_layout() -> PathBuf {
    fixtures().join("distroless-style")
}

/// A private copy of the distroless-style layout, to spoil.
struct Copy {
    dir: TempDir,
}

impl Copy {
    fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("drydock-bad-input-cli-")
            .tempdir()
            .expect("temp dir");
        let blobs = dir.path().join("blobs/sha256");
        std::fs::create_dir_all(&blobs).unwrap();
        for name in ["index.json", "oci-layout"] {
            std::fs::copy(fixture_layout().join(name), dir.path().join(name)).unwrap();
        }
        for digest in [MANIFEST, CONFIG, LAYER] {
            std::fs::copy(
                fixtures().join("blobs/sha256").join(hex(digest)),
                blobs.join(hex(digest)),
            )
            .unwrap();
        }
        Copy { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn blob(&self, digest: &str) -> PathBuf {
        self.path().join("blobs/sha256").join(hex(digest))
    }

    /// `oci:<copy>` plus an optional `:tag`.
    fn reference(&self, tag: Option<&str>) -> String {
        match tag {
            Some(tag) => format!("oci:{}:{tag}", self.path().display()),
            None => format!("oci:{}", self.path().display()),
        }
    }
}

fn hex(digest: &str) -> &str {
    digest.strip_prefix("sha256:").expect("a sha256 digest")
}

/// Runs drydock with a private cache and no limits or log settings from the environment.
fn drydock(args: &[&str]) -> Output {
    let cache = tempfile::tempdir().expect("temp dir");
    Command::new(cargo_bin("drydock"))
        .env_remove("DRYDOCK_MAX_LAYER_SIZE")
        .env_remove("DRYDOCK_LOG")
        .env_remove("DRYDOCK_CACHE_DIR")
        .env("XDG_CACHE_HOME", cache.path())
        .arg("--cache-dir")
        .arg(cache.path())
        .args(args)
        .output()
        .expect("run drydock")
}

/// Asserts the failure every bad input must give: exit 1, an error on stderr naming the
/// image and every one of `needles`, nothing on stdout. Returns stderr.
#[track_caller]
fn assert_fails(output: Output, image: &str, needles: &[&str]) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    output.assert().failure().code(1).stdout(predicate::str::is_empty());
    assert!(
        stderr.starts_with(&format!("drydock: error: image {image}: ")),
        "stderr does not start with the error naming the image `{image}`:\n{stderr}"
    );
    for needle in needles {
        assert!(stderr.contains(needle), "`{needle}` is missing from stderr:\n{stderr}");
    }
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.matches("drydock: error:").count(), 1, "{stderr}");
    stderr
}

#[test]
fn truncated_layer_blob() {
    let copy = Copy::new();
    let layer = std::fs::read(copy.blob(LAYER)).unwrap();
    std::fs::write(copy.blob(LAYER), &layer[..layer.len() / 2]).unwrap();
    let image = copy.reference(None);
    for format in ["table", "json"] {
        let output = drydock(&["--no-cache", "image", "inspect", &image, "--files", "--format", format]);
        assert_fails(
            output,
            &image,
            &[&format!("layer 0 ({LAYER})"), "corrupt or truncated gzip"],
        );
    }
}

#[test]
fn layer_blob_with_other_content() {
    // Same size, valid gzip header, different bytes: the digest check must catch it even
    // when the walk itself gets through.
    let copy = Copy::new();
    let mut layer = std::fs::read(copy.blob(LAYER)).unwrap();
    let end = layer.len() - 1;
    layer[end] ^= 0xff; // the last byte of the gzip trailer's size field
    std::fs::write(copy.blob(LAYER), &layer).unwrap();
    let image = copy.reference(Some("latest"));
    let output = drydock(&["image", "inspect", &image, "--files"]);
    assert_fails(output, &image, &[&format!("layer 0 ({LAYER})")]);
}

#[test]
fn missing_layer_blob() {
    let copy = Copy::new();
    std::fs::remove_file(copy.blob(LAYER)).unwrap();
    let image = copy.reference(None);
    let output = drydock(&["image", "inspect", &image, "--files", "--format", "json"]);
    assert_fails(output, &image, &["layer 0", LAYER, "not found"]);
}

#[test]
fn config_blob_digest_mismatch() {
    let copy = Copy::new();
    let config = std::fs::read_to_string(copy.blob(CONFIG)).unwrap();
    std::fs::write(copy.blob(CONFIG), config.replace("65532", "0")).unwrap();
    let image = copy.reference(None);
    let output = drydock(&["image", "inspect", &image]);
    assert_fails(output, &image, &[&format!("config {CONFIG}"), "digest mismatch"]);
}

#[test]
fn garbage_index_json() {
    let copy = Copy::new();
    std::fs::write(copy.path().join("index.json"), "{\"manifests\": [}").unwrap();
    let image = copy.reference(None);
    let output = drydock(&["image", "inspect", &image, "--format", "json"]);
    assert_fails(
        output,
        &image,
        &["index.json", &copy.path().display().to_string(), "not valid"],
    );
}

#[test]
fn unknown_tag_lists_the_names() {
    let copy = Copy::new();
    let image = copy.reference(Some("nope"));
    let output = drydock(&["image", "inspect", &image]);
    assert_fails(output, &image, &["tag `nope`", "it has: latest"]);
}

#[test]
fn no_manifest_for_the_platform() {
    let copy = Copy::new();
    let entry = |platform: &str| {
        let (os, architecture) = platform.split_once('/').unwrap();
        serde_json::json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": MANIFEST,
            "size": MANIFEST_SIZE,
            "annotations": { "org.opencontainers.image.ref.name": "latest" },
            "platform": { "os": os, "architecture": architecture },
        })
    };
    let index = serde_json::json!({ "schemaVersion": 2, "manifests": [entry("linux/s390x"), entry("linux/ppc64le")] });
    std::fs::write(copy.path().join("index.json"), index.to_string()).unwrap();
    let image = copy.reference(Some("latest"));
    let output = drydock(&["image", "inspect", &image, "--platform", "linux/arm64"]);
    assert_fails(
        output,
        &image,
        &["no image for platform linux/arm64", "linux/s390x, linux/ppc64le"],
    );
}

#[test]
fn docker_archive_that_is_not_a_tar() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("image.tar");
    std::fs::write(&path, "not a tar\n".repeat(100)).unwrap();
    let image = format!("docker-archive:{}", path.display());
    let output = drydock(&["image", "inspect", &image]);
    assert_fails(output, &image, &[&path.display().to_string(), "not valid"]);
}

#[test]
fn oci_path_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nowhere");
    let image = format!("oci:{}", path.display());
    let output = drydock(&["image", "inspect", &image]);
    assert_fails(output, &image, &[&path.display().to_string(), "not found"]);
}

#[test]
fn max_layer_size_stops_the_fixture_as_a_bomb() {
    let image = format!("oci:{}", fixture_layout().display());
    let output = drydock(&[
        "--no-cache",
        "image",
        "inspect",
        &image,
        "--files",
        "--max-layer-size",
        "1K",
    ]);
    assert_fails(
        output,
        &image,
        &[
            &format!("layer 0 ({LAYER})"),
            "limit of 1024 bytes",
            "decompression bomb",
            "--max-layer-size",
        ],
    );
    // The environment variable is the same limit.
    let output = Command::new(cargo_bin("drydock"))
        .env("DRYDOCK_MAX_LAYER_SIZE", "1K")
        .args(["--no-cache", "image", "inspect", &image, "--files"])
        .output()
        .expect("run drydock");
    assert_fails(output, &image, &["limit of 1024 bytes", "decompression bomb"]);
}

#[test]
fn usage_errors_exit_2() {
    let image = format!("oci:{}", fixture_layout().display());
    let cases: [&[&str]; 4] = [
        &["image", "inspect"],
        &["image", "inspect", &image, "--format", "xml"],
        &["image", "inspect", &image, "--max-layer-size", "0"],
        &["image", "inspect", &image, "--max-layer-size", "lots"],
    ];
    for args in cases {
        let output = drydock(args);
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        output.assert().code(2).stdout(predicate::str::is_empty());
        assert!(stderr.starts_with("error:"), "{args:?}: {stderr}");
        assert!(stderr.contains("--help"), "{args:?}: {stderr}");
    }
}

// The two tests below check how the error is printed. They fail while `main` prints
// `{error:#}`: library errors already carry their causes in their message, so anyhow's
// alternate form says every cause twice, and text from inside a broken archive (the tar
// crate quotes raw header bytes) reaches the terminal unescaped.

#[test]
fn error_is_said_once() {
    let copy = Copy::new();
    let image = copy.reference(Some("nope"));
    let stderr = assert_fails(drydock(&["image", "inspect", &image]), &image, &["tag `nope`"]);
    assert_eq!(
        stderr.matches("tag `nope`").count(),
        1,
        "the error is repeated:\n{stderr}"
    );
}

#[test]
fn error_from_inside_a_broken_archive_is_one_printable_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("image.tar");
    // Control characters and line breaks where a tar header's fields would be.
    std::fs::write(&path, "\x1b]0;pwned\x07\n\x1b[2J".repeat(64)).unwrap();
    let image = format!("docker-archive:{}", path.display());
    let stderr = assert_fails(drydock(&["image", "inspect", &image]), &image, &["not valid"]);
    let message = stderr.strip_suffix('\n').unwrap_or(&stderr);
    assert!(
        !message.chars().any(char::is_control),
        "control characters from the archive reach the terminal:\n{}",
        message.escape_debug()
    );
}

#[test]
fn invalid_reference_exits_1() {
    let output = drydock(&["image", "inspect", "oci:"]);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    output.assert().code(1).stdout(predicate::str::is_empty());
    assert!(
        stderr.starts_with("drydock: error: invalid image reference `oci:`"),
        "{stderr}"
    );
}
