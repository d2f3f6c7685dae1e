//! Copying an image from any readable source into a [`Repository`].
//!
//! Sources with manifests (an OCI layout or archive, a registry) are copied as they are:
//! the manifest bytes are pushed unchanged, so the image keeps its digest; an index is
//! narrowed to one platform's manifest unless every platform is asked for, then the index
//! is copied whole. `docker save` archives (and the Docker Engine, exported to a temporary
//! archive first) have no registry manifest: an OCI manifest is built from the config and
//! the uncompressed layers, which keep their bytes (`application/vnd.oci.image.layer.v1.tar`,
//! digest = diffID). Every blob is streamed and checked against its digest by the
//! destination while it is written; blobs the destination has already are skipped, and
//! blobs of another repository of the same registry are mounted rather than sent.

use std::io::Read;

use drydock_model::{Digest, Platform};
use oci_spec::image::ImageIndex;
use serde::Deserialize;

use super::referrers::declared_media_type;
use super::{Descriptor, Repository};
use crate::error::{OciError, Result};
use crate::image::{BlobRef, LayerAccess, OCI_MANIFEST, OpenOptions, OpenedImage, ResolvedImage, choose_platform};
use crate::reference::ImageRef;
use crate::source::layout::LayoutSource;
use crate::source::registry::RegistrySource;
use crate::source::tar_index::TarIndex;
use crate::source::{FetchedManifest, ManifestSource, read_limited, verify_bytes};

const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";

/// How to copy.
#[derive(Clone, Debug, Default)]
pub struct CopyOptions {
    /// Platform choice and registry settings for the source.
    pub open: OpenOptions,
    /// Copy an index with every platform's manifest instead of the one for
    /// `open.platform` (default: the host's).
    pub all_platforms: bool,
}

/// What a copy did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CopyReport {
    /// The digest of the manifest or index pushed last (the one the tag points at).
    pub digest: Digest,
    pub media_type: String,
    /// Blobs sent (or mounted), and blobs the destination had already.
    pub blobs_copied: usize,
    pub blobs_skipped: usize,
    pub bytes_copied: u64,
}

/// Copies the image `source` names into `destination`, tagging it `tag` when given.
/// Errors name the source as the user typed it (`source_text`).
pub fn copy_image(
    source: &ImageRef,
    source_text: &str,
    destination: &dyn Repository,
    tag: Option<&str>,
    options: &CopyOptions,
) -> Result<CopyReport> {
    let mut copier = Copier {
        destination,
        mount_from: None,
        report: Counts::default(),
    };
    let (digest, media_type) = match source {
        ImageRef::OciLayout { path, selector } => {
            let source = LayoutSource::open_dir(path, selector.clone())?;
            copier.copy_from_manifests(&source, tag, options)?
        }
        ImageRef::OciArchive { path, selector } => {
            let source = LayoutSource::open_archive(path, selector.clone())?;
            copier.copy_from_manifests(&source, tag, options)?
        }
        ImageRef::Registry(reference) => {
            copier.mount_from = Some(format!("{}/{}", reference.registry, reference.repository));
            let source = RegistrySource::new(reference.clone(), options.open.registry.clone())?;
            copier.copy_from_manifests(&source, tag, options)?
        }
        ImageRef::DockerArchive { .. } => {
            let resolved = open_resolved(source, source_text, &options.open)?;
            copier.copy_docker_archive(&resolved, tag)?
        }
        ImageRef::Docker { name } => {
            let archive = export_to_temp_file(name, options.open.docker_host.as_deref())?;
            let reference = ImageRef::DockerArchive {
                path: archive.path().to_path_buf(),
                name: None,
            };
            let resolved = open_resolved(&reference, source_text, &options.open)?;
            copier.copy_docker_archive(&resolved, tag)?
        }
        ImageRef::Dir { path } => {
            return Err(OciError::invalid(
                format!("dir:{}", path.display()),
                "a plain directory has no image to copy (no config, no layers)",
            ));
        }
    };
    Ok(CopyReport {
        digest,
        media_type,
        blobs_copied: copier.report.copied,
        blobs_skipped: copier.report.skipped,
        bytes_copied: copier.report.bytes,
    })
}

