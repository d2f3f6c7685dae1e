//! rpm's SQLite backend (`rpmdb.sqlite`, rpm ≥ 4.16: RHEL 9, Fedora ≥ 33): the `Packages`
//! table, `(hnum INTEGER PRIMARY KEY, blob BLOB)`, one header blob per installed package.
//!
//! We read the SQLite file format (<https://www.sqlite.org/fileformat2.html>) ourselves
//! rather than link SQLite: all we need is one table b-tree walk, which is a few hundred
//! lines; the database arrives as bytes of an image layer, so SQLite would first need it
//! deserialized into memory (`rusqlite` with the `serialize` feature); bundling SQLite costs
//! a C compile and a `links = "sqlite3"` slot that the registry's sqlx must share; and an
//! untrusted database file is exactly the input SQLite's own documentation warns needs
//! hardening. This reader only follows page numbers it has checked, claims every page at
//! most once (so loops and shared overflow chains end), and skips a bad page with a
//! warning. The write-ahead log (`rpmdb.sqlite-wal`) is not read: rpm checkpoints it when
//! it closes the database, so an image normally ships none.

use std::borrow::Cow;

use super::Problems;

const MAGIC: &[u8] = b"SQLite format 3\0";
const HEADER_SIZE: usize = 100;
const INTERIOR_TABLE: u8 = 0x05;
const LEAF_TABLE: u8 = 0x0d;

/// Calls `each` with the row id (rpm's `hnum`) and blob of every row of the `Packages`
/// table. Returns warnings for the parts that could not be read; `Err` when the file is
/// not an SQLite database or has no readable `Packages` table.
pub fn read_packages(file: &[u8], each: &mut dyn FnMut(u64, &[u8])) -> Result<Problems, String> {
    let mut db = Database::open(file)?;
    let mut warnings = Problems::default();
    let mut root = None;
    let schema_problems = db.walk_table(1, &mut |_, record| {
        if root.is_none() {
            root = packages_root(record);
        }
    });
    let root = root.ok_or_else(|| match schema_problems.first() {
        Some(problem) => format!("no Packages table found; the schema is unreadable: {problem}"),
        None => "no Packages table in the database".to_string(),
    })?;
    warnings.extend(schema_problems);
    let (mut bad_rows, mut first_bad) = (0usize, None);
    warnings.extend(db.walk_table(root, &mut |rowid, record| match blob_column(record) {
        Some(blob) => each(rowid, blob),
        None => {
            bad_rows += 1;
            first_bad.get_or_insert(rowid);
        }
    }));
    if let Some(first) = first_bad {
        warnings.push(format!(
            "{bad_rows} row(s) of Packages have no blob column (first: hnum {first})"
        ));
    }
    Ok(warnings)
}

struct Database<'a> {
    file: &'a [u8],
    page_size: usize,
    /// Page size less the bytes each page reserves at its end.
    usable: usize,
    /// Pages already read: every page belongs to one b-tree node or one overflow chain.
    claimed: Vec<bool>,
}

