//! rpm's Berkeley DB backend (`/var/lib/rpm/Packages`: RHEL ≤ 8, CentOS 7, Amazon Linux 2):
//! a Berkeley DB hash database whose keys are package numbers (`hnum`, a native-endian
//! `u32`; key 0 holds the next free number) and whose values are header blobs.
//!
//! Read-only, straight from the pages, the way rpm's own `bdb_ro` backend does:
//!
//! - page 0 is the hash metadata page: magic `0x061561` at byte 12 (its byte order is the
//!   file's), page size at 20, last page number at 32, highest bucket at 72, and the
//!   `spares` table at 96 that maps a bucket to its first page;
//! - every page starts with a 26-byte header: its own number at 8, the next page of its
//!   chain at 16, the number of items at 20, the bytes used (overflow pages) at 22, its type
//!   at 25; hash pages (types 2 and 13) hold an array of item offsets after the header,
//!   items alternating key, value, each item starting with its kind: `H_KEYDATA` (1, the
//!   bytes follow) or `H_OFFPAGE` (3: first overflow page at +4, total length at +8);
//! - overflow pages (type 7) carry their bytes after the header and chain to the next.
//!
//! Every page is read at most once, so a loop or a shared chain in a corrupt file ends, and
//! a page that cannot be read costs only what it holds, with a warning.

use std::borrow::Cow;

use super::Problems;

const HASH_MAGIC: u32 = 0x0006_1561;
const BTREE_MAGIC: u32 = 0x0005_3162;
const PAGE_HEADER: usize = 26;
const HASH_UNSORTED: u8 = 2;
const OVERFLOW: u8 = 7;
const HASH_META: u8 = 8;
const HASH: u8 = 13;
const KEYDATA: u8 = 1;
const OFFPAGE: u8 = 3;
const OFFPAGE_SIZE: usize = 12;

/// Calls `each` with the package number and blob of every package record. Returns warnings
/// for the parts that could not be read; `Err` when the file is not a Berkeley DB hash
/// database.
pub fn read_packages(file: &[u8], each: &mut dyn FnMut(u64, &[u8])) -> Result<Problems, String> {
    let mut db = Database::open(file)?;
    let mut warnings = Problems::default();
    // A bucket's first page is at least its own number, so buckets past the file's last
    // page have nothing to read: one warning for all of them, not one each.
    let pages_in_file = (file.len() / db.page_size) as u32;
    if db.max_bucket >= pages_in_file {
        warnings.push(format!(
            "buckets {pages_in_file} to {} lie past the end of the file (truncated?)",
            db.max_bucket
        ));
    }
    for bucket in 0..=db.max_bucket.min(pages_in_file.saturating_sub(1)) {
        let Some(first) = db.bucket_page(bucket) else {
            warnings.push(format!("bucket {bucket} has no page in the metadata"));
            continue;
        };
        if let Err(problem) = db.read_bucket(first, each, &mut warnings) {
            warnings.push(format!("bucket {bucket}: {problem}"));
        }
    }
    Ok(warnings)
}

struct Database<'a> {
    file: &'a [u8],
    big_endian: bool,
    page_size: usize,
    max_bucket: u32,
    spares: [u32; 32],
    claimed: Vec<bool>,
}

