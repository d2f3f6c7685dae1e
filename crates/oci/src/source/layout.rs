//! OCI image layouts: a directory (`oci:`) or a tar of one (`oci-archive:`).
//!
//! Both read `index.json`, pick the manifest the user's selector names, and serve blobs from
//! `blobs/<alg>/<hex>`. The directory form opens blob files directly; the archive form
//! indexes the tar once and reads entries in place ([`super::tar_index`]), so nothing is
//! extracted to disk.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use drydock_model::Digest;
use oci_spec::image::{Descriptor, ImageIndex};

use super::tar_index::TarIndex;
use super::{FetchedManifest, ManifestSource, read_limited, sha256_digest, verify_bytes};
use crate::error::{OciError, Result};
use crate::image::descriptor_digest;
use crate::reference::Selector;

const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// Where a layout's files live: a directory, or entries of a tar.
enum Store {
    Dir(PathBuf),
    Archive(TarIndex),
}

/// An OCI image layout, as a directory or as a tar.
pub struct LayoutSource {
    store: Store,
    selector: Selector,
    name: String,
}

impl LayoutSource {
    /// Opens a layout directory.
    pub fn open_dir(path: &Path, selector: Selector) -> Result<Self> {
        let marker = path.join("oci-layout");
        if !path.exists() {
            return Err(OciError::not_found(format!("OCI layout directory {}", path.display())));
        }
        if !marker.is_file() {
            let reason = if path.is_file() {
                "it is a file, not a directory (a tar of an OCI layout is read with oci-archive:)"
            } else {
                "it has no `oci-layout` file (is it an OCI image layout directory?)"
            };
            return Err(OciError::invalid(format!("OCI layout {}", path.display()), reason));
        }
        Ok(LayoutSource {
            store: Store::Dir(path.to_path_buf()),
            selector,
            name: path.display().to_string(),
        })
    }

    /// Opens a tar of a layout.
    pub fn open_archive(path: &Path, selector: Selector) -> Result<Self> {
        let index = TarIndex::build(path)?;
        if !index.contains("oci-layout") {
            return Err(OciError::invalid(
                format!("OCI archive {}", path.display()),
                "it has no `oci-layout` entry (is it a tar of an OCI image layout?)",
            ));
        }
        Ok(LayoutSource {
            store: Store::Archive(index),
            selector,
            name: path.display().to_string(),
        })
    }

    fn open_file(&self, relative: &str) -> Result<Box<dyn Read + Send + '_>> {
        match &self.store {
            Store::Dir(root) => {
                let path = root.join(relative);
                let file = File::open(&path).map_err(|e| {
                    if e.kind() == std::io::ErrorKind::NotFound {
                        OciError::not_found(format!("`{relative}` in OCI layout {}", self.name))
                    } else {
                        OciError::io(format!("opening {}", path.display()), e)
                    }
                })?;
                Ok(Box::new(file))
            }
            Store::Archive(index) => index.open(relative).map(|r| Box::new(r) as Box<dyn Read + Send>),
        }
    }

    fn read_index(&self) -> Result<ImageIndex> {
        let what = format!("index.json of OCI layout {}", self.name);
        let bytes = read_limited(self.open_file("index.json")?, &what)?;
        serde_json::from_slice(&bytes).map_err(|e| OciError::invalid(what, e))
    }

    /// Picks the descriptor the selector names from `index.json`.
    fn select(&self, index: &ImageIndex) -> Result<Option<Descriptor>> {
        let manifests = index.manifests();
        let ref_name = |d: &Descriptor| d.annotations().as_ref().and_then(|a| a.get(REF_NAME).cloned());
        match &self.selector {
            Selector::Digest(digest) => manifests
                .iter()
                .find(|d| d.digest().to_string() == digest.to_string())
                .cloned()
                .map(Some)
                .ok_or_else(|| OciError::not_found(format!("manifest {digest} in OCI layout {}", self.name))),
            Selector::Tag(tag) => {
                let found: Vec<&Descriptor> = manifests
                    .iter()
                    .filter(|d| ref_name(d).as_deref() == Some(tag))
                    .collect();
                match found.as_slice() {
                    [one] => Ok(Some((*one).clone())),
                    [] => Err(OciError::NotFound {
                        what: format!("tag `{tag}` in OCI layout {}", self.name),
                        detail: Some(format!("it has: {}", list_ref_names(manifests))),
                    }),
                    // Several manifests under one name: a multi-platform set; resolve below.
                    _ => Ok(None),
                }
            }
            Selector::Default => match manifests.as_slice() {
                [one] => Ok(Some(one.clone())),
                [] => Err(OciError::invalid(
                    format!("OCI layout {}", self.name),
                    "its index.json lists no manifests",
                )),
                many => {
                    let names: Vec<String> = many.iter().filter_map(ref_name).collect();
                    let distinct: std::collections::BTreeSet<&String> = names.iter().collect();
                    if distinct.len() > 1 {
                        Err(OciError::invalid(
                            format!("OCI layout {}", self.name),
                            format!(
                                "it holds {} images; name one as oci:PATH:NAME ({})",
                                many.len(),
                                list_ref_names(many)
                            ),
                        ))
                    } else {
                        Ok(None)
                    }
                }
            },
        }
    }
}

