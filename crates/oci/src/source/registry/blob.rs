//! A blob download that survives dropped connections.
//!
//! [`BlobReader`] streams `GET /v2/<repository>/blobs/<digest>` straight to its caller, never
//! holding more than the caller's buffer. When the connection breaks (a read error, or the
//! body ends before the size the descriptor or `Content-Length` promised), it reconnects
//! with `Range: bytes=<received>-` and carries on; a server that ignores the range and
//! answers 200 has the bytes already delivered skipped. After the configured number of
//! connections it gives up with an error naming the registry, repository, digest and how
//! far it got. More bytes than promised is an error too. Digests are the caller's job.

use std::io::{self, Read};

use drydock_model::Digest;

use super::client::{RegistryClient, header_str};
use crate::error::OciError;

/// Why a connection ended early.
enum Failure {
    /// Reconnecting would not help (404, auth, a server that contradicts itself).
    Fatal(OciError),
    /// The connection broke: worth resuming.
    Dropped(String),
}

/// `Content-Range: bytes <start>-<end>/<total|*>`.
#[derive(Debug, PartialEq, Eq)]
struct ContentRange {
    start: u64,
    total: Option<u64>,
}

pub(crate) struct BlobReader<'a> {
    client: &'a RegistryClient,
    digest: Digest,
    /// From the caller's descriptor, else the first response's length.
    expected_size: Option<u64>,
    received: u64,
    body: Option<ureq::BodyReader<'static>>,
    /// Connections opened so far, the first one included.
    connections: u32,
}

impl<'a> BlobReader<'a> {
    /// Opens the blob; errors the registry gives straight away (404, 401) come from here
    /// rather than from the first read.
    pub fn open(client: &'a RegistryClient, digest: &Digest, size: Option<u64>) -> crate::Result<Self> {
        let mut reader = BlobReader {
            client,
            digest: digest.clone(),
            expected_size: size,
            received: 0,
            body: None,
            connections: 0,
        };
        loop {
            match reader.connect() {
                Ok(()) => return Ok(reader),
                Err(Failure::Fatal(error)) => return Err(error),
                Err(Failure::Dropped(reason)) => reader.before_reconnect(reason)?,
            }
        }
    }

    fn connect(&mut self) -> Result<(), Failure> {
        self.connections += 1;
        let mut headers = Vec::new();
        if self.received > 0 {
            headers.push(("Range", format!("bytes={}-", self.received)));
            tracing::debug!(digest = %self.digest, offset = self.received, "resuming blob");
        }
        let not_found = |detail: Option<String>| OciError::NotFound {
            what: self.describe(),
            detail,
        };
        let response = self
            .client
            .get(&format!("blobs/{}", self.digest), &headers, &not_found)
            .map_err(Failure::Fatal)?;
        let partial = response.status().as_u16() == 206;
        let content_length = header_str(&response, "content-length").and_then(|v| v.trim().parse::<u64>().ok());
        let content_range = header_str(&response, "content-range").and_then(parse_content_range);
        let mut body = response.into_body().into_reader();
        if partial {
            self.accept_partial(content_range)?;
        } else {
            self.accept_whole(content_length)?;
            skip(&mut body, self.received)?;
        }
        self.body = Some(body);
        Ok(())
    }

    /// A 206 must start where we asked it to.
    fn accept_partial(&mut self, range: Option<ContentRange>) -> Result<(), Failure> {
        let Some(range) = range else {
            return Err(self.fatal("the registry answered 206 Partial Content without a usable Content-Range".into()));
        };
        if range.start != self.received {
            return Err(self.fatal(format!(
                "asked to resume at byte {}, the registry answered with a range starting at {}",
                self.received, range.start
            )));
        }
        self.agree_on_size(range.total)
    }

    /// A 200 carries the whole blob; its length must be the one we expect.
    fn accept_whole(&mut self, content_length: Option<u64>) -> Result<(), Failure> {
        self.agree_on_size(content_length)
    }