impl<'a> Database<'a> {
    fn open(file: &'a [u8]) -> Result<Self, String> {
        let magic = file.get(12..16).ok_or("not a Berkeley DB database: too short")?;
        let big_endian = match (le32(magic, 0), be32(magic, 0)) {
            (Some(HASH_MAGIC), _) => false,
            (_, Some(HASH_MAGIC)) => true,
            (Some(BTREE_MAGIC), _) | (_, Some(BTREE_MAGIC)) => {
                return Err("a Berkeley DB btree database, not the hash database rpm keeps packages in".into());
            }
            _ => return Err("not a Berkeley DB hash database".into()),
        };
        let mut db = Database {
            file,
            big_endian,
            page_size: 0,
            max_bucket: 0,
            spares: [0; 32],
            claimed: Vec::new(),
        };
        let field = |at: usize| db.u32(file, at).ok_or("the metadata page is truncated");
        let version = field(16)?;
        if !(8..=10).contains(&version) {
            return Err(format!("unsupported Berkeley DB hash version {version}"));
        }
        let page_size = field(20)? as usize;
        if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
            return Err(format!("invalid Berkeley DB page size {page_size}"));
        }
        if file.get(24).is_some_and(|&algorithm| algorithm != 0) {
            return Err("the database is encrypted".into());
        }
        if file.get(25) != Some(&HASH_META) {
            return Err("page 0 is not a hash metadata page".into());
        }
        let last_page = field(32)?;
        let max_bucket = field(72)?;
        // Every bucket has a page of its own, so more buckets than pages is corrupt metadata.
        if max_bucket >= last_page.max(1) {
            return Err(format!(
                "{} buckets in a database of {last_page} pages",
                u64::from(max_bucket) + 1
            ));
        }
        let mut spares = [0u32; 32];
        for (i, spare) in spares.iter_mut().enumerate() {
            *spare = field(96 + 4 * i)?;
        }
        db.page_size = page_size;
        db.max_bucket = max_bucket;
        db.spares = spares;
        db.claimed = vec![false; file.len() / page_size + 1];
        Ok(db)
    }

    fn u16(&self, bytes: &[u8], at: usize) -> Option<u16> {
        let raw: [u8; 2] = bytes.get(at..at + 2)?.try_into().ok()?;
        Some(if self.big_endian {
            u16::from_be_bytes(raw)
        } else {
            u16::from_le_bytes(raw)
        })
    }

    fn u32(&self, bytes: &[u8], at: usize) -> Option<u32> {
        if self.big_endian {
            be32(bytes, at)
        } else {
            le32(bytes, at)
        }
    }

    /// The first page of a bucket: the bucket number plus the spare pages of its split
    /// point (the number of bits in the bucket number).
    fn bucket_page(&self, bucket: u32) -> Option<u32> {
        let split_point = (u32::BITS - bucket.leading_zeros()) as usize;
        bucket.checked_add(*self.spares.get(split_point)?)
    }

    /// Page `number`, checked to be one of the file's pages and claimed for this one use.
    fn claim(&mut self, number: u32) -> Result<&'a [u8], String> {
        let start = (number as usize)
            .checked_mul(self.page_size)
            .ok_or("page number overflow")?;
        let file: &'a [u8] = self.file;
        let page = file
            .get(start..start + self.page_size)
            .ok_or_else(|| format!("page {number} is past the end of the file (truncated?)"))?;
        match self.claimed.get_mut(number as usize) {
            Some(seen) if *seen => return Err(format!("page {number} is referenced twice")),
            Some(seen) => *seen = true,
            None => return Err(format!("page {number} is past the end of the file")),
        }
        if number == 0 || self.u32(page, 8) != Some(number) {
            return Err(format!(
                "page {number} does not carry its own number (overwritten or zeroed?)"
            ));
        }
        Ok(page)
    }

    /// Every key/value pair on the chain of hash pages that starts at `first`.
    fn read_bucket(
        &mut self,
        first: u32,
        each: &mut dyn FnMut(u64, &[u8]),
        warnings: &mut Problems,
    ) -> Result<(), String> {
        let mut next = first;
        while next != 0 {
            let number = next;
            let page = self.claim(number)?;
            let kind = page.get(25).copied().unwrap_or_default();
            if kind != HASH && kind != HASH_UNSORTED {
                return Err(format!("page {number} is not a hash page (type {kind})"));
            }
            let items = self.item_offsets(page);
            for index in (0..items.len() / 2).map(|pair| pair * 2) {
                if let Err(problem) = self.read_pair(page, &items, index, each) {
                    warnings.push(format!("page {number}, item {index}: {problem}"));
                }
            }
            next = self.u32(page, 16).unwrap_or(0);
        }
        Ok(())
    }

    /// The item offsets of a hash page, as many as fit after the page header.
    fn item_offsets(&self, page: &[u8]) -> Vec<usize> {
        let count = usize::from(self.u16(page, 20).unwrap_or(0)).min((self.page_size - PAGE_HEADER) / 2);
        (0..count)
            .filter_map(|i| self.u16(page, PAGE_HEADER + 2 * i).map(usize::from))
            .collect()
    }

    fn read_pair(
        &mut self,
        page: &'a [u8],
        items: &[usize],
        index: usize,
        each: &mut dyn FnMut(u64, &[u8]),
    ) -> Result<(), String> {
        let (Some(&key_at), Some(&value_at)) = (items.get(index), items.get(index + 1)) else {
            return Err("a key without its value".into());
        };
        // Items are packed from the end of the page down: each ends where the previous begins.
        let key_end = if index == 0 {
            self.page_size
        } else {
            *items.get(index - 1).ok_or("no previous item")?
        };
        let key = self.item(page, key_at, key_end)?;
        let value = self.item(page, value_at, key_at)?;
        let key = match key.len() {
            4 => self.u32(&key, 0).unwrap_or(0),
            length => return Err(format!("a key of {length} bytes, not a 4-byte package number")),
        };
        // Key 0 is rpm's counter of package numbers, not a package.
        if key != 0 {
            each(u64::from(key), &value);
        }
        Ok(())
    }

    /// The bytes of the item at `start..end` of a hash page, following it to overflow pages
    /// when it is stored off the page.
    fn item(&mut self, page: &'a [u8], start: usize, end: usize) -> Result<Cow<'a, [u8]>, String> {
        let item = page
            .get(start..end)
            .filter(|item| !item.is_empty())
            .ok_or_else(|| format!("an item at {start}..{end} is outside its page"))?;
        match item.first() {
            Some(&KEYDATA) => Ok(Cow::Borrowed(item.get(1..).unwrap_or_default())),
            Some(&OFFPAGE) if item.len() >= OFFPAGE_SIZE => {
                let first = self.u32(item, 4).unwrap_or(0);
                let length = self.u32(item, 8).unwrap_or(0) as usize;
                self.read_overflow(first, length).map(Cow::Owned)
            }
            Some(kind) => Err(format!("unsupported item kind {kind}")),
            None => Err("an empty item".into()),
        }
    }

    fn read_overflow(&mut self, first: u32, length: usize) -> Result<Vec<u8>, String> {
        if length > self.file.len() {
            return Err(format!("an overflow item of {length} bytes is larger than the file"));
        }
        let mut bytes = Vec::new();
        let mut next = first;
        while bytes.len() < length {
            if next == 0 {
                return Err(format!(
                    "the overflow chain ends after {} of {length} bytes",
                    bytes.len()
                ));
            }
            let page = self.claim(next)?;
            if page.get(25) != Some(&OVERFLOW) {
                return Err(format!("page {next} is not an overflow page"));
            }
            let used = usize::from(self.u16(page, 22).unwrap_or(0));
            let content = page
                .get(PAGE_HEADER..PAGE_HEADER + used)
                .filter(|content| bytes.len() + content.len() <= length)
                .ok_or_else(|| format!("overflow page {next} claims {used} bytes"))?;
            bytes.extend_from_slice(content);
            next = self.u32(page, 16).unwrap_or(0);
        }
        Ok(bytes)
    }
}

