//! Bad input, one test per case: each must be an `Err` (never a panic or a hang) of the
//! right kind, whose message names what was wrong and where: the image as the user typed
//! it, the layer (index and digest), and the entry or file when there is one. Cases that
//! are not errors (`a/../b`, absolute names, symlinks leaving the root, hardlinks into a
//! lower layer) are checked to be read the way a container runtime would read them.
//!
//! Registry failures (401, 404, 500, a connection closed mid-blob) are in `registry.rs`.

mod common;

use std::sync::OnceLock;

use common::{Compression, Image, Layer, Layout, TarEntry};
use drydock_model::FileKind;
use drydock_oci::engine::limits::Limits;
use drydock_oci::{ImageScan, OciError, OpenOptions};

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

/// The error of a result that must have failed.
fn failed<T>(result: Result<T, OciError>, case: &str) -> OciError {
    match result {
        Ok(_) => panic!("{case}: expected an error, got success"),
        Err(error) => {
            // Shown with `--nocapture`, to read the messages users get.
            eprintln!("{case}: {error}");
            error
        }
    }
}

/// The scan of a result that must have succeeded.
fn scanned(result: Result<ImageScan, OciError>) -> ImageScan {
    result.unwrap_or_else(|e| panic!("expected the image to scan, got: {e}"))
}

/// Asserts the full message contains every one of `needles`.
#[track_caller]
fn assert_mentions(error: &OciError, needles: &[&str]) {
    let message = error.to_string();
    for needle in needles {
        assert!(
            message.contains(needle),
            "`{needle}` is missing from the message: {message}"
        );
    }
}

/// Asserts the error names the image as the user typed it, as the outermost context.
#[track_caller]
fn assert_names_image(error: &OciError, reference: &str) {
    match error {
        OciError::InImage { image, .. } => assert_eq!(image, reference, "{error}"),
        other => panic!("the error does not name the image `{reference}`: {other}"),
    }
}

/// Asserts a layer error: its kind, the layer index and label, and the message parts.
#[track_caller]
fn assert_layer_error(error: &OciError, reference: &str, index: usize, layer: &str, needles: &[&str]) {
    assert_names_image(error, reference);
    match error.root() {
        OciError::Layer {
            index: got,
            layer: label,
            ..
        } => {
            assert_eq!(*got, index, "{error}");
            assert_eq!(label, layer, "{error}");
        }
        other => panic!("expected a layer error, got: {other}"),
    }
    assert_mentions(error, &[&format!("layer {index} ({layer})")]);
    assert_mentions(error, needles);
}

/// A small honest layer: two files and a directory.
fn entries() -> Vec<TarEntry> {
    vec![
        TarEntry::dir("etc/"),
        TarEntry::file("etc/first", vec![b'a'; 100]),
        TarEntry::dir("big/"),
        TarEntry::file("big/data", (0..4000u32).map(|i| (i % 251) as u8).collect::<Vec<u8>>()),
    ]
}

/// A layout whose only layer is `blob` (stored as is), with an honest descriptor for it and
/// the diffID of `uncompressed`.
fn single_layer(uncompressed: &[u8], blob: Vec<u8>, media_type: &str) -> (Layout, String, String) {
    let layer = Layer::raw(uncompressed, blob, media_type);
    let digest = layer.digest();
    let (layout, _) = Layout::with_image(&Image::new(vec![layer]));
    let reference = layout.reference("latest");
    (layout, reference, digest)
}

/// Flips a few bytes in the middle of `bytes`.
fn flip_middle(mut bytes: Vec<u8>) -> Vec<u8> {
    let middle = bytes.len() / 2;
    for byte in &mut bytes[middle..middle + 4] {
        *byte ^= 0x5a;
    }
    bytes
}

// Where the tar of `entries()` is cut: headers are at 0, 512, 1536 and 2048; `big/data`'s
// 4000 bytes start at 2560.
const CUT_IN_DATA: usize = 2560 + 2000;
const CUT_IN_HEADER: usize = 2048 + 200;

// ---------------------------------------------------------------------------------------
// Truncated tar
// ---------------------------------------------------------------------------------------

fn truncated_tar(cut: usize, compression: Compression, needles: &[&str]) {
    let full = common::tar(&entries());
    assert_eq!(
        &full[CUT_IN_DATA - 2000 - 512..][..8],
        b"big/data",
        "the tar layout assumed by the test"
    );
    let cut_tar = full[..cut].to_vec();
    let (_layout, reference, digest) = single_layer(&cut_tar, compression.compress(&cut_tar), compression.media_type());
    let error = failed(common::scan(&reference), "truncated tar");
    assert_layer_error(&error, &reference, 0, &digest, needles);
}

#[test]
fn truncated_tar_in_entry_data() {
    truncated_tar(
        CUT_IN_DATA,
        Compression::None,
        &["corrupt or truncated tar", "unexpected EOF", "`/big/data`"],
    );
}

#[test]
fn truncated_tar_in_entry_data_gzip() {
    truncated_tar(
        CUT_IN_DATA,
        Compression::Gzip,
        &["truncated gzip stream or tar", "unexpected EOF", "`/big/data`"],
    );
}

#[test]
fn truncated_tar_in_header() {
    truncated_tar(
        CUT_IN_HEADER,
        Compression::None,
        &["corrupt or truncated tar", "`/big`"],
    );
}