impl<'a> Database<'a> {
    fn open(file: &'a [u8]) -> Result<Self, String> {
        if !file.starts_with(MAGIC) {
            return Err("not an SQLite database".into());
        }
        let (Some(raw_size), Some(&reserved)) = (be16(file, 16), file.get(20)) else {
            return Err("the SQLite header is truncated".into());
        };
        let page_size = match raw_size {
            1 => 65536,
            size => usize::from(size),
        };
        if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
            return Err(format!("invalid SQLite page size {page_size}"));
        }
        let usable = page_size - usize::from(reserved);
        if usable < 480 {
            return Err(format!("invalid SQLite reserved space {reserved}"));
        }
        Ok(Database {
            file,
            page_size,
            usable,
            claimed: vec![false; file.len() / page_size + 1],
        })
    }

    /// Page `number` (1-based), claimed for this one use.
    fn claim(&mut self, number: u32) -> Result<&'a [u8], String> {
        let index = number as usize;
        let start = index
            .checked_sub(1)
            .ok_or("page number 0")?
            .checked_mul(self.page_size)
            .ok_or("page number overflow")?;
        let file: &'a [u8] = self.file;
        let page = file
            .get(start..start + self.page_size)
            .ok_or_else(|| format!("page {number} is past the end of the file (truncated?)"))?;
        match self.claimed.get_mut(index) {
            Some(seen) if *seen => Err(format!("page {number} is referenced twice")),
            Some(seen) => {
                *seen = true;
                Ok(page)
            }
            None => Err(format!("page {number} is past the end of the file")),
        }
    }

    /// Every row of the table b-tree rooted at `root`, in row id order, with its record.
    fn walk_table(&mut self, root: u32, each: &mut dyn FnMut(u64, &[u8])) -> Problems {
        let mut warnings = Problems::default();
        let mut stack = vec![root];
        while let Some(number) = stack.pop() {
            let page = match self.claim(number) {
                Ok(page) => page,
                Err(problem) => {
                    warnings.push(problem);
                    continue;
                }
            };
            let at = if number == 1 { HEADER_SIZE } else { 0 };
            let result = match page.get(at) {
                Some(&INTERIOR_TABLE) => interior_children(page, at).map(|children| stack.extend(children)),
                Some(&LEAF_TABLE) => self.leaf_rows(page, at, each, &mut warnings),
                Some(other) => Err(format!("not a table b-tree page (type {other:#04x})")),
                None => Err("empty page".into()),
            };
            if let Err(problem) = result {
                warnings.push(format!("page {number}: {problem}"));
            }
        }
        warnings
    }

    fn leaf_rows(
        &mut self,
        page: &'a [u8],
        at: usize,
        each: &mut dyn FnMut(u64, &[u8]),
        warnings: &mut Problems,
    ) -> Result<(), String> {
        for cell in cell_pointers(page, at, 8)? {
            let row = page
                .get(cell..)
                .ok_or_else(|| format!("cell offset {cell} is outside the page"))
                .and_then(|bytes| self.row(page, cell, bytes));
            match row {
                Ok((rowid, record)) => each(rowid, &record),
                Err(problem) => warnings.push(format!("a row at offset {cell}: {problem}")),
            }
        }
        Ok(())
    }

    /// One leaf cell: its row id and its record, gathered from overflow pages if it spills.
    fn row(&mut self, page: &'a [u8], cell: usize, bytes: &'a [u8]) -> Result<(u64, Cow<'a, [u8]>), String> {
        let (total, used) = varint(bytes, 0).ok_or("truncated payload size")?;
        let (rowid, used_id) = varint(bytes, used).ok_or("truncated row id")?;
        let start = cell + used + used_id;
        let total = usize::try_from(total)
            .ok()
            .filter(|&total| total <= self.file.len())
            .ok_or_else(|| format!("a payload of {total} bytes is larger than the file"))?;
        let local = self.local_size(total);
        let here = page
            .get(start..start + local)
            .ok_or("the payload runs past the end of its page")?;
        if local == total {
            return Ok((rowid, Cow::Borrowed(here)));
        }
        let first = page
            .get(start + local..start + local + 4)
            .and_then(|raw| raw.try_into().ok())
            .map(u32::from_be_bytes)
            .ok_or("the overflow page number runs past the end of its page")?;
        let mut record = here.to_vec();
        self.read_overflow(first, total, &mut record)?;
        Ok((rowid, Cow::Owned(record)))
    }

    /// How much of a table leaf payload of `total` bytes is stored on the leaf page itself.
    fn local_size(&self, total: usize) -> usize {
        let max_local = self.usable - 35;
        if total <= max_local {
            return total;
        }
        let min_local = (self.usable - 12) * 32 / 255 - 23;
        let k = min_local + (total - min_local) % (self.usable - 4);
        if k <= max_local { k } else { min_local }
    }

    fn read_overflow(&mut self, mut next: u32, total: usize, record: &mut Vec<u8>) -> Result<(), String> {
        while record.len() < total {
            if next == 0 {
                return Err(format!(
                    "the overflow chain ends after {} of {total} bytes",
                    record.len()
                ));
            }
            let page = self.claim(next)?;
            let content = page.get(4..self.usable).ok_or("short overflow page")?;
            let wanted = (total - record.len()).min(content.len());
            record.extend_from_slice(content.get(..wanted).unwrap_or_default());
            next = page
                .get(..4)
                .and_then(|raw| raw.try_into().ok())
                .map(u32::from_be_bytes)
                .unwrap_or(0);
        }
        Ok(())
    }
}

/// Child page numbers of an interior table page in reverse order, so that popping them from
/// a stack visits them in row id order.
fn interior_children(page: &[u8], at: usize) -> Result<Vec<u32>, String> {
    let right = be32(page, at + 8).ok_or("truncated page header")?;
    let mut children = vec![right];
    for cell in cell_pointers(page, at, 12)?.into_iter().rev() {
        children.push(be32(page, cell).ok_or_else(|| format!("cell offset {cell} is outside the page"))?);
    }
    Ok(children)
}