fn le32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// Writes small Berkeley DB hash files for tests: one bucket page holding the given
/// records, values longer than `inline_limit` stored on overflow pages.
#[cfg(test)]
pub(crate) mod build {
    use super::*;

    pub const PAGE: usize = 512;

    fn page_header(page: &mut [u8], number: u32, kind: u8) {
        page[8..12].copy_from_slice(&number.to_le_bytes());
        page[25] = kind;
    }

    pub fn database(records: &[(u32, &[u8])], inline_limit: usize) -> Vec<u8> {
        let mut pages: Vec<Vec<u8>> = vec![vec![0; PAGE], vec![0; PAGE]];
        let meta = &mut pages[0];
        meta[12..16].copy_from_slice(&HASH_MAGIC.to_le_bytes());
        meta[16..20].copy_from_slice(&9u32.to_le_bytes());
        meta[20..24].copy_from_slice(&(PAGE as u32).to_le_bytes());
        meta[25] = HASH_META;
        // max_bucket 0; spares[0] = 1: bucket 0 is page 1.
        meta[96..100].copy_from_slice(&1u32.to_le_bytes());
        let mut items: Vec<Vec<u8>> = Vec::new();
        for (key, value) in records {
            let mut key_item = vec![KEYDATA];
            key_item.extend_from_slice(&key.to_le_bytes());
            items.push(key_item);
            if value.len() <= inline_limit {
                let mut item = vec![KEYDATA];
                item.extend_from_slice(value);
                items.push(item);
            } else {
                let first = pages.len() as u32;
                let chunks: Vec<&[u8]> = value.chunks(PAGE - PAGE_HEADER).collect();
                for (i, chunk) in chunks.iter().enumerate() {
                    let number = pages.len() as u32;
                    let mut page = vec![0; PAGE];
                    page_header(&mut page, number, OVERFLOW);
                    let next = if i + 1 < chunks.len() { number + 1 } else { 0 };
                    page[16..20].copy_from_slice(&next.to_le_bytes());
                    page[22..24].copy_from_slice(&(chunk.len() as u16).to_le_bytes());
                    page[PAGE_HEADER..PAGE_HEADER + chunk.len()].copy_from_slice(chunk);
                    pages.push(page);
                }
                let mut item = vec![OFFPAGE, 0, 0, 0];
                item.extend_from_slice(&first.to_le_bytes());
                item.extend_from_slice(&(value.len() as u32).to_le_bytes());
                items.push(item);
            }
        }
        let bucket = &mut pages[1];
        page_header(bucket, 1, HASH);
        bucket[20..22].copy_from_slice(&(items.len() as u16).to_le_bytes());
        let mut end = PAGE;
        for (i, item) in items.iter().enumerate() {
            end -= item.len();
            bucket[end..end + item.len()].copy_from_slice(item);
            bucket[PAGE_HEADER + 2 * i..PAGE_HEADER + 2 * i + 2].copy_from_slice(&(end as u16).to_le_bytes());
        }
        let last = (pages.len() - 1) as u32;
        pages[0][32..36].copy_from_slice(&last.to_le_bytes());
        pages.concat()
    }
}

