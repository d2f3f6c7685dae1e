//! A small, bounds-checked reader of ELF files: the header, the section headers (to find a
//! section by name) and the program headers (to turn a virtual address into file bytes).
//!
//! The binary catalogers need only that much, so this is written here instead of adding
//! the `object` crate (not yet in the dependency tree): every offset, size and count read
//! from the file is checked against the buffer before use, so a truncated or hostile file
//! yields an error, never a panic or an allocation larger than the file.

use std::io::Read;

const SHT_NOBITS: u32 = 8;
const PT_LOAD: u32 = 1;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
/// `e_shstrndx` value saying the real index is in section 0's `sh_link`.
const SHN_XINDEX: u32 = 0xffff;
/// `e_phnum` value saying the real count is in section 0's `sh_info`.
const PN_XNUM: u64 = 0xffff;

/// Reads a whole file of at most `cap` bytes: ELF sections can be anywhere in it. `size`
/// (the size the archive gives) sizes the buffer once instead of doubling it as it fills.
pub(crate) fn read_capped(content: &mut dyn Read, size: u64, cap: u64) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::with_capacity(usize::try_from(size.min(cap)).unwrap_or(0));
    content
        .take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("reading: {e}"))?;
    if bytes.len() as u64 > cap {
        return Err(format!("larger than the {cap}-byte limit for binaries"));
    }
    Ok(bytes)
}

#[derive(Clone, Copy, Debug)]
struct Section {
    name: u32,
    kind: u32,
    offset: u64,
    size: u64,
}

#[derive(Clone, Copy, Debug)]
struct Segment {
    kind: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
}

/// A parsed view of an ELF file held in memory.
pub(crate) struct Elf<'a> {
    data: &'a [u8],
    is_64: bool,
    big_endian: bool,
    sections: Vec<Section>,
    segments: Vec<Segment>,
    /// The section-name string table, as a range of `data`.
    names: Option<(usize, usize)>,
}

/// Where the header fields sit, which differs between ELF32 and ELF64.
struct Layout {
    phoff: usize,
    shoff: usize,
    phentsize: usize,
    phnum: usize,
    shentsize: usize,
    shnum: usize,
    shstrndx: usize,
    min_shentsize: u64,
    min_phentsize: u64,
}

const LAYOUT_32: Layout = Layout {
    phoff: 0x1c,
    shoff: 0x20,
    phentsize: 0x2a,
    phnum: 0x2c,
    shentsize: 0x2e,
    shnum: 0x30,
    shstrndx: 0x32,
    min_shentsize: 40,
    min_phentsize: 32,
};

const LAYOUT_64: Layout = Layout {
    phoff: 0x20,
    shoff: 0x28,
    phentsize: 0x36,
    phnum: 0x38,
    shentsize: 0x3a,
    shnum: 0x3c,
    shstrndx: 0x3e,
    min_shentsize: 64,
    min_phentsize: 56,
};

impl<'a> Elf<'a> {
    /// Reads the header and both header tables. A file without section headers (some
    /// stripped binaries) still parses, with no sections.
    pub(crate) fn parse(data: &'a [u8]) -> Result<Self, String> {
        if !data.starts_with(b"\x7fELF") {
            return Err("not an ELF file".into());
        }
        let is_64 = match data.get(4) {
            Some(1) => false,
            Some(2) => true,
            other => return Err(format!("unknown ELF class {other:?}")),
        };
        let big_endian = match data.get(5) {
            Some(1) => false,
            Some(2) => true,
            other => return Err(format!("unknown ELF byte order {other:?}")),
        };
        let mut elf = Elf {
            data,
            is_64,
            big_endian,
            sections: Vec::new(),
            segments: Vec::new(),
            names: None,
        };
        let layout = if is_64 { &LAYOUT_64 } else { &LAYOUT_32 };
        elf.read_sections(layout)?;
        elf.read_segments(layout)?;
        Ok(elf)
    }

    pub(crate) fn has_sections(&self) -> bool {
        !self.sections.is_empty()
    }

