//! From a reference to a resolved image: index → platform → manifest → config → layers.
//!
//! Every manifest and config is checked against the digest that named it before it is
//! parsed. Layer blobs are verified later, while the engine streams them.

use std::path::PathBuf;
use std::sync::Arc;

use drydock_model::{Digest, ImageDescription, LayerDescription, Platform};
use oci_spec::image::{Descriptor, ImageIndex, ImageManifest};
use serde::Deserialize;

use crate::config::ConfigFile;
use crate::error::{OciError, Result};
use crate::reference::ImageRef;
use crate::source::layout::LayoutSource;
use crate::source::registry::{RegistryOptions, RegistrySource};
use crate::source::{FetchedManifest, ManifestSource, docker_archive, read_small_blob};

pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_LAYER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";

/// How a layer blob is compressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
    /// Not declared (docker-archive): sniffed from the first bytes.
    Detect,
}

impl Compression {
    /// The compression a layer media type declares; `None` for media types that are not
    /// layers drydock can read.
    pub fn from_media_type(media_type: &str) -> Option<Compression> {
        match media_type {
            "application/vnd.oci.image.layer.v1.tar"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar"
            | DOCKER_LAYER_TAR
            | "application/vnd.docker.image.rootfs.foreign.diff.tar" => Some(Compression::None),
            "application/vnd.oci.image.layer.v1.tar+gzip"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
            | "application/vnd.docker.image.rootfs.diff.tar.gzip"
            | "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip" => Some(Compression::Gzip),
            "application/vnd.oci.image.layer.v1.tar+zstd"
            | "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
            | "application/vnd.docker.image.rootfs.diff.tar.zstd" => Some(Compression::Zstd),
            _ => None,
        }
    }
}

/// How the engine finds a layer's bytes in its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlobRef {
    /// A content-addressed blob of a manifest source.
    Digest(Digest),
    /// An entry of a `docker save` archive.
    ArchiveEntry(String),
}

/// One layer to read: what to report about it and how to open it.
#[derive(Clone, Debug)]
pub struct LayerSpec {
    pub description: LayerDescription,
    pub compression: Compression,
    pub blob: BlobRef,
}

/// Where the layers of a resolved image are read from.
pub enum LayerAccess {
    Manifest(Box<dyn ManifestSource>),
    DockerArchive(Arc<crate::source::tar_index::TarIndex>),
    Dir(PathBuf),
}

/// An image whose metadata is read and verified, ready for its layers to be walked.
pub struct ResolvedImage {
    pub description: ImageDescription,
    pub layers: Vec<LayerSpec>,
    pub access: LayerAccess,
}

/// How to open an image: the platform to pick from an index, and registry settings.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// Defaults to the host's platform.
    pub platform: Option<Platform>,
    pub registry: RegistryOptions,
    /// The Docker Engine socket; defaults to `$DOCKER_HOST` or `/var/run/docker.sock`.
    pub docker_host: Option<String>,
}

/// An image as opened: resolved from its metadata, or a Docker Engine export stream whose
/// metadata comes at its end.
pub enum OpenedImage {
    Resolved(Box<ResolvedImage>),
    DockerStream(crate::source::docker_engine::ExportStream),
}

/// Opens what `reference` names. Errors name the image as the user typed it (`user_text`).
pub fn open(reference: &ImageRef, user_text: &str, options: &OpenOptions) -> Result<OpenedImage> {
    open_unnamed(reference, user_text, options).map_err(|e| e.in_image(user_text))
}

