//! Go build info: the raw input as a whole ELF file, and the input as the `.go.buildinfo`
//! section of a well-formed ELF file (mapped at 0x400000 by one writable segment, so the
//! pointers of the pre-1.18 format can lead anywhere in the file).
#![no_main]

use drydock_catalog::ecosystems::{binary, golang};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = binary::catalog_elf(data);
    let found = golang::parse_go_binary(&elf_around(data));
    for package in &found.packages {
        assert!(package.purl.starts_with("pkg:golang/"));
    }
});

/// An ELF64 little-endian file: header, one PT_LOAD, `section` at offset 128, the section
/// names, then three section headers (null, `.go.buildinfo`, `.shstrtab`).
fn elf_around(section: &[u8]) -> Vec<u8> {
    const BASE: u64 = 0x40_0000;
    const NAMES: &[u8] = b"\0.go.buildinfo\0.shstrtab\0";
    let mut out = vec![0u8; 128];
    out.extend_from_slice(section);
    let names_at = out.len() as u64;
    out.extend_from_slice(NAMES);
    while !out.len().is_multiple_of(8) {
        out.push(0);
    }
    let shoff = out.len() as u64;
    let section_header = |name: u32, kind: u32, addr: u64, offset: u64, size: u64| {
        let mut h = Vec::with_capacity(64);
        h.extend(name.to_le_bytes());
        h.extend(kind.to_le_bytes());
        h.extend(3u64.to_le_bytes());
        h.extend(addr.to_le_bytes());
        h.extend(offset.to_le_bytes());
        h.extend(size.to_le_bytes());
        h.extend([0u8; 24]);
        h
    };
    out.extend(section_header(0, 0, 0, 0, 0));
    out.extend(section_header(1, 1, BASE + 128, 128, section.len() as u64));
    out.extend(section_header(15, 3, 0, names_at, NAMES.len() as u64));
    let len = out.len() as u64;
    let mut header = b"\x7fELF\x02\x01\x01".to_vec();
    header.resize(16, 0);
    header.extend(2u16.to_le_bytes());
    header.extend(62u16.to_le_bytes());
    header.extend(1u32.to_le_bytes());
    header.extend(BASE.to_le_bytes());
    header.extend(64u64.to_le_bytes());
    header.extend(shoff.to_le_bytes());
    header.extend(0u32.to_le_bytes());
    for half in [64u16, 56, 1, 64, 3, 2] {
        header.extend(half.to_le_bytes());
    }
    let mut program = 1u32.to_le_bytes().to_vec();
    program.extend(6u32.to_le_bytes());
    for word in [0, BASE, BASE, len, len, 0x1000] {
        program.extend(word.to_le_bytes());
    }
    out[..64].copy_from_slice(&header);
    out[64..120].copy_from_slice(&program);
    out
}
