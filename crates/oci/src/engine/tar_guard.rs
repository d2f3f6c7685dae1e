//! A reader that follows the tar structure of the bytes passing through it and refuses
//! oversized extension records.
//!
//! The `tar` crate reads GNU long-name/long-link records and pax extended headers whole into
//! memory, with no limit, so a small gzip of one huge pax header could take gigabytes. This
//! guard sits between decompression and the tar parser, tracks where each 512-byte header
//! starts (following pax `size` overrides and old-GNU sparse extension blocks exactly as the
//! parser does) and fails the stream as soon as an extension record declares more than
//! [`MAX_EXTENSION_BYTES`].

use std::io::{self, Read};

/// Largest GNU long name, long link or pax extension record accepted.
pub const MAX_EXTENSION_BYTES: u64 = 1024 * 1024;

const BLOCK: usize = 512;

/// Where the guard is in the tar stream.
enum State {
    /// Collecting a 512-byte header (or old-GNU sparse extension block).
    Header { filled: usize, sparse_extension: bool },
    /// Passing `remaining` bytes of entry data and padding; pax data is kept when `keep`.
    Data { remaining: u64, keep: bool },
}

pub struct TarGuard<R> {
    inner: R,
    state: State,
    block: [u8; BLOCK],
    /// The pax extension record being collected, to find its `size` override.
    pax: Vec<u8>,
    /// The size the last pax record gave the next entry.
    pax_size: Option<u64>,
    /// The data size of an old-GNU sparse entry whose extension blocks are being read.
    sparse_size: u64,
}

impl<R: Read> TarGuard<R> {
    pub fn new(inner: R) -> Self {
        TarGuard {
            inner,
            state: State::Header {
                filled: 0,
                sparse_extension: false,
            },
            block: [0; BLOCK],
            pax: Vec::new(),
            pax_size: None,
            sparse_size: 0,
        }
    }

    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Follows the structure through `bytes`, which were just read.
    fn track(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            match &mut self.state {
                State::Header {
                    filled,
                    sparse_extension,
                } => {
                    let take = (BLOCK - *filled).min(bytes.len());
                    self.block[*filled..*filled + take].copy_from_slice(&bytes[..take]);
                    *filled += take;
                    bytes = &bytes[take..];
                    if *filled == BLOCK {
                        let sparse_extension = *sparse_extension;
                        self.state = self.after_block(sparse_extension)?;
                    }
                }
                State::Data { remaining, keep } => {
                    let take = (*remaining).min(bytes.len() as u64) as usize;
                    if *keep {
                        self.pax.extend_from_slice(&bytes[..take]);
                    }
                    *remaining -= take as u64;
                    bytes = &bytes[take..];
                    if *remaining == 0 {
                        if *keep {
                            self.pax_size = pax_size(&self.pax);
                            self.pax.clear();
                        }
                        self.state = State::Header {
                            filled: 0,
                            sparse_extension: false,
                        };
                    }
                }
            }
        }
        Ok(())
    }

    /// Decides what follows a complete 512-byte block.
    fn after_block(&mut self, sparse_extension: bool) -> io::Result<State> {
        let block = &self.block;
        if sparse_extension {
            // An old-GNU sparse extension block: another follows when its flag is set.
            return Ok(self.next_after_header(block[504] != 0, self.sparse_size, false));
        }
        if block.iter().all(|b| *b == 0) {
            return Ok(State::Header {
                filled: 0,
                sparse_extension: false,
            });
        }
        let kind = block[156];
        let declared = parse_size(&block[124..136])
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "a tar header has an unreadable size field"))?;
        let is_extension = matches!(kind, b'L' | b'K' | b'x' | b'g');
        if is_extension && declared > MAX_EXTENSION_BYTES {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "a tar extension record (type `{}`) declares {declared} bytes, over the {MAX_EXTENSION_BYTES}-byte limit",
                    kind as char
                ),
            ));
        }
        let size = if is_extension {
            declared
        } else {
            self.pax_size.take().unwrap_or(declared)
        };
        let sparse_follows = kind == b'S' && block[482] != 0;
        self.sparse_size = size;
        Ok(self.next_after_header(sparse_follows, size, kind == b'x'))
    }

    fn next_after_header(&self, sparse_follows: bool, size: u64, keep: bool) -> State {
        if sparse_follows {
            // The entry's data comes after the extension blocks; remember its size there.
            return State::Header {
                filled: 0,
                sparse_extension: true,
            };
        }
        let padded = size.div_ceil(BLOCK as u64) * BLOCK as u64;
        if padded == 0 {
            State::Header {
                filled: 0,
                sparse_extension: false,
            }
        } else {
            State::Data {
                remaining: padded,
                keep,
            }
        }
    }
}

