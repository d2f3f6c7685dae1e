//! Reading an SBOM back into an [`Inventory`]: CycloneDX 1.4 to 1.6 JSON and SPDX 2.2 and
//! 2.3 JSON, from drydock or from any other tool.
//!
//! A package's ecosystem comes from its purl type; packages without a purl, or of an
//! ecosystem drydock does not know (`pkg:generic`, `pkg:github`), are skipped with one
//! warning per kind. Names follow drydock's catalogers (`@scope/name` for npm,
//! `group:artifact` for Maven, the module path for Go), taken from the SBOM's own name
//! field when it agrees with the purl, so `PyYAML` stays `PyYAML`. Where the SBOM is
//! drydock's own, its `drydock:…` properties (CycloneDX) or annotations (SPDX) give
//! back the locations, layers, catalogers, source packages and ecosystem facts exactly;
//! otherwise CycloneDX evidence occurrences give the locations, and a distribution
//! package's source package comes from its purl's `upstream` qualifier.

use std::collections::{BTreeMap, HashMap};

use drydock_model::{CatalogWarning, Digest, Ecosystem, Inventory, OsRelease, Package, PackageLocation, SourcePackage};
use serde_json::Value;

use super::graph::normalized;
use super::{SbomError, names};

const CYCLONEDX_VERSIONS: &[&str] = &["1.4", "1.5", "1.6"];
const SPDX_VERSIONS: &[&str] = &["SPDX-2.2", "SPDX-2.3"];

/// The packages (and operating system) an SBOM lists. `path` names the SBOM in warnings.
pub fn read(bytes: &[u8], path: &str) -> Result<Inventory, SbomError> {
    let document: Value = serde_json::from_slice(bytes).map_err(SbomError::NotJson)?;
    let mut reader = Reader {
        path,
        ours: false,
        skipped: BTreeMap::new(),
        inventory: Inventory::default(),
    };
    if document.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        let version = text(&document, "specVersion").unwrap_or_default();
        if !CYCLONEDX_VERSIONS.contains(&version) {
            return Err(SbomError::UnsupportedVersion {
                format: "CycloneDX",
                version: version.to_string(),
                supported: "1.4 to 1.6",
            });
        }
        reader.cyclonedx(&document);
    } else if let Some(version) = document.get("spdxVersion") {
        let version = version.as_str().unwrap_or_default();
        if !SPDX_VERSIONS.contains(&version) {
            return Err(SbomError::UnsupportedVersion {
                format: "SPDX",
                version: version.to_string(),
                supported: "SPDX-2.2 and SPDX-2.3",
            });
        }
        reader.spdx(&document);
    } else {
        return Err(SbomError::NotAnSbom(
            "neither a CycloneDX BOM (`bomFormat`) nor an SPDX document (`spdxVersion`)".to_string(),
        ));
    }
    Ok(reader.finish())
}

struct Reader<'a> {
    path: &'a str,
    /// Whether drydock wrote the SBOM, so absent facts mean absent, not unknown.
    ours: bool,
    /// Why entries were skipped → how many.
    skipped: BTreeMap<String, usize>,
    inventory: Inventory,
}

/// One entry of either format, before it becomes a package.
struct Entry<'v> {
    name: Option<&'v str>,
    /// CycloneDX `group` (Maven group, npm scope, Go module prefix).
    group: Option<&'v str>,
    version: Option<&'v str>,
    purl: Option<&'v str>,
    facts: Facts,
    licenses: Vec<String>,
    /// Where the SBOM says it was found, when it has no drydock facts.
    occurrences: Vec<String>,
    sha1: Option<String>,
}