#[test]
fn truncated_tar_in_header_gzip() {
    truncated_tar(
        CUT_IN_HEADER,
        Compression::Gzip,
        &["truncated gzip stream or tar", "`/big`"],
    );
}

// ---------------------------------------------------------------------------------------
// Corrupt compression
// ---------------------------------------------------------------------------------------

#[test]
fn truncated_gzip_stream() {
    let tar = common::tar(&entries());
    let gz = common::gzip(&tar);
    let cut = gz[..gz.len() / 2].to_vec();
    let (_layout, reference, digest) = single_layer(&tar, cut, common::LAYER_GZIP);
    let error = failed(common::scan(&reference), "truncated gzip");
    assert_layer_error(&error, &reference, 0, &digest, &["corrupt or truncated gzip"]);
}

#[test]
fn corrupt_gzip_deflate_data() {
    let tar = common::tar(&entries());
    let corrupt = flip_middle(common::gzip(&tar));
    let (_layout, reference, digest) = single_layer(&tar, corrupt, common::LAYER_GZIP);
    let error = failed(common::scan(&reference), "corrupt deflate data");
    assert_layer_error(&error, &reference, 0, &digest, &["corrupt or truncated gzip"]);
}

#[test]
fn corrupt_gzip_header() {
    let tar = common::tar(&entries());
    let mut corrupt = common::gzip(&tar);
    corrupt[1] = 0x8c; // the second magic byte: 1f 8b
    let (_layout, reference, digest) = single_layer(&tar, corrupt, common::LAYER_GZIP);
    let error = failed(common::scan(&reference), "bad gzip header");
    assert_layer_error(&error, &reference, 0, &digest, &["corrupt or truncated gzip", "header"]);
}

#[test]
fn gzip_with_trailing_garbage() {
    let tar = common::tar(&entries());
    let mut blob = common::gzip(&tar);
    blob.extend_from_slice(b"trailing garbage after the gzip member");
    let (_layout, reference, digest) = single_layer(&tar, blob, common::LAYER_GZIP);
    let error = failed(common::scan(&reference), "gzip with trailing garbage");
    assert_layer_error(&error, &reference, 0, &digest, &["gzip"]);
}

#[test]
fn corrupt_zstd_data() {
    let tar = common::tar(&entries());
    let corrupt = flip_middle(common::zstd(&tar));
    let (_layout, reference, digest) = single_layer(&tar, corrupt, common::LAYER_ZSTD);
    let error = failed(common::scan(&reference), "corrupt zstd data");
    assert_layer_error(&error, &reference, 0, &digest, &["corrupt or truncated zstd"]);
}

#[test]
fn corrupt_zstd_header() {
    let tar = common::tar(&entries());
    let mut corrupt = common::zstd(&tar);
    corrupt[0] ^= 0xff; // the frame magic: 28 b5 2f fd
    let (_layout, reference, digest) = single_layer(&tar, corrupt, common::LAYER_ZSTD);
    let error = failed(common::scan(&reference), "bad zstd magic");
    assert_layer_error(&error, &reference, 0, &digest, &["corrupt or truncated zstd"]);
}

#[test]
fn truncated_zstd_stream() {
    let tar = common::tar(&entries());
    let zst = common::zstd(&tar);
    let cut = zst[..zst.len() / 2].to_vec();
    let (_layout, reference, digest) = single_layer(&tar, cut, common::LAYER_ZSTD);
    let error = failed(common::scan(&reference), "truncated zstd");
    assert_layer_error(&error, &reference, 0, &digest, &["corrupt or truncated zstd"]);
}

#[test]
fn gzip_declared_but_plain_tar_stored() {
    let tar = common::tar(&entries());
    let (_layout, reference, digest) = single_layer(&tar, tar.clone(), common::LAYER_GZIP);
    let error = failed(common::scan(&reference), "plain tar declared as gzip");
    assert_layer_error(&error, &reference, 0, &digest, &["gzip"]);
}

// ---------------------------------------------------------------------------------------
// Digests, diffIDs and sizes
// ---------------------------------------------------------------------------------------

#[test]
fn layer_blob_digest_mismatch() {
    // The stored blob is still a valid tar of the same size, but not the one the manifest names.
    let layer = Layer::of(&entries(), Compression::None);
    let named = layer.digest();
    let (layout, _) = Layout::with_image(&Image::new(vec![layer.clone()]));
    let mut changed = layer.blob.clone();
    let at = changed
        .windows(100)
        .position(|w| w == [b'a'; 100])
        .expect("the content of etc/first");
    changed[at] = b'b';
    layout.overwrite_blob(&named, &changed);
    let reference = layout.reference("latest");
    let error = failed(common::scan(&reference), "layer digest mismatch");
    assert_layer_error(
        &error,
        &reference,
        0,
        &named,
        &[
            "digest mismatch",
            &format!("expected {named}"),
            &common::sha256(&changed),
        ],
    );
}

