//! The cataloger interface and its adapter to the layer engine's analyzer API.

use std::io::Read;

use drydock_model::{Package, PackageLocation};
use drydock_oci::engine::analyzer::{Analyzer, AnalyzerResult, EntryMeta, Interest};
use serde::{Deserialize, Serialize};

/// Analyzer names of catalogers start with this, so assembly can tell them apart.
pub const CATALOG_PREFIX: &str = "catalog/";

/// What one file yielded: its packages, and problems with parts of it that were skipped
/// (a corrupt paragraph of a status file does not cost the other packages).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Catalogued {
    pub packages: Vec<Package>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl From<Vec<Package>> for Catalogued {
    fn from(packages: Vec<Package>) -> Self {
        Catalogued {
            packages,
            warnings: Vec::new(),
        }
    }
}

/// What a cataloger reads, which decides the targets it runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CatalogerKind {
    /// Metadata of installed packages (dpkg status, `*.dist-info`, `node_modules/*/package.json`,
    /// binaries, jars): run on images and `rootfs:` targets.
    Installed,
    /// Declarations of what a project uses (lockfiles, requirements files, go.mod): run on
    /// images and `fs:` targets.
    Declared,
}

/// Which catalogers a target runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetKind {
    /// An image: every cataloger.
    Image,
    /// A project directory (`fs:`): lockfiles and other declarations.
    Project,
    /// An installed system (`rootfs:`): installed package metadata.
    RootFs,
}

impl TargetKind {
    pub fn runs(self, kind: CatalogerKind) -> bool {
        match self {
            TargetKind::Image => true,
            TargetKind::Project => kind == CatalogerKind::Declared,
            TargetKind::RootFs => kind == CatalogerKind::Installed,
        }
    }
}

/// Turns one kind of metadata file into packages.
pub trait Cataloger: Send + Sync + 'static {
    /// A stable name, recorded in each package's `found_by` (`dpkg`, `python-installed`).
    fn name(&self) -> &'static str;
    /// Bump when the output changes, so cached layer results are recomputed.
    fn version(&self) -> u32;
    /// Installed metadata or project declarations.
    fn kind(&self) -> CatalogerKind;
    /// The files this cataloger reads.
    fn interest(&self) -> Interest;
    /// The packages one file describes. Locations may be left empty: the file's own path
    /// is filled in. `Err` means nothing in the file could be read; it becomes a warning
    /// naming the file and its layer, and the scan goes on.
    fn catalog(&self, file: &EntryMeta<'_>, content: &mut dyn Read) -> Result<Catalogued, String>;
}

/// A [`Cataloger`] seen as an engine [`Analyzer`]; the packages travel as JSON so they can
/// be cached with the layer.
pub struct CatalogerAnalyzer<C> {
    cataloger: C,
    name: &'static str,
}

/// An analyzer that knows which targets it belongs to.
pub trait CatalogAnalyzer: Analyzer {
    fn kind(&self) -> CatalogerKind;
}

impl<C: Cataloger> CatalogAnalyzer for CatalogerAnalyzer<C> {
    fn kind(&self) -> CatalogerKind {
        self.cataloger.kind()
    }
}

impl<C: Cataloger> CatalogerAnalyzer<C> {
    /// Built once per process (see [`crate::analyzers`]): the analyzer name is leaked so
    /// it can be `&'static` like every analyzer's.
    pub fn new(cataloger: C) -> Self {
        let name: &'static str = Box::leak(format!("{CATALOG_PREFIX}{}", cataloger.name()).into_boxed_str());
        CatalogerAnalyzer { cataloger, name }
    }
}

impl<C: Cataloger> Analyzer for CatalogerAnalyzer<C> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn version(&self) -> u32 {
        self.cataloger.version()
    }

    fn interest(&self) -> Interest {
        self.cataloger.interest()
    }

    fn analyze(&self, entry: &EntryMeta<'_>, content: &mut dyn Read) -> AnalyzerResult {
        let mut found = self.cataloger.catalog(entry, content)?;
        if found.packages.is_empty() && found.warnings.is_empty() {
            return Ok(None);
        }
        for package in &mut found.packages {
            if package.locations.is_empty() {
                package.locations.push(PackageLocation {
                    path: entry.path.to_string(),
                    layer: None,
                    layer_diff_id: None,
                });
            }
            if package.found_by.is_empty() {
                package.found_by.push(self.cataloger.name().to_string());
            }
        }
        serde_json::to_value(&found)
            .map(Some)
            .map_err(|e| format!("encoding packages: {e}"))
    }
}