impl Reader<'_> {
    fn cyclonedx(&mut self, bom: &Value) {
        self.ours = bom
            .get("metadata")
            .and_then(|m| m.get("tools"))
            .map(|tools| array(tools, "components"))
            .unwrap_or_default()
            .iter()
            .any(|tool| text(tool, "name") == Some("drydock"));
        let mut components = Vec::new();
        flatten(array(bom, "components"), &mut components);
        let mut index_of_ref: HashMap<&str, usize> = HashMap::new();
        for component in components {
            if text(component, "type") == Some("operating-system") {
                self.inventory.os.get_or_insert_with(|| cyclonedx_os(component));
                continue;
            }
            let entry = Entry {
                name: text(component, "name"),
                group: text(component, "group"),
                version: text(component, "version"),
                purl: text(component, "purl"),
                facts: Facts::from_pairs(
                    array(component, "properties")
                        .iter()
                        .filter_map(|p| Some((text(p, "name")?, text(p, "value")?))),
                ),
                licenses: cyclonedx_licenses(component),
                occurrences: component
                    .get("evidence")
                    .map(|e| array(e, "occurrences"))
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|o| text(o, "location").map(str::to_string))
                    .collect(),
                sha1: array(component, "hashes")
                    .iter()
                    .find(|h| text(h, "alg") == Some("SHA-1"))
                    .and_then(|h| text(h, "content"))
                    .map(str::to_ascii_lowercase),
            };
            if let Some(package) = self.package(entry, "sbom-cyclonedx") {
                if let Some(reference) = text(component, "bom-ref") {
                    index_of_ref.insert(reference, self.inventory.packages.len());
                }
                self.inventory.packages.push(package);
            }
        }
        let edges = array(bom, "dependencies").iter().flat_map(|dependency| {
            let from = text(dependency, "ref");
            array(dependency, "dependsOn")
                .iter()
                .filter_map(move |to| Some((from?, to.as_str()?)))
        });
        let edges: Vec<(usize, usize)> = edges
            .filter_map(|(from, to)| Some((*index_of_ref.get(from)?, *index_of_ref.get(to)?)))
            .collect();
        self.add_dependencies(&edges);
    }

    fn spdx(&mut self, document: &Value) {
        self.ours = document
            .get("creationInfo")
            .map(|info| array(info, "creators"))
            .unwrap_or_default()
            .iter()
            .filter_map(Value::as_str)
            .any(|creator| creator.starts_with("Tool: drydock-"));
        let extracted: HashMap<&str, &str> = array(document, "hasExtractedLicensingInfos")
            .iter()
            .filter_map(|info| {
                let id = text(info, "licenseId")?;
                Some((id, text(info, "name").or_else(|| text(info, "extractedText"))?))
            })
            .collect();
        let described: Vec<&str> = array(document, "relationships")
            .iter()
            .filter(|r| text(r, "relationshipType") == Some("DESCRIBES"))
            .filter_map(|r| text(r, "relatedSpdxElement"))
            .chain(array(document, "documentDescribes").iter().filter_map(Value::as_str))
            .collect();
        let mut index_of_id: HashMap<&str, usize> = HashMap::new();
        for package in array(document, "packages") {
            let id = text(package, "SPDXID").unwrap_or_default();
            let facts = Facts::from_pairs(
                array(package, "annotations")
                    .iter()
                    .filter_map(|a| text(a, "comment")?.split_once('=')),
            );
            if facts.os.is_some() || is_os_purpose(package) {
                self.inventory.os.get_or_insert_with(|| spdx_os(package, &facts));
                continue;
            }
            let purl = array(package, "externalRefs")
                .iter()
                .find(|r| text(r, "referenceType") == Some("purl"))
                .and_then(|r| text(r, "referenceLocator"));
            // What the document describes (an image, a directory) is not one of its
            // packages unless it is a package of a known ecosystem.
            let of_known_ecosystem = purl
                .and_then(Purl::parse)
                .is_some_and(|p| ecosystem_of(&p.kind).is_some());
            if described.contains(&id) && !of_known_ecosystem {
                continue;
            }
            let entry = Entry {
                name: text(package, "name"),
                group: None,
                version: text(package, "versionInfo"),
                purl,
                facts,
                licenses: spdx_license(package, &extracted).into_iter().collect(),
                occurrences: Vec::new(),
                sha1: array(package, "checksums")
                    .iter()
                    .find(|c| text(c, "algorithm") == Some("SHA1"))
                    .and_then(|c| text(c, "checksumValue"))
                    .map(str::to_ascii_lowercase),
            };
            if let Some(package) = self.package(entry, "sbom-spdx") {
                index_of_id.insert(id, self.inventory.packages.len());
                self.inventory.packages.push(package);
            }
        }
        let edges: Vec<(usize, usize)> = array(document, "relationships")
            .iter()
            .filter_map(|r| {
                let from = *index_of_id.get(text(r, "spdxElementId")?)?;
                let to = *index_of_id.get(text(r, "relatedSpdxElement")?)?;
                match text(r, "relationshipType")? {
                    "DEPENDS_ON" => Some((from, to)),
                    "DEPENDENCY_OF" => Some((to, from)),
                    _ => None,
                }
            })
            .collect();
        self.add_dependencies(&edges);
    }

    fn skip(&mut self, reason: String) -> Option<Package> {
        *self.skipped.entry(reason).or_default() += 1;
        None
    }

    fn package(&mut self, entry: Entry<'_>, reader: &str) -> Option<Package> {
        let Some(purl_text) = entry.purl else {
            return self.skip("entries without a purl".to_string());
        };
        let Some(purl) = Purl::parse(purl_text) else {
            return self.skip("entries with a malformed purl".to_string());
        };
        let Some(ecosystem) = ecosystem_of(&purl.kind) else {
            return self.skip(format!("entries of purl type `{}`", purl.kind));
        };
        let ours = self.ours;
        let name = package_name(ecosystem, &entry, &purl, ours);
        let version = entry.version.map(str::to_string).or_else(|| purl.version.clone());
        let Some(version) = version.filter(|v| !v.is_empty()) else {
            return self.skip("entries without a version".to_string());
        };
        let mut package = Package::new(ecosystem, &name, &version);
        package.purl = purl_text.to_string();
        package.licenses = entry.licenses;
        let facts = entry.facts;
        if ours {
            package.locations = facts.locations;
            package.found_by = facts.found_by;
            package.properties = facts.metadata;
            if let Some(name) = facts.source_name {
                package.source = Some(SourcePackage {
                    name,
                    version: facts.source_version.unwrap_or_else(|| version.clone()),
                });
            }
        } else {
            package.locations = entry
                .occurrences
                .into_iter()
                .map(|path| PackageLocation {
                    path,
                    layer: None,
                    layer_diff_id: None,
                })
                .collect();
            package.found_by = vec![reader.to_string()];
            if ecosystem.is_os() {
                package.source = Some(upstream_source(ecosystem, &purl, &name, &version));
            }
        }
        if let Some(sha1) = entry.sha1 {
            package.properties.entry("sha1".to_string()).or_insert(sha1);
        }
        Some(package)
    }

    /// Records each edge as a dependency name of its source package.
    fn add_dependencies(&mut self, edges: &[(usize, usize)]) {
        let names: Vec<String> = self.inventory.packages.iter().map(|p| p.name.clone()).collect();
        for (from, to) in edges {
            if let (Some(package), Some(name)) = (self.inventory.packages.get_mut(*from), names.get(*to)) {
                package.dependencies.push(name.clone());
            }
        }
        for package in &mut self.inventory.packages {
            package.dependencies.sort();
            package.dependencies.dedup();
        }
    }

    fn finish(mut self) -> Inventory {
        for (reason, count) in std::mem::take(&mut self.skipped) {
            self.inventory.warnings.push(CatalogWarning {
                cataloger: "sbom".to_string(),
                path: self.path.to_string(),
                layer: None,
                message: format!("{count} {reason} skipped: no package of a known ecosystem"),
            });
        }
        self.inventory
            .packages
            .sort_by(|a, b| (a.ecosystem, &a.name, &a.version).cmp(&(b.ecosystem, &b.name, &b.version)));
        self.inventory
    }
}