    fn agree_on_size(&mut self, announced: Option<u64>) -> Result<(), Failure> {
        match (self.expected_size, announced) {
            (Some(expected), Some(announced)) if expected != announced => Err(Failure::Fatal(OciError::SizeMismatch {
                what: self.describe(),
                expected,
                actual: announced,
            })),
            (None, Some(announced)) => {
                self.expected_size = Some(announced);
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Counts a broken connection; waits before the next, or gives up.
    fn before_reconnect(&mut self, reason: String) -> crate::Result<()> {
        self.body = None;
        let policy = self.client.retry();
        if self.connections >= policy.attempts() {
            return Err(self.gave_up(&reason));
        }
        let wait = policy.backoff(self.connections);
        tracing::debug!(digest = %self.digest, received = self.received, %reason, ?wait, "blob connection dropped");
        std::thread::sleep(wait);
        Ok(())
    }

    fn gave_up(&self, reason: &str) -> OciError {
        let of_total = match self.expected_size {
            Some(total) => format!("{} of {total} bytes", self.received),
            None => format!("{} bytes", self.received),
        };
        OciError::Registry {
            registry: self.client.registry().to_string(),
            reason: format!(
                "{}: gave up after {} attempts with {of_total} received; last: {reason}",
                self.describe_in_registry(),
                self.connections
            ),
        }
    }

    fn fatal(&self, reason: String) -> Failure {
        Failure::Fatal(OciError::Registry {
            registry: self.client.registry().to_string(),
            reason: format!("{}: {reason}", self.describe_in_registry()),
        })
    }

    fn describe(&self) -> String {
        format!(
            "blob {} in repository {} of registry {}",
            self.digest,
            self.client.repository(),
            self.client.registry()
        )
    }

    /// For errors that name the registry already.
    fn describe_in_registry(&self) -> String {
        format!("blob {} in repository {}", self.digest, self.client.repository())
    }

    /// How much to ask for now: one byte past the expected end, so a server that sends too
    /// much is caught without reading the excess.
    fn read_limit(&self, buffer_len: usize) -> usize {
        match self.expected_size {
            Some(total) => {
                let allowed = total.saturating_sub(self.received).saturating_add(1);
                buffer_len.min(usize::try_from(allowed).unwrap_or(usize::MAX))
            }
            None => buffer_len,
        }
    }

    fn on_failure(&mut self, failure: Failure) -> io::Result<()> {
        match failure {
            Failure::Fatal(error) => {
                self.body = None;
                Err(io::Error::other(error))
            }
            Failure::Dropped(reason) => self.before_reconnect(reason).map_err(io::Error::other),
        }
    }
}

impl Read for BlobReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let limit = self.read_limit(buf.len());
            let Some(body) = self.body.as_mut() else {
                if self.expected_size == Some(self.received) {
                    return Ok(0);
                }
                if let Err(failure) = self.connect() {
                    self.on_failure(failure)?;
                }
                continue;
            };
            match body.read(&mut buf[..limit]) {
                Ok(0) => match self.expected_size {
                    Some(total) if self.received < total => {
                        let reason = format!("the connection closed after {} of {total} bytes", self.received);
                        self.on_failure(Failure::Dropped(reason))?;
                    }
                    _ => {
                        self.body = None;
                        self.expected_size = Some(self.received);
                        return Ok(0);
                    }
                },
                Ok(n) => {
                    self.received += n as u64;
                    if let Some(total) = self.expected_size
                        && self.received > total
                    {
                        self.body = None;
                        return Err(io::Error::other(OciError::Registry {
                            registry: self.client.registry().to_string(),
                            reason: format!(
                                "{}: the registry sent more than the expected {total} bytes",
                                self.describe_in_registry()
                            ),
                        }));
                    }
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let reason = format!("reading failed after {} bytes: {e}", self.received);
                    self.on_failure(Failure::Dropped(reason))?;
                }
            }
        }
    }
}

/// Discards the first `count` bytes of a body that restarted from the beginning.
fn skip(body: &mut impl Read, count: u64) -> Result<(), Failure> {
    if count == 0 {
        return Ok(());
    }
    match io::copy(&mut body.take(count), &mut io::sink()) {
        Ok(skipped) if skipped == count => Ok(()),
        Ok(skipped) => Err(Failure::Dropped(format!(
            "the connection closed after {skipped} bytes while skipping the {count} already received"
        ))),
        Err(e) => Err(Failure::Dropped(format!(
            "skipping the {count} bytes already received failed: {e}"
        ))),
    }
}

fn parse_content_range(value: &str) -> Option<ContentRange> {
    let range = value.trim().strip_prefix("bytes")?.trim_start();
    let (span, total) = range.split_once('/')?;
    let (start, end) = span.trim().split_once('-')?;
    let start: u64 = start.trim().parse().ok()?;
    let end: u64 = end.trim().parse().ok()?;
    if end < start {
        return None;
    }
    let total = match total.trim() {
        "*" => None,
        digits => Some(digits.parse::<u64>().ok()?),
    };
    if total.is_some_and(|t| end >= t) {
        return None;
    }
    Some(ContentRange { start, total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        assert_eq!(
            parse_content_range("bytes 100-33874/33875"),
            Some(ContentRange {
                start: 100,
                total: Some(33875)
            })
        );
        assert_eq!(
            parse_content_range("bytes 5-9/*"),
            Some(ContentRange { start: 5, total: None })
        );
        for bad in [
            "",
            "bytes",
            "bytes */100",
            "bytes 9-5/10",
            "bytes 0-10/10",
            "items 0-1/2",
            "bytes a-b/c",
        ] {
            assert_eq!(parse_content_range(bad), None, "{bad}");
        }
    }

    #[test]
    fn skip_reports_short_bodies() {
        assert!(skip(&mut &b"abcdef"[..], 4).is_ok());
        assert!(matches!(skip(&mut &b"ab"[..], 4), Err(Failure::Dropped(_))));
    }
}
