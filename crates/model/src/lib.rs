//! Shared domain types of drydock.
//!
//! Every other crate speaks in these types: a content [`Digest`], a [`Platform`], the
//! description of an image ([`ImageDescription`], its [`LayerDescription`]s and
//! [`ImageConfigSummary`]), the records of its merged filesystem ([`FileRecord`]) and what
//! is installed in it ([`Inventory`], [`Package`], [`OsRelease`]).
//! They carry no I/O and no policy, so renderers, the registry and the CLI can share them
//! without depending on how an image was read.

mod digest;
mod image;
mod package;
mod platform;
pub mod purl;

pub use digest::{Digest, DigestError};
pub use image::{FileKind, FileRecord, Healthcheck, ImageConfigSummary, ImageDescription, LayerDescription};
pub use package::{CatalogWarning, Ecosystem, Inventory, OsRelease, Package, PackageLocation, SourcePackage};
pub use platform::{Platform, PlatformError};