/// drydock's facts from ordered name/value pairs (CycloneDX properties, SPDX annotations).
#[derive(Debug, Default)]
struct Facts {
    locations: Vec<PackageLocation>,
    found_by: Vec<String>,
    source_name: Option<String>,
    source_version: Option<String>,
    metadata: BTreeMap<String, String>,
    os: Option<String>,
    os_facts: Vec<(String, String)>,
}

impl Facts {
    fn from_pairs<'v>(pairs: impl Iterator<Item = (&'v str, &'v str)>) -> Facts {
        let mut facts = Facts::default();
        for (name, value) in pairs {
            if !name.starts_with("drydock:") {
                continue;
            }
            match name {
                names::LOCATION_PATH => facts.locations.push(PackageLocation {
                    path: value.to_string(),
                    layer: None,
                    layer_diff_id: None,
                }),
                names::LOCATION_LAYER => {
                    if let Some(location) = facts.locations.last_mut() {
                        location.layer = value.parse().ok();
                    }
                }
                names::LAYER_DIFF_ID => {
                    if let Some(location) = facts.locations.last_mut() {
                        location.layer_diff_id = value.parse::<Digest>().ok();
                    }
                }
                names::FOUND_BY => facts.found_by.push(value.to_string()),
                names::SOURCE_NAME => facts.source_name = Some(value.to_string()),
                names::SOURCE_VERSION => facts.source_version = Some(value.to_string()),
                "drydock:os" => facts.os = Some(value.to_string()),
                _ => {
                    if let Some(key) = name.strip_prefix(names::METADATA_PREFIX) {
                        facts.metadata.insert(key.to_string(), value.to_string());
                    } else if name.starts_with("drydock:os:") {
                        facts.os_facts.push((name.to_string(), value.to_string()));
                    }
                }
            }
        }
        facts
    }

    /// The OS facts onto an [`OsRelease`] whose id and version are already set.
    fn fill_os(&self, os: &mut OsRelease) {
        for (name, value) in &self.os_facts {
            match name.as_str() {
                names::OS_CODENAME => os.version_codename = Some(value.clone()),
                names::OS_PRETTY_NAME => os.pretty_name = Some(value.clone()),
                names::OS_ID_LIKE => os.id_like.push(value.clone()),
                names::OS_PATH => os.path = value.clone(),
                names::OS_LAYER => os.layer = value.parse().ok(),
                _ => {}
            }
        }
    }
}

