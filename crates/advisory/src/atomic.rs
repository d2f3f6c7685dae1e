//! Replacing a file in one step: the bytes go to a temporary file beside it, are synced,
//! and the temporary file is renamed over the target, so a reader sees the old file or
//! the new one, never a half-written one.

use std::io::Write;
use std::path::Path;

use crate::error::AdvisoryError;

/// Writes `bytes` to `path` atomically, creating its directory when missing.
pub fn write(path: &Path, bytes: &[u8]) -> Result<(), AdvisoryError> {
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(directory).map_err(|e| AdvisoryError::io(directory, "creating", e))?;
    let mut file = tempfile::Builder::new()
        .prefix(".drydock-")
        .tempfile_in(directory)
        .map_err(|e| AdvisoryError::io(directory, "creating a temporary file in", e))?;
    file.write_all(bytes)
        .and_then(|()| file.as_file().sync_all())
        .map_err(|e| AdvisoryError::io(file.path(), "writing", e))?;
    file.persist(path)
        .map_err(|e| AdvisoryError::io(path, "replacing", e.error))?;
    Ok(())
}
