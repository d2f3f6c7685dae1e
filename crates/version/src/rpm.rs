//! RPM versions `[epoch:]version[-release]`, ordered as rpm's `rpmvercmp` orders them.
//!
//! The epoch compares as a number (missing is 0), then version and release each with
//! `rpmvercmp`: separators (anything but letters, digits, `~` and `^`) only split segments;
//! `~` sorts before everything, even the end; `^` sorts after the end but before anything
//! else; a numeric segment is newer than an alphabetic one; numbers compare by value, letters
//! as strings; the version with segments left over is newer.
//!
//! A missing release sorts below every release (`1.0 < 1.0-~`), as rpm's Python
//! `labelCompare` orders a `None` release. rpm's C `rpmverCmp` instead ignores the release
//! when either side has none, which makes `1.0 == 1.0-1` and `1.0 == 1.0-2` while
//! `1.0-1 < 1.0-2`: no total order, so it cannot be a `Version`'s `Ord`.

use std::cmp::Ordering;
use std::hash::Hasher;

use crate::{Span, check_length, digits};

/// Where the epoch, version and release are in the text.
#[derive(Clone, Copy, Debug)]
pub struct Parts {
    epoch: Span,
    version: Span,
    release: Span,
}

pub fn parse(text: &str) -> Result<Parts, String> {
    check_length(text)?;
    if let Some(bad) = text.bytes().find(|b| !is_allowed(*b)) {
        return Err(format!("invalid character {:?}", char::from(bad)));
    }
    let (epoch, rest) = match text.find(':') {
        Some(colon) => (Span::new(0, colon), colon + 1),
        None => (Span::new(0, 0), 0),
    };
    if rest > 0 && (epoch.is_empty() || !epoch.of(text).iter().all(u8::is_ascii_digit)) {
        return Err("the epoch is not a number".into());
    }
    if text[rest..].contains(':') {
        return Err("more than one `:`".into());
    }
    let (version, release) = match text[rest..].rfind('-') {
        Some(hyphen) => (Span::new(rest, rest + hyphen), Span::new(rest + hyphen + 1, text.len())),
        None => (Span::new(rest, text.len()), Span::new(text.len(), text.len())),
    };
    if version.is_empty() {
        return Err("empty version".into());
    }
    if text[rest..].contains('-') && release.is_empty() {
        return Err("empty release after the hyphen".into());
    }
    Ok(Parts {
        epoch,
        version,
        release,
    })
}

/// Characters rpm allows in a version or release, plus the `:` and `-` that join them.
fn is_allowed(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"._+~^:-".contains(&byte)
}

pub fn compare(a: &str, x: &Parts, b: &str, y: &Parts) -> Ordering {
    digits::compare(x.epoch.of(a), y.epoch.of(b))
        .then_with(|| rpmvercmp(x.version.of(a), y.version.of(b)))
        .then_with(|| match (x.release.is_empty(), y.release.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => rpmvercmp(x.release.of(a), y.release.of(b)),
        })
}

/// One unit of an rpm version: separators only split them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Segment<'a> {
    Tilde,
    Caret,
    Number(&'a [u8]),
    Letters(&'a [u8]),
}

fn next_segment<'a>(rest: &mut &'a [u8]) -> Option<Segment<'a>> {
    let skip = rest
        .iter()
        .take_while(|b| !(b.is_ascii_alphanumeric() || **b == b'~' || **b == b'^'))
        .count();
    *rest = &rest[skip..];
    let &first = rest.first()?;
    let len = match first {
        b'~' | b'^' => 1,
        b if b.is_ascii_digit() => digits::run_len(rest),
        _ => rest.iter().take_while(|b| b.is_ascii_alphabetic()).count(),
    };
    let (segment, tail) = rest.split_at(len);
    *rest = tail;
    Some(match first {
        b'~' => Segment::Tilde,
        b'^' => Segment::Caret,
        b if b.is_ascii_digit() => Segment::Number(segment),
        _ => Segment::Letters(segment),
    })
}