fn cyclonedx_os(component: &Value) -> OsRelease {
    let facts = Facts::from_pairs(
        array(component, "properties")
            .iter()
            .filter_map(|p| Some((text(p, "name")?, text(p, "value")?))),
    );
    let mut os = OsRelease {
        id: text(component, "name").unwrap_or_default().to_string(),
        version_id: text(component, "version").map(str::to_string),
        pretty_name: text(component, "description").map(str::to_string),
        ..OsRelease::default()
    };
    facts.fill_os(&mut os);
    os
}

fn spdx_os(package: &Value, facts: &Facts) -> OsRelease {
    let mut os = OsRelease {
        id: facts
            .os
            .clone()
            .or_else(|| text(package, "name").map(str::to_string))
            .unwrap_or_default(),
        version_id: text(package, "versionInfo").map(str::to_string),
        pretty_name: text(package, "description").map(str::to_string),
        ..OsRelease::default()
    };
    facts.fill_os(&mut os);
    os
}

/// The SPDX text's spelling and the official schema's.
fn is_os_purpose(package: &Value) -> bool {
    matches!(
        text(package, "primaryPackagePurpose"),
        Some("OPERATING-SYSTEM" | "OPERATING_SYSTEM")
    )
}

/// Each `license.id`, `license.name` or `expression`, as written.
fn cyclonedx_licenses(component: &Value) -> Vec<String> {
    array(component, "licenses")
        .iter()
        .filter_map(|choice| {
            if let Some(expression) = text(choice, "expression") {
                return Some(expression.to_string());
            }
            let license = choice.get("license")?;
            text(license, "id")
                .or_else(|| text(license, "name"))
                .map(str::to_string)
        })
        .collect()
}

