//! The version order of every ecosystem drydock matches advisories for.
//!
//! An OSV advisory says "affected from 1.2.0, fixed in 1.2.7"; deciding whether an installed
//! `1.2.7~rc1` or `1.2.7-r0` is inside that range needs the order its own ecosystem defines.
//! [`Scheme`] names those orders (dpkg, apk, rpm, PEP 440, SemVer, Go modules, Maven, RubyGems,
//! NuGet, Composer/Packagist), [`Scheme::for_osv_ecosystem`] picks one for an OSV ecosystem
//! name, and [`Scheme::parse`] turns text into a [`Version`] whose `Ord` is that order.
//!
//! Each scheme is written from its ecosystem's own definition and tested pair by pair against
//! the ecosystem's reference implementation (`docs/versions.md` lists which and how).
//! Text a scheme does not accept is a [`VersionError`], never a guess. Parsing keeps the
//! original text and, for most schemes, only offsets into it, so a parse costs one allocation
//! and a comparison none.

mod apk;
mod digits;
mod dpkg;
mod ecosystem;
mod gem;
mod maven;
mod packagist;
mod pep440;
mod rpm;
mod semver;

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// How an ecosystem orders its versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scheme {
    /// Debian and Ubuntu packages: `[epoch:]upstream[-revision]`, deb-version(7).
    Dpkg,
    /// Alpine, Wolfi and Chainguard packages: apk-tools' version order.
    Apk,
    /// Red Hat-family, SUSE and Mageia packages: `[epoch:]version[-release]`, rpmvercmp.
    Rpm,
    /// Python packages: PEP 440 as the `packaging` library implements it.
    Pep440,
    /// SemVer 2.0.0 (npm, crates.io, Hex, ...), with the leniencies OSV data needs.
    SemVer,
    /// Go module versions (golang.org/x/mod/semver), `v` optional.
    Go,
    /// Maven artifacts: `ComparableVersion`.
    Maven,
    /// Ruby gems: `Gem::Version`.
    RubyGems,
    /// NuGet packages: NuGet.Versioning's SemVer 2 with a fourth number.
    NuGet,
    /// Composer packages: Composer's version normalisation, then PHP's `version_compare`.
    Packagist,
}

impl Scheme {
    /// Every scheme, in declaration order.
    pub const ALL: [Scheme; 10] = [
        Scheme::Dpkg,
        Scheme::Apk,
        Scheme::Rpm,
        Scheme::Pep440,
        Scheme::SemVer,
        Scheme::Go,
        Scheme::Maven,
        Scheme::RubyGems,
        Scheme::NuGet,
        Scheme::Packagist,
    ];

    /// The scheme of an OSV ecosystem name, with or without a release suffix (`Debian:12`,
    /// `Alpine:v3.20`, `Red Hat:enterprise_linux:9::appstream`, `PyPI`, `crates.io`, ...).
    /// `None` for an ecosystem whose order drydock does not know: the caller reports it.
    pub fn for_osv_ecosystem(ecosystem: &str) -> Option<Scheme> {
        ecosystem::scheme_for(ecosystem)
    }