/// The cell offsets of a b-tree page whose header (of `header_len` bytes) starts at `at`.
fn cell_pointers(page: &[u8], at: usize, header_len: usize) -> Result<Vec<usize>, String> {
    let count = usize::from(be16(page, at + 3).ok_or("truncated page header")?);
    let array = page
        .get(at + header_len..at + header_len + 2 * count)
        .ok_or_else(|| format!("{count} cells do not fit in the page"))?;
    Ok((0..count).filter_map(|i| be16(array, 2 * i).map(usize::from)).collect())
}

/// One column value of a record.
#[derive(Debug, PartialEq)]
enum Value<'a> {
    Null,
    Integer(i64),
    Other,
    Text(&'a [u8]),
    Blob(&'a [u8]),
}

/// The values of a record (<https://www.sqlite.org/fileformat2.html#record_format>).
fn record_values(record: &[u8]) -> Option<Vec<Value<'_>>> {
    let (header_len, mut at) = varint(record, 0)?;
    let header_len = usize::try_from(header_len).ok().filter(|&len| len <= record.len())?;
    let mut body = header_len;
    let mut values = Vec::new();
    while at < header_len {
        let (serial, used) = varint(record, at)?;
        at += used;
        let size = serial_size(serial)?;
        let bytes = record.get(body..body.checked_add(size)?)?;
        body += size;
        values.push(match serial {
            0 => Value::Null,
            1..=6 => Value::Integer(signed_be(bytes)),
            8 => Value::Integer(0),
            9 => Value::Integer(1),
            n if n >= 12 && n % 2 == 0 => Value::Blob(bytes),
            n if n >= 13 => Value::Text(bytes),
            _ => Value::Other,
        });
    }
    Some(values)
}

fn serial_size(serial: u64) -> Option<usize> {
    Some(match serial {
        0 | 8 | 9 => 0,
        1 => 1,
        2 => 2,
        3 => 3,
        4 => 4,
        5 => 6,
        6 | 7 => 8,
        10 | 11 => return None,
        n => usize::try_from((n - 12) / 2).ok()?,
    })
}

fn signed_be(bytes: &[u8]) -> i64 {
    let negative = bytes.first().is_some_and(|first| first & 0x80 != 0);
    let start = if negative { -1i64 } else { 0 };
    bytes.iter().fold(start, |value, &byte| (value << 8) | i64::from(byte))
}

/// The root page of the `Packages` table, from one row of the schema table
/// (`type, name, tbl_name, rootpage, sql`).
fn packages_root(record: &[u8]) -> Option<u32> {
    let values = record_values(record)?;
    let is_packages = matches!(values.first(), Some(Value::Text(b"table")))
        && matches!(values.get(1), Some(Value::Text(name)) if name.eq_ignore_ascii_case(b"Packages"));
    match values.get(3) {
        Some(&Value::Integer(root)) if is_packages => u32::try_from(root).ok().filter(|&root| root > 0),
        _ => None,
    }
}

/// The first BLOB value of a record: rpm's `blob` column (`hnum` is the row id, stored as NULL).
fn blob_column(record: &[u8]) -> Option<&[u8]> {
    record_values(record)?.into_iter().find_map(|value| match value {
        Value::Blob(blob) => Some(blob),
        _ => None,
    })
}