/// `licenseDeclared` unless it asserts nothing; a lone `LicenseRef-` becomes the text it
/// stands for.
fn spdx_license(package: &Value, extracted: &HashMap<&str, &str>) -> Option<String> {
    let declared = text(package, "licenseDeclared")?.trim();
    if declared.is_empty() || declared == "NOASSERTION" || declared == "NONE" {
        return None;
    }
    Some(extracted.get(declared).copied().unwrap_or(declared).to_string())
}

/// The name drydock's cataloger would give: the SBOM's own when it is drydock's or agrees
/// with the purl, else the purl's.
fn package_name(ecosystem: Ecosystem, entry: &Entry<'_>, purl: &Purl, ours: bool) -> String {
    let from_purl = purl.package_name(ecosystem);
    let Some(name) = entry.name.filter(|n| !n.is_empty()) else {
        return from_purl;
    };
    let from_entry = match entry.group.filter(|g| !g.is_empty()) {
        Some(group) if ecosystem == Ecosystem::Maven => format!("{group}:{name}"),
        Some(group) if matches!(ecosystem, Ecosystem::Npm | Ecosystem::Go | Ecosystem::Packagist) => {
            format!("{group}/{name}")
        }
        _ => name.to_string(),
    };
    let agrees = normalized(Ecosystem::PyPI, &from_entry) == normalized(Ecosystem::PyPI, &from_purl);
    if ours || agrees { from_entry } else { from_purl }
}

/// A distribution package's source from the purl's `upstream` qualifier (`glibc`,
/// `glibc@2.36-9`, rpm's `glibc-2.34-60.el9.src.rpm`), else the package itself.
fn upstream_source(ecosystem: Ecosystem, purl: &Purl, name: &str, version: &str) -> SourcePackage {
    let own = SourcePackage {
        name: name.to_string(),
        version: version.to_string(),
    };
    let Some(upstream) = purl.qualifier("upstream").filter(|u| !u.is_empty()) else {
        return own;
    };
    if ecosystem == Ecosystem::Rpm
        && let Some(stem) = upstream
            .strip_suffix(".src.rpm")
            .or_else(|| upstream.strip_suffix(".nosrc.rpm"))
        && let Some((rest, release)) = stem.rsplit_once('-')
        && let Some((source, source_version)) = rest.rsplit_once('-')
    {
        return SourcePackage {
            name: source.to_string(),
            version: format!("{source_version}-{release}"),
        };
    }
    match upstream.split_once('@') {
        Some((source, source_version)) if !source_version.is_empty() => SourcePackage {
            name: source.to_string(),
            version: source_version.to_string(),
        },
        _ => SourcePackage {
            name: upstream.to_string(),
            version: version.to_string(),
        },
    }
}

fn ecosystem_of(purl_type: &str) -> Option<Ecosystem> {
    Some(match purl_type {
        "deb" => Ecosystem::Deb,
        "apk" => Ecosystem::Apk,
        "rpm" => Ecosystem::Rpm,
        "pypi" => Ecosystem::PyPI,
        "npm" => Ecosystem::Npm,
        "cargo" => Ecosystem::Cargo,
        "golang" => Ecosystem::Go,
        "maven" => Ecosystem::Maven,
        "gem" => Ecosystem::RubyGems,
        "composer" => Ecosystem::Packagist,
        "nuget" => Ecosystem::NuGet,
        _ => return None,
    })
}

/// A parsed package URL (<https://github.com/package-url/purl-spec>), percent-decoded.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Purl {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub version: Option<String>,
    pub qualifiers: Vec<(String, String)>,
}

