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

use std::io::Read;
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

/// Reads at most `max` bytes of a file; a longer file is refused rather than parsed
/// truncated. Every cataloger reads through this, so no file can make one read without bound.
pub fn read_limited(content: &mut dyn Read, max: u64) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    content
        .take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("reading: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(format!("over the {max}-byte limit for this kind of file; not read"));
    }
    Ok(bytes)
}

/// [`read_limited`] as text; invalid UTF-8 becomes U+FFFD rather than an error.
pub fn read_text(content: &mut dyn Read, max: u64) -> Result<String, String> {
    read_limited(content, max).map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

/// Directories whose contents are installed packages of some ecosystem: npm's
/// `node_modules` and Debian's node directories, Python's site and dist packages, installed
/// gems (`…/gems/<name>-<version>/`), Cargo's and Go's caches of dependency sources.
const INSTALLED_PACKAGE_DIRS: [&str; 8] = [
    "/node_modules/",
    "/usr/share/nodejs/",
    "/usr/lib/nodejs/",
    "/site-packages/",
    "/dist-packages/",
    "/.cargo/registry/",
    "/.cargo/git/",
    "/pkg/mod/",
];

/// Whether `path` lies inside an installed package. A lockfile or manifest there is that
/// package author's development file, shipped with the package: its entries were never
/// installed, so declared-package catalogers skip it (syft and Trivy do not report them
/// either).
pub fn is_inside_installed_package(path: &str) -> bool {
    INSTALLED_PACKAGE_DIRS.iter().any(|dir| path.contains(dir)) || ruby::is_inside_installed_gem(path)
}

/// The metadata of a regular file at `path`, for catalogers' tests.
#[cfg(test)]
pub(crate) fn test_file(path: &str, size: u64) -> drydock_oci::engine::analyzer::EntryMeta<'_> {
    drydock_oci::engine::analyzer::EntryMeta {
        path,
        kind: drydock_model::FileKind::File,
        mode: 0o644,
        uid: 0,
        gid: 0,
        size,
        link_target: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockfiles_shipped_inside_installed_packages() {
        for inside in [
            "/usr/share/nodejs/lodash-cli/npm-shrinkwrap.json",
            "/app/node_modules/nanoid/pnpm-lock.yaml",
            "/usr/lib/ruby/gems/3.1.0/gems/typeprof-0.21.2/vscode/package-lock.json",
            "/usr/lib/python3/dist-packages/foo/requirements.txt",
            "/root/.cargo/registry/src/index.crates.io-1/regex-1.5.4/Cargo.lock",
            "/root/go/pkg/mod/golang.org/x/text@v0.3.0/go.mod",
        ] {
            assert!(is_inside_installed_package(inside), "{inside}");
        }
        for project in [
            "/app/package-lock.json",
            "/src/demo/Cargo.lock",
            "/srv/gems/Gemfile.lock",
            "/go/src/app/go.mod",
        ] {
            assert!(!is_inside_installed_package(project), "{project}");
        }
    }
}
