//! One streaming pass over one layer blob: hash the blob, decompress, hash the tar, walk
//! its entries, record them, apply the whiteout conventions, and feed the analyzers.
//!
//! Memory stays bounded whatever the layer size: bytes flow through fixed buffers, and only
//! entry metadata and analyzer results are kept.

use std::io::{self, BufRead, BufReader, Read};
use std::sync::Arc;

use drydock_model::{Digest, FileKind};
use flate2::bufread::MultiGzDecoder;

use super::analyzer::{Analyzer, InterestIndex};
use super::facts::{Dispatcher, LayerEntry, LayerFacts};
use super::limits::Limits;
use super::path::{basename, join, normalize_entry_path, parent};
use super::tar_guard::TarGuard;
use super::verify::{HashingReader, limit_exceeded};
use crate::error::{OciError, Result};
use crate::image::Compression;

const WHITEOUT_PREFIX: &str = ".wh.";
const OPAQUE_MARKER: &str = ".wh..wh..opq";
const READ_BUFFER: usize = 256 * 1024;
const BLOB: &str = "the blob";
const UNCOMPRESSED: &str = "the uncompressed layer";

/// What the walk must check a layer against.
#[derive(Clone, Debug)]
pub struct LayerExpectation {
    pub index: usize,
    /// How the layer is named in errors (its digest, or its archive path).
    pub label: String,
    pub compression: Compression,
    /// The digest of the blob as stored, when the source names one.
    pub digest: Option<Digest>,
    /// The blob size from its descriptor.
    pub size: Option<u64>,
    /// The diffID from the config.
    pub diff_id: Option<Digest>,
}

/// The result of walking a blob, including what it was measured to be.
pub struct WalkedLayer {
    pub facts: LayerFacts,
    pub blob_digest: Digest,
    pub diff_id: Digest,
}

enum Decoder<R: BufRead> {
    Plain(R),
    Gzip(Box<MultiGzDecoder<R>>),
    Zstd(Box<zstd::stream::read::Decoder<'static, R>>),
}

impl<R: BufRead> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Decoder::Plain(r) => r.read(buf),
            Decoder::Gzip(r) => r.read(buf),
            Decoder::Zstd(r) => r.read(buf),
        }
    }
}

impl<R: BufRead> Decoder<R> {
    fn into_inner(self) -> R {
        match self {
            Decoder::Plain(r) => r,
            Decoder::Gzip(r) => r.into_inner(),
            Decoder::Zstd(r) => r.finish(),
        }
    }
}

/// The first bytes of a blob (fewer only if it is shorter), for sniffing its compression.
fn read_head(blob: &mut impl Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(4);
    blob.take(4).read_to_end(&mut head)?;
    Ok(head)
}

/// What compressed data starts with.
fn sniff(head: &[u8]) -> Compression {
    if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    }
}