#[test]
fn config_blob_digest_mismatch() {
    let (layout, written) = Layout::with_image(&Image::new(vec![Layer::of(&entries(), Compression::Gzip)]));
    layout.overwrite_blob(&written.config_digest, br#"{"rootfs":{"type":"layers","diff_ids":[]}}"#);
    let reference = layout.reference("latest");
    let error = failed(common::open(&reference), "config digest mismatch");
    assert_names_image(&error, &reference);
    assert!(matches!(error.root(), OciError::DigestMismatch { .. }), "{error}");
    assert_mentions(
        &error,
        &[&format!("config {}", written.config_digest), "digest mismatch"],
    );
}

#[test]
fn manifest_blob_digest_mismatch() {
    let (layout, written) = Layout::with_image(&Image::new(vec![Layer::of(&entries(), Compression::Gzip)]));
    layout.overwrite_blob(&written.manifest_digest, br#"{"schemaVersion":2,"layers":[]}"#);
    let reference = layout.reference("latest");
    let error = failed(common::open(&reference), "manifest digest mismatch");
    assert_names_image(&error, &reference);
    assert!(matches!(error.root(), OciError::DigestMismatch { .. }), "{error}");
    assert_mentions(
        &error,
        &[&format!("manifest {}", written.manifest_digest), "digest mismatch"],
    );
}

#[test]
fn diff_id_mismatch() {
    let honest = Layer::of(&entries(), Compression::Gzip);
    let actual = honest.diff_id.clone();
    let lying = Layer {
        diff_id: common::bogus_digest('d'),
        ..honest
    };
    let digest = lying.digest();
    let (layout, _) = Layout::with_image(&Image::new(vec![lying]));
    let reference = layout.reference("latest");
    let error = failed(common::scan(&reference), "diffID mismatch");
    assert_layer_error(
        &error,
        &reference,
        0,
        &digest,
        &["diffID mismatch", &common::bogus_digest('d'), &actual],
    );
}

#[test]
fn diff_id_of_the_second_layer_mismatch_names_that_layer() {
    let lower = Layer::of(&[TarEntry::file("lower", "x")], Compression::Gzip);
    let upper = Layer {
        diff_id: common::bogus_digest('e'),
        ..Layer::of(&[TarEntry::file("upper", "y")], Compression::Gzip)
    };
    let digest = upper.digest();
    let (layout, _) = Layout::with_image(&Image::new(vec![lower, upper]));
    let reference = layout.reference("latest");
    let error = failed(common::scan(&reference), "diffID mismatch in layer 1");
    assert_layer_error(&error, &reference, 1, &digest, &["diffID mismatch"]);
}

#[test]
fn layer_descriptor_size_larger_than_blob() {
    let honest = Layer::of(&entries(), Compression::Gzip);
    let real = honest.size;
    let lying = Layer {
        size: real + 10,
        ..honest
    };
    let digest = lying.digest();
    let (layout, _) = Layout::with_image(&Image::new(vec![lying]));
    let reference = layout.reference("latest");
    let error = failed(common::scan(&reference), "descriptor size too large");
    assert_layer_error(
        &error,
        &reference,
        0,
        &digest,
        &["size mismatch", &format!("{} bytes", real + 10), &real.to_string()],
    );
}

#[test]
fn layer_descriptor_size_smaller_than_blob() {
    let honest = Layer::of(&entries(), Compression::Gzip);
    let lying = Layer {
        size: honest.size - 10,
        ..honest
    };
    let said = lying.size;
    let digest = lying.digest();
    let (layout, _) = Layout::with_image(&Image::new(vec![lying]));
    let reference = layout.reference("latest");
    let error = failed(common::scan(&reference), "descriptor size too small");
    assert_layer_error(&error, &reference, 0, &digest, &["more bytes than", &said.to_string()]);
}

#[test]
fn config_descriptor_size_mismatch() {
    let image = Image::new(vec![Layer::of(&entries(), Compression::Gzip)]);
    let mut layout = Layout::new();
    let config = image.config();
    let config_digest = layout.put_blob(&config);
    layout.put_blob(&image.layers[0].blob);
    // The manifest names the right config digest but a wrong size.
    let manifest = Layout::manifest(&image, &config_digest, config.len() + 7);
    let manifest_digest = layout.put_blob(&manifest);
    layout.add_descriptor(
        common::OCI_MANIFEST,
        &manifest_digest,
        manifest.len() as u64,
        Some("latest"),
        None,
    );
    layout.write_index();
    let reference = layout.reference("latest");
    let error = failed(common::open(&reference), "config size mismatch");
    assert_names_image(&error, &reference);
    assert!(matches!(error.root(), OciError::SizeMismatch { .. }), "{error}");
    assert_mentions(
        &error,
        &[&format!("config {config_digest}"), &(config.len() + 7).to_string()],
    );
}

#[test]
fn config_with_fewer_diff_ids_than_layers() {
    let one = Layer::of(&[TarEntry::file("one", "1")], Compression::Gzip);
    let two = Layer::of(&[TarEntry::file("two", "2")], Compression::Gzip);
    let mut image = Image::new(vec![one.clone(), two]);
    image.config_bytes = Some(Image::new(vec![one]).config());
    let (layout, written) = Layout::with_image(&image);
    let reference = layout.reference("latest");
    let error = failed(common::open(&reference), "diff_ids count");
    assert_names_image(&error, &reference);
    assert!(matches!(error.root(), OciError::Invalid { .. }), "{error}");
    assert_mentions(&error, &[&written.manifest_digest, "2 layers", "1 diff_ids"]);
}

// ---------------------------------------------------------------------------------------
// Missing blobs
// ---------------------------------------------------------------------------------------

#[test]
fn manifest_naming_a_missing_layer_blob() {
    let layer = Layer::of(&entries(), Compression::Gzip);
    let (layout, written) = Layout::with_image(&Image::new(vec![layer]));
    let missing = &written.layer_digests[0];
    layout.remove_blob(missing);
    let reference = layout.reference("latest");
    let error = failed(common::scan(&reference), "missing layer blob");
    assert_names_image(&error, &reference);
    assert!(matches!(error.root(), OciError::NotFound { .. }), "{error}");
    assert_mentions(&error, &["layer 0", &format!("blob {missing}"), "not found"]);
}

#[test]
fn manifest_naming_a_missing_config_blob() {
    let (layout, written) = Layout::with_image(&Image::new(vec![Layer::of(&entries(), Compression::Gzip)]));
    layout.remove_blob(&written.config_digest);
    let reference = layout.reference("latest");
    let error = failed(common::open(&reference), "missing config blob");
    assert_names_image(&error, &reference);
    assert!(matches!(error.root(), OciError::NotFound { .. }), "{error}");
    assert_mentions(&error, &[&written.config_digest, "config", "not found"]);
}

#[test]
fn index_naming_a_missing_manifest_blob() {
    let (layout, written) = Layout::with_image(&Image::new(vec![Layer::of(&entries(), Compression::Gzip)]));
    layout.remove_blob(&written.manifest_digest);
    let reference = layout.reference("latest");
    let error = failed(common::open(&reference), "missing manifest blob");
    assert_names_image(&error, &reference);
    assert!(matches!(error.root(), OciError::NotFound { .. }), "{error}");
    assert_mentions(&error, &[&written.manifest_digest, "not found"]);
}

// ---------------------------------------------------------------------------------------
// Media types
// ---------------------------------------------------------------------------------------

#[test]
fn unknown_layer_media_type() {
    let layer = Layer {
        media_type: "application/vnd.example.unknown".to_string(),
        ..Layer::of(&entries(), Compression::Gzip)
    };
    let (layout, written) = Layout::with_image(&Image::new(vec![layer]));
    let reference = layout.reference("latest");
    let error = failed(common::open(&reference), "unknown layer media type");
    assert_names_image(&error, &reference);
    match error.root() {
        OciError::UnsupportedMediaType { media_type, .. } => {
            assert_eq!(media_type, "application/vnd.example.unknown")
        }
        other => panic!("expected an unsupported media type, got: {other}"),
    }
    assert_mentions(
        &error,
        &["layer 0", &written.manifest_digest, "application/vnd.example.unknown"],
    );
}

#[test]
fn artifact_manifest_is_not_an_image() {
    let mut image = Image::new(vec![Layer::raw(
        b"{}",
        b"{}".to_vec(),
        "application/vnd.example.sbom+json",
    )]);
    image.config_media_type = "application/vnd.example.artifact.config.v1+json".to_string();
    image.config_bytes = Some(b"{}".to_vec());
    let (layout, written) = Layout::with_image(&image);
    let reference = layout.reference("latest");
    let error = failed(common::open(&reference), "artifact manifest");
    assert_names_image(&error, &reference);
    assert!(matches!(error.root(), OciError::UnsupportedMediaType { .. }), "{error}");
    assert_mentions(
        &error,
        &[
            &written.manifest_digest,
            "artifact",
            "application/vnd.example.artifact.config.v1+json",
        ],
    );
}

#[test]
fn index_entry_pointing_to_another_index() {
    let mut layout = Layout::new();
    let written = layout.put_image(&Image::new(vec![Layer::of(&entries(), Compression::Gzip)]));
    let inner = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": common::OCI_INDEX,
        "manifests": [common::descriptor(common::OCI_MANIFEST, &written.manifest_digest, written.manifest_size, None, Some("linux/amd64"))],
    }))
    .unwrap();
    let inner_digest = layout.put_blob(&inner);
    let outer = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": common::OCI_INDEX,
        "manifests": [common::descriptor(common::OCI_INDEX, &inner_digest, inner.len() as u64, None, Some("linux/amd64"))],
    }))
    .unwrap();
    let outer_digest = layout.put_blob(&outer);
    layout.add_descriptor(
        common::OCI_INDEX,
        &outer_digest,
        outer.len() as u64,
        Some("latest"),
        None,
    );
    layout.write_index();
    let reference = layout.reference("latest");
    let error = failed(common::open(&reference), "nested index");
    assert_names_image(&error, &reference);
    assert!(matches!(error.root(), OciError::Invalid { .. }), "{error}");
    assert_mentions(&error, &[&inner_digest, "nested indexes"]);
}