fn open_unnamed(reference: &ImageRef, user_text: &str, options: &OpenOptions) -> Result<OpenedImage> {
    let opened = match reference {
        ImageRef::OciLayout { path, selector } => {
            let source = LayoutSource::open_dir(path, selector.clone())?;
            OpenedImage::Resolved(Box::new(resolve_manifest_image(
                Box::new(source),
                user_text,
                "oci",
                options,
            )?))
        }
        ImageRef::OciArchive { path, selector } => {
            let source = LayoutSource::open_archive(path, selector.clone())?;
            OpenedImage::Resolved(Box::new(resolve_manifest_image(
                Box::new(source),
                user_text,
                "oci-archive",
                options,
            )?))
        }
        ImageRef::Registry(registry_ref) => {
            let source = RegistrySource::new(registry_ref.clone(), options.registry.clone())?;
            OpenedImage::Resolved(Box::new(resolve_manifest_image(
                Box::new(source),
                user_text,
                "registry",
                options,
            )?))
        }
        ImageRef::DockerArchive { path, name } => OpenedImage::Resolved(Box::new(docker_archive::resolve_file(
            path,
            name.as_deref(),
            user_text,
        )?)),
        ImageRef::Dir { path } => OpenedImage::Resolved(Box::new(crate::source::dir::resolve(path, user_text)?)),
        ImageRef::Docker { name } => OpenedImage::DockerStream(crate::source::docker_engine::export(
            name,
            options.docker_host.as_deref(),
        )?),
    };
    Ok(opened)
}

/// The kind of document a fetched manifest is.
enum ManifestKind {
    Index,
    Manifest,
}

#[derive(Deserialize)]
struct MediaTypeProbe {
    #[serde(default, rename = "mediaType")]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Option<serde_json::Value>,
    #[serde(default)]
    layers: Option<serde_json::Value>,
    #[serde(default, rename = "schemaVersion")]
    schema_version: Option<u32>,
}

fn classify(fetched: &FetchedManifest, what: &str) -> Result<ManifestKind> {
    let probe: MediaTypeProbe =
        serde_json::from_slice(&fetched.bytes).map_err(|e| OciError::invalid(what.to_string(), e))?;
    let media_type = fetched.media_type.clone().or(probe.media_type.clone());
    match media_type.as_deref() {
        Some(OCI_INDEX | DOCKER_MANIFEST_LIST) => Ok(ManifestKind::Index),
        Some(OCI_MANIFEST | DOCKER_MANIFEST) => Ok(ManifestKind::Manifest),
        Some(other) if other.starts_with("application/vnd.docker.distribution.manifest.v1") => {
            Err(OciError::UnsupportedMediaType {
                what: format!("{what} (Docker image manifest v2 schema 1 is deprecated; re-push the image)"),
                media_type: other.to_string(),
            })
        }
        // Registries answer `application/json` or `text/plain` sometimes: trust the shape.
        _ if probe.manifests.is_some() => Ok(ManifestKind::Index),
        _ if probe.layers.is_some() && probe.schema_version == Some(2) => Ok(ManifestKind::Manifest),
        Some(other) => Err(OciError::UnsupportedMediaType {
            what: what.to_string(),
            media_type: other.to_string(),
        }),
        None => Err(OciError::invalid(
            what.to_string(),
            "it is neither an image index nor an image manifest",
        )),
    }
}

