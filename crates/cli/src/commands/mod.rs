//! One module per command group.

pub mod audit;
pub mod cache;
pub mod db;
pub mod image;
pub mod image_copy;
pub mod lint;
pub mod probe;
pub mod sbom;
pub mod scan;
pub mod source;
