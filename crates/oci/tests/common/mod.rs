//! Writing small OCI image layouts into a temporary directory from in-memory layers, honest
//! or deliberately broken, for the integration tests.
//!
//! Tar entries are written from raw headers ([`TarEntry`]), so names the `tar` crate's own
//! builder refuses (`../x`, `/etc/x`) can be produced. A [`Layer`] is a stored blob plus the
//! facts a manifest and a config say about it (media type, descriptor size, diffID); tests
//! change those fields to make a lying image. [`Layout`] writes blobs, manifests, configs
//! and `index.json`, and gives the `oci:` reference to open.

#![allow(dead_code)]

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use drydock_model::Platform;
use drydock_oci::engine::limits::Limits;
use drydock_oci::{ImageRef, ImageScan, OciError, OpenOptions, OpenedImage, ScanOptions};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use tempfile::TempDir;

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
pub const LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// `sha256:<hex>` of some bytes.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A digest no content has (for lying descriptors and configs).
pub fn bogus_digest(fill: char) -> String {
    format!("sha256:{}", fill.to_string().repeat(64))
}

// ---------------------------------------------------------------------------------------
// Tar
// ---------------------------------------------------------------------------------------

/// One tar entry, written from a raw header so any name is possible.
#[derive(Clone, Debug)]
pub struct TarEntry {
    pub kind: tar::EntryType,
    /// The name bytes exactly as they go into the header (at most 100 bytes).
    pub name: Vec<u8>,
    pub link: Option<Vec<u8>>,
    pub data: Vec<u8>,
    pub mode: u32,
}

impl TarEntry {
    pub fn file(name: &str, data: impl Into<Vec<u8>>) -> Self {
        TarEntry {
            kind: tar::EntryType::Regular,
            name: name.as_bytes().to_vec(),
            link: None,
            data: data.into(),
            mode: 0o644,
        }
    }

    pub fn dir(name: &str) -> Self {
        TarEntry {
            kind: tar::EntryType::Directory,
            name: name.as_bytes().to_vec(),
            link: None,
            data: Vec::new(),
            mode: 0o755,
        }
    }

    pub fn symlink(name: &str, target: &str) -> Self {
        TarEntry {
            kind: tar::EntryType::Symlink,
            name: name.as_bytes().to_vec(),
            link: Some(target.as_bytes().to_vec()),
            data: Vec::new(),
            mode: 0o777,
        }
    }

    pub fn hardlink(name: &str, target: &str) -> Self {
        TarEntry {
            kind: tar::EntryType::Link,
            name: name.as_bytes().to_vec(),
            link: Some(target.as_bytes().to_vec()),
            data: Vec::new(),
            mode: 0o644,
        }
    }

    /// An empty regular file `.wh.<name>` in `dir` (`dir` is `""` for the root).
    pub fn whiteout(dir: &str, name: &str) -> Self {
        TarEntry::file(&format!("{dir}.wh.{name}"), Vec::new())
    }

    /// The raw 512-byte header of this entry.
    pub fn header(&self) -> tar::Header {
        raw_header(
            self.kind,
            &self.name,
            self.link.as_deref(),
            self.data.len() as u64,
            self.mode,
        )
    }
}

/// A ustar header with `name` and `link` copied byte for byte, checksum recomputed.
pub fn raw_header(kind: tar::EntryType, name: &[u8], link: Option<&[u8]>, size: u64, mode: u32) -> tar::Header {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(kind);
    header.set_size(size);
    header.set_mode(mode);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    {
        let old = header.as_old_mut();
        assert!(name.len() <= old.name.len(), "tar name too long for a test header");
        old.name = [0; 100];
        old.name[..name.len()].copy_from_slice(name);
        old.linkname = [0; 100];
        if let Some(link) = link {
            assert!(
                link.len() <= old.linkname.len(),
                "tar link name too long for a test header"
            );
            old.linkname[..link.len()].copy_from_slice(link);
        }
    }
    header.set_cksum();
    header
}

