//! rpm's own NDB backend (`Packages.db`: SUSE, openSUSE), as rpm's `rpmpkg.c` writes it.
//! All numbers are little-endian `u32`s.
//!
//! ```text
//! header (32 bytes)  "RpmP", version 0, generation, slot page count, next package index
//! slots              from byte 32 to the end of the slot pages (4096 bytes each), 16 bytes
//!                    each: "Slot", package index, block offset, block count; a block is
//!                    16 bytes, and block offset 0 marks a free slot
//! blobs              at their slot's block offset: "BlbS", package index, timestamp,
//!                    length, the header blob, zero padding, then a 12-byte tail: adler32
//!                    of everything before the tail, length, "BlbE"
//! ```
//!
//! Like rpm, this checks each blob's head, length and checksum, and refuses slots whose blobs
//! overlap (so no byte is read twice, whatever the slots say). A bad slot or blob costs
//! that one package, with a warning.

use super::Problems;

const MAGIC: u32 = u32::from_le_bytes(*b"RpmP");
const SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const BLOB_HEAD_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");
const BLOB_TAIL_MAGIC: u32 = u32::from_le_bytes(*b"BlbE");
const HEADER_SIZE: usize = 32;
const SLOT_SIZE: usize = 16;
const BLOCK_SIZE: usize = 16;
const PAGE_SIZE: usize = 4096;
const BLOB_HEAD: usize = 16;
const BLOB_TAIL: usize = 12;

/// One used slot.
#[derive(Clone, Copy, Debug)]
struct Slot {
    package: u32,
    block: usize,
    blocks: usize,
}

/// Calls `each` with the package index and blob of every package. Returns warnings for the
/// slots and blobs that could not be read; `Err` when the file is not an NDB database.
pub fn read_packages(file: &[u8], each: &mut dyn FnMut(u64, &[u8])) -> Result<Problems, String> {
    if le32(file, 0) != Some(MAGIC) {
        return Err("not an rpm NDB database".into());
    }
    let version = le32(file, 4).ok_or("the NDB header is truncated")?;
    if version != 0 {
        return Err(format!("unsupported NDB version {version}"));
    }
    let slot_pages = le32(file, 12).ok_or("the NDB header is truncated")? as usize;
    let mut warnings = Problems::default();
    let mut slots = read_slots(file, slot_pages, &mut warnings);
    slots.sort_by_key(|slot| slot.block);
    // Blobs start after the slot pages and must not overlap.
    let mut free_from = slot_pages.saturating_mul(PAGE_SIZE / BLOCK_SIZE);
    for slot in slots {
        if slot.block < free_from {
            warnings.push(format!(
                "package {}: its blob overlaps the slot pages or another blob",
                slot.package
            ));
            continue;
        }
        free_from = slot.block.saturating_add(slot.blocks);
        match blob(file, slot) {
            Ok(blob) => each(u64::from(slot.package), blob),
            Err(problem) => warnings.push(format!("package {}: {problem}", slot.package)),
        }
    }
    Ok(warnings)
}

/// The used slots of the slot pages that the file holds.
fn read_slots(file: &[u8], slot_pages: usize, warnings: &mut Problems) -> Vec<Slot> {
    let slots_end = slot_pages.saturating_mul(PAGE_SIZE);
    if slots_end > file.len() {
        warnings.push(format!(
            "the file ends inside its {slot_pages} slot page(s) (truncated?)"
        ));
    }
    let mut slots = Vec::new();
    let mut bad = 0usize;
    let mut at = HEADER_SIZE;
    while at + SLOT_SIZE <= slots_end.min(file.len()) {
        let (magic, package, block, blocks) = (
            le32(file, at),
            le32(file, at + 4),
            le32(file, at + 8),
            le32(file, at + 12),
        );
        at += SLOT_SIZE;
        let (Some(SLOT_MAGIC), Some(package), Some(block), Some(blocks)) = (magic, package, block, blocks) else {
            bad += 1;
            continue;
        };
        if block == 0 {
            continue;
        }
        if package == 0 || blocks == 0 {
            bad += 1;
            continue;
        }
        slots.push(Slot {
            package,
            block: block as usize,
            blocks: blocks as usize,
        });
    }
    if bad > 0 {
        warnings.push(format!("{bad} slot(s) are corrupt"));
    }
    slots
}

