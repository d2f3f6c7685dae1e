//! One module per command group.

pub mod cache;
pub mod db;
pub mod image;
pub mod lint;
pub mod sbom;
pub mod scan;
pub mod source;