#[cfg(test)]
mod tests {
    use super::build::{PAGE, database};
    use super::*;

    type Records = Vec<(u64, Vec<u8>)>;

    fn records(file: &[u8]) -> (Records, Vec<String>) {
        let mut found = Vec::new();
        let warnings = read_packages(file, &mut |key, value| found.push((key, value.to_vec()))).unwrap();
        (found, warnings.into_warnings())
    }

    #[test]
    fn reads_inline_and_overflow_values_and_skips_the_counter() {
        let big: Vec<u8> = (0..1500u32).map(|i| i as u8).collect();
        let file = database(&[(0, &3u32.to_le_bytes()), (1, b"small"), (2, &big)], 64);
        let (found, warnings) = records(&file);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(found, [(1, b"small".to_vec()), (2, big)]);
    }

    #[test]
    fn a_truncated_file_keeps_the_records_it_still_has() {
        let big = vec![7u8; 1500];
        let file = database(&[(1, b"small"), (2, &big)], 64);
        let (found, warnings) = records(&file[..file.len() - PAGE]);
        assert_eq!(found, [(1, b"small".to_vec())]);
        assert!(warnings.iter().any(|w| w.contains("past the end")), "{warnings:?}");
    }

    #[test]
    fn a_looping_overflow_chain_ends() {
        let big = vec![7u8; 1500];
        let mut file = database(&[(1, &big)], 64);
        // Point the first overflow page (page 2) back at itself.
        file[2 * PAGE + 16..2 * PAGE + 20].copy_from_slice(&2u32.to_le_bytes());
        let (found, warnings) = records(&file);
        assert!(found.is_empty());
        assert!(warnings.iter().any(|w| w.contains("referenced twice")), "{warnings:?}");
    }

    #[test]
    fn other_files_are_refused() {
        assert!(read_packages(b"", &mut |_, _| {}).is_err());
        let mut file = database(&[], 64);
        file[12..16].copy_from_slice(&BTREE_MAGIC.to_le_bytes());
        assert!(read_packages(&file, &mut |_, _| {}).unwrap_err().contains("btree"));
        let mut file = database(&[], 64);
        file[72..76].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(read_packages(&file, &mut |_, _| {}).unwrap_err().contains("buckets"));
    }

    #[test]
    fn buckets_past_the_end_of_the_file_are_one_warning() {
        let mut file = database(&[(1, b"small")], 64);
        file[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
        file[72..76].copy_from_slice(&(u32::MAX - 1).to_le_bytes());
        let (found, warnings) = records(&file);
        assert_eq!(found, [(1, b"small".to_vec())]);
        assert!(
            warnings.len() == 2 && warnings[0].starts_with("buckets 2 to 4294967294 lie past the end"),
            "{warnings:?}"
        );
    }

    #[test]
    fn big_endian_files_are_read_too() {
        let file = database(&[], 64);
        let mut swapped = file.clone();
        swapped[12..16].copy_from_slice(&HASH_MAGIC.to_be_bytes());
        for at in [16, 20, 32, 72, 96] {
            let value = u32::from_le_bytes(file[at..at + 4].try_into().unwrap());
            swapped[at..at + 4].copy_from_slice(&value.to_be_bytes());
        }
        swapped[PAGE + 8..PAGE + 12].copy_from_slice(&1u32.to_be_bytes());
        let (found, warnings) = records(&swapped);
        assert!(found.is_empty() && warnings.is_empty(), "{warnings:?}");
    }
}
