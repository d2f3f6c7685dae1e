//! Secret scanning of file contents.
//!
//! One [`SecretScanner`] per process holds every rule compiled once: an Aho-Corasick
//! automaton over all rules' keywords (ASCII case-insensitive) and one regex per rule. A
//! file is searched for keywords first; only the rules whose keywords occur run their
//! regex. Matches then pass the false-positive filters ([`filters`]): placeholders,
//! example markers in package trees, entropy for generic rules, and, where two rules claim
//! the same bytes, the more specific rule wins.

pub mod analyzer;
pub mod filters;
pub mod rules;

use std::cell::RefCell;
use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, Input, MatchKind};
use regex::bytes::Regex;

use rules::{Confirm, SECRET_RULES, SecretRule};

/// Where a file lives, as far as the filters care.
#[derive(Clone, Copy, Debug, Default)]
pub struct FileContext {
    /// Inside an installed package or the shared documentation tree.
    pub in_package_tree: bool,
}

/// One secret found in a text.
#[derive(Clone, Debug)]
pub struct SecretMatch {
    pub rule: &'static SecretRule,
    /// The secret's bytes in the scanned text.
    pub span: Range<usize>,
    /// 1-based line and column (in bytes) of the secret's first byte.
    pub line: u32,
    pub column: u32,
}

impl SecretMatch {
    /// The masked value, safe to print.
    pub fn masked(&self, text: &[u8]) -> String {
        filters::mask(&text[self.span.clone()], self.rule.keywords_as_prefixes())
    }
}

impl SecretRule {
    fn keywords_as_prefixes(&self) -> &'static [&'static str] {
        self.keywords
    }
}

/// Every secret rule, compiled.
pub struct SecretScanner {
    /// Every distinct keyword, lowercase, searched in a lowercased copy of the text.
    prefilter: Prefilter,
    /// For each keyword, the rules it triggers: its own rules and those of every keyword
    /// it contains (a leftmost-longest search reports only the longest at each position).
    keyword_rules: Vec<Vec<usize>>,
    regexes: Vec<Regex>,
}

impl SecretScanner {
    /// The process-wide scanner (compiling the rules takes a few milliseconds, once).
    pub fn get() -> &'static SecretScanner {
        static SCANNER: OnceLock<SecretScanner> = OnceLock::new();
        SCANNER.get_or_init(SecretScanner::build)
    }

    fn build() -> SecretScanner {
        let mut keywords: Vec<&'static str> = SECRET_RULES.iter().flat_map(|r| r.keywords.iter().copied()).collect();
        keywords.sort_unstable();
        keywords.dedup();
        let keyword_rules = keywords
            .iter()
            .map(|keyword| {
                SECRET_RULES
                    .iter()
                    .enumerate()
                    .filter(|(_, rule)| rule.keywords.iter().any(|k| keyword.contains(k)))
                    .map(|(index, _)| index)
                    .collect()
            })
            .collect();
        let prefilter = Prefilter::build(&keywords);
        let regexes = SECRET_RULES
            .iter()
            .map(|rule| {
                Regex::new(&format!("(?-u){}", rule.pattern))
                    .unwrap_or_else(|e| panic!("secret rule {} does not compile: {e}", rule.info.id))
            })
            .collect();
        SecretScanner {
            prefilter,
            keyword_rules,
            regexes,
        }
    }

    /// Every confirmed secret in `text`, in order of position.
    pub fn scan(&self, text: &[u8], context: FileContext) -> Vec<SecretMatch> {
        let triggered = self.triggered_rules(text);
        let mut found: Vec<(usize, Range<usize>)> = Vec::new();
        for (index, fired) in triggered.iter().enumerate() {
            if !fired {
                continue;
            }
            let rule = &SECRET_RULES[index];
            for captures in self.regexes[index].captures_iter(text) {
                let whole = captures.get(0).expect("group 0 always matches");
                let secret = captures.get(1).unwrap_or(whole);
                if confirmed(rule, &text[secret.range()], &text[whole.range()], context) {
                    found.push((index, secret.range()));
                }
            }
        }
        let kept = prefer_specific(found);
        with_positions(text, kept)
    }

    /// How many rules' regexes a scan of `text` would run (for measurements).
    pub fn count_triggered_rules(&self, text: &[u8]) -> usize {
        self.triggered_rules(text).iter().filter(|fired| **fired).count()
    }

    /// Which rules have a keyword in `text` (ASCII case-insensitively). The search restarts
    /// one byte after each hit's start, so keywords that overlap a hit are found too.
    fn triggered_rules(&self, text: &[u8]) -> Vec<bool> {
        thread_local! {
            static LOWER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
        }
        let mut fired = vec![false; SECRET_RULES.len()];
        LOWER.with_borrow_mut(|lower| {
            lower.clear();
            lower.extend(text.iter().map(u8::to_ascii_lowercase));
            self.prefilter.for_each_keyword(lower, |keyword| {
                for &rule in &self.keyword_rules[keyword] {
                    fired[rule] = true;
                }
            });
        });
        fired
    }
}

