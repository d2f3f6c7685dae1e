//! Shared domain types of drydock.
//!
//! Every other crate speaks in these types: a content [`Digest`], a [`Platform`], the
//! description of an image ([`ImageDescription`], its [`LayerDescription`]s and
//! [`ImageConfigSummary`]) and the records of its merged filesystem ([`FileRecord`]).
//! They carry no I/O and no policy, so renderers, the registry and the CLI can share them
//! without depending on how an image was read.

mod digest;
mod image;
mod platform;

pub use digest::{Digest, DigestError};
pub use image::{
    FileKind, FileRecord, Healthcheck, ImageConfigSummary, ImageDescription, LayerDescription,
};
pub use platform::{Platform, PlatformError};
