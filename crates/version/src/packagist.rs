//! Composer (Packagist) versions: Composer's `VersionParser::normalize`, then PHP's
//! `version_compare` on the normalised text, which is how Composer sorts and matches them.
//!
//! Normalising pads `1.2` to four numbers `1.2.0.0` (dates such as `2024.01.15` stay as they
//! are), drops a leading `v` and build metadata after `+`, and spells the stability suffix one
//! way: `-alpha`, `-beta`, `-RC`, `-patch`, each with its number, then `-dev`. `x.y-dev` branch
//! aliases become `x.y.9999999.9999999-dev`. `version_compare` then splits at `.`, `-` and
//! digit/letter switches and orders the parts: `dev < alpha < beta < RC < (a number, or
//! nothing) < patch`, numbers by value, and a number is above nothing (`1.0.0.0.0 > 1.0.0.0`).
//! Branch names (`dev-main`) have no order and are refused.

use std::cmp::Ordering;

use crate::{check_length, digits};

/// The parts `version_compare` sees, each as (rank, value): specials rank below and above
/// numbers; a missing part compares as [`MISSING`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key(Vec<(u8, u64)>);

const NUMBER_RANK: u8 = 5;
const MISSING: (u8, u64) = (NUMBER_RANK, 0);

/// PHP's special forms, matched as prefixes in this order, with their `version_compare` rank.
const SPECIAL_FORMS: [(&[u8], i8); 10] = [
    (b"dev", 0),
    (b"alpha", 1),
    (b"a", 1),
    (b"beta", 2),
    (b"b", 2),
    (b"RC", 3),
    (b"rc", 3),
    (b"#", 4),
    (b"pl", 5),
    (b"p", 5),
];

/// Stability words of Composer's modifier pattern, in the order it tries them.
const STABILITIES: [&str; 9] = ["stable", "beta", "b", "RC", "alpha", "a", "patch", "pl", "p"];

pub fn parse(text: &str) -> Result<Key, String> {
    check_length(text)?;
    if !text.is_ascii() {
        return Err("not ASCII".into());
    }
    let normalized = normalize(text)?;
    key(&normalized)
}

/// Composer's `VersionParser::normalize` for versions that have an order.
fn normalize(text: &str) -> Result<String, String> {
    let mut version = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r' | '\0' | '\x0B'));
    if let Some(aliased) = alias_target(version) {
        version = aliased;
    }
    version = strip_stability_flag(version);
    let lower = version.to_ascii_lowercase();
    if matches!(version, "master" | "trunk" | "default") || lower.starts_with("dev-") {
        return Err("a branch name has no version order".into());
    }
    version = strip_build_metadata(version);
    if let Some(normalized) = classical(version).or_else(|| date_based(version)) {
        return Ok(normalized);
    }
    dev_branch(version).ok_or_else(|| "not a Composer version".to_string())
}

/// `^([^,\s+]++)\+[^\s]++$`: `1.0+build.5` is `1.0`.
fn strip_build_metadata(version: &str) -> &str {
    let is_space = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0B' | '\x0C');
    match version.find(|c: char| c == ',' || c == '+' || is_space(c)) {
        Some(plus) if plus > 0 && version[plus..].starts_with('+') => {
            let metadata = &version[plus + 1..];
            if metadata.is_empty() || metadata.contains(is_space) {
                version
            } else {
                &version[..plus]
            }
        }
        _ => version,
    }
}

/// `1.0 as 2.0` names `1.0`.
fn alias_target(version: &str) -> Option<&str> {
    let (target, alias) = version.split_once(" as ")?;
    let target = target.trim_end_matches(' ');
    let alias = alias.trim_start_matches(' ');
    let plain = |s: &str| !s.is_empty() && !s.contains(|c: char| c == ',' || c.is_ascii_whitespace());
    (plain(target) && plain(alias)).then_some(target)
}

