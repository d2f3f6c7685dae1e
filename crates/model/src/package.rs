use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Digest;

/// A package ecosystem, named as OSV names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Ecosystem {
    /// dpkg packages (Debian, Ubuntu and derivatives).
    Deb,
    /// apk packages (Alpine, Wolfi).
    Apk,
    /// rpm packages (Red Hat family, SUSE, Amazon Linux).
    Rpm,
    PyPI,
    Npm,
    /// crates.io
    Cargo,
    Go,
    Maven,
    RubyGems,
    Packagist,
    NuGet,
}

impl Ecosystem {
    /// The package-url type (`pkg:<type>/…`).
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Deb => "deb",
            Ecosystem::Apk => "apk",
            Ecosystem::Rpm => "rpm",
            Ecosystem::PyPI => "pypi",
            Ecosystem::Npm => "npm",
            Ecosystem::Cargo => "cargo",
            Ecosystem::Go => "golang",
            Ecosystem::Maven => "maven",
            Ecosystem::RubyGems => "gem",
            Ecosystem::Packagist => "composer",
            Ecosystem::NuGet => "nuget",
        }
    }

    /// Whether packages of this ecosystem come from the operating system's distribution
    /// (matched by source package and release) rather than a language registry.
    pub fn is_os(self) -> bool {
        matches!(self, Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm)
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.purl_type())
    }
}

/// The source package a binary distribution package was built from.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourcePackage {
    pub name: String,
    pub version: String,
}

/// Where a package was found: a file, and the layer that holds it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PackageLocation {
    /// Absolute path inside the image (the status file, METADATA, lockfile, binary, jar).
    pub path: String,
    /// Index of the layer whose copy of `path` the merged view shows.
    pub layer: Option<usize>,
    pub layer_diff_id: Option<Digest>,
}

/// One package of an inventory.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Package {
    /// The name as the ecosystem's metadata spells it (`PyYAML`, `libc6`, `@babel/core`).
    pub name: String,
    /// The version as the ecosystem writes it, with epoch where it has one (`1:2.38.1-5`).
    pub version: String,
    pub ecosystem: Ecosystem,
    /// The package URL.
    pub purl: String,
    /// The source package (distribution packages), for advisory matching.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourcePackage>,
    /// Declared licenses, as written (SPDX expressions where the metadata has them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
    /// Every place this package was found; several when a lockfile and installed metadata
    /// (or a binary) describe the same package.
    pub locations: Vec<PackageLocation>,
    /// The catalogers that found it (`dpkg`, `python-installed`, `npm-lock`, …).
    pub found_by: Vec<String>,
    /// Names of packages this one depends on, where the metadata says.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    /// Ecosystem-specific facts: `architecture`, `sha1`, `go_version`, `dev`, …
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
}

impl Package {
    /// A package with its purl built from the ecosystem, name and version.
    pub fn new(ecosystem: Ecosystem, name: &str, version: &str) -> Self {
        Package {
            name: name.to_string(),
            version: version.to_string(),
            ecosystem,
            purl: crate::purl::build(ecosystem.purl_type(), None, name, version, &[]),
            source: None,
            licenses: Vec::new(),
            locations: Vec::new(),
            found_by: Vec::new(),
            dependencies: Vec::new(),
            properties: BTreeMap::new(),
        }
    }

    /// The key under which findings of one package by several catalogers are merged: the
    /// purl carries the ecosystem's normalized name and the version.
    pub fn identity(&self) -> (Ecosystem, &str) {
        (self.ecosystem, &self.purl)
    }
}

/// The operating system an image is built on, from os-release and friends.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsRelease {
    /// `debian`, `alpine`, `rhel`, `ubuntu`, …
    pub id: String,
    pub version_id: Option<String>,
    pub version_codename: Option<String>,
    pub pretty_name: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_like: Vec<String>,
    /// The file it was read from, after following symlinks.
    pub path: String,
    pub layer: Option<usize>,
}

/// A file a cataloger could not read; the rest of the inventory is still produced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogWarning {
    pub cataloger: String,
    pub path: String,
    pub layer: Option<usize>,
    pub message: String,
}

/// What is inside an image: its OS and its packages.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    pub os: Option<OsRelease>,
    pub packages: Vec<Package>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<CatalogWarning>,
}
