//! SemVer 2.0.0 and its two relatives: Go module versions and NuGet versions.
//!
//! All three order by the numbers, then a version with a pre-release below the same version
//! without one, then pre-release identifiers left to right (numbers by value, below words;
//! fewer identifiers first); build metadata never counts. They differ in what they accept:
//!
//! * [`Flavor::SemVer`]: `MAJOR[.MINOR[.PATCH]][-PRE][+BUILD]`, optionally after `=` and/or
//!   `v`; a missing minor or patch is 0 (OSV data writes `1.0`). No leading zeros.
//! * [`Flavor::Go`]: golang.org/x/mod/semver with the `v` optional (OSV omits it): the
//!   shorthands `v1` and `v1.2` exist only without pre-release or build; `+incompatible` is
//!   build metadata. Pseudo-versions are ordinary pre-releases.
//! * [`Flavor::NuGet`]: NuGet.Versioning: one to four numbers (each at most 2^31-1, leading
//!   zeros allowed), labels compared case-insensitively, a label that is an `Int32` compares
//!   as a number.

use std::cmp::Ordering;
use std::hash::Hasher;

use crate::{Span, check_length, digits};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    SemVer,
    Go,
    NuGet,
}

/// Where the numbers and the pre-release are in the text; an empty span is 0 or "none".
#[derive(Clone, Copy, Debug)]
pub struct Parts {
    numbers: [Span; 4],
    pre: Span,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    fn number(&mut self, flavor: Flavor, which: &str) -> Result<Span, String> {
        let len = digits::run_len(&self.bytes[self.at..]);
        let span = Span::new(self.at, self.at + len);
        let run = &self.bytes[self.at..self.at + len];
        if len == 0 {
            return Err(format!("the {which} version is not a number"));
        }
        if flavor != Flavor::NuGet && len > 1 && run[0] == b'0' {
            return Err(format!("the {which} version has a leading zero"));
        }
        if flavor == Flavor::NuGet && digits::to_u64(run).is_none_or(|value| value > i32::MAX as u64) {
            return Err(format!("the {which} version is above 2147483647"));
        }
        self.at += len;
        Ok(span)
    }

    /// Dot-separated identifiers of `[0-9A-Za-z-]`; `numeric_leading_zero` says whether a
    /// numeric identifier may start with 0.
    fn identifiers(&mut self, what: &str, numeric_leading_zero: bool) -> Result<Span, String> {
        let start = self.at;
        loop {
            let len = self.bytes[self.at..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-')
                .count();
            let identifier = &self.bytes[self.at..self.at + len];
            if len == 0 {
                return Err(format!("empty {what} identifier"));
            }
            if !numeric_leading_zero && len > 1 && identifier[0] == b'0' && identifier.iter().all(u8::is_ascii_digit) {
                return Err(format!("numeric {what} identifier with a leading zero"));
            }
            self.at += len;
            if !self.eat(b'.') {
                return Ok(Span::new(start, self.at));
            }
        }
    }
}

pub fn parse(text: &str, flavor: Flavor) -> Result<Parts, String> {
    check_length(text)?;
    let mut cursor = Cursor {
        bytes: text.as_bytes(),
        at: 0,
    };
    if flavor == Flavor::SemVer {
        cursor.eat(b'=');
    }
    if flavor != Flavor::NuGet {
        cursor.eat(b'v');
    }
    let mut numbers = [Span::new(0, 0); 4];
    let most = if flavor == Flavor::NuGet { 4 } else { 3 };
    let names = ["major", "minor", "patch", "revision"];
    let mut count = 0;
    while count < most {
        numbers[count] = cursor.number(flavor, names[count])?;
        count += 1;
        if count < most && !cursor.eat(b'.') {
            break;
        }
    }
    let pre = if cursor.eat(b'-') {
        cursor.identifiers("pre-release", false)?
    } else {
        Span::new(cursor.at, cursor.at)
    };
    let has_build = cursor.eat(b'+');
    if has_build {
        cursor.identifiers("build", true)?;
    }
    if let Some(byte) = cursor.peek() {
        return Err(format!("unexpected {:?} at byte {}", char::from(byte), cursor.at));
    }
    if flavor == Flavor::Go && count < 3 && (!pre.is_empty() || has_build) {
        return Err("a shortened Go version (v1, v1.2) cannot have a pre-release or build".into());
    }
    Ok(Parts { numbers, pre })
}

pub fn compare(a: &str, x: &Parts, b: &str, y: &Parts, flavor: Flavor) -> Ordering {
    for (p, q) in x.numbers.iter().zip(&y.numbers) {
        let order = digits::compare(p.of(a), q.of(b));
        if order != Ordering::Equal {
            return order;
        }
    }
    match (x.pre.is_empty(), y.pre.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => compare_pre(x.pre.of(a), y.pre.of(b), flavor),
    }
}

fn compare_pre(a: &[u8], b: &[u8], flavor: Flavor) -> Ordering {
    let mut left = a.split(|&c| c == b'.');
    let mut right = b.split(|&c| c == b'.');
    loop {
        let order = match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(p), Some(q)) if flavor == Flavor::NuGet => compare_nuget_label(p, q),
            (Some(p), Some(q)) => compare_identifier(p, q),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
}

fn is_numeric(identifier: &[u8]) -> bool {
    identifier.iter().all(u8::is_ascii_digit)
}

fn compare_identifier(p: &[u8], q: &[u8]) -> Ordering {
    match (is_numeric(p), is_numeric(q)) {
        (true, true) => digits::compare(p, q),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => p.cmp(q),
    }
}

/// The value of a NuGet label that `Int32.TryParse` reads as a number.
fn nuget_number(label: &[u8]) -> Option<i64> {
    let (negative, digits_part) = match label.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, label),
    };
    if digits_part.is_empty() || !is_numeric(digits_part) || digits::strip_zeros(digits_part).len() > 10 {
        return None;
    }
    let magnitude = i64::try_from(digits::to_u64(digits_part)?).ok()?;
    let value = if negative { -magnitude } else { magnitude };
    (i64::from(i32::MIN)..=i64::from(i32::MAX))
        .contains(&value)
        .then_some(value)
}

