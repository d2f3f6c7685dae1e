//! Shared domain types of drydock.
//!
//! Every other crate speaks in these types: a content [`Digest`], a [`Platform`], the
//! description of an image ([`ImageDescription`], its [`LayerDescription`]s and
//! [`ImageConfigSummary`]), the records of its merged filesystem ([`FileRecord`]) and what
//! is installed in it ([`Inventory`], [`Package`], [`OsRelease`]), and what a vulnerability
//! scan found in it ([`ScanReport`], [`Finding`], [`Severity`]).
//! They carry no I/O and no policy, so renderers, the registry and the CLI can share them
//! without depending on how an image was read.

mod check;
mod digest;
mod image;
mod package;
mod platform;
pub mod purl;
pub mod time;
mod vuln;

pub use check::{CheckFinding, CheckLocation, RuleInfo};
pub use digest::{Digest, DigestError};
pub use image::{FileKind, FileRecord, Healthcheck, ImageConfigSummary, ImageDescription, LayerDescription};
pub use package::{CatalogWarning, Ecosystem, Inventory, OsRelease, Package, PackageLocation, SourcePackage};
pub use platform::{Platform, PlatformError};
pub use vuln::{
    AffectedPackage, DatabaseInfo, DatabaseSource, Finding, FindingKind, FixState, MatchEvidence,
    SCAN_REPORT_SCHEMA_VERSION, ScanReport, ScanTarget, ScanWarning, ScoreKind, Severity, SeverityScore, Suppression,
    TargetClass,
};
