//! Python versions, PEP 440 as the `packaging` library parses and orders them.
//!
//! `[N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]`, with the spellings PEP 440 normalises:
//! any case, a leading `v`, surrounding whitespace, `-`, `_` or `.` (or nothing) around
//! labels, `alpha`/`beta`/`c`/`pre`/`preview` for `a`/`b`/`rc`, `rev`/`r`/`-N` for post
//! releases, implicit numbers (`1.0a` is `1.0a0`). Order: epoch, release with trailing zeros
//! ignored (`1.0 == 1.0.0`), then `devN` of a final release < pre-releases < the release <
//! post releases, dev releases before what they lead to, and a local version above the same
//! version without one (local segments: words below numbers).

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use crate::{Span, check_length, digits};

/// A parsed PEP 440 version; the release and local parts are spans of the text.
#[derive(Clone, Copy, Debug)]
pub struct Parts {
    epoch: u64,
    release: Span,
    pre: Option<(PreKind, u64)>,
    post: Option<u64>,
    dev: Option<u64>,
    local: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum PreKind {
    Alpha,
    Beta,
    Rc,
}

/// Labels in the order the PEP 440 pattern tries them.
const PRE_LABELS: [(&[u8], PreKind); 8] = [
    (b"alpha", PreKind::Alpha),
    (b"a", PreKind::Alpha),
    (b"beta", PreKind::Beta),
    (b"b", PreKind::Beta),
    (b"preview", PreKind::Rc),
    (b"pre", PreKind::Rc),
    (b"c", PreKind::Rc),
    (b"rc", PreKind::Rc),
];
const POST_LABELS: [&[u8]; 3] = [b"post", b"rev", b"r"];

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat_separator(&mut self) -> bool {
        let found = matches!(self.peek(), Some(b'-' | b'_' | b'.'));
        self.at += usize::from(found);
        found
    }

    fn eat_label(&mut self, label: &[u8]) -> bool {
        let found = self.bytes[self.at..]
            .get(..label.len())
            .is_some_and(|text| text.eq_ignore_ascii_case(label));
        self.at += if found { label.len() } else { 0 };
        found
    }

    fn digit_run(&mut self) -> Span {
        let len = digits::run_len(&self.bytes[self.at..]);
        self.at += len;
        Span::new(self.at - len, self.at)
    }

    fn number(&mut self) -> Result<Option<u64>, String> {
        let span = self.digit_run();
        if span.is_empty() {
            return Ok(None);
        }
        let run = &self.bytes[span.start as usize..span.end as usize];
        digits::to_u64(run)
            .map(Some)
            .ok_or_else(|| format!("number {} is too large", String::from_utf8_lossy(run)))
    }

    /// `[-_.]?N?` after a label, as the pattern takes it: the separator even without a number.
    fn label_number(&mut self) -> Result<u64, String> {
        self.eat_separator();
        Ok(self.number()?.unwrap_or(0))
    }
}

pub fn parse(text: &str) -> Result<Parts, String> {
    check_length(text)?;
    let trimmed = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let offset = text.len() - text.trim_start_matches(|c: char| c.is_ascii_whitespace()).len();
    let mut cursor = Cursor {
        bytes: &text.as_bytes()[..offset + trimmed.len()],
        at: offset,
    };
    if matches!(cursor.peek(), Some(b'v' | b'V')) {
        cursor.at += 1;
    }
    let epoch = parse_epoch(&mut cursor)?;
    let release = parse_release(&mut cursor)?;
    let pre = attempt(&mut cursor, parse_pre)?;
    let post = attempt(&mut cursor, parse_post)?;
    let dev = attempt(&mut cursor, parse_dev)?;
    let local = parse_local(&mut cursor)?;
    if let Some(byte) = cursor.peek() {
        return Err(format!("unexpected {:?} at byte {}", char::from(byte), cursor.at));
    }
    Ok(Parts {
        epoch,
        release,
        pre,
        post,
        dev,
        local,
    })
}

