//! `docker save` archives: a file (`docker-archive:`) read in place, and the same format as
//! a stream (the Docker Engine's image export) read in one pass.
//!
//! The archive's `manifest.json` lists each image's config and layer entries. Both the
//! classic layout (`<id>/layer.tar`, `<hex>.json`) and the OCI-style one Docker 25+ writes
//! (`blobs/sha256/<hex>`) are read.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use drydock_model::{Digest, ImageDescription, LayerDescription};
use serde::Deserialize;

use super::tar_index::{TarIndex, normalize_archive_path};
use super::{MAX_METADATA_BYTES, read_limited, sha256_digest};
use crate::config::ConfigFile;
use crate::engine::analyzer::{Analyzer, InterestIndex};
use crate::engine::facts::LayerFacts;
use crate::engine::limits::Limits;
use crate::engine::walk::{LayerExpectation, walk_layer};
use crate::error::{OciError, Result};
use crate::image::{BlobRef, Compression, DOCKER_LAYER_TAR, LayerAccess, LayerSpec, ResolvedImage};
use crate::reference::RegistryRef;

/// One image of `manifest.json`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ArchiveManifestEntry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

fn parse_manifest(bytes: &[u8], archive: &str) -> Result<Vec<ArchiveManifestEntry>> {
    let entries: Vec<ArchiveManifestEntry> =
        serde_json::from_slice(bytes).map_err(|e| OciError::invalid(format!("manifest.json of {archive}"), e))?;
    if entries.is_empty() {
        return Err(OciError::invalid(
            format!("manifest.json of {archive}"),
            "it lists no images",
        ));
    }
    Ok(entries)
}

/// Normalizes `name[:tag]` the way Docker does, for comparing with `RepoTags`.
fn canonical_name(name: &str) -> String {
    RegistryRef::parse(name)
        .map(|r| r.to_string())
        .unwrap_or_else(|_| name.to_string())
}

/// The image of a possibly multi-image archive that `name` selects.
fn select<'a>(
    entries: &'a [ArchiveManifestEntry],
    name: Option<&str>,
    archive: &str,
) -> Result<&'a ArchiveManifestEntry> {
    let all_tags = || {
        let tags: Vec<String> = entries
            .iter()
            .flat_map(|e| e.repo_tags.clone().unwrap_or_default())
            .collect();
        if tags.is_empty() {
            "no tagged images".to_string()
        } else {
            tags.join(", ")
        }
    };
    match name {
        None if entries.len() == 1 => Ok(&entries[0]),
        None => Err(OciError::invalid(
            format!("docker archive {archive}"),
            format!(
                "it holds {} images; name one as docker-archive:FILE:NAME:TAG ({})",
                entries.len(),
                all_tags()
            ),
        )),
        Some(name) => {
            let wanted = canonical_name(name);
            entries
                .iter()
                .find(|e| e.repo_tags.iter().flatten().any(|t| canonical_name(t) == wanted))
                .ok_or_else(|| OciError::NotFound {
                    what: format!("image `{name}` in docker archive {archive}"),
                    detail: Some(format!("it has: {}", all_tags())),
                })
        }
    }
}

/// The digest an archive path names, for `blobs/sha256/<hex>`, `<hex>.json` or `<hex>.tar`.
fn digest_in_path(path: &str) -> Option<Digest> {
    let name = path.rsplit('/').next()?;
    let hex = name
        .strip_suffix(".json")
        .or_else(|| name.strip_suffix(".tar"))
        .unwrap_or(name);
    Digest::sha256_from_hex(hex).ok()
}

/// Builds the description and layer list from `manifest.json`'s entry and its config.
fn describe(
    entry: &ArchiveManifestEntry,
    config_bytes: &[u8],
    user_text: &str,
    source: &str,
    archive: &str,
) -> Result<(ImageDescription, Vec<LayerSpec>)> {
    let config_digest = sha256_digest(config_bytes);
    let config_what = format!("config `{}` of {archive}", entry.config);
    if let Some(named) = digest_in_path(&entry.config)
        && named != config_digest
    {
        return Err(OciError::DigestMismatch {
            what: config_what,
            expected: named,
            actual: config_digest,
        });
    }
    let config = ConfigFile::parse(config_bytes, &config_what)?;
    let diff_ids = config.diff_ids(&config_what)?;
    if diff_ids.len() != entry.layers.len() {
        return Err(OciError::invalid(
            format!("manifest.json of {archive}"),
            format!(
                "it lists {} layers but the config has {} diff_ids",
                entry.layers.len(),
                diff_ids.len()
            ),
        ));
    }
    let history = config.layer_history(diff_ids.len());
    let layers: Vec<LayerSpec> = entry
        .layers
        .iter()
        .zip(diff_ids)
        .zip(history)
        .enumerate()
        .map(|(index, ((path, diff_id), created_by))| LayerSpec {
            description: LayerDescription {
                index,
                digest: digest_in_path(path),
                diff_id: Some(diff_id),
                size: None,
                media_type: DOCKER_LAYER_TAR.to_string(),
                created_by,
            },
            compression: Compression::Detect,
            blob: BlobRef::ArchiveEntry(normalize_archive_path(path)),
        })
        .collect();
    let description = ImageDescription {
        reference: user_text.to_string(),
        source: source.to_string(),
        manifest_digest: None,
        index_digest: None,
        config_digest: Some(config_digest),
        platform: config.platform(),
        created: config.created.clone(),
        layers: layers.iter().map(|l| l.description.clone()).collect(),
        config: config.summary(),
        files: None,
    };
    Ok((description, layers))
}

