//! Which version scheme each OSV ecosystem uses.
//!
//! Names follow the OSV schema's ecosystem list; a release suffix after the first `:` (`Debian:12`,
//! `Alpine:v3.20`, `Ubuntu:22.04:LTS`) does not change the scheme. Ecosystems whose order is not
//! one of ours (Pub orders build metadata, CRAN, Hackage, ...) map to nothing.

use crate::Scheme;

const ECOSYSTEMS: &[(&str, Scheme)] = &[
    ("Debian", Scheme::Dpkg),
    ("Ubuntu", Scheme::Dpkg),
    ("Alpine", Scheme::Apk),
    ("Wolfi", Scheme::Apk),
    ("Chainguard", Scheme::Apk),
    ("MinimOS", Scheme::Apk),
    ("Red Hat", Scheme::Rpm),
    ("AlmaLinux", Scheme::Rpm),
    ("Rocky Linux", Scheme::Rpm),
    ("openSUSE", Scheme::Rpm),
    ("SUSE", Scheme::Rpm),
    ("Mageia", Scheme::Rpm),
    ("openEuler", Scheme::Rpm),
    ("Photon OS", Scheme::Rpm),
    ("Azure Linux", Scheme::Rpm),
    ("PyPI", Scheme::Pep440),
    ("npm", Scheme::SemVer),
    ("crates.io", Scheme::SemVer),
    ("Hex", Scheme::SemVer),
    ("Bitnami", Scheme::SemVer),
    ("SwiftURL", Scheme::SemVer),
    ("Go", Scheme::Go),
    ("Maven", Scheme::Maven),
    ("RubyGems", Scheme::RubyGems),
    ("NuGet", Scheme::NuGet),
    ("Packagist", Scheme::Packagist),
];

pub fn scheme_for(ecosystem: &str) -> Option<Scheme> {
    let name = ecosystem.split_once(':').map_or(ecosystem, |(name, _)| name);
    ECOSYSTEMS
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, scheme)| *scheme)
}

#[cfg(test)]
mod tests {
    use crate::Scheme;

    #[test]
    fn names_with_and_without_release() {
        for (ecosystem, scheme) in [
            ("Debian:12", Scheme::Dpkg),
            ("Ubuntu:22.04:LTS", Scheme::Dpkg),
            ("Ubuntu:Pro:18.04:LTS", Scheme::Dpkg),
            ("Ubuntu", Scheme::Dpkg),
            ("Alpine:v3.20", Scheme::Apk),
            ("Wolfi", Scheme::Apk),
            ("Chainguard", Scheme::Apk),
            ("Red Hat:enterprise_linux:9::appstream", Scheme::Rpm),
            ("AlmaLinux:9", Scheme::Rpm),
            ("Rocky Linux:9", Scheme::Rpm),
            ("openSUSE:Leap 15.5", Scheme::Rpm),
            ("SUSE:Linux Enterprise Server 15 SP5", Scheme::Rpm),
            ("Mageia:9", Scheme::Rpm),
            ("PyPI", Scheme::Pep440),
            ("npm", Scheme::SemVer),
            ("crates.io", Scheme::SemVer),
            ("Hex", Scheme::SemVer),
            ("Go", Scheme::Go),
            ("Maven", Scheme::Maven),
            ("RubyGems", Scheme::RubyGems),
            ("NuGet", Scheme::NuGet),
            ("Packagist", Scheme::Packagist),
        ] {
            assert_eq!(Scheme::for_osv_ecosystem(ecosystem), Some(scheme), "{ecosystem}");
        }
    }

    #[test]
    fn unknown_ecosystems_are_none() {
        for ecosystem in [
            "", "Pub", "CRAN", "Hackage", "GIT", "debian", "PyPi", "Linux", "OSS-Fuzz",
        ] {
            assert_eq!(Scheme::for_osv_ecosystem(ecosystem), None, "{ecosystem}");
        }
    }
}
