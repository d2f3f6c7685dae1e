//! Walking one archive and the archives nested in it, within [`Limits`].

use std::collections::BTreeSet;
use std::io::{Cursor, Read};

use drydock_model::Package;
use sha1::{Digest, Sha1};
use zip::ZipArchive;

use super::is_java_archive;
use super::metadata::{
    Evidence, Manifest, PomProperties, group_and_artifact_of, maven_package, name_and_version_of_file,
};
use crate::Catalogued;

/// How much of an untrusted archive is read. Sizes are counted as bytes actually produced,
/// never as the archive declares them.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// An archive file larger than this is not read (it is held in memory: zip needs random access).
    pub max_archive_bytes: u64,
    /// One nested archive, decompressed.
    pub max_nested_bytes: u64,
    /// One `pom.properties` or `MANIFEST.MF`, decompressed.
    pub max_metadata_bytes: u64,
    /// Everything decompressed from one file and the archives nested in it.
    pub max_total_bytes: u64,
    /// Entries one archive may declare (each costs memory to index).
    pub max_entries: u64,
    /// Nested archives read from one file, at any depth.
    pub max_nested_archives: usize,
    /// How deep archives inside archives are opened (a jar in a war in an ear is depth 2).
    pub max_depth: usize,
    /// Warnings kept per file; the rest are counted in one last warning.
    pub max_warnings: usize,
}

pub const LIMITS: Limits = Limits {
    max_archive_bytes: 256 * 1024 * 1024,
    max_nested_bytes: 64 * 1024 * 1024,
    max_metadata_bytes: 1024 * 1024,
    max_total_bytes: 256 * 1024 * 1024,
    max_entries: 250_000,
    max_nested_archives: 10_000,
    max_depth: 4,
    max_warnings: 100,
};

/// The packages of one Java archive held in memory, `path` being where it is (its file name is
/// the last resort for naming it). `Err` when the archive itself cannot be read as a zip.
pub fn catalog_archive(path: &str, bytes: &[u8]) -> Result<Catalogued, String> {
    catalog_archive_with(path, bytes, &LIMITS)
}

/// [`catalog_archive`] with other limits.
pub fn catalog_archive_with(path: &str, bytes: &[u8], limits: &Limits) -> Result<Catalogued, String> {
    let mut walk = Walk {
        limits,
        decompressed: 0,
        nested_archives: 0,
        found: Catalogued::default(),
        dropped_warnings: 0,
    };
    walk.archive(bytes, path, 0)?;
    if walk.dropped_warnings > 0 {
        walk.found
            .warnings
            .push(format!("{} more warnings not shown", walk.dropped_warnings));
    }
    Ok(walk.found)
}

type Zip<'a> = ZipArchive<Cursor<&'a [u8]>>;

struct Walk<'l> {
    limits: &'l Limits,
    decompressed: u64,
    nested_archives: usize,
    found: Catalogued,
    dropped_warnings: usize,
}

/// The entries of one archive worth reading.
#[derive(Default)]
struct Contents {
    poms: Vec<(usize, String)>,
    manifest: Option<usize>,
    nested: Vec<(usize, String)>,
}

impl Contents {
    fn of(zip: &Zip<'_>) -> Contents {
        let mut contents = Contents::default();
        for index in 0..zip.len() {
            let Some(Ok(name)) = zip.name_for_index(index) else {
                continue;
            };
            if group_and_artifact_of(&name).is_some() {
                contents.poms.push((index, name.into_owned()));
            } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
                contents.manifest.get_or_insert(index);
            } else if !name.ends_with('/') && is_java_archive(&name) {
                contents.nested.push((index, name.into_owned()));
            }
        }
        contents
    }
}