    /// The file bytes of the section called `name`: `None` when there is no such section,
    /// `Err` when its header points outside the file.
    pub(crate) fn section_data(&self, name: &str) -> Option<Result<&'a [u8], String>> {
        let section = self.sections.iter().find(|s| self.section_name(s) == Some(name))?;
        if section.kind == SHT_NOBITS {
            return Some(Ok(&[]));
        }
        Some(slice(self.data, section.offset, section.size).ok_or_else(|| {
            format!(
                "section {name} ({} bytes at offset {}) lies outside the {}-byte file",
                section.size,
                section.offset,
                self.data.len()
            )
        }))
    }

    /// The file content of the first loadable segment that is writable but not executable
    /// (where data lives), and its file offset.
    pub(crate) fn first_writable_segment(&self) -> Option<(u64, &'a [u8])> {
        let segment = self
            .segments
            .iter()
            .find(|s| s.kind == PT_LOAD && s.flags & (PF_W | PF_X) == PF_W)?;
        let bytes = slice(self.data, segment.offset, segment.filesz)?;
        Some((segment.offset, bytes))
    }

    /// `len` bytes at virtual address `address`, from the loadable segment that maps them.
    pub(crate) fn read_address(&self, address: u64, len: u64) -> Option<&'a [u8]> {
        let end = address.checked_add(len)?;
        self.segments.iter().find_map(|segment| {
            let segment_end = segment.vaddr.checked_add(segment.filesz)?;
            if segment.kind != PT_LOAD || address < segment.vaddr || end > segment_end {
                return None;
            }
            slice(self.data, segment.offset.checked_add(address - segment.vaddr)?, len)
        })
    }

    /// A word of `size` bytes (4 or 8) in the byte order given.
    pub(crate) fn word(bytes: &[u8], size: usize, big_endian: bool) -> Option<u64> {
        match size {
            4 => read_u32(bytes, 0, big_endian).map(u64::from),
            8 => read_u64(bytes, 0, big_endian),
            _ => None,
        }
    }

    fn section_name(&self, section: &Section) -> Option<&'a str> {
        let (start, end) = self.names?;
        let table = self.data.get(start..end)?;
        let rest = table.get(usize::try_from(section.name).ok()?..)?;
        let len = rest.iter().position(|&b| b == 0)?;
        std::str::from_utf8(rest.get(..len)?).ok()
    }

    fn u16(&self, offset: usize) -> Result<u64, String> {
        let array: [u8; 2] = self
            .data
            .get(offset..offset + 2)
            .and_then(|bytes| bytes.try_into().ok())
            .ok_or("truncated ELF header")?;
        Ok(u64::from(if self.big_endian {
            u16::from_be_bytes(array)
        } else {
            u16::from_le_bytes(array)
        }))
    }

    /// An address-sized header field (4 bytes in ELF32, 8 in ELF64).
    fn addr(&self, offset: usize) -> Result<u64, String> {
        let size = if self.is_64 { 8 } else { 4 };
        self.data
            .get(offset..)
            .and_then(|rest| Self::word(rest, size, self.big_endian))
            .ok_or_else(|| "truncated ELF header".to_string())
    }

    fn read_sections(&mut self, layout: &Layout) -> Result<(), String> {
        let shoff = self.addr(layout.shoff)?;
        let entsize = self.u16(layout.shentsize)?;
        let mut count = self.u16(layout.shnum)?;
        if shoff == 0 {
            return Ok(());
        }
        if entsize < layout.min_shentsize {
            return Err(format!("section header size {entsize} is too small"));
        }
        let first = self
            .section_at(shoff, 0, entsize)
            .ok_or("the section header table lies outside the file")?;
        if count == 0 {
            // Extended numbering: more than 0xff00 sections, the count is in section 0.
            count = first.size;
        }
        let table_len = count.checked_mul(entsize).ok_or("section header table too large")?;
        if slice(self.data, shoff, table_len).is_none() {
            return Err(format!(
                "{count} section headers at offset {shoff} do not fit in the {}-byte file",
                self.data.len()
            ));
        }
        for index in 0..count {
            let section = self
                .section_at(shoff, index, entsize)
                .ok_or("the section header table lies outside the file")?;
            self.sections.push(section);
        }
        let mut names_index = self.u16(layout.shstrndx)?;
        if names_index == u64::from(SHN_XINDEX) {
            names_index = self.section_field_u32(shoff, if self.is_64 { 40 } else { 24 })?;
        }
        self.names = usize::try_from(names_index)
            .ok()
            .and_then(|i| self.sections.get(i))
            .and_then(|s| {
                let start = usize::try_from(s.offset).ok()?;
                let end = start.checked_add(usize::try_from(s.size).ok()?)?;
                (end <= self.data.len()).then_some((start, end))
            });
        Ok(())
    }

    fn section_at(&self, shoff: u64, index: u64, entsize: u64) -> Option<Section> {
        let at = shoff.checked_add(index.checked_mul(entsize)?)?;
        let header = slice(self.data, at, entsize)?;
        let be = self.big_endian;
        if self.is_64 {
            Some(Section {
                name: read_u32(header, 0, be)?,
                kind: read_u32(header, 4, be)?,
                offset: read_u64(header, 24, be)?,
                size: read_u64(header, 32, be)?,
            })
        } else {
            Some(Section {
                name: read_u32(header, 0, be)?,
                kind: read_u32(header, 4, be)?,
                offset: u64::from(read_u32(header, 16, be)?),
                size: u64::from(read_u32(header, 20, be)?),
            })
        }
    }

    /// A 32-bit field of section 0, which holds the extended-numbering values.
    fn section_field_u32(&self, shoff: u64, field: u64) -> Result<u64, String> {
        shoff
            .checked_add(field)
            .and_then(|at| slice(self.data, at, 4))
            .and_then(|bytes| read_u32(bytes, 0, self.big_endian))
            .map(u64::from)
            .ok_or_else(|| "truncated section header 0".to_string())
    }

    fn read_segments(&mut self, layout: &Layout) -> Result<(), String> {
        let phoff = self.addr(layout.phoff)?;
        let entsize = self.u16(layout.phentsize)?;
        let mut count = self.u16(layout.phnum)?;
        if phoff == 0 || count == 0 {
            return Ok(());
        }
        if entsize < layout.min_phentsize {
            return Err(format!("program header size {entsize} is too small"));
        }
        if count == PN_XNUM {
            let shoff = self.addr(layout.shoff)?;
            count = self.section_field_u32(shoff, if self.is_64 { 44 } else { 28 })?;
        }
        let table_len = count.checked_mul(entsize).ok_or("program header table too large")?;
        if slice(self.data, phoff, table_len).is_none() {
            return Err(format!(
                "{count} program headers at offset {phoff} do not fit in the {}-byte file",
                self.data.len()
            ));
        }
        for index in 0..count {
            let segment = self
                .segment_at(phoff, index, entsize)
                .ok_or("the program header table lies outside the file")?;
            self.segments.push(segment);
        }
        Ok(())
    }

    fn segment_at(&self, phoff: u64, index: u64, entsize: u64) -> Option<Segment> {
        let at = phoff.checked_add(index.checked_mul(entsize)?)?;
        let header = slice(self.data, at, entsize)?;
        let be = self.big_endian;
        if self.is_64 {
            Some(Segment {
                kind: read_u32(header, 0, be)?,
                flags: read_u32(header, 4, be)?,
                offset: read_u64(header, 8, be)?,
                vaddr: read_u64(header, 16, be)?,
                filesz: read_u64(header, 32, be)?,
            })
        } else {
            Some(Segment {
                kind: read_u32(header, 0, be)?,
                offset: u64::from(read_u32(header, 4, be)?),
                vaddr: u64::from(read_u32(header, 8, be)?),
                filesz: u64::from(read_u32(header, 16, be)?),
                flags: read_u32(header, 24, be)?,
            })
        }
    }
}