/// Opens a `docker save` archive file and resolves the image `name` selects.
pub fn resolve_file(path: &Path, name: Option<&str>, user_text: &str) -> Result<ResolvedImage> {
    let archive = path.display().to_string();
    let index = TarIndex::build(path)?;
    if !index.contains("manifest.json") {
        return Err(OciError::invalid(
            format!("docker archive {archive}"),
            "it has no manifest.json (is it the output of `docker save`?)",
        ));
    }
    let manifest = read_limited(index.open("manifest.json")?, &format!("manifest.json of {archive}"))?;
    let entries = parse_manifest(&manifest, &archive)?;
    let entry = select(&entries, name, &archive)?;
    let config_bytes = read_limited(index.open(&normalize_archive_path(&entry.config))?, &entry.config)?;
    let (mut description, mut layers) = describe(entry, &config_bytes, user_text, "docker-archive", &archive)?;
    for layer in &mut layers {
        let BlobRef::ArchiveEntry(path) = &layer.blob else {
            continue;
        };
        let size = index.size_of(path).ok_or_else(|| OciError::NotFound {
            what: format!(
                "layer {} (`{path}`) in docker archive {archive}",
                layer.description.index
            ),
            detail: Some("manifest.json names it but the archive does not contain it".to_string()),
        })?;
        layer.description.size = Some(size);
    }
    description.layers = layers.iter().map(|l| l.description.clone()).collect();
    Ok(ResolvedImage {
        description,
        layers,
        access: LayerAccess::DockerArchive(Arc::new(index)),
    })
}

/// Reads a `docker save` stream (the Docker Engine's export) in one pass: small JSON
/// entries are kept, every tar-looking entry is walked as a layer as it passes, and at the
/// end `manifest.json` says which walked layer is which. Each layer is matched by its
/// computed diffID, so every layer is verified against the config by construction.
pub fn scan_stream(
    stream: impl Read,
    name: Option<&str>,
    user_text: &str,
    analyzers: &[Arc<dyn Analyzer>],
    interest: &InterestIndex,
    limits: &Limits,
) -> Result<(ImageDescription, Vec<LayerFacts>)> {
    let label = "the Docker Engine export stream";
    let mut outer = tar::Archive::new(stream);
    let mut small_files: HashMap<String, Vec<u8>> = HashMap::new();
    let mut walked: HashMap<Digest, LayerFacts> = HashMap::new();
    let entries = outer
        .entries()
        .map_err(|e| OciError::invalid(label, format!("not a tar stream: {e}")))?;
    for (position, entry) in entries.enumerate() {
        let entry = entry.map_err(|e| OciError::invalid(label, format!("corrupt tar stream: {e}")))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = normalize_archive_path(&String::from_utf8_lossy(&entry.path_bytes()));
        let size = entry.size();
        let mut reader = BufReader::new(entry);
        let head = reader
            .fill_buf()
            .map_err(|e| OciError::invalid(label, format!("reading `{path}`: {e}")))?;
        let looks_like_json = head.first().is_some_and(|b| *b == b'{' || *b == b'[');
        if looks_like_json || size <= 512 {
            if size <= MAX_METADATA_BYTES {
                let bytes = read_limited(reader, &path)?;
                small_files.insert(path, bytes);
            }
            continue;
        }
        let expect = LayerExpectation {
            index: position,
            label: path.clone(),
            compression: Compression::Detect,
            digest: None,
            size: Some(size),
            diff_id: None,
        };
        let layer = walk_layer(reader, &expect, analyzers, interest, limits)?;
        if let Some(named) = digest_in_path(&path)
            && named != layer.blob_digest
        {
            return Err(OciError::DigestMismatch {
                what: format!("`{path}` in {label}"),
                expected: named,
                actual: layer.blob_digest,
            });
        }
        walked.insert(layer.diff_id, layer.facts);
    }
    let manifest = small_files
        .get("manifest.json")
        .ok_or_else(|| OciError::invalid(label, "it has no manifest.json"))?;
    let entries = parse_manifest(manifest, label)?;
    let entry = select(&entries, name, label)?;
    let config_bytes = small_files
        .get(&normalize_archive_path(&entry.config))
        .ok_or_else(|| OciError::not_found(format!("config `{}` in {label}", entry.config)))?;
    let (description, layers) = describe(entry, config_bytes, user_text, "docker", label)?;
    let facts = layers
        .iter()
        .map(|layer| {
            let diff_id = layer
                .description
                .diff_id
                .as_ref()
                .expect("docker archive layers always have a diffID");
            walked.get(diff_id).cloned().ok_or_else(|| OciError::Layer {
                index: layer.description.index,
                layer: diff_id.to_string(),
                entry: None,
                reason: format!("no layer in {label} has this diffID"),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((description, facts))
}