// ---------------------------------------------------------------------------------------
// Entry paths
// ---------------------------------------------------------------------------------------

#[test]
fn entries_with_dotdot_that_escape_are_refused() {
    for name in ["../evil", "a/../../evil", "./../../etc/evil", "/../evil"] {
        let layer = Layer::of(&[TarEntry::dir("a/"), TarEntry::file(name, "pwned")], Compression::Gzip);
        let digest = layer.digest();
        let (layout, _) = Layout::with_image(&Image::new(vec![layer]));
        let reference = layout.reference("latest");
        let error = failed(common::scan(&reference), name);
        assert_layer_error(
            &error,
            &reference,
            0,
            &digest,
            &[&format!("entry `{name}`"), "refused", "above the image root"],
        );
        match error.root() {
            OciError::Layer { entry, .. } => assert_eq!(entry.as_deref(), Some(name), "{error}"),
            other => panic!("expected a layer error, got: {other}"),
        }
    }
}

#[test]
fn dotdot_that_stays_inside_is_normalized() {
    let layer = Layer::of(
        &[
            TarEntry::dir("a/"),
            TarEntry::file("a/../b", "inside"),
            TarEntry::file("c/./d/../e", "also"),
        ],
        Compression::Gzip,
    );
    let (layout, _) = Layout::with_image(&Image::new(vec![layer]));
    let scan = scanned(common::scan(&layout.reference("latest")));
    let paths: Vec<&str> = scan.merged.iter().map(|e| e.entry.path.as_str()).collect();
    assert_eq!(paths, ["/a", "/b", "/c/e"]);
    assert_eq!(scan.merged.get("/b").unwrap().entry.size, 6);
}

