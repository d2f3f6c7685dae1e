//! What identifies an archive: `pom.properties`, `MANIFEST.MF`, or its file name.

use drydock_model::{Ecosystem, Package, purl};

/// Maven coordinates from `META-INF/maven/<group>/<artifact>/pom.properties`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PomProperties {
    pub group_id: String,
    pub artifact_id: String,
    pub version: String,
}

impl PomProperties {
    /// Parses a `pom.properties` (Java properties: `key=value`, `key: value` or `key value`;
    /// `#`/`!` comments). Group and artifact missing from the text are taken from the entry's
    /// path (`META-INF/maven/<group>/<artifact>/pom.properties`).
    pub fn parse(text: &str, entry_path: &str) -> Result<PomProperties, String> {
        let (path_group, path_artifact) = group_and_artifact_of(entry_path).unwrap_or_default();
        let mut group_id = None;
        let mut artifact_id = None;
        let mut version = None;
        for (key, value) in properties(text) {
            let slot = match key {
                "groupId" => &mut group_id,
                "artifactId" => &mut artifact_id,
                "version" => &mut version,
                _ => continue,
            };
            slot.get_or_insert(value);
        }
        let group_id = group_id.filter(|g| !g.is_empty()).unwrap_or(path_group);
        let artifact_id = artifact_id.filter(|a| !a.is_empty()).unwrap_or(path_artifact);
        let version = version.unwrap_or_default();
        if artifact_id.is_empty() {
            return Err("no artifactId".into());
        }
        if version.is_empty() {
            return Err(format!("no version for {artifact_id}"));
        }
        if [&group_id, &artifact_id, &version]
            .iter()
            .any(|s| s.chars().any(char::is_whitespace))
        {
            return Err("whitespace inside groupId, artifactId or version".into());
        }
        Ok(PomProperties {
            group_id,
            artifact_id,
            version,
        })
    }
}

/// `META-INF/maven/<group>/<artifact>/pom.properties` → (group, artifact); `None` for any
/// other path (a `pom.properties` elsewhere describes something else).
pub fn group_and_artifact_of(entry_path: &str) -> Option<(String, String)> {
    let mut segments = entry_path.split('/');
    let shape = (
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
        segments.next(),
    );
    match shape {
        (Some("META-INF"), Some("maven"), Some(group), Some(artifact), Some("pom.properties"), None)
            if !group.is_empty() && !artifact.is_empty() =>
        {
            Some((group.to_string(), artifact.to_string()))
        }
        _ => None,
    }
}

/// `key=value` pairs of a Java properties text, in order; values trimmed, no escapes.
fn properties(text: &str) -> impl Iterator<Item = (&str, String)> {
    text.lines().filter_map(|line| {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
            return None;
        }
        let split = line.find(['=', ':', ' ', '\t']).unwrap_or(line.len());
        let (key, rest) = line.split_at(split);
        let value = rest.trim_start().trim_start_matches(['=', ':']).trim();
        Some((key, value.to_string()))
    })
}

/// The main section of a `META-INF/MANIFEST.MF`: the fields that can name an archive.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Manifest {
    fields: Vec<(String, String)>,
}

impl Manifest {
    /// Parses the main section (up to the first blank line); a line starting with one space
    /// continues the previous value.
    pub fn parse(text: &str) -> Manifest {
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in text.lines() {
            if line.trim().is_empty() {
                if fields.is_empty() {
                    continue;
                }
                break;
            }
            if let Some(continued) = line.strip_prefix(' ') {
                if let Some((_, value)) = fields.last_mut() {
                    value.push_str(continued);
                }
            } else if let Some((key, value)) = line.split_once(':') {
                fields.push((key.trim().to_string(), value.trim().to_string()));
            }
        }
        Manifest { fields }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .filter(|value| !value.is_empty())
    }

    /// `Implementation-Title`, else `Bundle-SymbolicName` without its `;` directives. A title
    /// with spaces is a display name (`Apache Commons Lang`), not an artifact id: skipped.
    pub fn name(&self) -> Option<&str> {
        let title = self.get("Implementation-Title");
        let symbolic = self
            .get("Bundle-SymbolicName")
            .and_then(|s| s.split(';').next())
            .map(str::trim);
        [title, symbolic]
            .into_iter()
            .flatten()
            .find(|name| !name.is_empty() && !name.contains(char::is_whitespace))
    }

    /// `Implementation-Version`, else `Bundle-Version`.
    pub fn version(&self) -> Option<&str> {
        [self.get("Implementation-Version"), self.get("Bundle-Version")]
            .into_iter()
            .flatten()
            .find(|version| !version.contains(char::is_whitespace))
    }

    pub fn group(&self) -> Option<&str> {
        self.get("Implementation-Vendor-Id")
            .filter(|group| !group.contains(char::is_whitespace))
    }
}

/// `commons-lang3-3.12.0.jar` → (`commons-lang3`, `3.12.0`): the version starts at the first
/// `-` followed by a digit. `app.war` → (`app`, ``).
pub fn name_and_version_of_file(file_name: &str) -> (String, String) {
    let stem = match file_name.rsplit_once('.') {
        Some((stem, _)) if !stem.is_empty() => stem,
        _ => file_name,
    };
    let bytes = stem.as_bytes();
    let split =
        (2..bytes.len()).find(|&i| bytes.get(i - 1) == Some(&b'-') && bytes.get(i).is_some_and(u8::is_ascii_digit));
    match split.and_then(|i| Some((stem.get(..i - 1)?, stem.get(i..)?))) {
        Some((name, version)) => (name.to_string(), version.to_string()),
        None => (stem.to_string(), String::new()),
    }
}