impl<R: Read> Read for TarGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.track(&buf[..n])?;
        Ok(n)
    }
}

/// A tar numeric field: octal ASCII, or base-256 when the high bit of the first byte is set.
fn parse_size(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        let mut value: u64 = u64::from(field[0] & 0x7f);
        for byte in &field[1..] {
            value = value.checked_mul(256)?.checked_add(u64::from(*byte))?;
        }
        return Some(value);
    }
    let text: String = field
        .iter()
        .take_while(|b| **b != 0)
        .map(|b| *b as char)
        .collect::<String>()
        .trim()
        .to_string();
    if text.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(&text, 8).ok()
}

/// The `size` record of a pax extension (`<len> size=<n>\n`).
fn pax_size(data: &[u8]) -> Option<u64> {
    let text = String::from_utf8_lossy(data);
    text.lines()
        .filter_map(|line| line.split_once(' ').map(|(_, record)| record))
        .find_map(|record| record.strip_prefix("size="))
        .and_then(|value| value.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(kind: u8, size: u64) -> [u8; BLOCK] {
        let mut block = [0u8; BLOCK];
        block[..4].copy_from_slice(b"name");
        let octal = format!("{size:011o}");
        block[124..135].copy_from_slice(octal.as_bytes());
        block[156] = kind;
        block
    }

    fn run(bytes: &[u8], chunk: usize) -> io::Result<()> {
        let mut guard = TarGuard::new(bytes);
        let mut buf = vec![0u8; chunk];
        while guard.read(&mut buf)? > 0 {}
        Ok(())
    }

    #[test]
    fn follows_entries_and_pax_size_overrides() {
        let record = b"16 size=1024\n\0\0\0";
        let mut tar = Vec::new();
        tar.extend_from_slice(&header(b'x', record.len() as u64));
        let mut data = record.to_vec();
        data.resize(BLOCK, 0);
        tar.extend_from_slice(&data);
        // The header says 0 bytes; the pax record says 1024, which the parser follows.
        tar.extend_from_slice(&header(b'0', 0));
        let mut content = vec![0xffu8; 1024];
        // Bytes in the content that look like an oversized extension header must not trip it.
        content[..BLOCK].copy_from_slice(&header(b'x', 1 << 30));
        tar.extend_from_slice(&content);
        tar.extend_from_slice(&[0u8; 1024]);
        for chunk in [1, 7, 512, 4096] {
            run(&tar, chunk).unwrap();
        }
    }

    #[test]
    fn refuses_oversized_extension_records() {
        for kind in [b'L', b'K', b'x', b'g'] {
            let tar = header(kind, MAX_EXTENSION_BYTES + 1);
            let err = run(&tar, 100).unwrap_err();
            assert!(err.to_string().contains("over the"), "{err}");
        }
    }

    #[test]
    fn parses_base256_sizes() {
        let mut field = [0u8; 12];
        field[0] = 0x80;
        field[11] = 0x02;
        field[10] = 0x01;
        assert_eq!(parse_size(&field), Some(258));
        assert_eq!(parse_size(b"00000001750\0"), Some(1000));
    }
}
