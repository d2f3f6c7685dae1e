//! One module per command group.

pub mod cache;
pub mod image;
pub mod sbom;
pub mod source;