impl Purl {
    pub(crate) fn parse(text: &str) -> Option<Purl> {
        let rest = text.strip_prefix("pkg:")?.trim_start_matches('/');
        let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
        let (rest, qualifiers) = match rest.split_once('?') {
            Some((rest, query)) => (rest, query),
            None => (rest, ""),
        };
        let (kind, rest) = rest.split_once('/')?;
        let rest = rest.trim_end_matches('/');
        // The version follows the last `@` of the last path segment (an npm scope's `@`
        // may stand unencoded in the namespace).
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (path, version) = match rest.get(last_slash..).and_then(|segment| segment.rfind('@')) {
            Some(at) => (
                rest.get(..last_slash + at)?,
                Some(decode(rest.get(last_slash + at + 1..)?)?),
            ),
            None => (rest, None),
        };
        let (namespace, name) = match path.rsplit_once('/') {
            Some((namespace, name)) => (Some(namespace), name),
            None => (None, path),
        };
        let namespace = match namespace {
            Some(namespace) => Some(
                namespace
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(decode)
                    .collect::<Option<Vec<_>>>()?
                    .join("/"),
            ),
            None => None,
        };
        let name = decode(name)?;
        if kind.is_empty() || name.is_empty() {
            return None;
        }
        let qualifiers = qualifiers
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .filter_map(|(key, value)| Some((key.to_ascii_lowercase(), decode(value)?)))
            .collect();
        Some(Purl {
            kind: kind.to_ascii_lowercase(),
            namespace: namespace.filter(|n| !n.is_empty()),
            name,
            version: version.filter(|v| !v.is_empty()),
            qualifiers,
        })
    }

    fn qualifier(&self, key: &str) -> Option<&str> {
        self.qualifiers.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// The package's name as drydock's catalogers write it.
    fn package_name(&self, ecosystem: Ecosystem) -> String {
        match (&self.namespace, ecosystem) {
            (Some(namespace), Ecosystem::Maven) => format!("{namespace}:{}", self.name),
            (Some(namespace), Ecosystem::Npm | Ecosystem::Go | Ecosystem::Packagist) => {
                format!("{namespace}/{}", self.name)
            }
            _ => self.name.clone(),
        }
    }
}

/// Percent-decoding; `None` for a malformed escape or a result that is not UTF-8.
fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&byte) = bytes.get(i) {
        if byte == b'%' {
            let hex = text
                .get(i + 1..i + 3)
                .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(byte);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn text<'v>(value: &'v Value, key: &str) -> Option<&'v str> {
    value.get(key).and_then(Value::as_str)
}

fn array<'v>(value: &'v Value, key: &str) -> &'v [Value] {
    value.get(key).and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// Components and their nested components, depth first.