/// A complete tar (with its end-of-archive blocks) of `entries`, in order.
pub fn tar(entries: &[TarEntry]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for entry in entries {
        builder
            .append(&entry.header(), entry.data.as_slice())
            .expect("writing to a Vec");
    }
    builder.into_inner().expect("finishing a tar in memory")
}

// ---------------------------------------------------------------------------------------
// Compression
// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

impl Compression {
    pub fn media_type(self) -> &'static str {
        match self {
            Compression::None => LAYER_TAR,
            Compression::Gzip => LAYER_GZIP,
            Compression::Zstd => LAYER_ZSTD,
        }
    }

    pub fn compress(self, bytes: &[u8]) -> Vec<u8> {
        match self {
            Compression::None => bytes.to_vec(),
            Compression::Gzip => gzip(bytes),
            Compression::Zstd => zstd(bytes),
        }
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip into a Vec");
    encoder.finish().expect("gzip into a Vec")
}

/// zstd with the optional content checksum on, so flipped bytes are always detected.
pub fn zstd(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), 3).expect("zstd encoder");
    encoder.include_checksum(true).expect("zstd checksum flag");
    encoder.write_all(bytes).expect("zstd into a Vec");
    encoder.finish().expect("zstd into a Vec")
}

/// Counts and hashes what is written through it.
struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A gzip layer whose tar holds one file of `size` zero bytes, streamed so the tar is
/// never in memory: a few dozen KiB on disk that expand to `size` bytes.
pub fn zero_bomb(name: &str, size: u64) -> Layer {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut builder = tar::Builder::new(HashingWriter {
        inner: encoder,
        hasher: Sha256::new(),
    });
    let header = raw_header(tar::EntryType::Regular, name.as_bytes(), None, size, 0o644);
    builder
        .append(&header, io::repeat(0).take(size))
        .expect("streaming zeros into gzip");
    let hashing = builder.into_inner().expect("finishing the tar");
    let diff_id = format!("sha256:{}", hex::encode(hashing.hasher.finalize()));
    let blob = hashing.inner.finish().expect("finishing gzip");
    Layer {
        size: blob.len() as u64,
        blob,
        media_type: LAYER_GZIP.to_string(),
        diff_id,
    }
}

// ---------------------------------------------------------------------------------------
// Images and layouts
// ---------------------------------------------------------------------------------------

/// A layer as stored, with what the manifest and config will say about it.
#[derive(Clone, Debug)]
pub struct Layer {
    /// The blob's bytes as written to `blobs/sha256/<digest of these bytes>`.
    pub blob: Vec<u8>,
    /// The manifest descriptor's media type.
    pub media_type: String,
    /// The manifest descriptor's size.
    pub size: u64,
    /// The config's `rootfs.diff_ids` entry.
    pub diff_id: String,
}

impl Layer {
    /// An honest layer: `tar` compressed as said, its diffID the sha256 of `tar`.
    pub fn new(tar: &[u8], compression: Compression) -> Self {
        Layer::raw(tar, compression.compress(tar), compression.media_type())
    }

    /// An honest layer of these entries.
    pub fn of(entries: &[TarEntry], compression: Compression) -> Self {
        Layer::new(&tar(entries), compression)
    }

    /// A blob stored as given, whose diffID is the sha256 of `uncompressed`.
    pub fn raw(uncompressed: &[u8], blob: Vec<u8>, media_type: &str) -> Self {
        Layer {
            size: blob.len() as u64,
            blob,
            media_type: media_type.to_string(),
            diff_id: sha256(uncompressed),
        }
    }

    /// The digest the manifest names: that of the stored bytes.
    pub fn digest(&self) -> String {
        sha256(&self.blob)
    }
}

/// An image: its layers and what its config and manifest say.
#[derive(Clone, Debug)]
pub struct Image {
    pub layers: Vec<Layer>,
    pub os: String,
    pub architecture: String,
    pub config_media_type: String,
    /// Config bytes to write instead of the generated config.
    pub config_bytes: Option<Vec<u8>>,
}