/// The header blob a slot points at, after checking its head, tail and checksum.
fn blob(file: &[u8], slot: Slot) -> Result<&[u8], String> {
    let start = slot.block.checked_mul(BLOCK_SIZE).ok_or("block offset overflow")?;
    let length = slot.blocks.checked_mul(BLOCK_SIZE).ok_or("block count overflow")?;
    let region = start
        .checked_add(length)
        .and_then(|end| file.get(start..end))
        .ok_or("its blob is past the end of the file (truncated?)")?;
    if le32(region, 0) != Some(BLOB_HEAD_MAGIC) {
        return Err("its blob has no head".into());
    }
    if le32(region, 4) != Some(slot.package) {
        return Err("its blob belongs to another package".into());
    }
    let blob_length = le32(region, 12).ok_or("its blob head is truncated")? as usize;
    if (BLOB_HEAD + blob_length + BLOB_TAIL).div_ceil(BLOCK_SIZE) != slot.blocks {
        return Err(format!(
            "its blob of {blob_length} bytes does not fill its {} blocks",
            slot.blocks
        ));
    }
    let tail_at = length - BLOB_TAIL;
    let (Some(checksum), Some(tail_length), Some(BLOB_TAIL_MAGIC)) = (
        le32(region, tail_at),
        le32(region, tail_at + 4),
        le32(region, tail_at + 8),
    ) else {
        return Err("its blob has no tail".into());
    };
    if tail_length as usize != blob_length {
        return Err("its blob's head and tail disagree on its length".into());
    }
    if adler32(region.get(..tail_at).unwrap_or_default()) != checksum {
        return Err("its blob's checksum does not match".into());
    }
    region
        .get(BLOB_HEAD..BLOB_HEAD + blob_length)
        .ok_or_else(|| "its blob is truncated".to_string())
}

/// Adler-32 (RFC 1950).
fn adler32(bytes: &[u8]) -> u32 {
    const MODULUS: u32 = 65521;
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 bytes is the most that can be summed before `b` could overflow a u32.
    for chunk in bytes.chunks(5552) {
        for &byte in chunk {
            a += u32::from(byte);
            b += a;
        }
        a %= MODULUS;
        b %= MODULUS;
    }
    (b << 16) | a
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at.checked_add(4)?)?.try_into().ok()?))
}

/// Writes NDB files the way rpm's `rpmpkg.c` lays them out (rpm on Debian has no NDB
/// backend to write one with).
#[cfg(test)]
pub(crate) mod build {
    use super::*;