/// `1.0@beta`: the stability flag belongs to constraints, Composer drops it.
fn strip_stability_flag(version: &str) -> &str {
    let Some(at) = version.rfind('@') else {
        return version;
    };
    let flag = &version[at + 1..];
    let known = ["stable", "RC", "beta", "alpha", "dev"];
    if known.iter().any(|k| k.eq_ignore_ascii_case(flag)) {
        &version[..at]
    } else {
        version
    }
}

/// `^v?(\d{1,5}+)(\.\d++)?(\.\d++)?(\.\d++)?` + modifier, padded to four numbers.
fn classical(version: &str) -> Option<String> {
    let bytes = version.as_bytes();
    let mut at = usize::from(matches!(bytes.first(), Some(b'v' | b'V')));
    let major = digits::run_len(&bytes[at..]);
    if major == 0 || major > 5 {
        return None;
    }
    let mut normalized = version[at..at + major].to_string();
    at += major;
    let mut groups = 0;
    while groups < 3 && bytes.get(at) == Some(&b'.') && bytes.get(at + 1).is_some_and(u8::is_ascii_digit) {
        let len = 1 + digits::run_len(&bytes[at + 1..]);
        normalized.push_str(&version[at..at + len]);
        at += len;
        groups += 1;
    }
    for _ in groups..3 {
        normalized.push_str(".0");
    }
    let modifier = modifier(&version[at..])?;
    Some(modifier.apply(normalized))
}

/// `^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3})?)` + modifier; separators become dots.
/// (composer/semver 3.3, the reference drydock is tested against; later releases allow two
/// trailing short groups.)
fn date_based(version: &str) -> Option<String> {
    let bytes = version.as_bytes();
    let start = usize::from(matches!(bytes.first(), Some(b'v' | b'V')));
    if bytes.len() < start + 4 || !bytes[start..start + 4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut found = None;
    date_pairs(bytes, start + 4, 0, &mut |end| {
        let Some(modifier) = modifier(&version[end..]) else {
            return false;
        };
        let date: String = version[start..end]
            .chars()
            .map(|c| if c.is_ascii_digit() { c } else { '.' })
            .collect();
        found = Some(modifier.apply(date));
        true
    });
    found
}

fn date_separator(bytes: &[u8], at: usize) -> usize {
    usize::from(matches!(bytes.get(at), Some(b'.' | b':' | b'-')))
}

/// The `(?:[.:-]?\d{2}){1,6}` groups, tried as a backtracking matcher tries them (most first);
/// `accept` is called with each possible end of the date and returns whether it fits.
fn date_pairs(bytes: &[u8], at: usize, pairs: usize, accept: &mut dyn FnMut(usize) -> bool) -> bool {
    if pairs < 6 {
        let digits_at = at + date_separator(bytes, at);
        if bytes.len() >= digits_at + 2
            && bytes[digits_at..digits_at + 2].iter().all(u8::is_ascii_digit)
            && date_pairs(bytes, digits_at + 2, pairs + 1, accept)
        {
            return true;
        }
    }
    pairs >= 1 && date_shorts(bytes, at, 0, accept)
}

/// The one `(?:[.:-]?\d{1,3})?` group that may follow.
fn date_shorts(bytes: &[u8], at: usize, shorts: usize, accept: &mut dyn FnMut(usize) -> bool) -> bool {
    if shorts < 1 {
        let digits_at = at + date_separator(bytes, at);
        let run = digits::run_len(bytes.get(digits_at..).unwrap_or_default()).min(3);
        for len in (1..=run).rev() {
            if date_shorts(bytes, digits_at + len, shorts + 1, accept) {
                return true;
            }
        }
    }
    accept(at)
}

/// The parts of `[._-]?(?:(stability)((?:[.-]?\d+)*+)?)?([.-]?dev)?$`.
struct Modifier<'a> {
    stability: Option<&'a str>,
    number: &'a str,
    dev: bool,
}