impl Walk<'_> {
    /// Catalogs the archive at `chain` (`/app.war` or `/app.war!/WEB-INF/lib/x.jar`), then
    /// the archives inside it.
    fn archive(&mut self, bytes: &[u8], chain: &str, depth: usize) -> Result<(), String> {
        let declared = declared_entries(bytes);
        if declared > self.limits.max_entries {
            return Err(format!(
                "declares {declared} entries, over the limit of {}; not read",
                self.limits.max_entries
            ));
        }
        let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("not a readable zip archive: {e}"))?;
        let contents = Contents::of(&zip);
        let mut packages = self.packages_of_poms(&mut zip, &contents.poms, chain, depth);
        if packages.is_empty() {
            packages.push(self.package_of_manifest_or_name(&mut zip, contents.manifest, chain, depth));
        }
        let sha1 = sha1_hex(bytes);
        for mut package in packages {
            package.properties.insert("sha1".into(), sha1.clone());
            if depth > 0 {
                package.properties.insert("archive_path".into(), chain.to_string());
            }
            self.found.packages.push(package);
        }
        for (index, name) in &contents.nested {
            self.nested(&mut zip, *index, name, chain, depth);
        }
        Ok(())
    }

    fn packages_of_poms(
        &mut self,
        zip: &mut Zip<'_>,
        poms: &[(usize, String)],
        chain: &str,
        depth: usize,
    ) -> Vec<Package> {
        let mut seen = BTreeSet::new();
        let mut packages = Vec::new();
        for (index, name) in poms {
            let parsed = self
                .read_entry(zip, *index, self.limits.max_metadata_bytes)
                .and_then(|bytes| PomProperties::parse(&String::from_utf8_lossy(&bytes), name));
            match parsed {
                Ok(pom) => {
                    if seen.insert((pom.group_id.clone(), pom.artifact_id.clone(), pom.version.clone())) {
                        packages.push(maven_package(
                            &pom.group_id,
                            &pom.artifact_id,
                            &pom.version,
                            Evidence::PomProperties,
                        ));
                    }
                }
                Err(reason) => self.warn(format!("{} skipped: {reason}", place(chain, depth, name))),
            }
        }
        packages
    }

    /// The manifest's name and version where it has them, the file name's otherwise.
    fn package_of_manifest_or_name(
        &mut self,
        zip: &mut Zip<'_>,
        manifest: Option<usize>,
        chain: &str,
        depth: usize,
    ) -> Package {
        let manifest = match manifest.map(|index| self.read_entry(zip, index, self.limits.max_metadata_bytes)) {
            Some(Ok(bytes)) => Manifest::parse(&String::from_utf8_lossy(&bytes)),
            Some(Err(reason)) => {
                self.warn(format!(
                    "{} skipped: {reason}",
                    place(chain, depth, "META-INF/MANIFEST.MF")
                ));
                Manifest::default()
            }
            None => Manifest::default(),
        };
        let file_name = chain.rsplit(['/', '!']).next().unwrap_or(chain);
        let (file_artifact, file_version) = name_and_version_of_file(file_name);
        let evidence = if manifest.name().is_some() || manifest.version().is_some() {
            Evidence::Manifest
        } else {
            Evidence::FileName
        };
        let artifact = manifest.name().unwrap_or(&file_artifact);
        let version = manifest.version().unwrap_or(&file_version);
        maven_package(manifest.group().unwrap_or(""), artifact, version, evidence)
    }

    fn nested(&mut self, zip: &mut Zip<'_>, index: usize, name: &str, chain: &str, depth: usize) {
        let inner_chain = format!("{chain}!/{name}");
        if depth >= self.limits.max_depth {
            self.warn(format!(
                "{inner_chain} skipped: archives nested deeper than {} are not read",
                self.limits.max_depth
            ));
            return;
        }
        if self.nested_archives >= self.limits.max_nested_archives {
            self.warn(format!(
                "{inner_chain} skipped: more than {} nested archives",
                self.limits.max_nested_archives
            ));
            return;
        }
        self.nested_archives += 1;
        let result = self
            .read_entry(zip, index, self.limits.max_nested_bytes)
            .and_then(|bytes| self.archive(&bytes, &inner_chain, depth + 1));
        if let Err(reason) = result {
            self.warn(format!("{inner_chain} skipped: {reason}"));
        }
    }

    /// Decompresses one entry, up to `cap` bytes and what is left of the file's budget.
    fn read_entry(&mut self, zip: &mut Zip<'_>, index: usize, cap: u64) -> Result<Vec<u8>, String> {
        let left = self.limits.max_total_bytes.saturating_sub(self.decompressed);
        let allowed = cap.min(left);
        let entry = zip.by_index(index).map_err(|e| format!("unreadable entry: {e}"))?;
        let mut bytes = Vec::new();
        let read = entry.take(allowed.saturating_add(1)).read_to_end(&mut bytes);
        self.decompressed = self.decompressed.saturating_add(bytes.len() as u64);
        read.map_err(|e| format!("unreadable entry: {e}"))?;
        if bytes.len() as u64 > allowed {
            return Err(if allowed < cap {
                format!(
                    "the budget of {} decompressed bytes per file is spent (a zip bomb?)",
                    self.limits.max_total_bytes
                )
            } else {
                format!("over {cap} bytes when decompressed (a zip bomb?)")
            });
        }
        Ok(bytes)
    }

    fn warn(&mut self, message: String) {
        if self.found.warnings.len() < self.limits.max_warnings {
            self.found.warnings.push(message);
        } else {
            self.dropped_warnings += 1;
        }
    }
}