    /// An NDB database holding `blobs` under package indexes 1, 2, …, with one slot page
    /// and a free slot before the used ones.
    pub fn database(blobs: &[&[u8]]) -> Vec<u8> {
        let mut file = vec![0u8; PAGE_SIZE];
        file[0..4].copy_from_slice(&MAGIC.to_le_bytes());
        file[8..12].copy_from_slice(&1u32.to_le_bytes());
        file[12..16].copy_from_slice(&1u32.to_le_bytes());
        file[16..20].copy_from_slice(&(blobs.len() as u32 + 1).to_le_bytes());
        for slot in file[HEADER_SIZE..].chunks_exact_mut(SLOT_SIZE) {
            slot[0..4].copy_from_slice(&SLOT_MAGIC.to_le_bytes());
        }
        for (i, blob) in blobs.iter().enumerate() {
            let package = i as u32 + 1;
            let block = file.len() / BLOCK_SIZE;
            let mut region = Vec::new();
            region.extend_from_slice(&BLOB_HEAD_MAGIC.to_le_bytes());
            region.extend_from_slice(&package.to_le_bytes());
            region.extend_from_slice(&1_700_000_000u32.to_le_bytes());
            region.extend_from_slice(&(blob.len() as u32).to_le_bytes());
            region.extend_from_slice(blob);
            let blocks = (BLOB_HEAD + blob.len() + BLOB_TAIL).div_ceil(BLOCK_SIZE);
            region.resize(blocks * BLOCK_SIZE - BLOB_TAIL, 0);
            let checksum = adler32(&region);
            region.extend_from_slice(&checksum.to_le_bytes());
            region.extend_from_slice(&(blob.len() as u32).to_le_bytes());
            region.extend_from_slice(&BLOB_TAIL_MAGIC.to_le_bytes());
            file.extend_from_slice(&region);
            // Slot 2 (the first after the header) is left free.
            let at = HEADER_SIZE + SLOT_SIZE * (i + 1);
            file[at + 4..at + 8].copy_from_slice(&package.to_le_bytes());
            file[at + 8..at + 12].copy_from_slice(&(block as u32).to_le_bytes());
            file[at + 12..at + 16].copy_from_slice(&(blocks as u32).to_le_bytes());
        }
        file
    }
}

#[cfg(test)]
mod tests {
    use super::build::database;
    use super::*;

    fn records(file: &[u8]) -> (Vec<(u64, Vec<u8>)>, Vec<String>) {
        let mut found = Vec::new();
        let warnings = read_packages(file, &mut |key, value| found.push((key, value.to_vec()))).unwrap();
        (found, warnings.into_warnings())
    }

    #[test]
    fn reads_every_used_slot() {
        let (found, warnings) = records(&database(&[b"first blob", b"second"]));
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(found, [(1, b"first blob".to_vec()), (2, b"second".to_vec())]);
    }

    #[test]
    fn a_truncated_file_keeps_the_whole_blobs() {
        let file = database(&[b"first blob", b"second"]);
        let (found, warnings) = records(&file[..file.len() - 5]);
        assert_eq!(found, [(1, b"first blob".to_vec())]);
        assert_eq!(
            warnings,
            ["package 2: its blob is past the end of the file (truncated?)"]
        );
        let (found, warnings) = records(&file[..100]);
        assert!(found.is_empty());
        assert!(warnings[0].contains("slot page"), "{warnings:?}");
    }

    #[test]
    fn a_corrupt_blob_is_skipped() {
        let mut file = database(&[b"first blob", b"second"]);
        file[PAGE_SIZE + BLOB_HEAD] ^= 0xff;
        let (found, warnings) = records(&file);
        assert_eq!(found, [(2, b"second".to_vec())]);
        assert!(warnings[0].contains("checksum"), "{warnings:?}");
    }

    #[test]
    fn overlapping_slots_are_read_once() {
        let mut file = database(&[b"first blob", b"second"]);
        // Make slot 2 point at the blob of slot 1.
        let (one, two) = (HEADER_SIZE + SLOT_SIZE, HEADER_SIZE + 2 * SLOT_SIZE);
        let copy: Vec<u8> = file[one + 8..one + 16].to_vec();
        file[two + 8..two + 16].copy_from_slice(&copy);
        let (found, warnings) = records(&file);
        assert_eq!(found.len(), 1);
        assert!(warnings.iter().any(|w| w.contains("overlaps")), "{warnings:?}");
    }

    #[test]
    fn adler32_matches_rfc_1950() {
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
        assert_eq!(adler32(&vec![0xff; 100_000]), {
            let (mut a, mut b) = (1u64, 0u64);
            for _ in 0..100_000 {
                a = (a + 0xff) % 65521;
                b = (b + a) % 65521;
            }
            ((b << 16) | a) as u32
        });
    }

    #[test]
    fn other_files_are_refused() {
        assert!(read_packages(b"", &mut |_, _| {}).is_err());
        assert!(read_packages(b"SQLite format 3\0", &mut |_, _| {}).is_err());
    }
}