impl Image {
    pub fn new(layers: Vec<Layer>) -> Self {
        Image {
            layers,
            os: "linux".to_string(),
            architecture: "amd64".to_string(),
            config_media_type: OCI_CONFIG.to_string(),
            config_bytes: None,
        }
    }

    pub fn for_platform(mut self, platform: &str) -> Self {
        let (os, architecture) = platform.split_once('/').expect("os/arch");
        self.os = os.to_string();
        self.architecture = architecture.to_string();
        self
    }

    /// The config JSON: platform, `rootfs.diff_ids` from the layers, one history line each.
    pub fn config(&self) -> Vec<u8> {
        if let Some(bytes) = &self.config_bytes {
            return bytes.clone();
        }
        let diff_ids: Vec<&str> = self.layers.iter().map(|l| l.diff_id.as_str()).collect();
        let history: Vec<Value> = (0..self.layers.len())
            .map(|i| json!({ "created": "2024-01-01T00:00:00Z", "created_by": format!("test layer {i}") }))
            .collect();
        serde_json::to_vec(&json!({
            "created": "2024-01-01T00:00:00Z",
            "architecture": self.architecture,
            "os": self.os,
            "config": { "Env": ["PATH=/usr/bin:/bin"] },
            "rootfs": { "type": "layers", "diff_ids": diff_ids },
            "history": history,
        }))
        .expect("serializing a config")
    }
}

/// What was written for one image.
#[derive(Clone, Debug)]
pub struct WrittenImage {
    pub manifest_digest: String,
    pub manifest_size: u64,
    pub config_digest: String,
    pub layer_digests: Vec<String>,
}

/// An OCI image layout in a temporary directory (removed on drop).
pub struct Layout {
    dir: TempDir,
    index: Vec<Value>,
}

impl Default for Layout {
    fn default() -> Self {
        Layout::new()
    }
}

impl Layout {
    /// An empty layout: `oci-layout` and `blobs/sha256/`, no `index.json` yet.
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("drydock-bad-input-")
            .tempdir()
            .expect("creating a temporary directory");
        std::fs::create_dir_all(dir.path().join("blobs/sha256")).expect("creating blobs/sha256");
        std::fs::write(dir.path().join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#)
            .expect("writing oci-layout");
        Layout { dir, index: Vec::new() }
    }

