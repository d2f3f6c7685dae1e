//! Readers that hash and count the bytes passing through them, so digests and sizes are
//! checked in the same pass that reads the data.

use std::io::{self, Read};

use drydock_model::Digest;
use sha2::{Digest as _, Sha256};

/// Hashes (sha256) and counts everything read through it, and refuses to go past `limit`.
pub struct HashingReader<R> {
    inner: R,
    /// `None` when only counting: the caller gets the digest of the same bytes elsewhere.
    hasher: Option<Sha256>,
    count: u64,
    limit: u64,
    what: &'static str,
}

/// Marker error for a stream that went past its limit: which stream, and the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitExceeded {
    pub what: &'static str,
    pub limit: u64,
}

impl std::fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} is longer than {} bytes", self.what, self.limit)
    }
}

impl std::error::Error for LimitExceeded {}

impl<R> HashingReader<R> {
    /// `what` names the stream in the error raised past `limit` bytes.
    pub fn new(inner: R, limit: u64, what: &'static str) -> Self {
        HashingReader {
            inner,
            hasher: Some(Sha256::new()),
            count: 0,
            limit,
            what,
        }
    }

    /// Counts and limits like [`HashingReader::new`] but does not hash.
    pub fn counting(inner: R, limit: u64, what: &'static str) -> Self {
        HashingReader {
            hasher: None,
            ..HashingReader::new(inner, limit, what)
        }
    }

    /// Bytes read so far.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// The digest (when hashing) and size of everything read, and the inner reader back.
    pub fn finish(self) -> (Option<Digest>, u64, R) {
        let digest = self.hasher.map(|hasher| {
            let hex = hex::encode(hasher.finalize());
            Digest::sha256_from_hex(&hex).expect("sha256 hex is always well formed")
        });
        (digest, self.count, self.inner)
    }

    fn account(&mut self, bytes: &[u8]) -> io::Result<()> {
        if let Some(hasher) = &mut self.hasher {
            hasher.update(bytes);
        }
        self.count += bytes.len() as u64;
        if self.count > self.limit {
            return Err(io::Error::other(LimitExceeded {
                what: self.what,
                limit: self.limit,
            }));
        }
        Ok(())
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.account(&buf[..n])?;
        Ok(n)
    }
}

/// Whether an I/O error (possibly wrapped by a decoder) came from a [`LimitExceeded`].
pub fn limit_exceeded(error: &io::Error) -> Option<LimitExceeded> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = error.get_ref().map(|e| e as _);
    while let Some(e) = current {
        if let Some(limit) = e.downcast_ref::<LimitExceeded>() {
            return Some(*limit);
        }
        if let Some(io) = e.downcast_ref::<io::Error>()
            && let Some(limit) = limit_exceeded(io)
        {
            return Some(limit);
        }
        current = e.source();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_what_it_reads() {
        let mut reader = HashingReader::new(&b"hello"[..], 100, "test");
        io::copy(&mut reader, &mut io::sink()).unwrap();
        let (digest, count, _) = reader.finish();
        assert_eq!(count, 5);
        assert_eq!(
            digest.unwrap().to_string(),
            "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
        );
    }

    #[test]
    fn stops_at_the_limit() {
        let mut reader = HashingReader::new(&[0u8; 100][..], 10, "test");
        let err = io::copy(&mut reader, &mut io::sink()).unwrap_err();
        assert_eq!(limit_exceeded(&err).map(|l| l.limit), Some(10));
    }
}