/// `len` bytes of `data` at `offset`, if they are all inside it.
fn slice(data: &[u8], offset: u64, len: u64) -> Option<&[u8]> {
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(len).ok()?)?;
    data.get(start..end)
}

fn read_u32(bytes: &[u8], at: usize, big_endian: bool) -> Option<u32> {
    let array: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(if big_endian {
        u32::from_be_bytes(array)
    } else {
        u32::from_le_bytes(array)
    })
}

fn read_u64(bytes: &[u8], at: usize, big_endian: bool) -> Option<u64> {
    let array: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(if big_endian {
        u64::from_be_bytes(array)
    } else {
        u64::from_le_bytes(array)
    })
}

/// Builds small ELF files for the binary catalogers' tests.
#[cfg(test)]
pub(crate) mod build {
    /// Where a test section goes: its name, its bytes, and whether it is loaded (mapped
    /// into the one writable segment, at `BASE + file offset`).
    pub(crate) struct TestSection<'a> {
        pub name: &'a str,
        pub data: &'a [u8],
        pub loaded: bool,
    }

    /// The virtual address of file offset 0 in test files.
    pub(crate) const BASE: u64 = 0x40_0000;

    /// The file offset at which the first section's data starts: after the ELF header
    /// and one program header, rounded to 16 as Go aligns its build info.
    pub(crate) fn first_data_offset(is_64: bool) -> u64 {
        if is_64 { 128 } else { 96 }
    }

    /// An ELF file (64- or 32-bit, either byte order) with the given sections, laid out
    /// back to back from [`first_data_offset`], then `.shstrtab`, then the section headers.
    pub(crate) fn elf(is_64: bool, big_endian: bool, sections: &[TestSection<'_>]) -> Vec<u8> {
        let mut out = vec![0u8; first_data_offset(is_64) as usize];
        let mut placed = Vec::new();
        for section in sections {
            while !out.len().is_multiple_of(16) {
                out.push(0);
            }
            placed.push((out.len() as u64, section.data.len() as u64));
            out.extend_from_slice(section.data);
        }
        let mut names = vec![0u8];
        let mut name_offsets = Vec::new();
        for name in sections.iter().map(|s| s.name).chain([".shstrtab"]) {
            name_offsets.push(names.len() as u32);
            names.extend_from_slice(name.as_bytes());
            names.push(0);
        }
        let names_offset = out.len() as u64;
        out.extend_from_slice(&names);
        while !out.len().is_multiple_of(8) {
            out.push(0);
        }
        let shoff = out.len() as u64;
        let w = Writer { is_64, big_endian };
        // Section 0 is the null section.
        out.extend(w.section(0, 0, 0, 0, 0));
        for ((section, (offset, size)), name) in sections.iter().zip(&placed).zip(&name_offsets) {
            let addr = if section.loaded { BASE + offset } else { 0 };
            out.extend(w.section(*name, 1, addr, *offset, *size));
        }
        out.extend(w.section(name_offsets[sections.len()], 3, 0, names_offset, names.len() as u64));
        let shnum = sections.len() as u16 + 2;
        let header = w.header(shoff, shnum, shnum - 1);
        out[..header.len()].copy_from_slice(&header);
        let phdr = w.load_segment(out.len() as u64);
        out[header.len()..header.len() + phdr.len()].copy_from_slice(&phdr);
        out
    }

    struct Writer {
        is_64: bool,
        big_endian: bool,
    }

    impl Writer {
        fn half(&self, v: u16) -> Vec<u8> {
            if self.big_endian {
                v.to_be_bytes().to_vec()
            } else {
                v.to_le_bytes().to_vec()
            }
        }

        fn u32(&self, v: u32) -> Vec<u8> {
            if self.big_endian {
                v.to_be_bytes().to_vec()
            } else {
                v.to_le_bytes().to_vec()
            }
        }

        fn addr(&self, v: u64) -> Vec<u8> {
            match (self.is_64, self.big_endian) {
                (true, true) => v.to_be_bytes().to_vec(),
                (true, false) => v.to_le_bytes().to_vec(),
                (false, true) => (v as u32).to_be_bytes().to_vec(),
                (false, false) => (v as u32).to_le_bytes().to_vec(),
            }
        }

        fn header(&self, shoff: u64, shnum: u16, shstrndx: u16) -> Vec<u8> {
            let mut h = b"\x7fELF".to_vec();
            h.push(if self.is_64 { 2 } else { 1 });
            h.push(if self.big_endian { 2 } else { 1 });
            h.push(1);
            h.resize(16, 0);
            h.extend(self.half(2)); // e_type: executable
            h.extend(self.half(62)); // e_machine
            h.extend(self.u32(1)); // e_version
            h.extend(self.addr(BASE)); // e_entry
            h.extend(self.addr(if self.is_64 { 64 } else { 52 })); // e_phoff
            h.extend(self.addr(shoff));
            h.extend(self.u32(0)); // e_flags
            h.extend(self.half(if self.is_64 { 64 } else { 52 })); // e_ehsize
            h.extend(self.half(if self.is_64 { 56 } else { 32 }));
            h.extend(self.half(1)); // e_phnum
            h.extend(self.half(if self.is_64 { 64 } else { 40 }));
            h.extend(self.half(shnum));
            h.extend(self.half(shstrndx));
            h
        }

        /// One writable PT_LOAD mapping the whole file at [`BASE`].
        fn load_segment(&self, file_len: u64) -> Vec<u8> {
            let mut p = self.u32(1);
            if self.is_64 {
                p.extend(self.u32(6)); // flags: read + write
                p.extend(self.addr(0));
                p.extend(self.addr(BASE));
                p.extend(self.addr(BASE));
                p.extend(self.addr(file_len));
                p.extend(self.addr(file_len));
                p.extend(self.addr(0x1000));
            } else {
                p.extend(self.addr(0));
                p.extend(self.addr(BASE));
                p.extend(self.addr(BASE));
                p.extend(self.addr(file_len));
                p.extend(self.addr(file_len));
                p.extend(self.u32(6));
                p.extend(self.addr(0x1000));
            }
            p
        }

        fn section(&self, name: u32, kind: u32, addr: u64, offset: u64, size: u64) -> Vec<u8> {
            let mut s = self.u32(name);
            s.extend(self.u32(kind));
            s.extend(self.addr(if addr != 0 { 3 } else { 0 })); // flags: write + alloc
            s.extend(self.addr(addr));
            s.extend(self.addr(offset));
            s.extend(self.addr(size));
            s.extend(self.u32(0)); // link
            s.extend(self.u32(0)); // info
            s.extend(self.addr(1)); // addralign
            s.extend(self.addr(0)); // entsize
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::build::{BASE, TestSection, elf, first_data_offset};
    use super::*;

    fn sample(is_64: bool, big_endian: bool) -> Vec<u8> {
        elf(
            is_64,
            big_endian,
            &[
                TestSection {
                    name: ".data",
                    data: b"0123456789abcdef",
                    loaded: true,
                },
                TestSection {
                    name: ".note",
                    data: b"hello",
                    loaded: false,
                },
            ],
        )
    }

    #[test]
    fn finds_sections_and_addresses_in_all_four_flavours() {
        for (is_64, big_endian) in [(true, false), (true, true), (false, false), (false, true)] {
            let bytes = sample(is_64, big_endian);
            let elf = Elf::parse(&bytes).unwrap();
            assert_eq!((elf.is_64, elf.big_endian), (is_64, big_endian));
            assert_eq!(elf.section_data(".note").unwrap().unwrap(), b"hello");
            assert!(elf.section_data(".missing").is_none());
            let data_at = BASE + first_data_offset(is_64);
            assert_eq!(elf.read_address(data_at + 4, 3).unwrap(), b"456");
            assert!(elf.read_address(u64::MAX - 1, 4).is_none());
            let (offset, segment) = elf.first_writable_segment().unwrap();
            assert_eq!((offset, segment.len()), (0, bytes.len()));
        }
    }

    #[test]
    fn truncated_and_corrupt_headers_are_errors_not_panics() {
        let bytes = sample(true, false);
        for len in [0, 4, 5, 6, 20, 63] {
            assert!(Elf::parse(&bytes[..len]).is_err(), "length {len}");
        }
        // The section header table is at the end: cutting the file loses it.
        let error = Elf::parse(&bytes[..bytes.len() - 10]).err().unwrap();
        assert!(error.contains("section header"), "{error}");
        let mut huge = bytes.clone();
        huge[0x3c..0x3e].copy_from_slice(&0xfff0u16.to_le_bytes());
        assert!(Elf::parse(&huge).is_err());
        let mut bad_class = bytes.clone();
        bad_class[4] = 9;
        assert!(Elf::parse(&bad_class).is_err());
    }

    #[test]
    fn every_prefix_and_every_byte_flip_parses_or_fails_cleanly() {
        let bytes = sample(false, true);
        for len in 0..bytes.len() {
            let _ = Elf::parse(&bytes[..len]).map(|e| e.section_data(".note"));
        }
        for at in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0xff;
            if let Ok(elf) = Elf::parse(&flipped) {
                let _ = elf.section_data(".note");
                let _ = elf.read_address(BASE, 8);
            }
        }
    }

    #[test]
    fn read_capped_refuses_larger_files() {
        assert_eq!(read_capped(&mut &b"abc"[..], 3, 3).unwrap(), b"abc");
        assert!(read_capped(&mut &b"abcd"[..], 0, 3).unwrap_err().contains("limit"));
    }
}
