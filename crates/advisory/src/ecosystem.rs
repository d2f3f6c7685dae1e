//! How an installed package is looked up in OSV data: which OSV ecosystem family, which
//! name (source packages for distributions), which version, and which releases of a
//! distribution apply (`Debian:12` for a Debian 12 image, never `Debian:11`).

use std::borrow::Cow;

use drydock_model::{Ecosystem, OsRelease, Package};

/// The family of an OSV ecosystem string: the part before the first `:`
/// (`Debian` of `Debian:12`, `Red Hat` of `Red Hat:enterprise_linux:9::appstream`).
pub fn family(ecosystem: &str) -> &str {
    ecosystem.split(':').next().unwrap_or(ecosystem)
}

/// A package name as the index keys it: PEP 503 for PyPI, lower case where the ecosystem
/// is case-insensitive (NuGet, Packagist), as written everywhere else (npm, crates.io,
/// Go and distribution names are case-sensitive).
pub fn normalize_name<'a>(family: &str, name: &'a str) -> Cow<'a, str> {
    match family {
        "PyPI" => Cow::Owned(pep503(name)),
        "NuGet" | "Packagist" => Cow::Owned(name.to_ascii_lowercase()),
        _ => Cow::Borrowed(name),
    }
}

/// PEP 503: lower case, every run of `-`, `_` and `.` becomes one `-`.
fn pep503(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator {
                out.push('-');
            }
            in_separator = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_separator = false;
        }
    }
    out
}

/// Which OSV ecosystem strings of a family apply to the scanned system.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Release {
    /// Language ecosystems: `PyPI`, also with a registry suffix (`Maven:https://…`).
    Any,
    /// Exactly this string (`Debian:12`, `Alpine:v3.20`, `AlmaLinux:9`, `Wolfi`).
    Exact(String),
    /// Ubuntu: `Ubuntu:22.04` and `Ubuntu:22.04:LTS`, not Ubuntu Pro streams.
    Ubuntu(String),
    /// Red Hat Enterprise Linux of this major version, any repository
    /// (`Red Hat:enterprise_linux:9::appstream`).
    RedHat(String),
}

impl Release {
    /// Whether an advisory's ecosystem string applies.
    pub fn accepts(&self, ecosystem: &str) -> bool {
        match self {
            Release::Any => true,
            Release::Exact(exact) => ecosystem == exact,
            Release::Ubuntu(version) => {
                let mut parts = ecosystem.split(':').skip(1);
                parts.next() == Some(version.as_str()) && parts.all(|part| part == "LTS")
            }
            Release::RedHat(major) => {
                let parts: Vec<&str> = ecosystem.split(':').collect();
                parts.get(1) == Some(&"enterprise_linux") && parts.get(2) == Some(&major.as_str())
            }
        }
    }
}

/// One lookup for a package: an OSV family, a name in it and the version to compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lookup {
    pub family: &'static str,
    pub name: String,
    pub version: String,
    pub release: Release,
}

/// Why a package cannot be matched (reported as a scan warning, never guessed around).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unmatchable(pub String);

/// The lookups for one package of an inventory whose OS is `os`.
///
/// Distribution packages are looked up by their SOURCE package and source version,
/// under the release the OS names; rpm advisories (Red Hat family) list binary packages,
/// so rpm packages are looked up by both names.
pub fn lookups(package: &Package, os: Option<&OsRelease>) -> Result<Vec<Lookup>, Unmatchable> {
    let language = |family: &'static str| {
        Ok(vec![Lookup {
            family,
            name: package.name.clone(),
            version: package.version.clone(),
            release: Release::Any,
        }])
    };
    match package.ecosystem {
        Ecosystem::PyPI => language("PyPI"),
        Ecosystem::Npm => language("npm"),
        Ecosystem::Cargo => language("crates.io"),
        Ecosystem::Go => language("Go"),
        Ecosystem::Maven => language("Maven"),
        Ecosystem::RubyGems => language("RubyGems"),
        Ecosystem::Packagist => language("Packagist"),
        Ecosystem::NuGet => language("NuGet"),
        Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm => distribution_lookups(package, os),
    }
}

fn distribution_lookups(package: &Package, os: Option<&OsRelease>) -> Result<Vec<Lookup>, Unmatchable> {
    let os = os.ok_or_else(|| {
        Unmatchable(format!(
            "{} package {}: the image's operating system is unknown (no os-release), so no distribution advisories apply",
            package.ecosystem, package.name
        ))
    })?;
    let (family, release) = distribution(os)?;
    let expected = match family {
        "Debian" | "Ubuntu" => Ecosystem::Deb,
        "Alpine" | "Wolfi" | "Chainguard" => Ecosystem::Apk,
        _ => Ecosystem::Rpm,
    };
    if package.ecosystem != expected {
        return Err(Unmatchable(format!(
            "{} package {} on {}: advisories of that OS cover {} packages only",
            package.ecosystem, package.name, os.id, expected
        )));
    }
    let (source_name, source_version) = match &package.source {
        Some(source) => (source.name.clone(), source.version.clone()),
        None => (package.name.clone(), package.version.clone()),
    };
    let mut lookups = vec![Lookup {
        family,
        name: source_name.clone(),
        version: source_version,
        release: release.clone(),
    }];
    if package.ecosystem == Ecosystem::Rpm && source_name != package.name {
        lookups.push(Lookup {
            family,
            name: package.name.clone(),
            version: package.version.clone(),
            release,
        });
    }
    Ok(lookups)
}

