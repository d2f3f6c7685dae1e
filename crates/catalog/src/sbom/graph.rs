//! The dependency graph of an inventory: which package each dependency name means.
//!
//! Catalogers record dependencies by name (`libc6`, `urllib3`, `regex 1.5.4` in
//! Cargo.lock style). A name resolves to a package of the same ecosystem with that name
//! (PyPI names compared in their normalized form); when several versions are installed,
//! to the one found in the same file as the dependent, if that picks exactly one. A name
//! that stays ambiguous, or names nothing in the inventory (a virtual package such as
//! `debconf-2.0`), is left out: the graph only says what is known.

use std::borrow::Cow;
use std::collections::HashMap;

use drydock_model::{Ecosystem, Package};

/// For each package, the indexes of the packages it depends on, sorted and unique.
pub(crate) fn dependency_graph(packages: &[Package]) -> Vec<Vec<usize>> {
    let mut by_name: HashMap<(Ecosystem, Cow<'_, str>), Vec<usize>> = HashMap::new();
    for (index, package) in packages.iter().enumerate() {
        by_name
            .entry((package.ecosystem, normalized(package.ecosystem, &package.name)))
            .or_default()
            .push(index);
    }
    packages
        .iter()
        .enumerate()
        .map(|(index, package)| {
            let mut targets: Vec<usize> = package
                .dependencies
                .iter()
                .filter_map(|dependency| resolve(packages, &by_name, package, dependency))
                .filter(|target| *target != index)
                .collect();
            targets.sort_unstable();
            targets.dedup();
            targets
        })
        .collect()
}

fn resolve(
    packages: &[Package],
    by_name: &HashMap<(Ecosystem, Cow<'_, str>), Vec<usize>>,
    dependent: &Package,
    dependency: &str,
) -> Option<usize> {
    let mut words = dependency.split_whitespace();
    let name = words.next()?;
    let version = words.next();
    let candidates = by_name.get(&(dependent.ecosystem, normalized(dependent.ecosystem, name)))?;
    let candidates: Vec<usize> = candidates
        .iter()
        .copied()
        .filter(|c| version.is_none_or(|v| packages.get(*c).is_some_and(|p| p.version == v)))
        .collect();
    if let [only] = candidates.as_slice() {
        return Some(*only);
    }
    let shares_a_file = |candidate: &usize| {
        packages.get(*candidate).is_some_and(|p| {
            p.locations
                .iter()
                .any(|l| dependent.locations.iter().any(|d| d.path == l.path))
        })
    };
    let nearby: Vec<usize> = candidates.into_iter().filter(shares_a_file).collect();
    match nearby.as_slice() {
        [only] => Some(*only),
        _ => None,
    }
}

/// The form under which an ecosystem considers two names the same (PEP 503 for PyPI).
pub(crate) fn normalized(ecosystem: Ecosystem, name: &str) -> Cow<'_, str> {
    if ecosystem != Ecosystem::PyPI {
        return Cow::Borrowed(name);
    }
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
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use drydock_model::PackageLocation;

    fn package(ecosystem: Ecosystem, name: &str, version: &str, path: &str, dependencies: &[&str]) -> Package {
        let mut package = Package::new(ecosystem, name, version);
        package.locations.push(PackageLocation {
            path: path.to_string(),
            layer: None,
            layer_diff_id: None,
        });
        package.dependencies = dependencies.iter().map(|d| d.to_string()).collect();
        package
    }

    #[test]
    fn resolves_names_within_the_ecosystem() {
        let packages = vec![
            package(
                Ecosystem::Deb,
                "libc6",
                "2.36",
                "/var/lib/dpkg/status",
                &["libgcc-s1", "debconf-2.0"],
            ),
            package(Ecosystem::Deb, "libgcc-s1", "12", "/var/lib/dpkg/status", &["libc6"]),
            package(
                Ecosystem::PyPI,
                "requests",
                "2.19.1",
                "/a/METADATA",
                &["urllib3", "libc6", "Chardet"],
            ),
            package(Ecosystem::PyPI, "urllib3", "1.24.1", "/b/METADATA", &[]),
            package(Ecosystem::PyPI, "chardet", "3.0.4", "/c/METADATA", &[]),
        ];
        assert_eq!(
            dependency_graph(&packages),
            vec![vec![1], vec![0], vec![3, 4], vec![], vec![]]
        );
    }

    #[test]
    fn ambiguous_names_resolve_by_file_or_version_or_not_at_all() {
        let packages = vec![
            package(Ecosystem::Npm, "app", "1.0.0", "/app/package-lock.json", &["lodash"]),
            package(Ecosystem::Npm, "lodash", "4.17.15", "/app/package-lock.json", &[]),
            package(Ecosystem::Npm, "lodash", "3.0.0", "/other/package-lock.json", &[]),
            package(Ecosystem::Npm, "tool", "1.0.0", "/third/package.json", &["lodash"]),
            package(
                Ecosystem::Cargo,
                "demo",
                "0.1.0",
                "/Cargo.lock",
                &["regex 1.5.4", "demo"],
            ),
            package(Ecosystem::Cargo, "regex", "1.5.4", "/x", &[]),
            package(Ecosystem::Cargo, "regex", "1.9.0", "/y", &[]),
        ];
        let graph = dependency_graph(&packages);
        assert_eq!(graph[0], vec![1]);
        assert!(graph[3].is_empty(), "two lodash versions, neither in tool's file");
        assert_eq!(graph[4], vec![5], "by version; no self-dependency");
    }

    #[test]
    fn pypi_names_normalize() {
        assert_eq!(normalized(Ecosystem::PyPI, "Foo__Bar.baz"), "foo-bar-baz");
        assert_eq!(normalized(Ecosystem::Npm, "Foo_Bar"), "Foo_Bar");
    }
}