    /// The human name used in messages, such as `PEP 440`.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Dpkg => "dpkg",
            Scheme::Apk => "apk",
            Scheme::Rpm => "rpm",
            Scheme::Pep440 => "PEP 440",
            Scheme::SemVer => "SemVer",
            Scheme::Go => "Go module",
            Scheme::Maven => "Maven",
            Scheme::RubyGems => "RubyGems",
            Scheme::NuGet => "NuGet",
            Scheme::Packagist => "Packagist",
        }
    }

    /// Parses `text` as a version of this scheme.
    pub fn parse(self, text: &str) -> Result<Version, VersionError> {
        let parsed = self
            .parse_borrowed(text)
            .map_err(|reason| VersionError::new(self, text, reason))?;
        Ok(Version {
            text: text.into(),
            parsed,
        })
    }

    /// Orders two version texts of this scheme; an error names the first one that does not parse.
    pub fn compare(self, a: &str, b: &str) -> Result<Ordering, VersionError> {
        let left = self
            .parse_borrowed(a)
            .map_err(|reason| VersionError::new(self, a, reason))?;
        let right = self
            .parse_borrowed(b)
            .map_err(|reason| VersionError::new(self, b, reason))?;
        Ok(left.compare(a, &right, b))
    }

    /// Whether `text` is a version of this scheme.
    pub fn is_valid(self, text: &str) -> bool {
        self.parse_borrowed(text).is_ok()
    }

    fn parse_borrowed(self, text: &str) -> Result<Parsed, String> {
        Ok(match self {
            Scheme::Dpkg => Parsed::Dpkg(dpkg::parse(text)?),
            Scheme::Apk => Parsed::Apk(apk::parse(text)?),
            Scheme::Rpm => Parsed::Rpm(rpm::parse(text)?),
            Scheme::Pep440 => Parsed::Pep440(pep440::parse(text)?),
            Scheme::SemVer => Parsed::SemVer(semver::parse(text, semver::Flavor::SemVer)?),
            Scheme::Go => Parsed::Go(semver::parse(text, semver::Flavor::Go)?),
            Scheme::Maven => Parsed::Maven(maven::parse(text)?),
            Scheme::RubyGems => Parsed::RubyGems(gem::parse(text)?),
            Scheme::NuGet => Parsed::NuGet(semver::parse(text, semver::Flavor::NuGet)?),
            Scheme::Packagist => Parsed::Packagist(packagist::parse(text)?),
        })
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A parsed version of one scheme. Versions of the same scheme are ordered as that ecosystem
/// orders them, and equal exactly when that order says so (`3.2 == 3.2.0` in PEP 440), with a
/// hash that agrees. Versions of different schemes order by scheme first.
#[derive(Clone, Debug)]
pub struct Version {
    text: Box<str>,
    parsed: Parsed,
}

impl Version {
    /// The scheme this version was parsed with.
    pub fn scheme(&self) -> Scheme {
        match self.parsed {
            Parsed::Dpkg(_) => Scheme::Dpkg,
            Parsed::Apk(_) => Scheme::Apk,
            Parsed::Rpm(_) => Scheme::Rpm,
            Parsed::Pep440(_) => Scheme::Pep440,
            Parsed::SemVer(_) => Scheme::SemVer,
            Parsed::Go(_) => Scheme::Go,
            Parsed::Maven(_) => Scheme::Maven,
            Parsed::RubyGems(_) => Scheme::RubyGems,
            Parsed::NuGet(_) => Scheme::NuGet,
            Parsed::Packagist(_) => Scheme::Packagist,
        }
    }

    /// The text as it was given.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.scheme()
            .cmp(&other.scheme())
            .then_with(|| self.parsed.compare(&self.text, &other.parsed, &other.text))
    }
}

impl Hash for Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.scheme().hash(state);
        self.parsed.hash_canonical(&self.text, state);
    }
}

/// The parsed form of each scheme; most keep offsets into the version's text.
#[derive(Clone, Debug)]
enum Parsed {
    Dpkg(dpkg::Parts),
    Apk(apk::Validated),
    Rpm(rpm::Parts),
    Pep440(pep440::Parts),
    SemVer(semver::Parts),
    Go(semver::Parts),
    Maven(maven::Items),
    RubyGems(gem::Segments),
    NuGet(semver::Parts),
    Packagist(packagist::Key),
}

impl Parsed {
    /// Orders two parsed versions of the same scheme; `a` and `b` are their texts.
    fn compare(&self, a: &str, other: &Parsed, b: &str) -> Ordering {
        match (self, other) {
            (Parsed::Dpkg(x), Parsed::Dpkg(y)) => dpkg::compare(a, x, b, y),
            (Parsed::Apk(_), Parsed::Apk(_)) => apk::compare(a, b),
            (Parsed::Rpm(x), Parsed::Rpm(y)) => rpm::compare(a, x, b, y),
            (Parsed::Pep440(x), Parsed::Pep440(y)) => pep440::compare(a, x, b, y),
            (Parsed::SemVer(x), Parsed::SemVer(y)) => semver::compare(a, x, b, y, semver::Flavor::SemVer),
            (Parsed::Go(x), Parsed::Go(y)) => semver::compare(a, x, b, y, semver::Flavor::Go),
            (Parsed::Maven(x), Parsed::Maven(y)) => maven::compare(a, x, b, y),
            (Parsed::RubyGems(x), Parsed::RubyGems(y)) => gem::compare(a, x, b, y),
            (Parsed::NuGet(x), Parsed::NuGet(y)) => semver::compare(a, x, b, y, semver::Flavor::NuGet),
            (Parsed::Packagist(x), Parsed::Packagist(y)) => packagist::compare(x, y),
            // Callers order by scheme first; two schemes never reach here.
            _ => Ordering::Equal,
        }
    }

