//! One module per ecosystem. To add one: write a [`crate::Cataloger`] in its own module with
//! tests, and list it in [`all`].

pub mod apk;
pub mod binary;
pub mod dotnet;
pub mod dpkg;
pub mod golang;
pub mod java;
pub mod node;
pub mod php;
pub mod python;
pub mod rpm;
pub mod ruby;
pub mod rust;

use std::sync::Arc;

use crate::cataloger::{CatalogAnalyzer, CatalogerAnalyzer};

/// Every ecosystem's cataloger as an analyzer. One line per cataloger.
pub fn all() -> Vec<Arc<dyn CatalogAnalyzer>> {
    vec![
        Arc::new(CatalogerAnalyzer::new(apk::Apk)),
        Arc::new(CatalogerAnalyzer::new(binary::ElfBinaries)),
        Arc::new(CatalogerAnalyzer::new(dotnet::DotnetDeps)),
        Arc::new(CatalogerAnalyzer::new(dpkg::Dpkg)),
        Arc::new(CatalogerAnalyzer::new(golang::GoMod)),
        Arc::new(CatalogerAnalyzer::new(java::JavaArchive)),
        Arc::new(CatalogerAnalyzer::new(node::NpmInstalled)),
        Arc::new(CatalogerAnalyzer::new(node::NpmLock)),
        Arc::new(CatalogerAnalyzer::new(php::ComposerInstalled)),
        Arc::new(CatalogerAnalyzer::new(php::ComposerLock)),
        Arc::new(CatalogerAnalyzer::new(python::PythonInstalled)),
        Arc::new(CatalogerAnalyzer::new(python::PythonLock)),
        Arc::new(CatalogerAnalyzer::new(rpm::Rpm)),
        Arc::new(CatalogerAnalyzer::new(ruby::GemInstalled)),
        Arc::new(CatalogerAnalyzer::new(ruby::GemLock)),
        Arc::new(CatalogerAnalyzer::new(rust::CargoLock)),
    ]
}