impl Modifier<'_> {
    /// Appends the modifier as Composer writes it.
    fn apply(&self, mut version: String) -> String {
        if let Some(stability) = self.stability {
            if stability == "stable" {
                return version;
            }
            version.push('-');
            version.push_str(&expand_stability(stability));
            version.push_str(self.number.trim_start_matches(['.', '-']));
        }
        if self.dev {
            version.push_str("-dev");
        }
        version
    }
}

fn expand_stability(stability: &str) -> String {
    match stability.to_ascii_lowercase().as_str() {
        "a" => "alpha".into(),
        "b" => "beta".into(),
        "p" | "pl" => "patch".into(),
        "rc" => "RC".into(),
        other => other.into(),
    }
}

fn modifier(rest: &str) -> Option<Modifier<'_>> {
    let skip_separator = usize::from(rest.starts_with(['.', '_', '-']));
    [skip_separator, 0]
        .into_iter()
        .find_map(|sep| modifier_after_separator(&rest[sep..]))
}

fn modifier_after_separator(rest: &str) -> Option<Modifier<'_>> {
    for stability in STABILITIES {
        let Some(word) = rest
            .get(..stability.len())
            .filter(|w| w.eq_ignore_ascii_case(stability))
        else {
            continue;
        };
        let number_len = stability_number_len(&rest.as_bytes()[word.len()..]);
        let number = &rest[word.len()..word.len() + number_len];
        if let Some(dev) = dev_suffix(&rest[word.len() + number_len..]) {
            return Some(Modifier {
                stability: Some(word),
                number,
                dev,
            });
        }
    }
    dev_suffix(rest).map(|dev| Modifier {
        stability: None,
        number: "",
        dev,
    })
}

/// `(?:[.-]?\d+)*+`: taken whole, never given back.
fn stability_number_len(bytes: &[u8]) -> usize {
    let mut at = 0;
    loop {
        let sep = usize::from(matches!(bytes.get(at), Some(b'.' | b'-')));
        let run = digits::run_len(&bytes[at + sep..]);
        if run == 0 {
            return at;
        }
        at += sep + run;
    }
}

/// `([.-]?dev)?$`: whether `rest` is empty or a dev suffix; `None` when it is neither.
fn dev_suffix(rest: &str) -> Option<bool> {
    if rest.is_empty() {
        return Some(false);
    }
    let word = rest.strip_prefix(['.', '-']).unwrap_or(rest);
    word.eq_ignore_ascii_case("dev").then_some(true)
}

/// `(.*?)[.-]?dev$` whose name is a numeric branch such as `1.x` or `2.3.*`.
fn dev_branch(version: &str) -> Option<String> {
    let cut = version.len().checked_sub(3)?;
    if !version.get(cut..)?.eq_ignore_ascii_case("dev") {
        return None;
    }
    let name = &version[..cut];
    let name = name.strip_suffix(['.', '-']).unwrap_or(name);
    numeric_branch(name.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r' | '\0' | '\x0B')))
}

/// `^v?(\d++)(\.(?:\d++|[xX*]))?{3}$`, wildcards as 9999999, then `-dev`.
fn numeric_branch(name: &str) -> Option<String> {
    let name = name.strip_prefix(['v', 'V']).unwrap_or(name);
    let mut parts = name.split('.');
    let major = parts.next()?;
    if major.is_empty() || !major.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut normalized = major.to_string();
    let mut count = 1;
    for part in parts {
        count += 1;
        let wildcard = matches!(part, "x" | "X" | "*");
        if count > 4 || !(wildcard || (!part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))) {
            return None;
        }
        normalized.push('.');
        normalized.push_str(if wildcard { "9999999" } else { part });
    }
    for _ in count..4 {
        normalized.push_str(".9999999");
    }
    normalized.push_str("-dev");
    Some(normalized)
}

