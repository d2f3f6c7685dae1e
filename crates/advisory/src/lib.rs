//! drydock's vulnerability data and matching.
//!
//! OSV JSON is the one input format ([`osv`]). [`import`] compiles OSV records, from
//! osv.dev's `all.zip` exports or folders of files, into the [`store`]: one checksummed,
//! memory-mapped file indexed by ecosystem family and package name. [`update`] keeps the
//! exports current with conditional downloads and rebuilds the store atomically.
//!
//! [`matcher`] looks each package of an inventory up (distribution packages by their source
//! package and release, see [`ecosystem`]), evaluates the OSV ranges in the ecosystem's own
//! version order (`drydock-version`, [`range`]), merges aliased records into one finding per
//! vulnerability and package, and scores them ([`severity`]). [`targets`] groups findings
//! per OS and lockfile, and [`suppress`] applies ignore files and VEX documents.

mod atomic;
mod codec;
pub mod ecosystem;
mod error;
pub mod import;
pub mod matcher;
pub mod osv;
pub mod range;
pub mod severity;
pub mod store;
pub mod suppress;
pub mod targets;
pub mod update;

use drydock_model::{Inventory, ScanTarget, ScanWarning};

pub use error::AdvisoryError;
pub use store::Database;

/// The findings of an inventory, grouped per target, with the problems met on the way.
pub fn vulnerabilities(
    database: &Database,
    inventory: &Inventory,
) -> Result<(Vec<ScanTarget>, Vec<ScanWarning>), AdvisoryError> {
    let mut matches = matcher::match_inventory(database, inventory)?;
    let warnings = std::mem::take(&mut matches.warnings);
    Ok((targets::group(inventory, matches), warnings))
}
