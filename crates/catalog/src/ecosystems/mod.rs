//! One module per ecosystem. To add one: write a [`crate::Cataloger`] in its own module with
//! tests, and list it in [`all`].

pub mod dpkg;

use std::sync::Arc;

use drydock_oci::engine::analyzer::Analyzer;

use crate::CatalogerAnalyzer;

/// Every ecosystem's cataloger as an analyzer.
pub fn all() -> Vec<Arc<dyn Analyzer>> {
    vec![Arc::new(CatalogerAnalyzer::new(dpkg::Dpkg))]
}
