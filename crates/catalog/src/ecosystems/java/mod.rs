//! Java archives: `.jar`, `.war`, `.ear`, `.par` (and Jenkins' `.jpi`/`.hpi`), with the archives
//! nested in them (`WEB-INF/lib/*.jar` of a war, `BOOT-INF/lib/*.jar` of a Spring Boot jar, the
//! wars of an ear), because a library bundled inside an application is as exposed as one on
//! the class path.
//!
//! Per archive, every `META-INF/maven/<group>/<artifact>/pom.properties` is a package (shaded
//! jars carry one per bundled artifact). An archive without any falls back to its
//! `META-INF/MANIFEST.MF`, then to its file name (`name-1.2.3.jar`). Packages are named
//! `group:artifact` as Maven coordinates and OSV's Maven ecosystem write them (just the artifact
//! when no group is known), and record the archive's sha1, which identifies a jar on Maven
//! Central. A nested archive is located at its outermost file; its path inside is the property
//! `archive_path` (`/app/app.war!/WEB-INF/lib/guava-31.1-jre.jar`).
//!
//! Archives are untrusted: each is held in memory only up to a limit, declared sizes are never
//! believed, only metadata entries and nested archives are decompressed (each capped, with a
//! total budget per file), and a zip bomb costs a warning, not the archive's other packages.

mod archive;
mod metadata;

use std::io::Read;

use drydock_model::FileKind;
use drydock_oci::engine::analyzer::{EntryMeta, Interest};

use crate::{Cataloger, CatalogerKind, Catalogued};

pub use archive::{LIMITS, Limits, catalog_archive, catalog_archive_with};
pub use metadata::{Manifest, PomProperties};

/// The file name endings of Java archives.
pub const EXTENSIONS: [&str; 6] = ["jar", "war", "ear", "par", "jpi", "hpi"];

pub struct JavaArchive;

impl Cataloger for JavaArchive {
    fn name(&self) -> &'static str {
        "java-archive"
    }

    fn version(&self) -> u32 {
        1
    }

    fn kind(&self) -> CatalogerKind {
        CatalogerKind::Installed
    }

    fn interest(&self) -> Interest {
        // No `max_size`: an archive over the limit must be reported, not silently passed over.
        Interest {
            globs: EXTENSIONS.iter().map(|ext| format!("**/*.{ext}")).collect(),
            ..Default::default()
        }
    }

    fn catalog(&self, file: &EntryMeta<'_>, content: &mut dyn Read) -> Result<Catalogued, String> {
        if file.kind != FileKind::File {
            return Ok(Catalogued::default());
        }
        let limit = LIMITS.max_archive_bytes;
        if file.size > limit {
            return Err(format!(
                "archive of {} bytes is over the {limit}-byte limit for Java archives; not read",
                file.size
            ));
        }
        // The tar header's size is exact (the walk hands over that many bytes): reserve it once.
        let mut bytes = Vec::with_capacity(usize::try_from(file.size).unwrap_or(0));
        content
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("reading: {e}"))?;
        if bytes.len() as u64 > limit {
            return Err(format!(
                "archive is over the {limit}-byte limit for Java archives; not read"
            ));
        }
        catalog_archive(file.path, &bytes)
    }
}

/// Whether a path names a Java archive by its extension (case-insensitive).
pub fn is_java_archive(path: &str) -> bool {
    let Some((_, ext)) = path.rsplit_once('.') else {
        return false;
    };
    EXTENSIONS.iter().any(|known| ext.eq_ignore_ascii_case(known))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(path: &str, kind: FileKind, size: u64) -> EntryMeta<'_> {
        EntryMeta {
            path,
            kind,
            mode: 0o644,
            uid: 0,
            gid: 0,
            size,
            link_target: None,
        }
    }

    #[test]
    fn recognizes_archive_extensions() {
        assert!(is_java_archive("/app/lib/guava-31.1-jre.jar"));
        assert!(is_java_archive("WEB-INF/lib/X.JAR"));
        assert!(is_java_archive("/srv/app.war") && is_java_archive("/srv/app.ear"));
        assert!(!is_java_archive("/srv/app.jar.sha1") && !is_java_archive("jar"));
    }

    #[test]
    fn symlinks_and_oversized_archives_are_not_read() {
        let link = JavaArchive
            .catalog(&meta("/usr/share/java/x.jar", FileKind::Symlink, 0), &mut [].as_slice())
            .unwrap();
        assert!(link.packages.is_empty() && link.warnings.is_empty());
        let huge = JavaArchive.catalog(
            &meta("/x.jar", FileKind::File, LIMITS.max_archive_bytes + 1),
            &mut [].as_slice(),
        );
        assert!(huge.unwrap_err().contains("over the"));
    }

    #[test]
    fn a_file_that_is_not_a_zip_is_an_error() {
        let err = JavaArchive
            .catalog(&meta("/x.jar", FileKind::File, 5), &mut b"hello".as_slice())
            .unwrap_err();
        assert!(err.contains("not a readable zip archive"), "{err}");
    }
}
