//! Alpine package versions, ordered as apk-tools (`src/version.c`, 2.14 and 3.x) orders them.
//!
//! `digit{.digit}...{letter}{_suffix{number}}...{~hash}{-rN}`. Tokens compare in turn: the first
//! number numerically; later dotted numbers numerically unless either starts with `0`, then as
//! strings (`1.02 < 1.1`); the letter by its byte; suffixes in the order
//! `_alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p`; suffix and revision
//! numbers numerically; commit hashes as strings. When one version runs out of tokens first,
//! it is older unless the other continues with a pre-release suffix.

use std::cmp::Ordering;
use std::hash::Hasher;

use crate::{check_length, digits};

/// A text that apk-tools accepts as a version; comparison re-reads the text.
#[derive(Clone, Copy, Debug)]
pub struct Validated;

/// The kinds of token, in the order apk-tools uses to decide which may follow which.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    InitialDigit,
    Digit,
    Letter,
    Suffix,
    SuffixNumber,
    CommitHash,
    Revision,
    End,
}

/// Suffix ranks; `NONE` is where a version without a suffix stands.
const SUFFIXES: [(&[u8], u8); 9] = [
    (b"alpha", 1),
    (b"beta", 2),
    (b"pre", 3),
    (b"rc", 4),
    (b"cvs", 6),
    (b"svn", 7),
    (b"git", 8),
    (b"hg", 9),
    (b"p", 10),
];
const SUFFIX_NONE: u8 = 5;

#[derive(Clone, Copy, Debug)]
struct Token<'a> {
    kind: Kind,
    value: &'a [u8],
    suffix: u8,
}

struct Tokens<'a> {
    rest: &'a [u8],
    last: Option<Kind>,
}

impl<'a> Tokens<'a> {
    fn new(text: &'a str) -> Self {
        Tokens {
            rest: text.as_bytes(),
            last: None,
        }
    }

    fn next_token(&mut self) -> Result<Token<'a>, String> {
        let token = match self.last {
            None => self
                .digits(Kind::InitialDigit)
                .map_err(|_| "does not start with a digit".to_string())?,
            Some(last) => self.after(last)?,
        };
        self.last = Some(token.kind);
        Ok(token)
    }

    fn after(&mut self, last: Kind) -> Result<Token<'a>, String> {
        let Some(&first) = self.rest.first() else {
            return Ok(Token {
                kind: Kind::End,
                value: b"",
                suffix: 0,
            });
        };
        let allowed = match first {
            b'a'..=b'z' | b'.' => last <= Kind::Digit,
            b'0'..=b'9' => last == Kind::Suffix,
            b'_' => last <= Kind::SuffixNumber,
            b'~' => last < Kind::CommitHash,
            b'-' => last < Kind::Revision,
            _ => return Err(format!("invalid character {:?}", char::from(first))),
        };
        if !allowed {
            return Err(format!("{:?} cannot follow a {}", char::from(first), describe(last)));
        }
        match first {
            b'a'..=b'z' => Ok(self.take(Kind::Letter, 1, 0)),
            b'.' => {
                self.rest = &self.rest[1..];
                self.digits(Kind::Digit)
            }
            b'0'..=b'9' => self.digits(Kind::SuffixNumber),
            b'_' => self.suffix(),
            b'~' => self.commit_hash(),
            _ => self.revision(),
        }
    }

    fn take(&mut self, kind: Kind, len: usize, suffix: u8) -> Token<'a> {
        let (value, rest) = self.rest.split_at(len);
        self.rest = rest;
        Token { kind, value, suffix }
    }

    fn digits(&mut self, kind: Kind) -> Result<Token<'a>, String> {
        match digits::run_len(self.rest) {
            0 => Err(format!("a {} needs digits", describe(kind))),
            len => Ok(self.take(kind, len, 0)),
        }
    }

    fn suffix(&mut self) -> Result<Token<'a>, String> {
        self.rest = &self.rest[1..];
        let len = self.rest.iter().take_while(|b| b.is_ascii_lowercase()).count();
        let name = &self.rest[..len];
        match SUFFIXES.iter().find(|(known, _)| *known == name) {
            Some(&(_, rank)) => Ok(self.take(Kind::Suffix, len, rank)),
            None => Err(format!("unknown suffix _{}", String::from_utf8_lossy(name))),
        }
    }

    fn commit_hash(&mut self) -> Result<Token<'a>, String> {
        self.rest = &self.rest[1..];
        match self
            .rest
            .iter()
            .take_while(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
            .count()
        {
            0 => Err("`~` must be followed by a lowercase hexadecimal commit hash".into()),
            len => Ok(self.take(Kind::CommitHash, len, 0)),
        }
    }

    fn revision(&mut self) -> Result<Token<'a>, String> {
        if !self.rest.starts_with(b"-r") {
            return Err("a hyphen must start a revision `-rN`".into());
        }
        self.rest = &self.rest[2..];
        self.digits(Kind::Revision)
    }
}

fn describe(kind: Kind) -> &'static str {
    match kind {
        Kind::InitialDigit => "leading number",
        Kind::Digit => "dotted number",
        Kind::Letter => "letter",
        Kind::Suffix => "suffix",
        Kind::SuffixNumber => "suffix number",
        Kind::CommitHash => "commit hash",
        Kind::Revision => "revision",
        Kind::End => "end",
    }
}