fn list_ref_names(manifests: &[Descriptor]) -> String {
    let names: Vec<String> = manifests
        .iter()
        .filter_map(|d| d.annotations().as_ref().and_then(|a| a.get(REF_NAME).cloned()))
        .collect();
    if names.is_empty() {
        "no named manifests".to_string()
    } else {
        names.join(", ")
    }
}

impl ManifestSource for LayoutSource {
    fn root_manifest(&self) -> Result<FetchedManifest> {
        let index = self.read_index()?;
        match self.select(&index)? {
            Some(descriptor) => {
                let digest = descriptor_digest(&descriptor, "a manifest descriptor of index.json")?;
                let mut fetched = self.manifest_by_digest(&digest)?;
                fetched.media_type = Some(descriptor.media_type().to_string());
                Ok(fetched)
            }
            None => {
                // Several platform manifests share the name: index.json itself is the index.
                // Keep only those with the selected name, so platform choice is among them.
                let mut narrowed = index.clone();
                if let Selector::Tag(tag) = &self.selector {
                    let kept: Vec<Descriptor> = index
                        .manifests()
                        .iter()
                        .filter(|d| d.annotations().as_ref().and_then(|a| a.get(REF_NAME)) == Some(tag))
                        .cloned()
                        .collect();
                    narrowed.set_manifests(kept);
                }
                let bytes = serde_json::to_vec(&narrowed)
                    .map_err(|e| OciError::invalid(format!("index.json of {}", self.name), e))?;
                let digest = sha256_digest(&bytes);
                Ok(FetchedManifest {
                    bytes,
                    media_type: Some("application/vnd.oci.image.index.v1+json".to_string()),
                    digest,
                })
            }
        }
    }

    fn manifest_by_digest(&self, digest: &Digest) -> Result<FetchedManifest> {
        let what = format!("manifest {digest} in OCI layout {}", self.name);
        let bytes = read_limited(self.open_blob(digest, None)?, &what)?;
        verify_bytes(&what, digest, &bytes)?;
        Ok(FetchedManifest {
            bytes,
            media_type: None,
            digest: digest.clone(),
        })
    }

    fn open_blob(&self, digest: &Digest, _size: Option<u64>) -> Result<Box<dyn Read + Send + '_>> {
        let relative = format!("blobs/{}/{}", digest.algorithm(), digest.hex());
        self.open_file(&relative).map_err(|e| match e {
            OciError::NotFound { .. } => OciError::not_found(format!("blob {digest} in OCI layout {}", self.name)),
            other => other,
        })
    }
}
