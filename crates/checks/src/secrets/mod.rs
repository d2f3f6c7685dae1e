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

use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
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
    prefilter: AhoCorasick,
    /// For each prefilter pattern, the rule it belongs to.
    keyword_owner: Vec<usize>,
    regexes: Vec<Regex>,
}

impl SecretScanner {
    /// The process-wide scanner (compiling the rules takes a few milliseconds, once).
    pub fn get() -> &'static SecretScanner {
        static SCANNER: OnceLock<SecretScanner> = OnceLock::new();
        SCANNER.get_or_init(SecretScanner::build)
    }

    fn build() -> SecretScanner {
        let mut keywords = Vec::new();
        let mut keyword_owner = Vec::new();
        for (index, rule) in SECRET_RULES.iter().enumerate() {
            for keyword in rule.keywords {
                keywords.push(*keyword);
                keyword_owner.push(index);
            }
        }
        let prefilter = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(&keywords)
            .expect("secret keywords compile");
        let regexes = SECRET_RULES
            .iter()
            .map(|rule| {
                Regex::new(&format!("(?-u){}", rule.pattern))
                    .unwrap_or_else(|e| panic!("secret rule {} does not compile: {e}", rule.info.id))
            })
            .collect();
        SecretScanner {
            prefilter,
            keyword_owner,
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

    /// Which rules have a keyword in `text` (one pass of the prefilter).
    fn triggered_rules(&self, text: &[u8]) -> Vec<bool> {
        let mut fired = vec![false; SECRET_RULES.len()];
        let mut remaining = SECRET_RULES.len();
        for hit in self.prefilter.find_overlapping_iter(text) {
            let owner = self.keyword_owner[hit.pattern().as_usize()];
            if !fired[owner] {
                fired[owner] = true;
                remaining -= 1;
                if remaining == 0 {
                    break;
                }
            }
        }
        fired
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