/// Resolves an image from any source with manifests.
pub fn resolve_manifest_image(
    source: Box<dyn ManifestSource>,
    user_text: &str,
    kind: &str,
    options: &OpenOptions,
) -> Result<ResolvedImage> {
    let root = source.root_manifest()?;
    let (manifest_fetch, index_digest) = match classify(&root, &format!("manifest {}", root.digest))? {
        ManifestKind::Manifest => (root, None),
        ManifestKind::Index => {
            let index: ImageIndex = serde_json::from_slice(&root.bytes)
                .map_err(|e| OciError::invalid(format!("image index {}", root.digest), e))?;
            let wanted = options.platform.clone().unwrap_or_else(Platform::host);
            let chosen = choose_platform(&index, &wanted)?;
            let digest: Digest = chosen
                .digest()
                .to_string()
                .parse()
                .map_err(|e| OciError::invalid(format!("image index {}", root.digest), e))?;
            let mut child = source.manifest_by_digest(&digest)?;
            child.media_type = child.media_type.or_else(|| Some(chosen.media_type().to_string()));
            (child, Some(root.digest))
        }
    };
    let what = format!("manifest {}", manifest_fetch.digest);
    if let ManifestKind::Index = classify(&manifest_fetch, &what)? {
        return Err(OciError::invalid(
            what,
            "an index entry points to another index; nested indexes are not supported",
        ));
    }
    let manifest: ImageManifest =
        serde_json::from_slice(&manifest_fetch.bytes).map_err(|e| OciError::invalid(what.clone(), e))?;
    let config_descriptor = manifest.config();
    let config_media_type = config_descriptor.media_type().to_string();
    if !is_image_config(&config_media_type) {
        return Err(OciError::UnsupportedMediaType {
            what: format!("{what} is an artifact, not a container image; its config"),
            media_type: config_media_type,
        });
    }
    let config_digest = descriptor_digest(config_descriptor, &what)?;
    let config_what = format!("config {config_digest}");
    let config_bytes = read_small_blob(
        source.as_ref(),
        &config_what,
        &config_digest,
        Some(config_descriptor.size()),
    )?;
    let config = ConfigFile::parse(&config_bytes, &config_what)?;
    // A single-platform image asked for another platform explicitly: say so rather than
    // silently reading an image that will not run there.
    if let Some(wanted) = &options.platform
        && index_digest.is_none()
        && !wanted.matches(&config.platform())
    {
        return Err(OciError::NoMatchingPlatform {
            wanted: wanted.to_string(),
            available: vec![config.platform().to_string()],
        });
    }
    let diff_ids = config.diff_ids(&config_what)?;
    if diff_ids.len() != manifest.layers().len() {
        return Err(OciError::invalid(
            what,
            format!(
                "it lists {} layers but its config has {} diff_ids",
                manifest.layers().len(),
                diff_ids.len()
            ),
        ));
    }
    let history = config.layer_history(diff_ids.len());
    let mut layers = Vec::with_capacity(diff_ids.len());
    for (index, ((descriptor, diff_id), created_by)) in manifest.layers().iter().zip(diff_ids).zip(history).enumerate()
    {
        let media_type = descriptor.media_type().to_string();
        let compression = Compression::from_media_type(&media_type).ok_or_else(|| OciError::UnsupportedMediaType {
            what: format!("layer {index} of {what}"),
            media_type: media_type.clone(),
        })?;
        let digest = descriptor_digest(descriptor, &what)?;
        layers.push(LayerSpec {
            description: LayerDescription {
                index,
                digest: Some(digest.clone()),
                diff_id: Some(diff_id),
                size: Some(descriptor.size()),
                media_type,
                created_by,
            },
            compression,
            blob: BlobRef::Digest(digest),
        });
    }
    let description = ImageDescription {
        reference: user_text.to_string(),
        source: kind.to_string(),
        manifest_digest: Some(manifest_fetch.digest),
        index_digest,
        config_digest: Some(config_digest),
        platform: config.platform(),
        created: config.created.clone(),
        layers: layers.iter().map(|l| l.description.clone()).collect(),
        config: config.summary(),
        files: None,
    };
    Ok(ResolvedImage {
        description,
        layers,
        access: LayerAccess::Manifest(source),
    })
}

fn is_image_config(media_type: &str) -> bool {
    matches!(
        media_type,
        "application/vnd.oci.image.config.v1+json" | "application/vnd.docker.container.image.v1+json"
    )
}

/// A descriptor's digest as drydock's [`Digest`] (sha256 or sha512 only).
pub(crate) fn descriptor_digest(descriptor: &Descriptor, what: &str) -> Result<Digest> {
    descriptor
        .digest()
        .to_string()
        .parse()
        .map_err(|e| OciError::invalid(what.to_string(), e))
}

/// The index entry for `wanted`; attestation entries (`unknown/unknown`) never match.
pub(crate) fn choose_platform<'a>(index: &'a ImageIndex, wanted: &Platform) -> Result<&'a Descriptor> {
    let entries = index.manifests();
    let platform_of = |d: &Descriptor| {
        d.platform().as_ref().map(|p| Platform {
            os: p.os().to_string(),
            architecture: p.architecture().to_string(),
            variant: p.variant().clone(),
        })
    };
    if let [only] = entries.as_slice()
        && only.platform().is_none()
    {
        return Ok(only);
    }
    entries
        .iter()
        .find(|d| platform_of(d).is_some_and(|p| wanted.matches(&p)))
        .ok_or_else(|| OciError::NoMatchingPlatform {
            wanted: wanted.to_string(),
            available: entries
                .iter()
                .filter_map(platform_of)
                .filter(|p| p.os != "unknown")
                .map(|p| p.to_string())
                .collect(),
        })
}