/// rpm's comparison of one version or release string.
fn rpmvercmp(a: &[u8], b: &[u8]) -> Ordering {
    let (mut left, mut right) = (a, b);
    loop {
        match (next_segment(&mut left), next_segment(&mut right)) {
            (None, None) => return Ordering::Equal,
            (Some(Segment::Tilde), Some(Segment::Tilde)) | (Some(Segment::Caret), Some(Segment::Caret)) => {}
            (Some(Segment::Tilde), _) => return Ordering::Less,
            (_, Some(Segment::Tilde)) => return Ordering::Greater,
            (None, Some(Segment::Caret)) => return Ordering::Less,
            (Some(Segment::Caret), None) => return Ordering::Greater,
            (Some(Segment::Caret), Some(_)) => return Ordering::Less,
            (Some(_), Some(Segment::Caret)) => return Ordering::Greater,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let order = compare_segments(x, y);
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

fn compare_segments(x: Segment, y: Segment) -> Ordering {
    match (x, y) {
        (Segment::Number(p), Segment::Number(q)) => digits::compare(p, q),
        (Segment::Letters(p), Segment::Letters(q)) => p.cmp(q),
        (Segment::Number(_), _) => Ordering::Greater,
        _ => Ordering::Less,
    }
}

pub fn hash<H: Hasher>(text: &str, parts: &Parts, state: &mut H) {
    digits::hash(parts.epoch.of(text), state);
    hash_part(parts.version.of(text), state);
    state.write_u8(u8::from(parts.release.is_empty()));
    hash_part(parts.release.of(text), state);
}

fn hash_part<H: Hasher>(part: &[u8], state: &mut H) {
    let mut rest = part;
    while let Some(segment) = next_segment(&mut rest) {
        match segment {
            Segment::Tilde => state.write_u8(1),
            Segment::Caret => state.write_u8(2),
            Segment::Number(n) => {
                state.write_u8(3);
                digits::hash(n, state);
            }
            Segment::Letters(l) => {
                state.write_u8(4);
                state.write_usize(l.len());
                state.write(l);
            }
        }
    }
    state.write_u8(0);
}

#[cfg(test)]
mod tests {
    use crate::Scheme;
    use std::cmp::Ordering::{self, *};

    fn cmp(a: &str, b: &str) -> Ordering {
        Scheme::Rpm.compare(a, b).unwrap()
    }

    #[test]
    fn rpmvercmp_examples() {
        assert_eq!(cmp("1.0~rc1", "1.0"), Less);
        assert_eq!(cmp("1.0^git1", "1.0"), Greater);
        assert_eq!(cmp("1.0^git1", "1.0.1"), Less);
        assert_eq!(cmp("1.0^", "1.0"), Greater);
        assert_eq!(cmp("1.0a", "1.0.1"), Less);
        assert_eq!(cmp("1.0", "1.0a"), Less);
        assert_eq!(cmp("2.0a", "2.0.a"), Equal);
        assert_eq!(cmp("1.010", "1.10"), Equal);
        assert_eq!(cmp("5.5p1", "5.5p10"), Less);
        assert_eq!(cmp("xyz10", "xyz10.1"), Less);
        assert_eq!(cmp("1:1.0", "2.0"), Greater);
        assert_eq!(cmp("0:1.0-1.el9", "1.0-1.el9"), Equal);
        assert_eq!(cmp("4.18.0-513.5.1.el8_9", "4.18.0-513.11.1.el8_9"), Less);
    }

    #[test]
    fn missing_release_sorts_before_any_release() {
        assert_eq!(cmp("1.0", "1.0-1"), Less);
        assert_eq!(cmp("1.0", "1.0-~"), Less);
    }

    #[test]
    fn bad_syntax_is_refused() {
        for bad in ["", ":1.0", "a:1.0", "1:2:3", "1.0-", "-1", "1.0 1", "1.0/1", "é"] {
            assert!(Scheme::Rpm.parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