#[derive(Default)]
struct Counts {
    copied: usize,
    skipped: usize,
    bytes: u64,
}

struct Copier<'d> {
    destination: &'d dyn Repository,
    /// The source repository's name when it is a registry (for cross-repository mounts).
    mount_from: Option<String>,
    report: Counts,
}

/// The blob references of an image manifest.
#[derive(Deserialize)]
struct ManifestBlobs {
    config: Descriptor,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

impl Copier<'_> {
    fn copy_from_manifests(
        &mut self,
        source: &dyn ManifestSource,
        tag: Option<&str>,
        options: &CopyOptions,
    ) -> Result<(Digest, String)> {
        let root = source.root_manifest()?;
        let root_type = media_type_of(&root);
        if !is_index(&root_type, &root.bytes) {
            return self.copy_manifest(source, &root, &root_type, tag);
        }
        let what = format!("image index {}", root.digest);
        let index: ImageIndex = serde_json::from_slice(&root.bytes).map_err(|e| OciError::invalid(&what, e))?;
        if !options.all_platforms {
            let wanted = options.open.platform.clone().unwrap_or_else(Platform::host);
            let chosen = choose_platform(&index, &wanted)?;
            let digest = crate::image::descriptor_digest(chosen, &what)?;
            let child = source.manifest_by_digest(&digest)?;
            let child_type = declared_media_type(&child.bytes).unwrap_or_else(|| chosen.media_type().to_string());
            return self.copy_manifest(source, &child, &child_type, tag);
        }
        for entry in index.manifests() {
            let digest = crate::image::descriptor_digest(entry, &what)?;
            let child = source.manifest_by_digest(&digest)?;
            let child_type = declared_media_type(&child.bytes).unwrap_or_else(|| entry.media_type().to_string());
            if is_index(&child_type, &child.bytes) {
                return Err(OciError::invalid(
                    what,
                    format!("entry {digest} is itself an index; nested indexes are not copied"),
                ));
            }
            self.copy_manifest(source, &child, &child_type, None)?;
        }
        let digest = self.destination.push_manifest(&root.bytes, &root_type, tag)?;
        Ok((digest, root_type))
    }

    /// Copies a manifest's config and layers, then the manifest bytes unchanged.
    fn copy_manifest(
        &mut self,
        source: &dyn ManifestSource,
        manifest: &FetchedManifest,
        media_type: &str,
        tag: Option<&str>,
    ) -> Result<(Digest, String)> {
        let what = format!("manifest {}", manifest.digest);
        let blobs: ManifestBlobs = serde_json::from_slice(&manifest.bytes).map_err(|e| OciError::invalid(&what, e))?;
        for descriptor in std::iter::once(&blobs.config).chain(&blobs.layers) {
            self.copy_blob(&descriptor.digest, descriptor.size, || {
                source.open_blob(&descriptor.digest, Some(descriptor.size))
            })?;
        }
        let digest = self.destination.push_manifest(&manifest.bytes, media_type, tag)?;
        Ok((digest, media_type.to_string()))
    }