fn flatten<'v>(components: &'v [Value], out: &mut Vec<&'v Value>) {
    for component in components {
        out.push(component);
        flatten(array(component, "components"), out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_purls() {
        let purl = Purl::parse("pkg:npm/%40babel/core@7.0.0").unwrap();
        assert_eq!(purl.namespace.as_deref(), Some("@babel"));
        assert_eq!(purl.package_name(Ecosystem::Npm), "@babel/core");
        assert_eq!(purl.version.as_deref(), Some("7.0.0"));
        let purl = Purl::parse("pkg:npm/@babel/core").unwrap();
        assert_eq!(
            (purl.package_name(Ecosystem::Npm), purl.version),
            ("@babel/core".to_string(), None)
        );
        let purl = Purl::parse("pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&upstream=glibc#sub/path").unwrap();
        assert_eq!(purl.version.as_deref(), Some("2.36-9+deb12u14"));
        assert_eq!(purl.qualifier("upstream"), Some("glibc"));
        let purl = Purl::parse("pkg:maven/org.apache/commons-lang3@3.1").unwrap();
        assert_eq!(purl.package_name(Ecosystem::Maven), "org.apache:commons-lang3");
        let purl = Purl::parse("pkg:golang/github.com/gorilla/mux@v1.8.0").unwrap();
        assert_eq!(purl.package_name(Ecosystem::Go), "github.com/gorilla/mux");
        let purl = Purl::parse("pkg:deb/debian/tzdata@1:2026f").unwrap();
        assert_eq!(purl.version.as_deref(), Some("1:2026f"));
        for bad in [
            "",
            "pkg:",
            "npm/x@1",
            "pkg:npm",
            "pkg:npm/",
            "pkg:npm/x%zz@1",
            "pkg:npm/%ff@1",
            "pkg:npm/x%4",
            "pkg:npm/x%+1@1",
        ] {
            assert_eq!(Purl::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_supported_sbom() {
        assert!(matches!(read(b"{", "x"), Err(SbomError::NotJson(_))));
        assert!(matches!(read(b"{}", "x"), Err(SbomError::NotAnSbom(_))));
        assert!(matches!(read(b"[1]", "x"), Err(SbomError::NotAnSbom(_))));
        let old = json!({"bomFormat": "CycloneDX", "specVersion": "1.2"}).to_string();
        let error = read(old.as_bytes(), "x").unwrap_err();
        assert_eq!(
            error.to_string(),
            "unsupported CycloneDX version `1.2` (1.4 to 1.6 are read)"
        );
        let spdx = json!({"spdxVersion": "SPDX-3.0"}).to_string();
        assert!(matches!(
            read(spdx.as_bytes(), "x"),
            Err(SbomError::UnsupportedVersion { .. })
        ));
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(read(deep.as_bytes(), "x").is_err());
    }

    #[test]
    fn reads_a_foreign_cyclonedx_bom() {
        let bom = json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.5",
            "components": [
                {"type": "operating-system", "name": "debian", "version": "12", "description": "Debian 12"},
                {"type": "library", "name": "PyYAML", "version": "5.3", "purl": "pkg:pypi/pyyaml@5.3",
                 "licenses": [{"license": {"id": "MIT"}}, {"license": {"name": "Custom"}}],
                 "evidence": {"occurrences": [{"location": "/usr/lib/x/METADATA"}]}},
                {"type": "library", "group": "@babel", "name": "core", "version": "7.0.0",
                 "purl": "pkg:npm/%40babel/core@7.0.0", "bom-ref": "b",
                 "licenses": [{"expression": "MIT OR ISC"}],
                 "components": [{"type": "library", "name": "x", "purl": "pkg:npm/x@1.0.0", "bom-ref": "x"}]},
                {"type": "library", "name": "libpcre2-8-0", "version": "10.42-1+b1",
                 "purl": "pkg:deb/debian/libpcre2-8-0@10.42-1%2Bb1?upstream=pcre2%4010.42-1"},
                {"type": "library", "name": "glibc", "version": "2.34-60.el9",
                 "purl": "pkg:rpm/rhel/glibc@2.34-60.el9?upstream=glibc-2.34-60.el9.src.rpm"},
                {"type": "library", "name": "mystery", "purl": "pkg:generic/mystery@1"},
                {"type": "library", "name": "mystery2", "purl": "pkg:generic/mystery2@1"},
                {"type": "file", "name": "/etc/passwd"},
                {"type": "library", "name": "nover", "purl": "pkg:npm/nover"},
                {"type": "library", "name": "java", "version": "1", "purl": "pkg:maven/g/a@1",
                 "hashes": [{"alg": "SHA-1", "content": "ABCDEF0123456789ABCDEF0123456789ABCDEF01"}]},
            ],
            "dependencies": [{"ref": "b", "dependsOn": ["x", "missing"]}, {"ref": "missing"}, {"ref": 7}]
        })
        .to_string();
        let inventory = read(bom.as_bytes(), "bom.json").unwrap();
        let os = inventory.os.as_ref().unwrap();
        assert_eq!((os.id.as_str(), os.version_id.as_deref()), ("debian", Some("12")));
        let names: Vec<&str> = inventory.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["libpcre2-8-0", "glibc", "PyYAML", "@babel/core", "x", "g:a"]);
        let pcre = &inventory.packages[0];
        assert_eq!(
            pcre.source,
            Some(SourcePackage {
                name: "pcre2".into(),
                version: "10.42-1".into()
            })
        );
        assert_eq!(inventory.packages[1].source.as_ref().unwrap().version, "2.34-60.el9");
        let yaml = &inventory.packages[2];
        assert_eq!(yaml.licenses, ["MIT", "Custom"]);
        assert_eq!(yaml.locations[0].path, "/usr/lib/x/METADATA");
        assert_eq!(yaml.found_by, ["sbom-cyclonedx"]);
        assert_eq!(inventory.packages[3].licenses, ["MIT OR ISC"]);
        assert_eq!(inventory.packages[3].dependencies, ["x"]);
        assert_eq!(
            inventory.packages[5].properties["sha1"],
            "abcdef0123456789abcdef0123456789abcdef01"
        );
        let messages: Vec<&str> = inventory.warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "2 entries of purl type `generic` skipped: no package of a known ecosystem",
                "1 entries without a purl skipped: no package of a known ecosystem",
                "1 entries without a version skipped: no package of a known ecosystem",
            ]
        );
        assert!(inventory.warnings.iter().all(|w| w.path == "bom.json"));
    }

    #[test]
    fn reads_a_foreign_spdx_document() {
        let document = json!({
            "spdxVersion": "SPDX-2.2",
            "SPDXID": "SPDXRef-DOCUMENT",
            "documentDescribes": ["SPDXRef-root"],
            "packages": [
                {"SPDXID": "SPDXRef-root", "name": "image", "downloadLocation": "NOASSERTION",
                 "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:oci/image@sha256%3Aab"}]},
                {"SPDXID": "SPDXRef-os", "name": "alpine", "versionInfo": "3.20", "primaryPackagePurpose": "OPERATING-SYSTEM"},
                {"SPDXID": "SPDXRef-a", "name": "musl", "versionInfo": "1.2.5-r0", "licenseDeclared": "LicenseRef-x",
                 "externalRefs": [{"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl", "referenceLocator": "pkg:apk/alpine/musl@1.2.5-r0?upstream=musl"}]},
                {"SPDXID": "SPDXRef-b", "name": "busybox", "versionInfo": "1.36", "licenseDeclared": "NOASSERTION",
                 "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:apk/alpine/busybox@1.36"}]},
                {"SPDXID": "SPDXRef-c", "name": "no-purl", "versionInfo": "1"},
            ],
            "relationships": [
                {"spdxElementId": "SPDXRef-b", "relationshipType": "DEPENDS_ON", "relatedSpdxElement": "SPDXRef-a"},
                {"spdxElementId": "SPDXRef-b", "relationshipType": "DEPENDENCY_OF", "relatedSpdxElement": "SPDXRef-a"},
                {"spdxElementId": "SPDXRef-a", "relationshipType": "CONTAINS", "relatedSpdxElement": "SPDXRef-b"},
            ],
            "hasExtractedLicensingInfos": [{"licenseId": "LicenseRef-x", "extractedText": "MIT-ish"}]
        })
        .to_string();
        let inventory = read(document.as_bytes(), "doc.spdx.json").unwrap();
        assert_eq!(inventory.os.as_ref().unwrap().id, "alpine");
        let packages = &inventory.packages;
        assert_eq!(packages.len(), 2);
        assert_eq!(
            (packages[0].name.as_str(), packages[1].name.as_str()),
            ("busybox", "musl")
        );
        assert_eq!(packages[0].dependencies, ["musl"]);
        assert_eq!(packages[1].dependencies, ["busybox"]);
        assert_eq!(packages[1].licenses, ["MIT-ish"]);
        assert!(packages[0].licenses.is_empty());
        assert_eq!(packages[1].source.as_ref().unwrap().name, "musl");
        assert_eq!(inventory.warnings.len(), 1, "{:?}", inventory.warnings);
    }

    #[test]
    fn garbage_in_the_right_frame_is_skipped_not_fatal() {
        let bom = json!({
            "bomFormat": "CycloneDX",
            "specVersion": "1.6",
            "components": [1, "x", null, {"purl": 5}, {"purl": "pkg:npm/a@1", "properties": [{"name": "drydock:location:layer", "value": "x"}, {"name": "drydock:layer:diff_id", "value": "nope"}]}],
            "dependencies": "no"
        })
        .to_string();
        let inventory = read(bom.as_bytes(), "x").unwrap();
        assert_eq!(inventory.packages.len(), 1);
        assert!(inventory.packages[0].locations.is_empty());
    }
}