/// How to name an entry in a warning: by itself in the file that was handed to us (the
/// warning already names that file), by its full chain inside a nested archive.
fn place(chain: &str, depth: usize, entry: &str) -> String {
    if depth == 0 {
        entry.to_string()
    } else {
        format!("{chain}!/{entry}")
    }
}

/// The largest entry count any end-of-central-directory record in the archive's tail claims
/// (zip64 included), checked before the zip reader indexes them all.
fn declared_entries(bytes: &[u8]) -> u64 {
    const EOCD: &[u8] = b"PK\x05\x06";
    // The record is 22 bytes plus a comment of at most 64 KiB.
    let start = bytes.len().saturating_sub(22 + 0xFFFF);
    let Some(tail) = bytes.get(start..) else {
        return 0;
    };
    let mut most = 0;
    for (offset, window) in tail.windows(4).enumerate() {
        if window != EOCD {
            continue;
        }
        let at = start + offset;
        let Some(count) = le_u16(bytes, at + 10) else {
            continue;
        };
        let count = if count == 0xFFFF {
            zip64_entries(bytes, at).unwrap_or(0).max(0xFFFF)
        } else {
            u64::from(count)
        };
        most = most.max(count);
    }
    most
}

/// The entry count of the zip64 end record that the locator before `eocd_at` points to.
fn zip64_entries(bytes: &[u8], eocd_at: usize) -> Option<u64> {
    let locator = eocd_at.checked_sub(20)?;
    if bytes.get(locator..locator + 4)? != b"PK\x06\x07" {
        return None;
    }
    let record = usize::try_from(le_u64(bytes, locator + 8)?).ok()?;
    if bytes.get(record..record.checked_add(4)?)? != b"PK\x06\x06" {
        return None;
    }
    le_u64(bytes, record.checked_add(32)?)
}

fn le_u16(bytes: &[u8], at: usize) -> Option<u16> {
    let raw = bytes.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes(raw.try_into().ok()?))
}

fn le_u64(bytes: &[u8], at: usize) -> Option<u64> {
    let raw = bytes.get(at..at.checked_add(8)?)?;
    Some(u64::from_le_bytes(raw.try_into().ok()?))
}

