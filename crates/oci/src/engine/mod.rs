//! The layer engine: one verified, streaming pass over every layer, in parallel, with
//! per-layer results cached by diffID and merged into the image's filesystem view.
//!
//! ```text
//! layers, in parallel ─▶ tar entries ─▶ analyzers that asked ─▶ LayerFacts (cached by diffID)
//!                                  merge bottom-up with whiteouts ◀┘ ─▶ MergedFs
//! ```

pub mod analyzer;
pub mod cache;
pub mod facts;
pub mod limits;
pub mod merge;
pub mod path;
pub mod tar_guard;
pub mod verify;
pub mod walk;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use drydock_model::ImageDescription;

use crate::error::{OciError, Result};
use crate::image::{BlobRef, LayerAccess, LayerSpec, OpenedImage, ResolvedImage};
use crate::source::{dir, docker_archive};
use analyzer::{Analyzer, InterestIndex};
use cache::LayerCache;
use facts::LayerFacts;
use limits::Limits;
use merge::MergedFs;
use walk::{LayerExpectation, walk_layer};

/// How to walk an image.
#[derive(Clone, Debug)]
pub struct ScanOptions {
    pub limits: Limits,
    /// `None` disables the cache (`--no-cache`).
    pub cache: Option<LayerCache>,
    /// Layers walked at once; defaults to the number of CPUs.
    pub jobs: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            limits: Limits::default(),
            cache: LayerCache::default_root().map(LayerCache::new),
            jobs: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        }
    }
}

/// An image after its layers were walked.
pub struct ImageScan {
    pub description: ImageDescription,
    /// One per layer, bottom first.
    pub layers: Vec<Arc<LayerFacts>>,
    pub merged: MergedFs,
}

/// Walks every layer of an opened image and merges them.
pub fn scan(image: OpenedImage, analyzers: &[Arc<dyn Analyzer>], options: &ScanOptions) -> Result<ImageScan> {
    let index = InterestIndex::new(analyzers)?;
    let (description, layers) = match image {
        OpenedImage::Resolved(resolved) => {
            let layers = walk_resolved(&resolved, analyzers, &index, options)?;
            (resolved.description, layers)
        }
        OpenedImage::DockerStream(stream) => {
            let user_text = format!("docker:{}", stream.name);
            let (description, layers) = docker_archive::scan_stream(
                stream.reader,
                Some(&stream.name)
                    .filter(|n| !looks_like_image_id(n))
                    .map(String::as_str),
                &user_text,
                analyzers,
                &index,
                &options.limits,
            )
            .map_err(|e| e.in_image(&user_text))?;
            if let Some(cache) = &options.cache {
                let fingerprint = LayerCache::fingerprint(analyzers);
                for facts in &layers {
                    store_in_cache(cache, &fingerprint, facts);
                }
            }
            (description, layers.into_iter().map(Arc::new).collect())
        }
    };
    let merged = MergedFs::build(layers.iter().enumerate().map(|(i, f)| (i, f.as_ref())))
        .map_err(|e| e.in_image(&description.reference))?;
    Ok(ImageScan {
        description,
        layers,
        merged,
    })
}

/// Docker exports an image asked for by id with no tag in `manifest.json`.
fn looks_like_image_id(name: &str) -> bool {
    let hex = name.strip_prefix("sha256:").unwrap_or(name);
    (12..=64).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

fn store_in_cache(cache: &LayerCache, fingerprint: &str, facts: &LayerFacts) {
    if let Some(diff_id) = &facts.diff_id
        && let Err(e) = cache.put(fingerprint, diff_id, facts)
    {
        tracing::warn!("{e}");
    }
}

/// Walks the layers of a resolved image on up to `options.jobs` threads.
fn walk_resolved(
    image: &ResolvedImage,
    analyzers: &[Arc<dyn Analyzer>],
    index: &InterestIndex,
    options: &ScanOptions,
) -> Result<Vec<Arc<LayerFacts>>> {
    let fingerprint = LayerCache::fingerprint(analyzers);
    let results: Mutex<Vec<Option<Arc<LayerFacts>>>> = Mutex::new(vec![None; image.layers.len()]);
    let first_error: Mutex<Option<OciError>> = Mutex::new(None);
    let next = AtomicUsize::new(0);
    let cancelled = AtomicBool::new(false);
    let workers = options.jobs.max(1).min(image.layers.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= image.layers.len() || cancelled.load(Ordering::SeqCst) {
                        return;
                    }
                    match layer_facts(image, &image.layers[i], analyzers, index, options, &fingerprint) {
                        Ok(facts) => results.lock().expect("results lock")[i] = Some(Arc::new(facts)),
                        Err(e) => {
                            cancelled.store(true, Ordering::SeqCst);
                            let mut slot = first_error.lock().expect("error lock");
                            // Report the lowest layer's error, for a stable message.
                            slot.get_or_insert(e);
                            return;
                        }
                    }
                }
            });
        }
    });
    if let Some(error) = first_error.into_inner().expect("error lock") {
        return Err(error.in_image(&image.description.reference));
    }
    Ok(results
        .into_inner()
        .expect("results lock")
        .into_iter()
        .map(|f| f.expect("every layer was walked"))
        .collect())
}

/// The facts of one layer: from the cache, or by walking it.
fn layer_facts(
    image: &ResolvedImage,
    spec: &LayerSpec,
    analyzers: &[Arc<dyn Analyzer>],
    index: &InterestIndex,
    options: &ScanOptions,
    fingerprint: &str,
) -> Result<LayerFacts> {
    let diff_id = spec.description.diff_id.as_ref();
    if let (Some(cache), Some(diff_id)) = (&options.cache, diff_id)
        && let Some(facts) = cache.get(fingerprint, diff_id)
    {
        tracing::debug!(layer = spec.description.index, %diff_id, "layer cache hit");
        return Ok(facts);
    }
    let expect = LayerExpectation {
        index: spec.description.index,
        label: spec
            .description
            .digest
            .as_ref()
            .map(|d| d.to_string())
            .or_else(|| diff_id.map(|d| d.to_string()))
            .unwrap_or_else(|| format!("#{}", spec.description.index)),
        compression: spec.compression,
        digest: spec.description.digest.clone(),
        size: spec.description.size,
        diff_id: diff_id.cloned(),
    };
    let facts = match (&image.access, &spec.blob) {
        (LayerAccess::Dir(root), _) => return dir::walk(root, analyzers, index, &options.limits),
        (LayerAccess::Manifest(source), BlobRef::Digest(digest)) => {
            // A missing blob is named with its layer, like every other layer error.
            let blob = source.open_blob(digest, spec.description.size).map_err(|e| match e {
                OciError::NotFound { what, detail } => OciError::NotFound {
                    what: format!("layer {} ({what})", spec.description.index),
                    detail,
                },
                other => other,
            })?;
            walk_layer(blob, &expect, analyzers, index, &options.limits)?.facts
        }
        (LayerAccess::DockerArchive(archive), BlobRef::ArchiveEntry(path)) => {
            let blob = archive.open(path)?;
            walk_layer(blob, &expect, analyzers, index, &options.limits)?.facts
        }
        (_, blob) => {
            return Err(OciError::invalid(
                format!("layer {}", spec.description.index),
                format!("its blob reference {blob:?} does not fit the image's source"),
            ));
        }
    };
    if let Some(cache) = &options.cache {
        store_in_cache(cache, fingerprint, &facts);
    }
    Ok(facts)
}