/// SQLite's variable-length integer: up to 9 bytes, big-endian, 7 bits a byte, 8 in the 9th.
fn varint(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut value = 0u64;
    for i in 0..9 {
        let byte = *bytes.get(at + i)?;
        if i == 8 {
            return Some(((value << 8) | u64::from(byte), 9));
        }
        value = (value << 7) | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            return Some((value, i + 1));
        }
    }
    None
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(file: &[u8]) -> (Vec<(u64, Vec<u8>)>, Vec<String>) {
        let mut found = Vec::new();
        let warnings = read_packages(file, &mut |hnum, blob| found.push((hnum, blob.to_vec()))).unwrap();
        (found, warnings.into_warnings())
    }

    /// A two-page database: the schema on page 1 naming `Packages` at page 2, and one leaf
    /// page with the given (rowid, blob) rows, all small enough to stay on the page.
    fn tiny_database(packages: &[(u8, &[u8])]) -> Vec<u8> {
        let page_size = 512;
        let mut file = vec![0u8; page_size * 2];
        file[..16].copy_from_slice(MAGIC);
        file[16..18].copy_from_slice(&(page_size as u16).to_be_bytes());
        let schema = record(&[
            Field::Text(b"table"),
            Field::Text(b"Packages"),
            Field::Text(b"Packages"),
            Field::Int(2),
            Field::Text(b"CREATE TABLE"),
        ]);
        write_leaf(&mut file[..page_size], HEADER_SIZE, &[(1, schema)]);
        let cells: Vec<(u8, Vec<u8>)> = packages
            .iter()
            .map(|(rowid, blob)| (*rowid, record(&[Field::Null, Field::Blob(blob)])))
            .collect();
        write_leaf(&mut file[page_size..], 0, &cells);
        file
    }

    enum Field<'a> {
        Null,
        Int(u8),
        Text(&'a [u8]),
        Blob(&'a [u8]),
    }

    fn record(fields: &[Field<'_>]) -> Vec<u8> {
        let mut header = Vec::new();
        let mut body = Vec::new();
        for field in fields {
            match field {
                Field::Null => header.push(0),
                Field::Int(n) => {
                    header.push(1);
                    body.push(*n);
                }
                Field::Text(text) => {
                    header.push((text.len() * 2 + 13) as u8);
                    body.extend_from_slice(text);
                }
                Field::Blob(blob) => {
                    header.push((blob.len() * 2 + 12) as u8);
                    body.extend_from_slice(blob);
                }
            }
        }
        let mut out = vec![(header.len() + 1) as u8];
        out.extend(header);
        out.extend(body);
        out
    }

    /// Writes a table leaf page with one-byte varints (test records are under 128 bytes).
    fn write_leaf(page: &mut [u8], at: usize, cells: &[(u8, Vec<u8>)]) {
        page[at] = LEAF_TABLE;
        page[at + 3..at + 5].copy_from_slice(&(cells.len() as u16).to_be_bytes());
        let mut end = page.len();
        for (i, (rowid, payload)) in cells.iter().enumerate() {
            let mut cell = vec![payload.len() as u8, *rowid];
            cell.extend_from_slice(payload);
            end -= cell.len();
            page[end..end + cell.len()].copy_from_slice(&cell);
            let pointer = at + 8 + 2 * i;
            page[pointer..pointer + 2].copy_from_slice(&(end as u16).to_be_bytes());
        }
    }

    #[test]
    fn reads_rows_of_the_packages_table() {
        let file = tiny_database(&[(1, b"first"), (7, b"second")]);
        let (found, warnings) = rows(&file);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(found, [(1, b"first".to_vec()), (7, b"second".to_vec())]);
    }

    #[test]
    fn a_missing_packages_table_is_an_error() {
        let mut file = tiny_database(&[(1, b"x")]);
        let at = file.windows(8).position(|w| w == b"Packages").unwrap();
        file[at..at + 8].copy_from_slice(b"Elsewise");
        assert!(
            read_packages(&file, &mut |_, _| {})
                .unwrap_err()
                .contains("no Packages table")
        );
    }

    #[test]
    fn not_sqlite_is_an_error() {
        assert!(read_packages(b"hello", &mut |_, _| {}).is_err());
        let mut file = tiny_database(&[]);
        file[16..18].copy_from_slice(&300u16.to_be_bytes());
        assert!(read_packages(&file, &mut |_, _| {}).unwrap_err().contains("page size"));
    }

    #[test]
    fn a_truncated_database_warns_about_missing_pages() {
        let file = tiny_database(&[(1, b"x")]);
        let err = read_packages(&file[..600], &mut |_, _| {}).map(|w| w.into_warnings().join("; "));
        assert!(err.unwrap().contains("past the end of the file"));
    }

    #[test]
    fn a_page_referenced_twice_is_read_once() {
        // Make page 2 an interior page whose children are page 2 itself.
        let mut file = tiny_database(&[]);
        let page = &mut file[512..1024];
        page[0] = INTERIOR_TABLE;
        page[3..5].copy_from_slice(&1u16.to_be_bytes());
        page[8..12].copy_from_slice(&2u32.to_be_bytes());
        page[12..14].copy_from_slice(&100u16.to_be_bytes());
        page[100..104].copy_from_slice(&2u32.to_be_bytes());
        let (found, warnings) = rows(&file);
        assert!(found.is_empty());
        assert!(warnings.iter().any(|w| w.contains("referenced twice")), "{warnings:?}");
    }

    #[test]
    fn varints_and_local_sizes_follow_the_file_format() {
        assert_eq!(varint(&[0x7f], 0), Some((127, 1)));
        assert_eq!(varint(&[0x81, 0x00], 0), Some((128, 2)));
        assert_eq!(varint(&[0xff; 9], 0), Some((u64::MAX, 9)));
        assert_eq!(varint(&[0x81], 0), None);
        assert_eq!(signed_be(&[0xff, 0xfe]), -2);
        let db = Database::open(&tiny_database(&[]))
            .map(|db| (db.usable, db.local_size(10)))
            .unwrap();
        assert_eq!(db, (512, 10));
    }
}
