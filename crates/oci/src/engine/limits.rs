//! Limits that keep a hostile image from exhausting memory, disk or time.
//! Documented in docs/limits.md; the CLI exposes them as flags and environment variables.

/// The limits of one scan.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Most uncompressed bytes one layer may expand to. A layer past it is rejected as a
    /// possible decompression bomb. Default 32 GiB (`--max-layer-size`,
    /// `DRYDOCK_MAX_LAYER_SIZE`).
    pub max_layer_bytes: u64,
    /// Most tar entries one layer may have. Default 10 million.
    pub max_layer_entries: u64,
    /// Largest file that is buffered in memory so several analyzers can read it. Default
    /// 64 MiB; a single analyzer streams files of any size.
    pub max_shared_file_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_layer_bytes: 32 * 1024 * 1024 * 1024,
            max_layer_entries: 10_000_000,
            max_shared_file_bytes: 64 * 1024 * 1024,
        }
    }
}