/// Runs an optional part of the pattern; when it does not match, nothing is consumed.
fn attempt<T>(cursor: &mut Cursor, part: fn(&mut Cursor) -> Result<Option<T>, String>) -> Result<Option<T>, String> {
    let start = cursor.at;
    let found = part(cursor)?;
    if found.is_none() {
        cursor.at = start;
    }
    Ok(found)
}

fn parse_epoch(cursor: &mut Cursor) -> Result<u64, String> {
    let start = cursor.at;
    let epoch = cursor.number()?;
    if cursor.peek() == Some(b'!') {
        cursor.at += 1;
        return epoch.ok_or_else(|| "`!` without an epoch number".to_string());
    }
    cursor.at = start;
    Ok(0)
}

fn parse_release(cursor: &mut Cursor) -> Result<Span, String> {
    let start = cursor.at;
    if cursor.digit_run().is_empty() {
        return Err("the release does not start with a number".into());
    }
    while cursor.peek() == Some(b'.') && cursor.bytes.get(cursor.at + 1).is_some_and(u8::is_ascii_digit) {
        cursor.at += 1;
        cursor.digit_run();
    }
    Ok(Span::new(start, cursor.at))
}

fn parse_pre(cursor: &mut Cursor) -> Result<Option<(PreKind, u64)>, String> {
    cursor.eat_separator();
    for (label, kind) in PRE_LABELS {
        if cursor.eat_label(label) {
            return Ok(Some((kind, cursor.label_number()?)));
        }
    }
    Ok(None)
}

fn parse_post(cursor: &mut Cursor) -> Result<Option<u64>, String> {
    let start = cursor.at;
    if cursor.peek() == Some(b'-') {
        cursor.at += 1;
        if let Some(number) = cursor.number()? {
            return Ok(Some(number));
        }
        cursor.at = start;
    }
    cursor.eat_separator();
    for label in POST_LABELS {
        if cursor.eat_label(label) {
            return Ok(Some(cursor.label_number()?));
        }
    }
    Ok(None)
}

fn parse_dev(cursor: &mut Cursor) -> Result<Option<u64>, String> {
    cursor.eat_separator();
    if cursor.eat_label(b"dev") {
        return Ok(Some(cursor.label_number()?));
    }
    Ok(None)
}

