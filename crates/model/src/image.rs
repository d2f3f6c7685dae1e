use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Digest, Platform};

/// What `drydock image inspect` reports: where the image came from, its digests, its layers
/// and its configuration, and optionally its merged filesystem.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ImageDescription {
    /// The reference as the user gave it, e.g. `oci:fixtures/images/oci:debian-min`.
    pub reference: String,
    /// The kind of source (`oci`, `oci-archive`, `docker-archive`, `docker`, `dir`, `registry`).
    pub source: String,
    /// The digest of the manifest the reference resolved to; absent for sources that have
    /// no manifest (a plain directory, the Docker Engine's and docker-archive's own format).
    pub manifest_digest: Option<Digest>,
    /// The digest of the image index or manifest list the platform was chosen from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_digest: Option<Digest>,
    /// The digest of the config blob, which is also the Docker image id.
    pub config_digest: Option<Digest>,
    pub platform: Platform,
    pub created: Option<String>,
    pub layers: Vec<LayerDescription>,
    pub config: ImageConfigSummary,
    /// The merged filesystem, when it was asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files: Option<Vec<FileRecord>>,
}

/// One layer of an image, bottom (index 0) to top.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct LayerDescription {
    pub index: usize,
    /// The digest of the blob as stored (compressed); absent for uncompressed-only sources.
    pub digest: Option<Digest>,
    /// The digest of the uncompressed tar, as the config's `rootfs.diff_ids` names it;
    /// absent only for a plain directory, which is not a tar.
    pub diff_id: Option<Digest>,
    /// The size of the blob as stored, in bytes.
    pub size: Option<u64>,
    pub media_type: String,
    /// The `created_by` of the history entry that made this layer.
    pub created_by: Option<String>,
}

/// The parts of an image config that say how a container of it runs.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ImageConfigSummary {
    pub user: Option<String>,
    pub env: Vec<String>,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub working_dir: Option<String>,
    pub exposed_ports: Vec<String>,
    pub volumes: Vec<String>,
    pub labels: BTreeMap<String, String>,
    pub healthcheck: Option<Healthcheck>,
    pub stop_signal: Option<String>,
}

/// A Docker `HEALTHCHECK`; durations in nanoseconds as the config stores them.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Healthcheck {
    pub test: Vec<String>,
    pub interval: Option<u64>,
    pub timeout: Option<u64>,
    pub start_period: Option<u64>,
    pub retries: Option<u64>,
}

/// The type of a filesystem entry.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    File,
    Dir,
    Symlink,
    Hardlink,
    Char,
    Block,
    Fifo,
}

impl FileKind {
    /// The one-letter type `ls -l` shows.
    pub fn letter(self) -> char {
        match self {
            FileKind::File | FileKind::Hardlink => '-',
            FileKind::Dir => 'd',
            FileKind::Symlink => 'l',
            FileKind::Char => 'c',
            FileKind::Block => 'b',
            FileKind::Fifo => 'p',
        }
    }
}

/// One entry of an image's filesystem. Paths are absolute inside the image (`/etc/passwd`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileRecord {
    pub path: String,
    pub kind: FileKind,
    /// Permission bits including setuid, setgid and sticky (`0o4755`).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    pub size: u64,
    /// Symlink target as written, or the hardlink's target path inside the image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link_target: Option<String>,
    /// Index of the layer that last wrote this entry.
    pub layer: usize,
}

impl FileRecord {
    /// `ls -l` style mode string, e.g. `-rwsr-xr-x`.
    pub fn mode_string(&self) -> String {
        let mut out = String::with_capacity(10);
        out.push(self.kind.letter());
        let bits = self.mode;
        let triplet = |shift: u32, special: bool, special_char: char, out: &mut String| {
            out.push(if bits >> (shift + 2) & 1 == 1 { 'r' } else { '-' });
            out.push(if bits >> (shift + 1) & 1 == 1 { 'w' } else { '-' });
            let exec = bits >> shift & 1 == 1;
            out.push(match (special, exec) {
                (true, true) => special_char,
                (true, false) => special_char.to_ascii_uppercase(),
                (false, true) => 'x',
                (false, false) => '-',
            });
        };
        triplet(6, bits & 0o4000 != 0, 's', &mut out);
        triplet(3, bits & 0o2000 != 0, 's', &mut out);
        triplet(0, bits & 0o1000 != 0, 't', &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: FileKind, mode: u32) -> FileRecord {
        FileRecord {
            path: "/x".into(),
            kind,
            mode,
            uid: 0,
            gid: 0,
            size: 0,
            link_target: None,
            layer: 0,
        }
    }

    #[test]
    fn mode_strings_match_ls() {
        assert_eq!(record(FileKind::File, 0o4755).mode_string(), "-rwsr-xr-x");
        assert_eq!(record(FileKind::Dir, 0o1777).mode_string(), "drwxrwxrwt");
        assert_eq!(record(FileKind::File, 0o2644).mode_string(), "-rw-r-Sr--");
        assert_eq!(record(FileKind::Symlink, 0o777).mode_string(), "lrwxrwxrwx");
    }
}