    fn copy_blob<'s>(
        &mut self,
        digest: &Digest,
        size: u64,
        open: impl FnOnce() -> Result<Box<dyn Read + Send + 's>>,
    ) -> Result<()> {
        if self.destination.blob_exists(digest)? {
            self.report.skipped += 1;
            return Ok(());
        }
        let mounted = match &self.mount_from {
            Some(from) => self.destination.mount_blob(digest, from)?,
            None => false,
        };
        if !mounted {
            let mut reader = open()?;
            self.destination.push_blob_stream(digest, size, &mut reader)?;
            self.report.bytes += size;
        }
        self.report.copied += 1;
        Ok(())
    }

    /// Builds and pushes an OCI manifest for a `docker save` image.
    fn copy_docker_archive(&mut self, resolved: &ResolvedImage, tag: Option<&str>) -> Result<(Digest, String)> {
        let LayerAccess::DockerArchive(archive) = &resolved.access else {
            return Err(OciError::invalid(
                &resolved.description.reference,
                "it is not a docker archive",
            ));
        };
        let config_digest = resolved
            .description
            .config_digest
            .clone()
            .ok_or_else(|| OciError::invalid(&resolved.description.reference, "it has no config"))?;
        let config = read_archive_config(archive, &config_digest, &resolved.description.reference)?;
        self.destination.push_blob(&config_digest, &config)?;
        let mut layers = Vec::with_capacity(resolved.layers.len());
        for layer in &resolved.layers {
            let (BlobRef::ArchiveEntry(path), Some(diff_id), Some(size)) =
                (&layer.blob, &layer.description.diff_id, layer.description.size)
            else {
                return Err(OciError::invalid(
                    &resolved.description.reference,
                    format!("layer {} has no archive entry, diffID or size", layer.description.index),
                ));
            };
            // The archive's layers are uncompressed tars: their digest is their diffID.
            self.copy_blob(diff_id, size, || {
                archive.open(path).map(|r| Box::new(r) as Box<dyn Read + Send>)
            })
            .map_err(|e| match e {
                OciError::DigestMismatch { what, expected, actual } => OciError::DigestMismatch {
                    what: format!("{what} (layer `{path}` is not the uncompressed tar its diffID names)"),
                    expected,
                    actual,
                },
                other => other,
            })?;
            layers.push(Descriptor::new(OCI_LAYER_TAR, diff_id.clone(), size));
        }
        let manifest = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": Descriptor::new(OCI_CONFIG, config_digest, config.len() as u64),
            "layers": layers,
        });
        let bytes = serde_json::to_vec(&manifest).map_err(|e| OciError::invalid("the built manifest", e))?;
        let digest = self.destination.push_manifest(&bytes, OCI_MANIFEST, tag)?;
        Ok((digest, OCI_MANIFEST.to_string()))
    }
}

fn open_resolved(reference: &ImageRef, source_text: &str, options: &OpenOptions) -> Result<ResolvedImage> {
    match crate::image::open(reference, source_text, options)? {
        OpenedImage::Resolved(resolved) => Ok(*resolved),
        OpenedImage::DockerStream(_) => Err(OciError::invalid(source_text, "expected a docker archive")),
    }
}

/// The config entry of a `docker save` archive: `<hex>.json` or `blobs/sha256/<hex>`.
fn read_archive_config(archive: &TarIndex, digest: &Digest, archive_name: &str) -> Result<Vec<u8>> {
    let candidates = [
        format!("{}.json", digest.hex()),
        format!("blobs/{}/{}", digest.algorithm(), digest.hex()),
    ];
    let path = candidates
        .iter()
        .find(|c| archive.contains(c))
        .ok_or_else(|| OciError::not_found(format!("config {digest} in {archive_name}")))?;
    let what = format!("config `{path}` of {archive_name}");
    let bytes = read_limited(archive.open(path)?, &what)?;
    verify_bytes(&what, digest, &bytes)?;
    Ok(bytes)
}

/// Saves the engine's export of `name` to a temporary `docker save` archive: its manifest
/// comes last in the stream, and a registry needs each blob's digest before its bytes.
fn export_to_temp_file(name: &str, docker_host: Option<&str>) -> Result<tempfile::NamedTempFile> {
    let mut stream = crate::source::docker_engine::export(name, docker_host)?;
    let mut file = tempfile::Builder::new()
        .prefix("drydock-export-")
        .suffix(".tar")
        .tempfile()
        .map_err(|e| OciError::io("creating a temporary file for the Docker export", e))?;
    std::io::copy(&mut stream.reader, file.as_file_mut())
        .map_err(|e| OciError::io(format!("saving the Docker Engine's export of {name}"), e))?;
    Ok(file)
}

fn media_type_of(fetched: &FetchedManifest) -> String {
    fetched
        .media_type
        .clone()
        .or_else(|| declared_media_type(&fetched.bytes))
        .unwrap_or_else(|| OCI_MANIFEST.to_string())
}

fn is_index(media_type: &str, bytes: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(default)]
        manifests: Option<serde_json::Value>,
    }
    matches!(media_type, crate::image::OCI_INDEX | crate::image::DOCKER_MANIFEST_LIST)
        || serde_json::from_slice::<Probe>(bytes).is_ok_and(|p| p.manifests.is_some())
}