#[test]
fn absolute_entry_paths_stay_in_the_image() {
    let layer = Layer::of(
        &[
            TarEntry::dir("/etc/"),
            TarEntry::file("/etc/x", "abs"),
            TarEntry::file("//etc//y", "double"),
        ],
        Compression::Gzip,
    );
    let (layout, _) = Layout::with_image(&Image::new(vec![layer]));
    let scan = scanned(common::scan(&layout.reference("latest")));
    let paths: Vec<&str> = scan.merged.iter().map(|e| e.entry.path.as_str()).collect();
    assert_eq!(paths, ["/etc", "/etc/x", "/etc/y"]);
    let x = scan.merged.get("/etc/x").unwrap();
    assert_eq!((x.entry.kind, x.entry.size, x.layer), (FileKind::File, 3, 0));
}

#[test]
fn hardlink_target_that_escapes_is_refused() {
    let layer = Layer::of(
        &[TarEntry::file("x", "1"), TarEntry::hardlink("link", "../../x")],
        Compression::Gzip,
    );
    let digest = layer.digest();
    let (layout, _) = Layout::with_image(&Image::new(vec![layer]));
    let reference = layout.reference("latest");
    let error = failed(common::scan(&reference), "hardlink escaping");
    assert_layer_error(
        &error,
        &reference,
        0,
        &digest,
        &["entry `/link`", "`../../x`", "refused"],
    );
}

#[test]
fn whiteouts_of_dot_and_dotdot_delete_nothing() {
    let lower = Layer::of(
        &[
            TarEntry::file("keep", "k"),
            TarEntry::dir("d/"),
            TarEntry::file("d/x", "x"),
        ],
        Compression::Gzip,
    );
    let upper = Layer::of(
        &[TarEntry::whiteout("d/", "."), TarEntry::whiteout("d/", "..")],
        Compression::Gzip,
    );
    let (layout, _) = Layout::with_image(&Image::new(vec![lower, upper]));
    let scan = scanned(common::scan(&layout.reference("latest")));
    let paths: Vec<&str> = scan.merged.iter().map(|e| e.entry.path.as_str()).collect();
    assert_eq!(paths, ["/d", "/d/x", "/keep"]);
}

// ---------------------------------------------------------------------------------------
// Symlinks
// ---------------------------------------------------------------------------------------

#[test]
fn symlink_loop_lists_but_does_not_resolve() {
    let layer = Layer::of(
        &[
            TarEntry::symlink("a", "b"),
            TarEntry::symlink("b", "a"),
            TarEntry::symlink("self", "./self"),
            TarEntry::file("plain", "p"),
        ],
        Compression::Gzip,
    );
    let (layout, _) = Layout::with_image(&Image::new(vec![layer]));
    let scan = scanned(common::scan(&layout.reference("latest")));
    let a = scan.merged.get("/a").expect("the loop is listed");
    assert_eq!(
        (a.entry.kind, a.entry.link_target.as_deref()),
        (FileKind::Symlink, Some("b"))
    );
    for path in ["/a", "/b", "/self", "/a/below"] {
        match scan.merged.resolve(path) {
            Err(error @ OciError::Path { .. }) => {
                assert_mentions(&error, &[&format!("path `{path}`"), "symlink loop"]);
            }
            Err(other) => panic!("{path}: expected a path error, got: {other}"),
            Ok(found) => panic!("{path}: a symlink loop resolved to {found:?}"),
        }
    }
    assert_eq!(scan.merged.resolve("/plain").unwrap().unwrap().0, "/plain");
}

/// The host's /etc/passwd, if it has one, must never be what a path in an image names.
fn host_passwd_len() -> Option<u64> {
    std::fs::metadata("/etc/passwd").ok().map(|m| m.len())
}

