//! Debian package versions, ordered as deb-version(7) and dpkg's `verrevcmp` define.
//!
//! `[epoch:]upstream[-revision]`: the epoch is a number; the upstream version starts with a
//! digit; the revision is everything after the last hyphen. Upstream and revision compare in
//! alternating runs: a non-digit run character by character, where `~` sorts before
//! everything (even the end of the run), then letters, then other characters; then a digit
//! run by numeric value. A missing revision compares like an empty one (so `1.0 == 1.0-0`).

use std::cmp::Ordering;
use std::hash::Hasher;

use crate::{Span, check_length, digits};

/// Where the epoch, upstream version and revision are in the text.
#[derive(Clone, Copy, Debug)]
pub struct Parts {
    epoch: Span,
    upstream: Span,
    revision: Span,
}

/// dpkg refuses epochs above `INT_MAX`.
const MAX_EPOCH: u64 = i32::MAX as u64;

pub fn parse(text: &str) -> Result<Parts, String> {
    check_length(text)?;
    // dpkg ignores spaces around the version, as `parseversion` does.
    let body_start = text.len() - text.trim_start_matches(is_space).len();
    let body_end = text.trim_end_matches(is_space).len().max(body_start);
    let body = &text[body_start..body_end];
    if body.is_empty() {
        return Err("empty version".into());
    }
    if body.contains(is_space) {
        return Err("embedded space".into());
    }
    let (epoch_end, rest_start) = match body.find(':') {
        Some(colon) => (colon, colon + 1),
        None => (0, 0),
    };
    check_epoch(&body.as_bytes()[..epoch_end], rest_start > 0)?;
    let rest = &body[rest_start..];
    let (upstream_end, revision_start) = match rest.rfind('-') {
        Some(hyphen) => (rest_start + hyphen, rest_start + hyphen + 1),
        None => (body.len(), body.len()),
    };
    if upstream_end == rest_start {
        return Err("nothing after the epoch".into());
    }
    if revision_start == body.len() && rest.contains('-') {
        return Err("empty revision after the hyphen".into());
    }
    let at = |offset: usize| body_start + offset;
    let parts = Parts {
        epoch: Span::new(at(0), at(epoch_end)),
        upstream: Span::new(at(rest_start), at(upstream_end)),
        revision: Span::new(at(revision_start), at(body.len())),
    };
    check_upstream(parts.upstream.of(text))?;
    check_revision(parts.revision.of(text))?;
    Ok(parts)
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0B' | '\x0C')
}

fn check_epoch(epoch: &[u8], has_colon: bool) -> Result<(), String> {
    if !has_colon {
        return Ok(());
    }
    if epoch.is_empty() || !epoch.iter().all(u8::is_ascii_digit) {
        return Err("the epoch is not a number".into());
    }
    match digits::to_u64(epoch) {
        Some(value) if value <= MAX_EPOCH => Ok(()),
        _ => Err("the epoch is too big".into()),
    }
}

fn check_upstream(upstream: &[u8]) -> Result<(), String> {
    if !upstream[0].is_ascii_digit() {
        return Err("the upstream version does not start with a digit".into());
    }
    match upstream
        .iter()
        .find(|&&b| !(b.is_ascii_alphanumeric() || b".+~-:".contains(&b)))
    {
        Some(&b) => Err(format!("invalid character {:?} in the upstream version", char::from(b))),
        None => Ok(()),
    }
}

fn check_revision(revision: &[u8]) -> Result<(), String> {
    match revision
        .iter()
        .find(|&&b| !(b.is_ascii_alphanumeric() || b".+~".contains(&b)))
    {
        Some(&b) => Err(format!("invalid character {:?} in the revision", char::from(b))),
        None => Ok(()),
    }
}

pub fn compare(a: &str, x: &Parts, b: &str, y: &Parts) -> Ordering {
    digits::compare(x.epoch.of(a), y.epoch.of(b))
        .then_with(|| verrevcmp(x.upstream.of(a), y.upstream.of(b)))
        .then_with(|| verrevcmp(x.revision.of(a), y.revision.of(b)))
}

/// The weight of a character in a non-digit run; the end of the run (or a digit) weighs 0.
fn weight(byte: Option<&u8>) -> i32 {
    match byte {
        None => 0,
        Some(b) if b.is_ascii_digit() => 0,
        Some(b) if b.is_ascii_alphabetic() => i32::from(*b),
        Some(b'~') => -1,
        Some(b) => i32::from(*b) + 256,
    }
}