    /// A layout holding one image, tagged `latest` with no platform in `index.json`.
    pub fn with_image(image: &Image) -> (Layout, WrittenImage) {
        let mut layout = Layout::new();
        let written = layout.put_image(image);
        layout.tag(&written, Some("latest"), None);
        layout.write_index();
        (layout, written)
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `oci:<path>:<tag>`.
    pub fn reference(&self, tag: &str) -> String {
        format!("oci:{}:{tag}", self.path().display())
    }

    /// `oci:<path>`, with no tag.
    pub fn untagged_reference(&self) -> String {
        format!("oci:{}", self.path().display())
    }

    pub fn blob_path(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").expect("a sha256 digest");
        self.path().join("blobs/sha256").join(hex)
    }

    /// Writes a blob under the digest of its content; returns the digest.
    pub fn put_blob(&self, bytes: &[u8]) -> String {
        let digest = sha256(bytes);
        std::fs::write(self.blob_path(&digest), bytes).expect("writing a blob");
        digest
    }

    /// Writes a blob under a name that is not its digest.
    pub fn put_blob_as(&self, digest: &str, bytes: &[u8]) {
        std::fs::write(self.blob_path(digest), bytes).expect("writing a blob");
    }

    pub fn remove_blob(&self, digest: &str) {
        std::fs::remove_file(self.blob_path(digest)).expect("removing a blob");
    }

    /// Replaces a blob's content, keeping its name.
    pub fn overwrite_blob(&self, digest: &str, bytes: &[u8]) {
        std::fs::write(self.blob_path(digest), bytes).expect("overwriting a blob");
    }

    /// The manifest JSON for `image` whose config blob is `config`.
    pub fn manifest(image: &Image, config_digest: &str, config_size: usize) -> Vec<u8> {
        let layers: Vec<Value> = image
            .layers
            .iter()
            .map(|l| json!({ "mediaType": l.media_type, "digest": l.digest(), "size": l.size }))
            .collect();
        serde_json::to_vec(&json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": { "mediaType": image.config_media_type, "digest": config_digest, "size": config_size },
            "layers": layers,
        }))
        .expect("serializing a manifest")
    }

    /// Writes the layers, config and manifest of `image`; does not touch `index.json`.
    pub fn put_image(&self, image: &Image) -> WrittenImage {
        let layer_digests = image.layers.iter().map(|l| self.put_blob(&l.blob)).collect();
        let config = image.config();
        let config_digest = self.put_blob(&config);
        let manifest = Layout::manifest(image, &config_digest, config.len());
        let manifest_digest = self.put_blob(&manifest);
        WrittenImage {
            manifest_digest,
            manifest_size: manifest.len() as u64,
            config_digest,
            layer_digests,
        }
    }

    /// Adds an image manifest to `index.json` (call [`Layout::write_index`] after).
    pub fn tag(&mut self, written: &WrittenImage, name: Option<&str>, platform: Option<&str>) {
        self.add_descriptor(
            OCI_MANIFEST,
            &written.manifest_digest,
            written.manifest_size,
            name,
            platform,
        );
    }

    /// Adds any descriptor to `index.json` (call [`Layout::write_index`] after).
    pub fn add_descriptor(
        &mut self,
        media_type: &str,
        digest: &str,
        size: u64,
        name: Option<&str>,
        platform: Option<&str>,
    ) {
        self.index.push(descriptor(media_type, digest, size, name, platform));
    }

    pub fn write_index(&self) {
        let index = json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": self.index });
        std::fs::write(
            self.path().join("index.json"),
            serde_json::to_vec(&index).expect("index JSON"),
        )
        .expect("writing index.json");
    }
}

/// An OCI descriptor as JSON.
pub fn descriptor(media_type: &str, digest: &str, size: u64, name: Option<&str>, platform: Option<&str>) -> Value {
    let mut descriptor = json!({ "mediaType": media_type, "digest": digest, "size": size });
    if let Some(name) = name {
        descriptor["annotations"] = json!({ REF_NAME: name });
    }
    if let Some(platform) = platform {
        let (os, architecture) = platform.split_once('/').expect("os/arch");
        descriptor["platform"] = json!({ "os": os, "architecture": architecture });
    }
    descriptor
}

// ---------------------------------------------------------------------------------------
// Opening and scanning
// ---------------------------------------------------------------------------------------

/// Options that do not depend on the host: platform linux/amd64, no registry settings.
pub fn open_options() -> OpenOptions {
    OpenOptions {
        platform: Some(Platform::new("linux", "amd64", None)),
        ..OpenOptions::default()
    }
}

/// Scan options with no cache, so every test really reads its layers.
pub fn scan_options(limits: Limits) -> ScanOptions {
    ScanOptions {
        limits,
        cache: None,
        jobs: 2,
    }
}

/// Parses and opens what a user would type.
pub fn open_with(text: &str, options: &OpenOptions) -> Result<OpenedImage, OciError> {
    let reference: ImageRef = text.parse()?;
    drydock_oci::open(&reference, text, options)
}

pub fn open(text: &str) -> Result<OpenedImage, OciError> {
    open_with(text, &open_options())
}

/// Opens and walks every layer with no analyzers and the given limits.
pub fn scan_with(text: &str, limits: Limits) -> Result<ImageScan, OciError> {
    let opened = open(text)?;
    drydock_oci::scan(opened, &[], &scan_options(limits))
}

/// Opens and walks every layer with the default limits.
pub fn scan(text: &str) -> Result<ImageScan, OciError> {
    scan_with(text, Limits::default())
}