fn parse_local(cursor: &mut Cursor) -> Result<Span, String> {
    if cursor.peek() != Some(b'+') {
        return Ok(Span::new(cursor.at, cursor.at));
    }
    cursor.at += 1;
    let start = cursor.at;
    loop {
        let len = cursor.bytes[cursor.at..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if len == 0 {
            return Err("empty segment in the local version".into());
        }
        cursor.at += len;
        if !cursor.eat_separator() {
            return Ok(Span::new(start, cursor.at));
        }
    }
}

pub fn compare(a: &str, x: &Parts, b: &str, y: &Parts) -> Ordering {
    x.epoch
        .cmp(&y.epoch)
        .then_with(|| compare_release(x.release.of(a), y.release.of(b)))
        .then_with(|| pre_key(x).cmp(&pre_key(y)))
        .then_with(|| x.post.cmp(&y.post))
        .then_with(|| dev_key(x).cmp(&dev_key(y)))
        .then_with(|| compare_local(x.local.of(a), y.local.of(b)))
}

fn compare_release(a: &[u8], b: &[u8]) -> Ordering {
    let mut left = a.split(|&c| c == b'.');
    let mut right = b.split(|&c| c == b'.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (p, q) => {
                let order = digits::compare(p.unwrap_or_default(), q.unwrap_or_default());
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}

/// Where the pre-release puts a version: a dev release of a final release sorts below every
/// pre-release of it, a version without pre-release above them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum PreKey {
    DevOfFinal,
    Pre(PreKind, u64),
    None,
}

fn pre_key(parts: &Parts) -> PreKey {
    match (parts.pre, parts.post, parts.dev) {
        (Some((kind, number)), _, _) => PreKey::Pre(kind, number),
        (None, None, Some(_)) => PreKey::DevOfFinal,
        (None, _, _) => PreKey::None,
    }
}

/// No dev part sorts above every dev part.
fn dev_key(parts: &Parts) -> (bool, u64) {
    (parts.dev.is_none(), parts.dev.unwrap_or(0))
}

fn local_segments(local: &[u8]) -> impl Iterator<Item = &[u8]> {
    local
        .split(|c| matches!(c, b'-' | b'_' | b'.'))
        .filter(move |_| !local.is_empty())
}

fn compare_local(a: &[u8], b: &[u8]) -> Ordering {
    let mut left = local_segments(a);
    let mut right = local_segments(b);
    loop {
        let order = match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) => compare_local_segment(p, q),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
}

fn compare_local_segment(p: &[u8], q: &[u8]) -> Ordering {
    let numeric = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    match (numeric(p), numeric(q)) {
        (true, true) => digits::compare(p, q),
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => p
            .iter()
            .map(u8::to_ascii_lowercase)
            .cmp(q.iter().map(u8::to_ascii_lowercase)),
    }
}

pub fn hash<H: Hasher>(text: &str, parts: &Parts, state: &mut H) {
    state.write_u64(parts.epoch);
    let mut pending_zeros = 0usize;
    for segment in parts.release.of(text).split(|&c| c == b'.') {
        if digits::strip_zeros(segment).is_empty() {
            pending_zeros += 1;
            continue;
        }
        for _ in 0..pending_zeros {
            digits::hash(b"", state);
        }
        pending_zeros = 0;
        digits::hash(segment, state);
    }
    state.write_u8(0xff);
    pre_key(parts).hash(state);
    parts.post.hash(state);
    dev_key(parts).hash(state);
    for segment in local_segments(parts.local.of(text)) {
        if segment.iter().all(u8::is_ascii_digit) {
            state.write_u8(1);
            digits::hash(segment, state);
        } else {
            state.write_u8(2);
            segment.iter().for_each(|b| state.write_u8(b.to_ascii_lowercase()));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Scheme;
    use std::cmp::Ordering::{self, *};

    fn cmp(a: &str, b: &str) -> Ordering {
        Scheme::Pep440.compare(a, b).unwrap()
    }

    #[test]
    fn pep440_summary_ordering() {
        let chain = [
            "1.0.dev456",
            "1.0a1",
            "1.0a2.dev456",
            "1.0a12.dev456",
            "1.0a12",
            "1.0b1.dev456",
            "1.0b2",
            "1.0b2.post345.dev456",
            "1.0b2.post345",
            "1.0rc1.dev456",
            "1.0rc1",
            "1.0",
            "1.0+abc.5",
            "1.0+abc.7",
            "1.0+5",
            "1.0.post456.dev34",
            "1.0.post456",
            "1.0.15",
            "1.1.dev1",
        ];
        for pair in chain.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Less, "{} < {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn normalisation() {
        for (a, b) in [
            ("1.0", "1.0.0"),
            ("1.0RC1", "1.0rc1"),
            ("v1.0", "1.0"),
            ("1.0-alpha.1", "1.0a1"),
            ("1.0c1", "1.0rc1"),
            ("1.0-preview_2", "1.0rc2"),
            ("1.0-1", "1.0.post1"),
            ("1.0.rev", "1.0.post0"),
            ("1.0-dev", "1.0.dev0"),
            ("1.0+ubuntu-1", "1.0+ubuntu.1"),
            ("1.0+01", "1.0+1"),
            (" 1.0 ", "1.0"),
            ("0!1.0", "1.0"),
            ("1.0a.", "1.0a0"),
        ] {
            assert_eq!(cmp(a, b), Equal, "{a} == {b}");
        }
        assert_eq!(cmp("1!0.1", "2.0"), Greater);
        assert_eq!(cmp("1.0+abc", "1.0"), Greater);
    }

    #[test]
    fn invalid_versions_are_refused() {
        for bad in [
            "",
            "x",
            "1.0x",
            "1.0+",
            "1.0+a..b",
            "1..0",
            "1.0-",
            "!1.0",
            "1.0.post1.post2",
            "1.0 a1",
            "1.0a1b1",
        ] {
            assert!(Scheme::Pep440.parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