/// Splits a normalised version as `version_compare` does and ranks each part.
fn key(normalized: &str) -> Result<Key, String> {
    let bytes = normalized.as_bytes();
    let mut parts = Vec::with_capacity(8);
    let mut at = 0;
    while at < bytes.len() {
        if !bytes[at].is_ascii_alphanumeric() {
            at += 1;
            continue;
        }
        let is_number = bytes[at].is_ascii_digit();
        let len = bytes[at..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric() && b.is_ascii_digit() == is_number)
            .count();
        let part = &bytes[at..at + len];
        parts.push(if is_number {
            number_part(part)?
        } else {
            special_part(part)
        });
        at += len;
    }
    Ok(Key(parts))
}

fn number_part(part: &[u8]) -> Result<(u8, u64), String> {
    match digits::to_u64(part) {
        Some(value) if value <= i64::MAX as u64 => Ok((NUMBER_RANK, value + 1)),
        _ => Err(format!("number {} is too large", String::from_utf8_lossy(part))),
    }
}

fn special_part(part: &[u8]) -> (u8, u64) {
    let rank = SPECIAL_FORMS
        .iter()
        .find(|(form, _)| part.starts_with(form))
        .map_or(-1, |(_, rank)| *rank);
    // Ranks -1..=5 become 0..=6; numbers sit at 5, where the "#" form would be.
    ((rank + 1) as u8, 0)
}

pub fn compare(x: &Key, y: &Key) -> Ordering {
    for i in 0..x.0.len().max(y.0.len()) {
        let left = x.0.get(i).copied().unwrap_or(MISSING);
        let right = y.0.get(i).copied().unwrap_or(MISSING);
        let order = left.0.cmp(&right.0).then(left.1.cmp(&right.1));
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::normalize;
    use crate::Scheme;
    use std::cmp::Ordering::{self, *};

    fn cmp(a: &str, b: &str) -> Ordering {
        Scheme::Packagist.compare(a, b).unwrap()
    }

    #[test]
    fn normalises_as_composer() {
        for (input, expected) in [
            ("1.0", "1.0.0.0"),
            ("v1.2.3", "1.2.3.0"),
            ("1.0.0-beta.2", "1.0.0.0-beta2"),
            ("1.0-b2", "1.0.0.0-beta2"),
            ("1.0.0RC1", "1.0.0.0-RC1"),
            ("1.0-pl3", "1.0.0.0-patch3"),
            ("1.0-alpha1-dev", "1.0.0.0-alpha1-dev"),
            ("1.0.0-stable", "1.0.0.0"),
            ("1.0.0+build.5", "1.0.0.0"),
            ("2024.01.15", "2024.01.15.0"),
            ("2024-01-15", "2024.01.15"),
            ("2020-01-01-1", "2020.01.01.1"),
            ("1.0-STABLE", "1.0.0.0-stable"),
            ("1.0-stable-dev", "1.0.0.0"),
            ("1.0rc1.2.dev", "1.0.0.0-RC1.2-dev"),
            ("20240115", "20240115"),
            ("1.x-dev", "1.9999999.9999999.9999999-dev"),
            ("1.0@beta", "1.0.0.0"),
            ("1.0 as 2.0", "1.0.0.0"),
        ] {
            assert_eq!(normalize(input).as_deref(), Ok(expected), "{input}");
        }
    }

    #[test]
    fn stability_order() {
        let chain = [
            "1.0-dev",
            "1.0-alpha1",
            "1.0-beta1",
            "1.0-RC1",
            "1.0",
            "1.0-patch1",
            "1.0.1",
        ];
        for pair in chain.windows(2) {
            assert_eq!(cmp(pair[0], pair[1]), Less, "{} < {}", pair[0], pair[1]);
        }
        assert_eq!(cmp("1.0-alpha1", "1.0.0.0-a1"), Equal);
        assert_eq!(cmp("1.0-beta2", "1.0-beta10"), Less);
    }

    #[test]
    fn branches_and_garbage_are_refused() {
        for bad in ["dev-main", "master", "1.0.0.0.0", "1.0-foo", "x", "1.0 2", "1.0-é"] {
            assert!(Scheme::Packagist.parse(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