fn compare_nuget_label(p: &[u8], q: &[u8]) -> Ordering {
    match (nuget_number(p), nuget_number(q)) {
        (Some(m), Some(n)) => m.cmp(&n),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => p
            .iter()
            .map(u8::to_ascii_uppercase)
            .cmp(q.iter().map(u8::to_ascii_uppercase)),
    }
}

pub fn hash<H: Hasher>(text: &str, parts: &Parts, flavor: Flavor, state: &mut H) {
    for number in &parts.numbers {
        digits::hash(number.of(text), state);
    }
    if parts.pre.is_empty() {
        state.write_u8(0);
        return;
    }
    for identifier in parts.pre.of(text).split(|&c| c == b'.') {
        state.write_u8(1);
        match (flavor, nuget_number(identifier)) {
            (Flavor::NuGet, Some(value)) => state.write_i64(value),
            (Flavor::NuGet, None) => identifier.iter().for_each(|b| state.write_u8(b.to_ascii_uppercase())),
            _ if is_numeric(identifier) => digits::hash(identifier, state),
            _ => state.write(identifier),
        }
    }
    state.write_u8(2);
}

#[cfg(test)]
mod tests {
    use crate::Scheme;
    use std::cmp::Ordering::{self, *};

    fn cmp(scheme: Scheme, a: &str, b: &str) -> Ordering {
        scheme.compare(a, b).unwrap()
    }

    #[test]
    fn semver_spec_precedence_chain() {
        let chain = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "2.0.0",
            "2.1.0",
            "2.1.1",
        ];
        for pair in chain.windows(2) {
            assert_eq!(cmp(Scheme::SemVer, pair[0], pair[1]), Less, "{} < {}", pair[0], pair[1]);
        }
    }

    #[test]
    fn semver_leniencies_and_build_metadata() {
        assert_eq!(cmp(Scheme::SemVer, "v1.2.3", "=1.2.3"), Equal);
        assert_eq!(cmp(Scheme::SemVer, "1.0", "1.0.0"), Equal);
        assert_eq!(cmp(Scheme::SemVer, "1", "1.0.0"), Equal);
        assert_eq!(cmp(Scheme::SemVer, "1.0.0+a", "1.0.0+b"), Equal);
        for bad in [
            "01.0.0",
            "1.0.0-01",
            "1.0.0-",
            "1.0.0+",
            "1.0.0-a..b",
            "1.0.0.0",
            "x",
            "1.0.0 ",
            "1.0.0_a",
        ] {
            assert!(Scheme::SemVer.parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn go_versions() {
        assert_eq!(cmp(Scheme::Go, "v0.0.0-20191109021931-daa7c04131f5", "v0.0.0"), Less);
        assert_eq!(
            cmp(
                Scheme::Go,
                "0.0.0-20191109021931-daa7c04131f5",
                "v0.0.0-20200101000000-aaaaaaaaaaaa"
            ),
            Less
        );
        assert_eq!(cmp(Scheme::Go, "v2.0.0+incompatible", "2.0.0"), Equal);
        assert_eq!(cmp(Scheme::Go, "v1", "v1.0.0"), Equal);
        assert_eq!(cmp(Scheme::Go, "v1.2", "v1.2.0"), Equal);
        assert_eq!(
            cmp(Scheme::Go, "v1.99999999999999999999999", "v1.100000000000000000000000"),
            Less
        );
        for bad in ["v1.2-pre", "v1+build", "v01.2.3", "vv1.0.0", "=1.0.0"] {
            assert!(Scheme::Go.parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn nuget_versions() {
        assert_eq!(cmp(Scheme::NuGet, "1.0.0-BETA", "1.0.0-beta"), Equal);
        assert_eq!(cmp(Scheme::NuGet, "1.0", "1.0.0.0"), Equal);
        assert_eq!(cmp(Scheme::NuGet, "1.0.0.1", "1.0.0"), Greater);
        assert_eq!(cmp(Scheme::NuGet, "01.02.03", "1.2.3"), Equal);
        assert_eq!(cmp(Scheme::NuGet, "1.0.0-beta.2", "1.0.0-beta.10"), Less);
        assert_eq!(cmp(Scheme::NuGet, "1.0.0-1", "1.0.0-a"), Less);
        assert_eq!(cmp(Scheme::NuGet, "1.0.0-alpha", "1.0.0-Beta"), Less);
        assert_eq!(cmp(Scheme::NuGet, "1.0.0-rc.1+meta", "1.0.0-RC.1"), Equal);
        assert_eq!(cmp(Scheme::NuGet, "1", "1.0"), Equal);
        for bad in ["v1.0.0", "1.0.0.0.0", "2147483648.0", "1.0.0-01", "1.0.0-", "1..0"] {
            assert!(Scheme::NuGet.parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