    /// Feeds `state` with what the scheme's equality looks at, so equal versions hash alike.
    fn hash_canonical<H: Hasher>(&self, text: &str, state: &mut H) {
        match self {
            Parsed::Dpkg(parts) => dpkg::hash(text, parts, state),
            Parsed::Apk(_) => apk::hash(text, state),
            Parsed::Rpm(parts) => rpm::hash(text, parts, state),
            Parsed::Pep440(parts) => pep440::hash(text, parts, state),
            Parsed::SemVer(parts) => semver::hash(text, parts, semver::Flavor::SemVer, state),
            Parsed::Go(parts) => semver::hash(text, parts, semver::Flavor::Go, state),
            Parsed::Maven(items) => maven::hash(text, items, state),
            Parsed::RubyGems(segments) => gem::hash(text, segments, state),
            Parsed::NuGet(parts) => semver::hash(text, parts, semver::Flavor::NuGet, state),
            Parsed::Packagist(key) => key.hash(state),
        }
    }
}

/// Text that is not a version of the scheme it was parsed with.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid {} version {text:?}: {reason}", scheme.name())]
pub struct VersionError {
    /// The scheme the text was parsed with.
    pub scheme: Scheme,
    /// The text, as given.
    pub text: String,
    /// What is wrong with it.
    pub reason: String,
}

impl VersionError {
    fn new(scheme: Scheme, text: &str, reason: String) -> Self {
        VersionError {
            scheme,
            text: text.to_owned(),
            reason,
        }
    }
}

/// A byte range of a version's text, kept instead of a copy of the bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

impl Span {
    fn new(start: usize, end: usize) -> Self {
        // Texts longer than 4 GiB are refused by `check_length` before any span is made.
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    fn of<'a>(&self, text: &'a str) -> &'a [u8] {
        self.of_bytes(text.as_bytes())
    }

    fn of_bytes<'a>(&self, text: &'a [u8]) -> &'a [u8] {
        &text[self.start as usize..self.end as usize]
    }

    fn is_empty(&self) -> bool {
        self.start == self.end
    }
}

/// The longest version text any scheme accepts: real versions are far shorter, and the bound
/// keeps offsets in `u32` and work per comparison small.
pub const MAX_VERSION_LEN: usize = 1024;

fn check_length(text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err("empty version".into());
    }
    if text.len() > MAX_VERSION_LEN {
        return Err(format!("longer than {MAX_VERSION_LEN} bytes"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::hash_map::DefaultHasher;

    fn hash_of(version: &Version) -> u64 {
        let mut hasher = DefaultHasher::new();
        version.hash(&mut hasher);
        hasher.finish()
    }

    #[test]
    fn error_names_scheme_text_and_reason() {
        let error = Scheme::Pep440.parse("x").unwrap_err();
        assert_eq!(error.scheme, Scheme::Pep440);
        assert!(
            error.to_string().starts_with("invalid PEP 440 version \"x\": "),
            "{error}"
        );
    }

    #[test]
    fn equal_versions_hash_alike() {
        let cases = [
            (Scheme::Pep440, "3.2", "3.2.0"),
            (Scheme::Dpkg, "0:1.0", "1.0-0"),
            (Scheme::SemVer, "1.0.0+build", "v1.0.0"),
            (Scheme::Maven, "1.0-GA", "1"),
            (Scheme::RubyGems, "1.0.a", "1.a"),
            (Scheme::NuGet, "1.0.0-BETA", "1.0.0.0-beta"),
            (Scheme::Packagist, "v1.0", "1.0.0.0"),
            (Scheme::Rpm, "1.0_1", "1.0.1"),
            (Scheme::Go, "v1.2", "1.2.0+incompatible"),
            (Scheme::Apk, "01.2", "1.2"),
        ];
        for (scheme, a, b) in cases {
            let (a, b) = (scheme.parse(a).unwrap(), scheme.parse(b).unwrap());
            assert_eq!(a, b, "{scheme}: {a} == {b}");
            assert_eq!(hash_of(&a), hash_of(&b), "{scheme}: hash({a}) == hash({b})");
        }
    }

    #[test]
    fn versions_of_different_schemes_order_by_scheme() {
        let dpkg = Scheme::Dpkg.parse("1.0").unwrap();
        let pep = Scheme::Pep440.parse("1.0").unwrap();
        assert_ne!(dpkg, pep);
        assert_eq!(dpkg.cmp(&pep), Scheme::Dpkg.cmp(&Scheme::Pep440));
    }

    #[test]
    fn every_scheme_refuses_empty_and_overlong_text() {
        let long = "1".repeat(MAX_VERSION_LEN + 1);
        for scheme in Scheme::ALL {
            assert!(scheme.parse("").is_err(), "{scheme} accepted an empty version");
            assert!(scheme.parse(&long).is_err(), "{scheme} accepted an overlong version");
        }
    }

    #[test]
    fn compare_names_the_bad_side() {
        let error = Scheme::SemVer.compare("1.0.0", "nope").unwrap_err();
        assert_eq!(error.text, "nope");
    }
}