pub fn parse(text: &str) -> Result<Validated, String> {
    check_length(text)?;
    let mut tokens = Tokens::new(text);
    while tokens.next_token()?.kind != Kind::End {}
    Ok(Validated)
}

/// Orders two texts that [`parse`] accepted.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (mut left, mut right) = (Tokens::new(a), Tokens::new(b));
    loop {
        let (x, y) = (next_valid(&mut left), next_valid(&mut right));
        if x.kind != y.kind || x.kind == Kind::End {
            return compare_tails(x, y);
        }
        let order = compare_tokens(x, y);
        if order != Ordering::Equal {
            return order;
        }
    }
}

fn next_valid<'a>(tokens: &mut Tokens<'a>) -> Token<'a> {
    // Only validated texts are compared; an error here would mean a bug, so end the version.
    tokens.next_token().unwrap_or(Token {
        kind: Kind::End,
        value: b"",
        suffix: 0,
    })
}

fn compare_tokens(x: Token, y: Token) -> Ordering {
    match x.kind {
        Kind::Digit if x.value[0] == b'0' || y.value[0] == b'0' => x.value.cmp(y.value),
        Kind::InitialDigit | Kind::Digit | Kind::SuffixNumber | Kind::Revision => digits::compare(x.value, y.value),
        Kind::Letter | Kind::CommitHash => x.value.cmp(y.value),
        Kind::Suffix => x.suffix.cmp(&y.suffix),
        Kind::End => Ordering::Equal,
    }
}

/// Decides between versions whose common tokens are equal and whose next tokens differ in kind.
fn compare_tails(x: Token, y: Token) -> Ordering {
    if x.kind == y.kind {
        return Ordering::Equal;
    }
    if x.kind == Kind::Suffix && x.suffix < SUFFIX_NONE {
        return Ordering::Less;
    }
    if y.kind == Kind::Suffix && y.suffix < SUFFIX_NONE {
        return Ordering::Greater;
    }
    // The version whose next token kind comes later (the end being last) is the older one.
    y.kind.cmp(&x.kind)
}

pub fn hash<H: Hasher>(text: &str, state: &mut H) {
    let mut tokens = Tokens::new(text);
    loop {
        let token = next_valid(&mut tokens);
        state.write_u8(token.kind as u8);
        match token.kind {
            Kind::End => return,
            Kind::InitialDigit | Kind::SuffixNumber | Kind::Revision => digits::hash(token.value, state),
            Kind::Suffix => state.write_u8(token.suffix),
            Kind::Digit | Kind::Letter | Kind::CommitHash => {
                state.write_usize(token.value.len());
                state.write(token.value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Scheme;
    use std::cmp::Ordering::{self, *};

    fn cmp(a: &str, b: &str) -> Ordering {
        Scheme::Apk.compare(a, b).unwrap()
    }

    #[test]
    fn suffixes_and_revisions() {
        assert_eq!(cmp("1.0_alpha", "1.0"), Less);
        assert_eq!(cmp("1.0_rc1", "1.0_rc2"), Less);
        assert_eq!(cmp("1.0", "1.0_p1"), Less);
        assert_eq!(cmp("1.0_git20240101", "1.0_p1"), Less);
        assert_eq!(cmp("1.0", "1.0-r1"), Less);
        assert_eq!(cmp("1.0-r9", "1.0-r10"), Less);
        assert_eq!(cmp("0.1.0_alpha_pre2", "0.1.0_alpha"), Less);
        assert_eq!(cmp("1.0-r1", "1.0a"), Less);
        assert_eq!(cmp("1.0.1", "1.0_p1"), Greater);
    }

    #[test]
    fn leading_zero_numbers_compare_as_strings() {
        assert_eq!(cmp("1.02", "1.1"), Less);
        assert_eq!(cmp("1.0", "1.00"), Less);
        assert_eq!(cmp("8.2.0015", "8.2.002"), Less);
        assert_eq!(cmp("1.10", "1.9"), Greater);
        assert_eq!(cmp("01.2", "1.2"), Equal);
    }

    #[test]
    fn a_token_kind_that_comes_earlier_wins() {
        assert_eq!(cmp("1.0~abc", "1.0"), Greater);
        assert_eq!(cmp("1.0~abc", "1.0-r1"), Greater);
        assert_eq!(cmp("1.0a", "1.0~abc"), Greater);
        assert_eq!(cmp("1.0~abc-r1", "1.0~abd-r0"), Less);
    }

    #[test]
    fn grammar_is_enforced() {
        for bad in [
            "",
            "a1",
            "1.0bc",
            "1.0_foo",
            "1.0-1",
            "1.0-r",
            "1.0-r1-r2",
            "1.0~",
            "1.0~XYZ",
            "1.0a.1",
            "1..0",
            "1.0_rc1.2",
            "1.0-r1_p1",
            "v1.0",
            "1.0 ",
            "1.0é",
        ] {
            assert!(Scheme::Apk.parse(bad).is_err(), "{bad:?} was accepted");
        }
        for good in [
            "1",
            "1.2.3a_rc1_p2~deadbeef-r5",
            "1.0_alpha_beta",
            "1_p",
            "0.1.0_alpha_pre2",
        ] {
            assert!(Scheme::Apk.parse(good).is_ok(), "{good:?} was refused");
        }
    }
}
