//! Ruby gem versions, ordered as RubyGems' `Gem::Version` orders them.
//!
//! A version is digits, then `.`-separated alphanumeric parts, then optionally `-` and more
//! parts (each `-` reads as `.pre.`). It splits into numbers and letter runs; the numbers
//! before the first letter run and the parts from it on each lose their trailing zeros
//! (`1.0.a == 1.a`). Segments then compare left to right with missing ones as 0: numbers by
//! value, words as byte strings, and a word is below a number (so any letter makes a
//! pre-release: `1.0.a < 1.0`).

use std::cmp::Ordering;
use std::hash::Hasher;

use crate::{Span, check_length, digits};

/// The canonical segments of a version.
#[derive(Clone, Debug)]
pub struct Segments(Vec<Segment>);

#[derive(Clone, Copy, Debug)]
enum Segment {
    Number(Span),
    Word(Span),
    /// The `pre` RubyGems writes for each `-`.
    Pre,
}

impl Segment {
    fn is_zero(&self, text: &[u8]) -> bool {
        matches!(self, Segment::Number(span) if digits::strip_zeros(span.of_bytes(text)).is_empty())
    }

    fn word<'a>(&self, text: &'a [u8]) -> Option<&'a [u8]> {
        match self {
            Segment::Number(_) => None,
            Segment::Word(span) => Some(span.of_bytes(text)),
            Segment::Pre => Some(b"pre"),
        }
    }
}

pub fn parse(text: &str) -> Result<Segments, String> {
    check_length(text)?;
    let trimmed = text.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\0');
    let offset = text.len()
        - text
            .trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '\0')
            .len();
    check_pattern(trimmed.as_bytes())?;
    let segments = scan(text.as_bytes(), offset, offset + trimmed.len());
    Ok(Segments(canonical(segments, text.as_bytes())))
}

/// `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`
fn check_pattern(version: &[u8]) -> Result<(), String> {
    let lead = digits::run_len(version);
    if lead == 0 {
        return Err("does not start with a number".into());
    }
    let mut rest = &version[lead..];
    while let Some(after_dot) = rest.strip_prefix(b".") {
        let len = after_dot.iter().take_while(|b| b.is_ascii_alphanumeric()).count();
        if len == 0 {
            return Err("empty part after a `.`".into());
        }
        rest = &after_dot[len..];
    }
    if let Some(after_hyphen) = rest.strip_prefix(b"-") {
        for part in after_hyphen.split(|&b| b == b'.') {
            if part.is_empty() || !part.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'-') {
                return Err("malformed pre-release after `-`".into());
            }
        }
        rest = b"";
    }
    match rest.first() {
        Some(&byte) => Err(format!("unexpected {:?}", char::from(byte))),
        None => Ok(()),
    }
}

/// Splits `text[start..end]` into number and letter runs; `-` stands for `.pre.`.
fn scan(text: &[u8], start: usize, end: usize) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut i = start;
    while i < end {
        let byte = text[i];
        let len = if byte.is_ascii_digit() {
            digits::run_len(&text[i..end])
        } else if byte.is_ascii_alphabetic() {
            text[i..end].iter().take_while(|b| b.is_ascii_alphabetic()).count()
        } else {
            if byte == b'-' {
                segments.push(Segment::Pre);
            }
            i += 1;
            continue;
        };
        let span = Span::new(i, i + len);
        segments.push(if byte.is_ascii_digit() {
            Segment::Number(span)
        } else {
            Segment::Word(span)
        });
        i += len;
    }
    segments
}

/// Drops the trailing zeros of the numeric head and of the tail from the first word on.
fn canonical(mut segments: Vec<Segment>, text: &[u8]) -> Vec<Segment> {
    let first_word = segments
        .iter()
        .position(|s| s.word(text).is_some())
        .unwrap_or(segments.len());
    let mut tail = segments.split_off(first_word);
    while segments.last().is_some_and(|s| s.is_zero(text)) {
        segments.pop();
    }
    while tail.last().is_some_and(|s| s.is_zero(text)) {
        tail.pop();
    }
    segments.extend(tail);
    segments
}

pub fn compare(a: &str, x: &Segments, b: &str, y: &Segments) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    for i in 0..x.0.len().max(y.0.len()) {
        let order = match (x.0.get(i), y.0.get(i)) {
            (Some(p), Some(q)) => compare_segments(p, a, q, b),
            (Some(p), None) => compare_segments(p, a, &Segment::Number(Span::default()), b),
            (None, Some(q)) => compare_segments(&Segment::Number(Span::default()), a, q, b),
            (None, None) => Ordering::Equal,
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

fn compare_segments(p: &Segment, a: &[u8], q: &Segment, b: &[u8]) -> Ordering {
    match (p.word(a), q.word(b), p, q) {
        (Some(x), Some(y), _, _) => x.cmp(y),
        (Some(_), None, _, _) => Ordering::Less,
        (None, Some(_), _, _) => Ordering::Greater,
        (None, None, Segment::Number(x), Segment::Number(y)) => digits::compare(x.of_bytes(a), y.of_bytes(b)),
        (None, None, _, _) => Ordering::Equal,
    }
}

pub fn hash<H: Hasher>(text: &str, segments: &Segments, state: &mut H) {
    let text = text.as_bytes();
    for segment in &segments.0 {
        match (segment, segment.word(text)) {
            (_, Some(word)) => {
                state.write_u8(1);
                state.write(word);
                state.write_u8(0);
            }
            (Segment::Number(span), None) => {
                state.write_u8(2);
                digits::hash(span.of_bytes(text), state);
            }
            _ => {}
        }
    }
    state.write_u8(3);
}

#[cfg(test)]
mod tests {
    use crate::Scheme;
    use std::cmp::Ordering::{self, *};

    fn cmp(a: &str, b: &str) -> Ordering {
        Scheme::RubyGems.compare(a, b).unwrap()
    }

    #[test]
    fn gem_version_order() {
        let chain = ["1.0.a", "1.0.a.1", "1.0.b1", "1.0.rc1", "1.0", "1.0.1", "1.1", "2"];
        for pair in chain.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Less, "{} < {}", pair[0], pair[1]);
        }
        assert_eq!(cmp("1.0-1", "1.0.pre.1"), Equal);
        assert_eq!(cmp("1.0.a", "1.a"), Equal);
        assert_eq!(cmp("1.0.0", "1"), Equal);
        assert_eq!(cmp(" 1.0 ", "1"), Equal);
        assert_eq!(cmp("1.A", "1.a"), Less);
        assert_eq!(cmp("1.a.0", "1.a"), Equal);
        assert_eq!(cmp("1.01", "1.1"), Equal);
    }

    #[test]
    fn malformed_versions_are_refused() {
        for bad in [
            "", "a", "1..0", "1.0.", "1.0-", "1.0-a..b", "1_0", ".1", "1.0 1", "1.0+x",
        ] {
            assert!(Scheme::RubyGems.parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(Scheme::RubyGems.parse("1.0-a-b.c-").is_ok());
    }
}