/// Where a package's identity came from, recorded as the property `metadata`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evidence {
    PomProperties,
    Manifest,
    FileName,
}

impl Evidence {
    fn as_str(self) -> &'static str {
        match self {
            Evidence::PomProperties => "pom.properties",
            Evidence::Manifest => "MANIFEST.MF",
            Evidence::FileName => "file name",
        }
    }
}

/// A Maven package: named `group:artifact` (OSV's Maven names), purl
/// `pkg:maven/<group>/<artifact>@<version>`.
pub fn maven_package(group: &str, artifact: &str, version: &str, evidence: Evidence) -> Package {
    let name = if group.is_empty() {
        artifact.to_string()
    } else {
        format!("{group}:{artifact}")
    };
    let mut package = Package::new(Ecosystem::Maven, &name, version);
    package.purl = purl::build(Ecosystem::Maven.purl_type(), Some(group), artifact, version, &[]);
    if !group.is_empty() {
        package.properties.insert("group_id".into(), group.to_string());
    }
    package.properties.insert("artifact_id".into(), artifact.to_string());
    package
        .properties
        .insert("metadata".into(), evidence.as_str().to_string());
    package
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pom_properties() {
        let text = "#Created by Apache Maven 3.6.3\ngroupId=org.slf4j\nartifactId=slf4j-api\nversion=1.7.32\n";
        let pom = PomProperties::parse(text, "META-INF/maven/org.slf4j/slf4j-api/pom.properties").unwrap();
        assert_eq!(
            pom,
            PomProperties {
                group_id: "org.slf4j".into(),
                artifact_id: "slf4j-api".into(),
                version: "1.7.32".into()
            }
        );
        let spaced = PomProperties::parse("version : 2.0\r\n", "META-INF/maven/g/a/pom.properties").unwrap();
        assert_eq!((spaced.group_id.as_str(), spaced.artifact_id.as_str()), ("g", "a"));
        assert_eq!(spaced.version, "2.0");
    }

    #[test]
    fn pom_properties_without_a_version_is_an_error() {
        let err = PomProperties::parse("groupId=g\nartifactId=a\n", "META-INF/maven/g/a/pom.properties").unwrap_err();
        assert!(err.contains("no version"), "{err}");
        assert!(PomProperties::parse("version=1\n", "x/pom.properties").is_err());
    }

    #[test]
    fn only_pom_properties_at_the_maven_path_count() {
        assert_eq!(
            group_and_artifact_of("META-INF/maven/org.slf4j/slf4j-api/pom.properties"),
            Some(("org.slf4j".into(), "slf4j-api".into()))
        );
        assert_eq!(group_and_artifact_of("META-INF/maven/pom.properties"), None);
        assert_eq!(group_and_artifact_of("META-INF/maven/a/b/c/pom.properties"), None);
        assert_eq!(
            group_and_artifact_of("BOOT-INF/META-INF/maven/a/b/pom.properties"),
            None
        );
    }

    #[test]
    fn reads_the_manifest_main_section() {
        let text = "Manifest-Version: 1.0\r\nImplementation-Title: Apache Commons Lang\r\nBundle-SymbolicName: org.apache.commons.lang3;singleton:=true\r\nBundle-Version: 3.12\r\n .0\r\nImplementation-Vendor-Id: org.apache\r\n\r\nName: org/x/\r\nImplementation-Version: 9\r\n";
        let manifest = Manifest::parse(text);
        assert_eq!(manifest.name(), Some("org.apache.commons.lang3"));
        assert_eq!(manifest.version(), Some("3.12.0"));
        assert_eq!(manifest.group(), Some("org.apache"));
        assert_eq!(Manifest::parse("Manifest-Version: 1.0\n").name(), None);
    }

    #[test]
    fn splits_file_names() {
        let split = |n: &str| name_and_version_of_file(n);
        assert_eq!(
            split("commons-lang3-3.12.0.jar"),
            ("commons-lang3".into(), "3.12.0".into())
        );
        assert_eq!(split("jsr305-0.1~+svn49.jar"), ("jsr305".into(), "0.1~+svn49".into()));
        assert_eq!(split("guava-31.1-jre.jar"), ("guava".into(), "31.1-jre".into()));
        assert_eq!(split("app.war"), ("app".into(), String::new()));
        assert_eq!(split("-1.jar"), ("-1".into(), String::new()));
        assert_eq!(split(".jar"), (".jar".into(), String::new()));
    }

    #[test]
    fn maven_packages_are_named_by_coordinates() {
        let package = maven_package("org.slf4j", "slf4j-api", "1.7.32", Evidence::PomProperties);
        assert_eq!(package.name, "org.slf4j:slf4j-api");
        assert_eq!(package.purl, "pkg:maven/org.slf4j/slf4j-api@1.7.32");
        let bare = maven_package("", "jsr305", "0.1~+svn49", Evidence::FileName);
        assert_eq!(bare.name, "jsr305");
        assert_eq!(bare.purl, "pkg:maven/jsr305@0.1~%2Bsvn49");
    }
}