/// The OSV family and release of an operating system, from os-release.
pub fn distribution(os: &OsRelease) -> Result<(&'static str, Release), Unmatchable> {
    let version = os.version_id.as_deref().map(str::trim).filter(|v| !v.is_empty());
    let need_version = || {
        version.ok_or_else(|| {
            Unmatchable(format!(
                "{}: os-release has no VERSION_ID, so the release's advisories cannot be chosen",
                os.id
            ))
        })
    };
    let major = |v: &str| v.split('.').next().unwrap_or(v).to_string();
    let result = match os.id.as_str() {
        "debian" => ("Debian", Release::Exact(format!("Debian:{}", major(need_version()?)))),
        "ubuntu" => ("Ubuntu", Release::Ubuntu(need_version()?.to_string())),
        "alpine" => {
            let v = need_version()?;
            let minor: Vec<&str> = v.split('.').take(2).collect();
            ("Alpine", Release::Exact(format!("Alpine:v{}", minor.join("."))))
        }
        "wolfi" => ("Wolfi", Release::Exact("Wolfi".into())),
        "chainguard" => ("Chainguard", Release::Exact("Chainguard".into())),
        "rhel" => ("Red Hat", Release::RedHat(major(need_version()?))),
        "almalinux" => (
            "AlmaLinux",
            Release::Exact(format!("AlmaLinux:{}", major(need_version()?))),
        ),
        "rocky" => (
            "Rocky Linux",
            Release::Exact(format!("Rocky Linux:{}", major(need_version()?))),
        ),
        "mageia" => ("Mageia", Release::Exact(format!("Mageia:{}", need_version()?))),
        "opensuse-tumbleweed" => ("openSUSE", Release::Exact("openSUSE:Tumbleweed".into())),
        "opensuse-leap" => ("openSUSE", Release::Exact(format!("openSUSE:Leap {}", need_version()?))),
        other => {
            return Err(Unmatchable(format!(
                "{other}: no OSV advisory source is known for this operating system"
            )));
        }
    };
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use drydock_model::SourcePackage;

    fn os(id: &str, version: &str) -> OsRelease {
        OsRelease {
            id: id.into(),
            version_id: Some(version.into()),
            ..OsRelease::default()
        }
    }

    #[test]
    fn pypi_names_follow_pep_503() {
        assert_eq!(normalize_name("PyPI", "Jinja2"), "jinja2");
        assert_eq!(normalize_name("PyPI", "zope.interface__x"), "zope-interface-x");
        assert_eq!(normalize_name("npm", "Axios"), "Axios");
        assert_eq!(normalize_name("NuGet", "Newtonsoft.Json"), "newtonsoft.json");
    }

    #[test]
    fn debian_packages_are_looked_up_by_source_and_release() {
        let mut package = Package::new(Ecosystem::Deb, "libc6", "2.36-9+deb12u3");
        package.source = Some(SourcePackage {
            name: "glibc".into(),
            version: "2.36-9+deb12u3".into(),
        });
        let found = lookups(&package, Some(&os("debian", "12"))).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].family, found[0].name.as_str()), ("Debian", "glibc"));
        assert!(found[0].release.accepts("Debian:12"));
        assert!(!found[0].release.accepts("Debian:11"));
        assert!(lookups(&package, None).is_err());
        assert!(lookups(&package, Some(&os("alpine", "3.20.3"))).is_err());
    }

    #[test]
    fn releases_of_each_distribution() {
        let (_, alpine) = distribution(&os("alpine", "3.20.3")).unwrap();
        assert!(alpine.accepts("Alpine:v3.20") && !alpine.accepts("Alpine:v3.2"));
        let (_, ubuntu) = distribution(&os("ubuntu", "22.04")).unwrap();
        assert!(ubuntu.accepts("Ubuntu:22.04:LTS") && ubuntu.accepts("Ubuntu:22.04"));
        assert!(!ubuntu.accepts("Ubuntu:Pro:22.04:LTS") && !ubuntu.accepts("Ubuntu:20.04:LTS"));
        let (_, rhel) = distribution(&os("rhel", "9.4")).unwrap();
        assert!(rhel.accepts("Red Hat:enterprise_linux:9::appstream"));
        assert!(!rhel.accepts("Red Hat:enterprise_linux:8::appstream"));
        assert!(distribution(&os("plan9", "4")).is_err());
        assert!(
            distribution(&OsRelease {
                id: "debian".into(),
                ..OsRelease::default()
            })
            .is_err()
        );
    }
}
