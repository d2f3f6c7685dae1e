//! One module per ecosystem. To add one: write a [`crate::Cataloger`] in its own module with
//! tests, and list it in [`all`].

pub mod dpkg;

use std::sync::Arc;

use crate::cataloger::{CatalogAnalyzer, CatalogerAnalyzer};

/// Every ecosystem's cataloger as an analyzer. One line per cataloger.
pub fn all() -> Vec<Arc<dyn CatalogAnalyzer>> {
    vec![Arc::new(CatalogerAnalyzer::new(dpkg::Dpkg))]
}
