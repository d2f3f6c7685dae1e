//! ELF binaries: the Go modules of their build info ([`super::golang`]) and the Rust crates
//! of their cargo-auditable `.dep-v0` section ([`super::rust`]).
//!
//! One cataloger reads both, so each ELF file is read into memory once: with two, the layer
//! walk would buffer every ELF file for sharing and skip (with a warning) any larger than
//! its shared-file limit, which large Go binaries often are. The file is read whole, up to
//! [`MAX_BINARY_BYTES`], because section headers usually come last and the build info's
//! pointers can lead anywhere in it. Each package's `found_by` names what it came from
//! (`go-binary`, `cargo-auditable`).

use std::io::Read;

use drydock_oci::engine::analyzer::{EntryMeta, Interest, Magic};

use crate::elf::{Elf, read_capped};
use crate::{Cataloger, CatalogerKind, Catalogued};

use super::{golang, rust};

/// The largest binary read; Go binaries of big projects reach a few hundred MiB.
pub const MAX_BINARY_BYTES: u64 = 256 * 1024 * 1024;

/// Go and cargo-auditable binaries.
pub struct ElfBinaries;

impl Cataloger for ElfBinaries {
    fn name(&self) -> &'static str {
        "elf-binary"
    }

    fn version(&self) -> u32 {
        1
    }

    fn kind(&self) -> CatalogerKind {
        CatalogerKind::Installed
    }

    fn interest(&self) -> Interest {
        Interest {
            magic: vec![Magic::Elf],
            max_size: Some(MAX_BINARY_BYTES),
            ..Default::default()
        }
    }

    fn catalog(&self, file: &EntryMeta<'_>, content: &mut dyn Read) -> Result<Catalogued, String> {
        let bytes = read_capped(content, file.size, MAX_BINARY_BYTES)?;
        Ok(catalog_elf(&bytes))
    }
}

/// The packages of one ELF file held in memory. A file whose ELF headers cannot be read is
/// not reported: nothing shows it was meant to carry Go or Rust package data.
pub fn catalog_elf(data: &[u8]) -> Catalogued {
    let Ok(elf) = Elf::parse(data) else {
        return Catalogued::default();
    };
    let mut found = Catalogued::default();
    for part in [golang::from_elf(&elf), rust::from_elf(&elf)].into_iter().flatten() {
        match part {
            Ok(part) => {
                found.packages.extend(part.packages);
                found.warnings.extend(part.warnings);
            }
            Err(reason) => found.warnings.push(reason),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::build::{TestSection, elf};
    use flate2::Compression;
    use flate2::write::ZlibEncoder;
    use std::io::Write;

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn go_blob() -> Vec<u8> {
        let modinfo = "0123456789abcdefpath\tx.com/app\nmod\tx.com/app\tv1.0.0\t\n0123456789abcdef";
        let mut blob = b"\xff Go buildinf:\x08\x02".to_vec();
        blob.resize(32, 0);
        blob.push(6);
        blob.extend_from_slice(b"go1.21");
        blob.push(modinfo.len() as u8);
        blob.extend_from_slice(modinfo.as_bytes());
        blob
    }

    #[test]
    fn one_file_with_both_go_and_rust_data() {
        let blob = go_blob();
        let dep = zlib(br#"{"packages":[{"name":"app","version":"0.1.0","source":"local","root":true}]}"#);
        let bytes = elf(
            true,
            false,
            &[
                TestSection {
                    name: ".go.buildinfo",
                    data: &blob,
                    loaded: true,
                },
                TestSection {
                    name: ".dep-v0",
                    data: &dep,
                    loaded: false,
                },
            ],
        );
        let found = ElfBinaries
            .catalog(
                &EntryMeta {
                    path: "/usr/bin/app",
                    kind: drydock_model::FileKind::File,
                    mode: 0o755,
                    uid: 0,
                    gid: 0,
                    size: bytes.len() as u64,
                    link_target: None,
                },
                &mut bytes.as_slice(),
            )
            .unwrap();
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        let mut seen: Vec<_> = found
            .packages
            .iter()
            .map(|p| (p.purl.as_str(), p.found_by[0].as_str()))
            .collect();
        seen.sort();
        assert_eq!(
            seen,
            [
                ("pkg:cargo/app@0.1.0", "cargo-auditable"),
                ("pkg:golang/stdlib@1.21", "go-binary"),
                ("pkg:golang/x.com/app@v1.0.0", "go-binary"),
            ]
        );
    }

    #[test]
    fn a_corrupt_dep_v0_is_a_warning_and_the_go_data_is_kept() {
        let blob = go_blob();
        let bytes = elf(
            false,
            true,
            &[
                TestSection {
                    name: ".go.buildinfo",
                    data: &blob,
                    loaded: true,
                },
                TestSection {
                    name: ".dep-v0",
                    data: b"x\x9c garbage",
                    loaded: false,
                },
            ],
        );
        let found = catalog_elf(&bytes);
        assert_eq!(found.packages.len(), 2);
        assert!(found.warnings[0].contains(".dep-v0"), "{:?}", found.warnings);
    }

    #[test]
    fn plain_and_unreadable_elf_files_give_nothing() {
        let plain = elf(
            true,
            false,
            &[TestSection {
                name: ".text",
                data: b"\x90\x90",
                loaded: true,
            }],
        );
        let found = catalog_elf(&plain);
        assert!(found.packages.is_empty() && found.warnings.is_empty());
        assert!(catalog_elf(b"\x7fELF\x02\x01").packages.is_empty());
    }
}
