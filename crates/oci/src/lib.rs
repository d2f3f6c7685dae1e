//! Reading container images, safely and in one streaming pass.
//!
//! [`reference`] parses what users type (`oci:`, `docker-archive:`, `docker:`, `dir:`,
//! registry references). [`source`] reads manifests and blobs from each kind of place.
//! [`image`] resolves a reference to an image: its index, manifest, config and layers.
//! [`engine`] walks every layer once, in parallel, verifying digests as bytes stream by,
//! handing tar entries only to the [`engine::Analyzer`]s that asked for them, caching
//! per-layer results by diffID, and merging layers into the final filesystem view.
//! [`write`] pushes images and artifacts to registries and OCI layouts.

pub mod config;
pub mod engine;
pub mod error;
pub mod image;
pub mod reference;
pub mod source;
pub mod write;

pub use engine::{ImageScan, ScanOptions, scan};
pub use error::{OciError, Result};
pub use image::{OpenOptions, OpenedImage, open};
pub use reference::{ImageRef, RegistryRef, Selector};