#[test]
fn symlink_pointing_outside_resolves_inside_the_image() {
    const IMAGE_PASSWD: &str =
        "root:x:0:0:the image's own passwd, not the host's:/root:/bin/false\nimage:x:1:1::/:/bin/false\n";
    assert_ne!(
        Some(IMAGE_PASSWD.len() as u64),
        host_passwd_len(),
        "pick content the host file cannot be confused with"
    );
    let layer = Layer::of(
        &[
            TarEntry::dir("etc/"),
            TarEntry::file("etc/passwd", IMAGE_PASSWD),
            TarEntry::dir("deep/"),
            TarEntry::dir("deep/er/"),
            TarEntry::symlink("x", "../../../../etc/passwd"),
            TarEntry::symlink("deep/er/y", "../../../../../../etc/passwd"),
            TarEntry::symlink("abs", "/../../etc/passwd"),
            TarEntry::symlink("up", "../../.."),
        ],
        Compression::Gzip,
    );
    let (layout, _) = Layout::with_image(&Image::new(vec![layer]));
    let scan = scanned(common::scan(&layout.reference("latest")));
    for path in ["/x", "/deep/er/y", "/abs", "/up/etc/passwd", "/up/up/up/etc/passwd"] {
        let (resolved, entry) = scan
            .merged
            .resolve(path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .unwrap_or_else(|| panic!("{path}: resolved to nothing"));
        assert_eq!(resolved, "/etc/passwd", "{path}");
        assert_eq!(
            (entry.entry.kind, entry.entry.size, entry.layer),
            (FileKind::File, IMAGE_PASSWD.len() as u64, 0),
            "{path}"
        );
    }
}

#[test]
fn symlink_pointing_outside_to_a_file_the_image_lacks() {
    let layer = Layer::of(
        &[
            TarEntry::symlink("x", "../../../../etc/passwd"),
            TarEntry::symlink("up", "../../.."),
        ],
        Compression::Gzip,
    );
    let (layout, _) = Layout::with_image(&Image::new(vec![layer]));
    let scan = scanned(common::scan(&layout.reference("latest")));
    for path in ["/x", "/up/etc/passwd", "/etc/passwd"] {
        let found = scan.merged.resolve(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert!(
            found.is_none(),
            "{path} resolved to {found:?} in an image with no /etc/passwd"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Hardlinks
// ---------------------------------------------------------------------------------------

#[test]
fn hardlink_to_a_missing_target() {
    let layer = Layer::of(
        &[
            TarEntry::dir("bin/"),
            TarEntry::file("bin/real", "#!"),
            TarEntry::hardlink("bin/alias", "bin/missing"),
        ],
        Compression::Gzip,
    );
    let diff_id = layer.diff_id.clone();
    let (layout, _) = Layout::with_image(&Image::new(vec![layer]));
    let reference = layout.reference("latest");
    let error = failed(common::scan(&reference), "hardlink to a missing target");
    assert_names_image(&error, &reference);
    match error.root() {
        OciError::Layer { index, entry, .. } => {
            assert_eq!(*index, 0, "{error}");
            assert_eq!(entry.as_deref(), Some("/bin/alias"), "{error}");
        }
        other => panic!("expected a layer error, got: {other}"),
    }
    assert_mentions(&error, &["layer 0", &diff_id, "entry `/bin/alias`", "`/bin/missing`"]);
}

#[test]
fn hardlink_to_a_file_in_a_lower_layer() {
    let lower = Layer::of(
        &[TarEntry::dir("bin/"), TarEntry::file("bin/tool", "0123456789")],
        Compression::Gzip,
    );
    let upper = Layer::of(&[TarEntry::hardlink("usr/bin/tool", "bin/tool")], Compression::Zstd);
    let (layout, _) = Layout::with_image(&Image::new(vec![lower, upper]));
    let scan = scanned(common::scan(&layout.reference("latest")));
    let link = scan.merged.get("/usr/bin/tool").expect("the hardlink is listed");
    assert_eq!(link.entry.kind, FileKind::Hardlink);
    assert_eq!(link.entry.link_target.as_deref(), Some("/bin/tool"));
    assert_eq!((link.entry.size, link.layer), (10, 1));
}

// ---------------------------------------------------------------------------------------
// Decompression bombs and other limits
// ---------------------------------------------------------------------------------------

const BOMB_SIZE: u64 = 64 * 1024 * 1024;

/// One layer: a 64 MiB file of zeros, gzip-compressed to a few dozen KiB. Built once.
fn bomb() -> &'static Layer {
    static BOMB: OnceLock<Layer> = OnceLock::new();
    BOMB.get_or_init(|| common::zero_bomb("zeros", BOMB_SIZE))
}

#[test]
fn decompression_bomb_stops_at_the_limit() {
    let layer = bomb().clone();
    assert!(
        layer.blob.len() < 1024 * 1024,
        "the bomb is small: {} bytes",
        layer.blob.len()
    );
    let digest = layer.digest();
    let (layout, _) = Layout::with_image(&Image::new(vec![layer]));
    let reference = layout.reference("latest");
    let limits = Limits {
        max_layer_bytes: 1024 * 1024,
        ..Limits::default()
    };
    let error = failed(common::scan_with(&reference, limits), "decompression bomb");
    assert_layer_error(
        &error,
        &reference,
        0,
        &digest,
        &["limit of 1048576 bytes", "decompression bomb", "--max-layer-size"],
    );
}

#[test]
fn decompression_bomb_size_passes_with_the_default_limit() {
    let (layout, _) = Layout::with_image(&Image::new(vec![bomb().clone()]));
    let scan = scanned(common::scan(&layout.reference("latest")));
    assert_eq!(scan.merged.get("/zeros").expect("the big file").entry.size, BOMB_SIZE);
}

#[test]
fn too_many_entries() {
    let names: Vec<String> = (0..20).map(|i| format!("f{i}")).collect();
    let files: Vec<TarEntry> = names.iter().map(|n| TarEntry::file(n, "")).collect();
    let layer = Layer::of(&files, Compression::Gzip);
    let digest = layer.digest();
    let (layout, _) = Layout::with_image(&Image::new(vec![layer]));
    let reference = layout.reference("latest");
    let limits = Limits {
        max_layer_entries: 10,
        ..Limits::default()
    };
    let error = failed(common::scan_with(&reference, limits), "too many entries");
    assert_layer_error(&error, &reference, 0, &digest, &["more than 10 entries"]);
}

// ---------------------------------------------------------------------------------------
// Platforms
// ---------------------------------------------------------------------------------------

fn arm64() -> OpenOptions {
    OpenOptions {
        platform: Some("linux/arm64".parse().expect("a platform")),
        ..OpenOptions::default()
    }
}

#[track_caller]
fn assert_no_platform(error: &OciError, reference: &str, available: &[&str]) {
    assert_names_image(error, reference);
    match error.root() {
        OciError::NoMatchingPlatform { wanted, available: got } => {
            assert_eq!(wanted, "linux/arm64", "{error}");
            assert_eq!(got, available, "{error}");
        }
        other => panic!("expected no matching platform, got: {other}"),
    }
    assert_mentions(error, &["linux/arm64"]);
    assert_mentions(error, available);
}

#[test]
fn index_with_no_manifest_for_the_platform() {
    // The usual multi-platform shape: index.json → an image index → one manifest per platform.
    let mut layout = Layout::new();
    let mut children = Vec::new();
    for platform in ["linux/s390x", "linux/ppc64le"] {
        let image =
            Image::new(vec![Layer::of(&[TarEntry::file(platform, "")], Compression::Gzip)]).for_platform(platform);
        let written = layout.put_image(&image);
        children.push(common::descriptor(
            common::OCI_MANIFEST,
            &written.manifest_digest,
            written.manifest_size,
            None,
            Some(platform),
        ));
    }
    // An attestation entry, which is never a candidate nor listed.
    children.push(common::descriptor(
        common::OCI_MANIFEST,
        &common::bogus_digest('0'),
        1,
        None,
        Some("unknown/unknown"),
    ));
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": common::OCI_INDEX, "manifests": children,
    }))
    .unwrap();
    let index_digest = layout.put_blob(&index);
    layout.add_descriptor(
        common::OCI_INDEX,
        &index_digest,
        index.len() as u64,
        Some("latest"),
        None,
    );
    layout.write_index();
    let reference = layout.reference("latest");
    let error = failed(common::open_with(&reference, &arm64()), "no manifest for linux/arm64");
    assert_no_platform(&error, &reference, &["linux/s390x", "linux/ppc64le"]);
}

#[test]
fn index_json_with_no_manifest_for_the_platform() {
    // Several manifests under one name directly in index.json.
    let mut layout = Layout::new();
    for platform in ["linux/amd64", "linux/riscv64"] {
        let image =
            Image::new(vec![Layer::of(&[TarEntry::file("f", platform)], Compression::Gzip)]).for_platform(platform);
        let written = layout.put_image(&image);
        layout.tag(&written, Some("latest"), Some(platform));
    }
    layout.write_index();
    let reference = layout.reference("latest");
    let error = failed(common::open_with(&reference, &arm64()), "no manifest for linux/arm64");
    assert_no_platform(&error, &reference, &["linux/amd64", "linux/riscv64"]);
    // The same layout opens for a platform it has.
    assert!(common::open(&reference).is_ok());
}

// ---------------------------------------------------------------------------------------
// Garbage JSON
// ---------------------------------------------------------------------------------------

#[test]
fn garbage_index_json() {
    let (layout, _) = Layout::with_image(&Image::new(vec![Layer::of(&entries(), Compression::Gzip)]));
    std::fs::write(
        layout.path().join("index.json"),
        b"{\"schemaVersion\": 2, \"manifests\": [",
    )
    .unwrap();
    let reference = layout.reference("latest");
    let error = failed(common::open(&reference), "garbage index.json");
    assert_names_image(&error, &reference);
    assert!(matches!(error.root(), OciError::Invalid { .. }), "{error}");
    assert_mentions(
        &error,
        &["index.json", &layout.path().display().to_string(), "not valid"],
    );
}

#[test]
fn garbage_manifest() {
    let mut layout = Layout::new();
    let garbage = b"<html>not a manifest</html>".to_vec();
    let digest = layout.put_blob(&garbage);
    layout.add_descriptor(
        common::OCI_MANIFEST,
        &digest,
        garbage.len() as u64,
        Some("latest"),
        None,
    );
    layout.write_index();
    let reference = layout.reference("latest");
    let error = failed(common::open(&reference), "garbage manifest");
    assert_names_image(&error, &reference);
    assert!(matches!(error.root(), OciError::Invalid { .. }), "{error}");
    assert_mentions(&error, &[&format!("manifest {digest}"), "not valid"]);
}

#[test]
fn manifest_of_the_wrong_shape() {
    // Valid JSON, right media type, but `layers` is not a list of descriptors.
    let mut layout = Layout::new();
    let bad =
        br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":"no"}"#;
    let digest = layout.put_blob(bad);
    layout.add_descriptor(common::OCI_MANIFEST, &digest, bad.len() as u64, Some("latest"), None);
    layout.write_index();
    let reference = layout.reference("latest");
    let error = failed(common::open(&reference), "badly shaped manifest");
    assert_names_image(&error, &reference);
    assert!(matches!(error.root(), OciError::Invalid { .. }), "{error}");
    assert_mentions(&error, &[&format!("manifest {digest}"), "not valid"]);
}

#[test]
fn garbage_config() {
    let mut image = Image::new(vec![Layer::of(&entries(), Compression::Gzip)]);
    image.config_bytes = Some(b"{\"rootfs\": {\"diff_ids\": 7}}".to_vec());
    let (layout, written) = Layout::with_image(&image);
    let reference = layout.reference("latest");
    let error = failed(common::open(&reference), "garbage config");
    assert_names_image(&error, &reference);
    assert!(matches!(error.root(), OciError::Invalid { .. }), "{error}");
    assert_mentions(&error, &[&format!("config {}", written.config_digest), "not valid"]);
}

#[test]
fn config_with_a_diff_id_that_is_not_a_digest() {
    let mut image = Image::new(vec![Layer::of(&entries(), Compression::Gzip)]);
    image.layers[0].diff_id = "sha256:not-hex".to_string();
    let (layout, written) = Layout::with_image(&image);
    let reference = layout.reference("latest");
    let error = failed(common::open(&reference), "diff_id not a digest");
    assert_names_image(&error, &reference);
    assert!(matches!(error.root(), OciError::Invalid { .. }), "{error}");
    assert_mentions(
        &error,
        &[&format!("config {}", written.config_digest), "rootfs.diff_ids[0]"],
    );
}

// ---------------------------------------------------------------------------------------
// Sources
// ---------------------------------------------------------------------------------------

#[test]
fn oci_path_that_is_not_a_layout() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("index.json"), b"{}").unwrap();
    let reference = format!("oci:{}", dir.path().display());
    let error = failed(common::open(&reference), "not a layout");
    assert_names_image(&error, &reference);
    assert!(matches!(error.root(), OciError::Invalid { .. }), "{error}");
    assert_mentions(&error, &[&dir.path().display().to_string(), "oci-layout"]);

    let missing = dir.path().join("does-not-exist");
    let reference = format!("oci:{}", missing.display());
    let error = failed(common::open(&reference), "no such directory");
    assert_names_image(&error, &reference);
    assert!(matches!(error.root(), OciError::NotFound { .. }), "{error}");
    assert_mentions(&error, &[&missing.display().to_string(), "not found"]);

    let file = dir.path().join("image.tar");
    std::fs::write(&file, b"a tar, say").unwrap();
    let reference = format!("oci:{}", file.display());
    let error = failed(common::open(&reference), "a file, not a directory");
    assert_names_image(&error, &reference);
    assert!(matches!(error.root(), OciError::Invalid { .. }), "{error}");
    assert_mentions(&error, &[&file.display().to_string(), "oci-archive:"]);
}

