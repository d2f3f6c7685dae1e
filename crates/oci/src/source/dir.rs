//! A plain root filesystem (`dir:PATH`), read as one layer.
//!
//! Symlinks are recorded, never followed, and files are opened only after `lstat` said they
//! are regular files under the root, so nothing outside the directory is read.

use std::fs;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;
use std::sync::Arc;

use drydock_model::{FileKind, ImageConfigSummary, ImageDescription, LayerDescription, Platform};

use crate::engine::analyzer::{Analyzer, InterestIndex};
use crate::engine::facts::{Dispatcher, LayerEntry, LayerFacts};
use crate::engine::limits::Limits;
use crate::engine::path::join;
use crate::error::{OciError, Result};
use crate::image::{BlobRef, Compression, LayerAccess, LayerSpec, ResolvedImage};

/// The media type drydock reports for the pseudo-layer of a directory.
pub const DIR_MEDIA_TYPE: &str = "inode/directory";

pub fn resolve(path: &Path, user_text: &str) -> Result<ResolvedImage> {
    let meta = fs::metadata(path).map_err(|e| OciError::io(format!("opening directory {}", path.display()), e))?;
    if !meta.is_dir() {
        return Err(OciError::invalid(
            format!("dir:{}", path.display()),
            "it is not a directory",
        ));
    }
    let layer = LayerDescription {
        index: 0,
        digest: None,
        diff_id: None,
        size: None,
        media_type: DIR_MEDIA_TYPE.to_string(),
        created_by: None,
    };
    let description = ImageDescription {
        reference: user_text.to_string(),
        source: "dir".to_string(),
        manifest_digest: None,
        index_digest: None,
        config_digest: None,
        platform: Platform::host(),
        created: None,
        layers: vec![layer.clone()],
        config: ImageConfigSummary::default(),
        files: None,
    };
    Ok(ResolvedImage {
        description,
        layers: vec![LayerSpec {
            description: layer,
            compression: Compression::None,
            blob: BlobRef::ArchiveEntry(String::new()),
        }],
        access: LayerAccess::Dir(path.to_path_buf()),
    })
}

/// Walks the directory as the single layer of the image.
pub fn walk(
    root: &Path,
    analyzers: &[Arc<dyn Analyzer>],
    index: &InterestIndex,
    limits: &Limits,
) -> Result<LayerFacts> {
    let mut facts = LayerFacts::default();
    let mut dispatcher = Dispatcher::new(analyzers, index, limits);
    let mut pending = vec![("/".to_string(), root.to_path_buf())];
    while let Some((image_dir, host_dir)) = pending.pop() {
        let listing =
            fs::read_dir(&host_dir).map_err(|e| OciError::io(format!("listing {}", host_dir.display()), e))?;
        let mut children: Vec<fs::DirEntry> = listing
            .collect::<std::io::Result<_>>()
            .map_err(|e| OciError::io(format!("listing {}", host_dir.display()), e))?;
        children.sort_by_key(|c| c.file_name());
        for child in children {
            let name = child.file_name().to_string_lossy().into_owned();
            let image_path = join(&image_dir, &name);
            let host_path = child.path();
            let meta = fs::symlink_metadata(&host_path)
                .map_err(|e| OciError::io(format!("reading {}", host_path.display()), e))?;
            let record = entry_from_metadata(&image_path, &host_path, &meta)?;
            if record.kind == FileKind::Dir {
                pending.push((image_path.clone(), host_path.clone()));
            }
            offer(&mut dispatcher, &record, &host_path, &mut facts)?;
            facts.entries.push(record);
        }
    }
    Ok(facts)
}

fn entry_from_metadata(image_path: &str, host_path: &Path, meta: &fs::Metadata) -> Result<LayerEntry> {
    let file_type = meta.file_type();
    let kind = if file_type.is_dir() {
        FileKind::Dir
    } else if file_type.is_symlink() {
        FileKind::Symlink
    } else if file_type.is_char_device() {
        FileKind::Char
    } else if file_type.is_block_device() {
        FileKind::Block
    } else if file_type.is_fifo() {
        FileKind::Fifo
    } else {
        FileKind::File
    };
    let link_target = if kind == FileKind::Symlink {
        let target =
            fs::read_link(host_path).map_err(|e| OciError::io(format!("reading link {}", host_path.display()), e))?;
        Some(target.to_string_lossy().into_owned())
    } else {
        None
    };
    Ok(LayerEntry {
        path: image_path.to_string(),
        kind,
        mode: meta.mode() & 0o7777,
        uid: u64::from(meta.uid()),
        gid: u64::from(meta.gid()),
        size: if kind == FileKind::File { meta.len() } else { 0 },
        link_target,
    })
}

fn offer(dispatcher: &mut Dispatcher<'_>, record: &LayerEntry, host_path: &Path, facts: &mut LayerFacts) -> Result<()> {
    let meta = record.meta();
    let mut content: Box<dyn Read> = if record.kind == FileKind::File {
        // A file that vanished or became unreadable since the listing is skipped, not fatal.
        match open_no_follow(host_path) {
            Ok(file) => Box::new(file.take(record.size)),
            Err(_) => Box::new(std::io::empty()),
        }
    } else {
        Box::new(std::io::empty())
    };
    dispatcher
        .offer(&meta, &mut content, facts)
        .map_err(|e| OciError::io(format!("reading {}", host_path.display()), e))
}

fn open_no_follow(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    // A file swapped for a symlink after the listing fails to open instead of being followed.
    fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}