/// dpkg's comparison of one upstream version or revision.
fn verrevcmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while a.get(i).is_some_and(|c| !c.is_ascii_digit()) || b.get(j).is_some_and(|c| !c.is_ascii_digit()) {
            let (wa, wb) = (weight(a.get(i)), weight(b.get(j)));
            if wa != wb {
                return wa.cmp(&wb);
            }
            i += 1;
            j += 1;
        }
        let run_a = digits::run_len(a.get(i..).unwrap_or_default());
        let run_b = digits::run_len(b.get(j..).unwrap_or_default());
        let order = digits::compare(&a[i..i + run_a], &b[j..j + run_b]);
        if order != Ordering::Equal {
            return order;
        }
        i += run_a;
        j += run_b;
    }
    Ordering::Equal
}

pub fn hash<H: Hasher>(text: &str, parts: &Parts, state: &mut H) {
    digits::hash(parts.epoch.of(text), state);
    hash_part(parts.upstream.of(text), state);
    hash_part(parts.revision.of(text), state);
}

/// Hashes the (non-digit run, number) pairs of a part, leaving out the trailing pairs that
/// are empty and zero: `verrevcmp` pads the shorter part with exactly those.
fn hash_part<H: Hasher>(part: &[u8], state: &mut H) {
    let mut pending_zero_pairs = 0usize;
    let mut rest = part;
    while !rest.is_empty() {
        let letters = rest.iter().take_while(|b| !b.is_ascii_digit()).count();
        let run = digits::run_len(&rest[letters..]);
        let (text_run, number) = (&rest[..letters], digits::strip_zeros(&rest[letters..letters + run]));
        if text_run.is_empty() && number.is_empty() {
            pending_zero_pairs += 1;
        } else {
            for _ in 0..pending_zero_pairs {
                state.write_u8(0xff);
            }
            pending_zero_pairs = 0;
            state.write(text_run);
            state.write_u8(0xff);
            digits::hash(number, state);
        }
        rest = &rest[letters + run..];
    }
    state.write_u8(0xfe);
}

#[cfg(test)]
mod tests {
    use crate::Scheme;
    use std::cmp::Ordering::{self, *};

    fn cmp(a: &str, b: &str) -> Ordering {
        Scheme::Dpkg.compare(a, b).unwrap()
    }

    #[test]
    fn deb_version_examples() {
        assert_eq!(cmp("1.0~rc1", "1.0"), Less);
        assert_eq!(cmp("1.0", "1.0+b1"), Less);
        assert_eq!(cmp("1.0~~", "1.0~"), Less);
        assert_eq!(cmp("1.0~", "1.0"), Less);
        assert_eq!(cmp("1.0a", "1.0+"), Less);
        assert_eq!(cmp("1:0.1", "2.0"), Greater);
        assert_eq!(cmp("1.0-1", "1.0-1ubuntu1"), Less);
        assert_eq!(cmp("2.36-9+deb12u4", "2.36-9+deb12u14"), Less);
        assert_eq!(cmp("1.0", "1.0-0"), Equal);
        assert_eq!(cmp("0:1.0", "1.0"), Equal);
        assert_eq!(cmp("1.001", "1.1"), Equal);
        assert_eq!(cmp("1a", "1a0"), Equal);
        assert_eq!(cmp("1.0-a-b", "1.0-a-c"), Less);
        assert_eq!(cmp(" 1.0-1\t", "1.0-1"), Equal);
    }

    #[test]
    fn revision_is_after_the_last_hyphen() {
        // upstream "1.0-a" against upstream "1.0": the hyphen is a non-letter, above the end.
        assert_eq!(cmp("1.0-a-1", "1.0-b"), Greater);
        assert_eq!(cmp("1.0-a-1", "1.0-a-2"), Less);
    }

    #[test]
    fn bad_syntax_is_refused() {
        for bad in [
            "",
            "a1.0",
            "1.0-",
            ":1.0",
            "x:1.0",
            "1:",
            "1.0 1",
            "1.0_1",
            "99999999999:1",
            "1.0-a_b",
            "é",
        ] {
            assert!(Scheme::Dpkg.parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn colon_in_upstream_needs_an_epoch() {
        assert!(Scheme::Dpkg.parse("1:2.0:3").is_ok());
        assert!(Scheme::Dpkg.parse("2.0:3").is_err());
    }
}
