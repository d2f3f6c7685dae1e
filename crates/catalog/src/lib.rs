//! What is inside an image: the operating system and every package, from every ecosystem.
//!
//! Each ecosystem is one module under [`ecosystems`] implementing [`Cataloger`]: it names the
//! files it wants and turns one file into packages. [`analyzers`] wraps them all as
//! analyzers of the one-pass layer engine (`drydock_oci::engine`), so cataloging costs no
//! extra read of the image; [`inventory`] then assembles the per-layer results against the
//! merged filesystem: a package whose metadata file a higher layer replaced or deleted is
//! gone, and duplicates found by several catalogers (a lockfile and the installed package)
//! become one package with several locations.

mod assemble;
mod cataloger;
pub mod ecosystems;
mod elf;
pub mod os_release;
pub mod sbom;

use std::sync::{Arc, OnceLock};

use drydock_oci::engine::analyzer::Analyzer;

pub use assemble::inventory;
pub use cataloger::{
    CATALOG_PREFIX, CatalogAnalyzer, Cataloger, CatalogerAnalyzer, CatalogerKind, Catalogued, TargetKind,
};

/// Every cataloger and the OS detector, ready to hand to `drydock_oci::scan`.
pub fn analyzers() -> Vec<Arc<dyn Analyzer>> {
    analyzers_for(TargetKind::Image)
}

/// The OS detector and the catalogers that `target` runs.
pub fn analyzers_for(target: TargetKind) -> Vec<Arc<dyn Analyzer>> {
    static ALL: OnceLock<Vec<Arc<dyn CatalogAnalyzer>>> = OnceLock::new();
    let catalogers = ALL.get_or_init(ecosystems::all);
    let mut chosen: Vec<Arc<dyn Analyzer>> = vec![Arc::new(os_release::OsReleaseAnalyzer)];
    if target.runs(CatalogerKind::Installed) {
        chosen.push(Arc::new(ecosystems::dpkg::DpkgCopyright));
    }
    for cataloger in catalogers {
        if target.runs(cataloger.kind()) {
            let analyzer: Arc<dyn Analyzer> = cataloger.clone();
            chosen.push(analyzer);
        }
    }
    chosen
}