/// Walks one layer blob and checks it against `expect`.
pub fn walk_layer(
    blob: impl Read,
    expect: &LayerExpectation,
    analyzers: &[Arc<dyn Analyzer>],
    index: &InterestIndex,
    limits: &Limits,
) -> Result<WalkedLayer> {
    let fail = |entry: Option<&str>, reason: String| OciError::Layer {
        index: expect.index,
        layer: expect.label.clone(),
        entry: entry.map(str::to_string),
        reason,
    };
    let blob_limit = expect.size.unwrap_or(u64::MAX);
    let mut blob = blob;
    let head = read_head(&mut blob).map_err(|e| fail(None, format!("reading the blob: {e}")))?;
    let compression = match expect.compression {
        Compression::Detect => sniff(&head),
        declared => declared,
    };
    let blob = io::Cursor::new(head).chain(blob);
    // An uncompressed blob is the tar itself: its digest is the diffID, so hash it once.
    let blob = match compression {
        Compression::None | Compression::Detect => HashingReader::counting(blob, blob_limit, BLOB),
        _ => HashingReader::new(blob, blob_limit, BLOB),
    };
    let buffered = BufReader::with_capacity(READ_BUFFER, blob);
    let decoder = match compression {
        Compression::Gzip => Decoder::Gzip(Box::new(MultiGzDecoder::new(buffered))),
        Compression::Zstd => Decoder::Zstd(Box::new(
            zstd::stream::read::Decoder::with_buffer(buffered).map_err(|e| fail(None, format!("zstd: {e}")))?,
        )),
        Compression::None | Compression::Detect => Decoder::Plain(buffered),
    };
    let tar_stream = TarGuard::new(HashingReader::new(decoder, limits.max_layer_bytes, UNCOMPRESSED));
    let mut archive = tar::Archive::new(tar_stream);
    let mut facts = LayerFacts::default();
    let mut dispatcher = Dispatcher::new(analyzers, index, limits);
    let describe_io = |e: &io::Error, compression: Compression| -> String {
        match limit_exceeded(e) {
            Some(l) if l.what == UNCOMPRESSED => {
                return format!(
                    "its uncompressed size exceeds the limit of {} bytes (possible decompression bomb; raise it with --max-layer-size or DRYDOCK_MAX_LAYER_SIZE)",
                    l.limit
                );
            }
            Some(l) => return format!("the blob has more bytes than the {} its descriptor says", l.limit),
            None => {}
        }
        // A source that failed while streaming (a registry giving up after its retries).
        if let Some(source_error) = e.get_ref().and_then(|inner| inner.downcast_ref::<OciError>()) {
            return format!("reading the blob failed: {source_error}");
        }
        match compression {
            Compression::Gzip => format!("corrupt or truncated gzip stream or tar: {e}"),
            Compression::Zstd => format!("corrupt or truncated zstd stream or tar: {e}"),
            _ => format!("corrupt or truncated tar: {e}"),
        }
    };

    let entries = archive
        .entries()
        .map_err(|e| fail(None, describe_io(&e, compression)))?;
    let mut seen_entries: u64 = 0;
    let mut last_path: Option<String> = None;
    for entry in entries {
        let mut entry = entry.map_err(|e| {
            let after = last_path
                .as_deref()
                .map(|p| format!(" (after entry `{p}`)"))
                .unwrap_or_default();
            fail(None, format!("{}{after}", describe_io(&e, compression)))
        })?;
        seen_entries += 1;
        if seen_entries > limits.max_layer_entries {
            return Err(fail(
                None,
                format!("it has more than {} entries", limits.max_layer_entries),
            ));
        }
        let raw_path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let path = normalize_entry_path(&raw_path).map_err(|p| fail(Some(&raw_path), format!("refused: {p}")))?;
        last_path = Some(path.clone());
        if path == "/" {
            continue;
        }
        let name = basename(&path);
        if name == OPAQUE_MARKER {
            facts.opaque_dirs.push(parent(&path).to_string());
            continue;
        }
        if let Some(hidden) = name.strip_prefix(WHITEOUT_PREFIX) {
            facts.whiteouts.push(join(parent(&path), hidden));
            continue;
        }
        let header = entry.header();
        let kind = match entry_kind(header.entry_type()) {
            Some(kind) => kind,
            None => continue,
        };
        let link_target = match kind {
            FileKind::Symlink => {
                Some(link_name(&entry).ok_or_else(|| fail(Some(&path), "symlink without a target".into()))?)
            }
            FileKind::Hardlink => {
                let raw = link_name(&entry).ok_or_else(|| fail(Some(&path), "hardlink without a target".into()))?;
                Some(
                    normalize_entry_path(&raw)
                        .map_err(|p| fail(Some(&path), format!("hardlink target `{raw}` refused: {p}")))?,
                )
            }
            _ => None,
        };
        let record = LayerEntry {
            path,
            kind,
            mode: header.mode().unwrap_or(0) & 0o7777,
            uid: header.uid().unwrap_or(0),
            gid: header.gid().unwrap_or(0),
            size: if kind == FileKind::File { entry.size() } else { 0 },
            link_target,
        };
        let meta = record.meta();
        dispatcher
            .offer(&meta, &mut entry, &mut facts)
            .map_err(|e| fail(Some(&record.path), describe_io(&e, compression)))?;
        facts.entries.push(record);
    }

    // Drain what follows the end-of-archive marker, so the digests cover every byte.
    let mut tar_stream = archive.into_inner();
    io::copy(&mut tar_stream, &mut io::sink()).map_err(|e| fail(None, describe_io(&e, compression)))?;
    let (diff_id, _, decoder) = tar_stream.into_inner().finish();
    let diff_id = diff_id.expect("the tar stream is always hashed");
    let mut buffered = decoder.into_inner();
    io::copy(&mut buffered, &mut io::sink()).map_err(|e| fail(None, format!("reading the blob: {e}")))?;
    let (blob_digest, blob_size, _) = buffered.into_inner().finish();
    let blob_digest = blob_digest.unwrap_or_else(|| diff_id.clone());

    if let Some(expected) = expect.size
        && expected != blob_size
    {
        return Err(fail(
            None,
            format!("size mismatch: the descriptor says {expected} bytes, the blob has {blob_size}"),
        ));
    }
    if let Some(expected) = &expect.digest
        && expected != &blob_digest
    {
        return Err(fail(
            None,
            format!("digest mismatch: expected {expected}, the blob has {blob_digest}"),
        ));
    }
    if let Some(expected) = &expect.diff_id
        && expected != &diff_id
    {
        return Err(fail(
            None,
            format!("diffID mismatch: the config says {expected}, the uncompressed layer has {diff_id}"),
        ));
    }
    facts.diff_id = Some(diff_id.clone());
    Ok(WalkedLayer {
        facts,
        blob_digest,
        diff_id,
    })
}

fn entry_kind(kind: tar::EntryType) -> Option<FileKind> {
    use tar::EntryType as T;
    match kind {
        T::Regular | T::Continuous | T::GNUSparse => Some(FileKind::File),
        T::Directory => Some(FileKind::Dir),
        T::Symlink => Some(FileKind::Symlink),
        T::Link => Some(FileKind::Hardlink),
        T::Char => Some(FileKind::Char),
        T::Block => Some(FileKind::Block),
        T::Fifo => Some(FileKind::Fifo),
        _ => None,
    }
}

fn link_name<R: Read>(entry: &tar::Entry<'_, R>) -> Option<String> {
    entry
        .link_name_bytes()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(bytes: &[u8]) -> Result<WalkedLayer> {
        let expect = LayerExpectation {
            index: 0,
            label: "test".into(),
            compression: Compression::Detect,
            digest: None,
            size: None,
            diff_id: None,
        };
        let index = InterestIndex::new(&[]).unwrap();
        walk_layer(bytes, &expect, &[], &index, &Limits::default())
    }

    #[test]
    fn an_oversized_pax_header_is_refused_before_it_is_read_into_memory() {
        let mut header = tar::Header::new_ustar();
        header.set_path("pax").unwrap();
        header.set_entry_type(tar::EntryType::XHeader);
        header.set_size(64 * 1024 * 1024);
        header.set_cksum();
        let mut tar = header.as_bytes().to_vec();
        tar.resize(tar.len() + 64 * 1024 * 1024, b'a');
        let err = walk(&tar).err().expect("refused").to_string();
        assert!(err.contains("extension record") && err.contains("over the"), "{err}");
    }

    #[test]
    fn an_empty_tar_is_an_empty_layer() {
        let walked = walk(&[0u8; 1024]).unwrap();
        assert!(walked.facts.entries.is_empty());
    }
}