#[test]
fn oci_unknown_tag_lists_the_available_names() {
    let mut layout = Layout::new();
    for name in ["one", "two"] {
        let written = layout.put_image(&Image::new(vec![Layer::of(
            &[TarEntry::file(name, "")],
            Compression::Gzip,
        )]));
        layout.tag(&written, Some(name), None);
    }
    layout.write_index();
    let reference = layout.reference("three");
    let error = failed(common::open(&reference), "unknown tag");
    assert_names_image(&error, &reference);
    assert!(matches!(error.root(), OciError::NotFound { .. }), "{error}");
    assert_mentions(&error, &["tag `three`", "it has: one, two"]);
    // With no tag, the choice is ambiguous and the names are listed too.
    let reference = layout.untagged_reference();
    let error = failed(common::open(&reference), "no tag among several images");
    assert_names_image(&error, &reference);
    assert_mentions(&error, &["one, two"]);
}

#[test]
fn docker_archive_that_is_not_a_tar() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [(&str, Vec<u8>); 3] = [
        ("text.tar", b"this is not a tar archive, just some words\n".repeat(40)),
        ("short.tar", b"short".to_vec()),
        ("empty.tar", Vec::new()),
    ];
    for (name, bytes) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let reference = format!("docker-archive:{}", path.display());
        let error = failed(common::open(&reference), name);
        assert_names_image(&error, &reference);
        assert!(matches!(error.root(), OciError::Invalid { .. }), "{name}: {error}");
        assert_mentions(&error, &[&path.display().to_string()]);
    }
}

#[test]
fn oci_archive_that_is_not_a_tar() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("image.tar");
    std::fs::write(&path, b"\x1f\x8b not really gzip, not a tar either".repeat(20)).unwrap();
    let reference = format!("oci-archive:{}", path.display());
    let error = failed(common::open(&reference), "oci-archive of garbage");
    assert_names_image(&error, &reference);
    assert!(matches!(error.root(), OciError::Invalid { .. }), "{error}");
    assert_mentions(&error, &[&path.display().to_string()]);
}