fn sha1_hex(bytes: &[u8]) -> String {
    Sha1::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipWriter};

    use super::*;

    /// A zip of `(name, content)` entries, deflated or stored.
    fn zip_of(entries: &[(&str, &[u8])], method: CompressionMethod) -> Vec<u8> {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(method);
        for (name, content) in entries {
            writer.start_file(*name, options).unwrap();
            writer.write_all(content).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    fn pom(group: &str, artifact: &str, version: &str) -> (String, Vec<u8>) {
        (
            format!("META-INF/maven/{group}/{artifact}/pom.properties"),
            format!("groupId={group}\nartifactId={artifact}\nversion={version}\n").into_bytes(),
        )
    }

    fn names(found: &Catalogued) -> Vec<(String, String)> {
        let mut names: Vec<_> = found
            .packages
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
        names.sort();
        names
    }

    fn small_limits() -> Limits {
        Limits {
            max_nested_bytes: 4096,
            max_metadata_bytes: 256,
            max_total_bytes: 16 * 1024,
            ..LIMITS
        }
    }

    #[test]
    fn every_pom_properties_is_a_package_with_the_archive_sha1() {
        let (a_name, a) = pom("org.example", "a", "1.0");
        let (b_name, b) = pom("org.example", "b", "2.0");
        let jar = zip_of(
            &[(&a_name, &a), (&b_name, &b), ("org/example/A.class", b"\xca\xfe")],
            CompressionMethod::Deflated,
        );
        let found = catalog_archive("/app/lib/a-1.0.jar", &jar).unwrap();
        assert_eq!(
            names(&found),
            [
                ("org.example:a".into(), "1.0".into()),
                ("org.example:b".into(), "2.0".into())
            ]
        );
        assert!(found.warnings.is_empty());
        let sha1 = &found.packages[0].properties["sha1"];
        assert_eq!(sha1.len(), 40);
        assert_eq!(sha1, &sha1_hex(&jar));
        assert!(!found.packages[0].properties.contains_key("archive_path"));
    }

    #[test]
    fn falls_back_to_the_manifest_then_the_file_name() {
        let manifest = b"Manifest-Version: 1.0\nImplementation-Title: demo\nImplementation-Version: 3.1\nImplementation-Vendor-Id: com.example\n";
        let jar = zip_of(&[("META-INF/MANIFEST.MF", manifest)], CompressionMethod::Stored);
        let found = catalog_archive("/x/whatever-9.jar", &jar).unwrap();
        assert_eq!(names(&found), [("com.example:demo".into(), "3.1".into())]);
        assert_eq!(found.packages[0].properties["metadata"], "MANIFEST.MF");

        let bare = zip_of(
            &[("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n")],
            CompressionMethod::Stored,
        );
        let found = catalog_archive("/x/commons-io-2.11.0.jar", &bare).unwrap();
        assert_eq!(names(&found), [("commons-io".into(), "2.11.0".into())]);
        assert_eq!(found.packages[0].properties["metadata"], "file name");
    }

    #[test]
    fn reads_nested_archives_with_their_paths() {
        let (inner_pom_name, inner_pom) = pom("org.inner", "inner", "0.9");
        let inner = zip_of(&[(&inner_pom_name, &inner_pom)], CompressionMethod::Deflated);
        let (war_pom_name, war_pom) = pom("org.web", "web", "1.0");
        let war = zip_of(
            &[(&war_pom_name, &war_pom), ("WEB-INF/lib/inner-0.9.jar", &inner)],
            CompressionMethod::Deflated,
        );
        let ear = zip_of(&[("web.war", &war)], CompressionMethod::Stored);
        let found = catalog_archive("/srv/app.ear", &ear).unwrap();
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        assert_eq!(
            names(&found),
            [
                ("app".into(), String::new()),
                ("org.inner:inner".into(), "0.9".into()),
                ("org.web:web".into(), "1.0".into())
            ]
        );
        let inner_package = found.packages.iter().find(|p| p.name == "org.inner:inner").unwrap();
        assert_eq!(
            inner_package.properties["archive_path"],
            "/srv/app.ear!/web.war!/WEB-INF/lib/inner-0.9.jar"
        );
        assert_eq!(inner_package.properties["sha1"], sha1_hex(&inner));
    }

    #[test]
    fn a_bad_nested_archive_is_a_warning_and_the_rest_is_kept() {
        let (good_name, good) = pom("org.ok", "ok", "1");
        let jar = zip_of(
            &[(&good_name, &good), ("lib/broken.jar", b"not a zip at all")],
            CompressionMethod::Deflated,
        );
        let found = catalog_archive("/app.jar", &jar).unwrap();
        assert_eq!(names(&found), [("org.ok:ok".into(), "1".into())]);
        assert_eq!(found.warnings.len(), 1);
        assert!(
            found.warnings[0].starts_with("/app.jar!/lib/broken.jar skipped: not a readable zip archive"),
            "{:?}",
            found.warnings
        );
    }

    #[test]
    fn a_zip_bomb_inside_a_jar_is_a_warning() {
        let zeros = vec![0u8; 64 * 1024];
        let bomb_pom = zip_of(
            &[("META-INF/maven/evil/evil/pom.properties", &zeros)],
            CompressionMethod::Deflated,
        );
        let (good_name, good) = pom("org.ok", "ok", "1");
        let jar = zip_of(
            &[
                (&good_name, &good),
                ("lib/evil.jar", &bomb_pom),
                ("lib/zeros.jar", &zeros),
            ],
            CompressionMethod::Deflated,
        );
        assert!(jar.len() < 2048, "the bomb is small: {} bytes", jar.len());
        let found = catalog_archive_with("/app.jar", &jar, &small_limits()).unwrap();
        assert!(names(&found).contains(&("org.ok:ok".into(), "1".into())));
        assert!(
            found.warnings.iter().any(|w| w
                .contains("/app.jar!/lib/evil.jar!/META-INF/maven/evil/evil/pom.properties skipped")
                && w.contains("over 256 bytes")),
            "{:?}",
            found.warnings
        );
        assert!(
            found
                .warnings
                .iter()
                .any(|w| w.starts_with("/app.jar!/lib/zeros.jar skipped: over 4096 bytes")),
            "{:?}",
            found.warnings
        );
    }

    #[test]
    fn the_total_budget_stops_many_nested_archives() {
        let filler = vec![7u8; 3000];
        let inner = zip_of(&[("data.bin", &filler)], CompressionMethod::Stored);
        let entries: Vec<(String, &[u8])> = (0..10).map(|i| (format!("lib/x{i}.jar"), inner.as_slice())).collect();
        let borrowed: Vec<(&str, &[u8])> = entries.iter().map(|(n, c)| (n.as_str(), *c)).collect();
        let jar = zip_of(&borrowed, CompressionMethod::Deflated);
        let found = catalog_archive_with("/app.jar", &jar, &small_limits()).unwrap();
        assert!(
            found.warnings.iter().any(|w| w.contains("budget")),
            "{:?}",
            found.warnings
        );
        assert!(found.packages.len() >= 2, "the archive and what fit in the budget");
    }

    #[test]
    fn nesting_is_cut_at_the_depth_limit() {
        let mut archive = zip_of(&[("x", b"x")], CompressionMethod::Stored);
        for _ in 0..6 {
            archive = zip_of(&[("lib/deeper.jar", &archive)], CompressionMethod::Stored);
        }
        let found = catalog_archive("/top.jar", &archive).unwrap();
        assert_eq!(found.packages.len(), LIMITS.max_depth + 1);
        assert!(
            found.warnings.iter().any(|w| w.contains("nested deeper than 4")),
            "{:?}",
            found.warnings
        );
    }

    #[test]
    fn too_many_declared_entries_are_refused_before_indexing() {
        let mut fake = b"PK\x05\x06".to_vec();
        fake.extend_from_slice(&[0, 0, 0, 0, 0xFF, 0xFE, 0xFF, 0xFE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(declared_entries(&fake), 0xFEFF);
        let limits = Limits {
            max_entries: 100,
            ..LIMITS
        };
        let err = catalog_archive_with("/x.jar", &fake, &limits).unwrap_err();
        assert!(err.contains("declares 65279 entries"), "{err}");
    }

    #[test]
    fn garbage_and_truncated_archives_are_errors_not_panics() {
        let (name, content) = pom("g", "a", "1");
        let jar = zip_of(&[(&name, &content)], CompressionMethod::Deflated);
        for cut in [0, 1, 4, jar.len() / 2, jar.len() - 1] {
            let _ = catalog_archive("/x.jar", jar.get(..cut).unwrap());
        }
        assert!(catalog_archive("/x.jar", b"PK\x03\x04garbage").is_err());
    }
}