/// Finds every keyword occurrence: one Aho-Corasick DFA over the lowercase keywords, run on
/// lowercased text (a case-sensitive automaton has fewer byte classes, so a smaller table,
/// than an ASCII case-insensitive one). Teddy (SIMD) was measured slower here: many
/// keywords are 2 or 3 bytes long, too short for its fingerprints.
struct Prefilter(AhoCorasick);

impl Prefilter {
    fn build(keywords: &[&str]) -> Prefilter {
        Prefilter(
            AhoCorasickBuilder::new()
                .kind(Some(AhoCorasickKind::DFA))
                .match_kind(MatchKind::LeftmostLongest)
                .prefilter(false)
                .build(keywords)
                .expect("secret keywords compile"),
        )
    }

    /// Calls `found` with the index of every keyword occurring in `lower`. A leftmost-longest
    /// search reports the longest keyword at each start; the search restarts one byte after
    /// each hit's start, so keywords that begin inside a hit are found too, and keywords
    /// contained in a hit are covered by `keyword_rules`.
    fn for_each_keyword(&self, lower: &[u8], mut found: impl FnMut(usize)) {
        let mut at = 0;
        while let Some(hit) = self.0.find(Input::new(lower).range(at..)) {
            found(hit.pattern().as_usize());
            at = hit.start() + 1;
        }
    }
}

/// The false-positive filters for one candidate: its value and the whole match around it.
fn confirmed(rule: &SecretRule, value: &[u8], whole: &[u8], context: FileContext) -> bool {
    if filters::is_structural_placeholder(value) || filters::names_an_example_domain(whole) {
        return false;
    }
    if rule.validate.is_some_and(|check| !check(value)) {
        return false;
    }
    match rule.confirm {
        Confirm::Format | Confirm::Shape => !(context.in_package_tree && filters::has_example_marker(value)),
        // Generic assignments inside installed packages are code and its documentation, not
        // configuration; a real credential there is still caught by the provider rules.
        Confirm::Entropy(bits) => {
            !context.in_package_tree
                && !filters::has_generic_word(value)
                && !filters::is_code_reference(value)
                && filters::mixes_letters_and_digits(value)
                && filters::shannon_entropy(value) >= bits
        }
    }
}

fn rank(confirm: Confirm) -> u8 {
    match confirm {
        Confirm::Format => 2,
        Confirm::Shape => 1,
        Confirm::Entropy(_) => 0,
    }
}

/// Where rules of different rank claim overlapping bytes, only the highest rank stays.
/// Sorted by start, a match can only overlap the ones that start before it ends.
fn prefer_specific(mut found: Vec<(usize, Range<usize>)>) -> Vec<(usize, Range<usize>)> {
    found.sort_by_key(|(rule, span)| (span.start, *rule));
    let ranks: Vec<u8> = found
        .iter()
        .map(|(rule, _)| rank(SECRET_RULES[*rule].confirm))
        .collect();
    let mut keep = vec![true; found.len()];
    for i in 0..found.len() {
        let end = found[i].1.end;
        for j in (i + 1..found.len()).take_while(|&j| found[j].1.start < end) {
            if ranks[i] > ranks[j] {
                keep[j] = false;
            } else if ranks[j] > ranks[i] {
                keep[i] = false;
            }
        }
    }
    found
        .into_iter()
        .zip(keep)
        .filter_map(|(f, k)| k.then_some(f))
        .collect()
}

/// Adds line and column numbers in one forward pass over the text.
fn with_positions(text: &[u8], found: Vec<(usize, Range<usize>)>) -> Vec<SecretMatch> {
    let mut line = 1u32;
    let mut line_start = 0usize;
    let mut cursor = 0usize;
    found
        .into_iter()
        .map(|(rule, span)| {
            for (offset, &byte) in text[cursor..span.start].iter().enumerate() {
                if byte == b'\n' {
                    line += 1;
                    line_start = cursor + offset + 1;
                }
            }
            cursor = span.start;
            SecretMatch {
                rule: &SECRET_RULES[rule],
                line,
                column: (span.start - line_start + 1) as u32,
                span,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests;
