//! Shared parts of the differential tests: a seeded generator of version pieces, running a
//! reference implementation over a batch of pairs, and checking our answers against it.
#![allow(dead_code)]

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use drydock_version::Scheme;

/// A small seeded generator (SplitMix64), so every run tests the same versions.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len())]
    }

    /// A number that often repeats (0, 1, 2, 10), sometimes has leading zeros, rarely is big.
    pub fn number(&mut self) -> String {
        match self.below(10) {
            0..=3 => self.below(3).to_string(),
            4..=5 => (10 + self.below(3) * 9).to_string(),
            6 => format!("0{}", self.below(10)),
            7 => "00".to_string(),
            8 => (self.next_u64() % 100_000).to_string(),
            _ => "2020010112".to_string(),
        }
    }

    /// A number without leading zeros.
    pub fn plain_number(&mut self) -> String {
        match self.below(8) {
            0..=4 => self.below(3).to_string(),
            5..=6 => (10 + self.below(3) * 9).to_string(),
            _ => (self.next_u64() % 100_000).to_string(),
        }
    }
}

/// Versions of a fixture file, one per line.
pub fn fixture(name: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

/// Every version against itself (so the reference says which ones it accepts), then
/// `random` random pairs from the pool, then neighbours in a sorted copy of the pool.
pub fn pairs(versions: &[String], random: usize, rng: &mut Rng) -> Vec<(String, String)> {
    let unique: BTreeSet<&String> = versions.iter().collect();
    let mut pairs: Vec<(String, String)> = unique.iter().map(|v| ((*v).clone(), (*v).clone())).collect();
    for _ in 0..random {
        pairs.push((rng.pick(versions).clone(), rng.pick(versions).clone()));
    }
    let sorted: Vec<&String> = unique.into_iter().collect();
    for window in sorted.windows(2) {
        pairs.push((window[0].clone(), window[1].clone()));
    }
    pairs
}

/// What the reference says about one pair: an order, or that it refuses one of the two.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Order(Ordering),
    Invalid,
}

pub fn parse_verdict(line: &str) -> Verdict {
    match line.trim() {
        "ERR" => Verdict::Invalid,
        n => match n.parse::<i64>() {
            Ok(v) => Verdict::Order(v.cmp(&0)),
            Err(_) => panic!("reference printed {line:?}, expected -1, 0, 1 or ERR"),
        },
    }
}

/// Fails, naming the Debian package to install, when `program` cannot run.
pub fn require(program: &str, probe: &[&str], package: &str) {
    let ok = Command::new(program)
        .args(probe)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "the reference `{program} {}` does not run: install the Debian package `{package}` \
         (scripts/test.sh installs it)",
        probe.join(" ")
    );
}

/// Feeds `a<TAB>b` lines to the reference command and reads one verdict per pair.
pub fn run_reference(command: &mut Command, pairs: &[(String, String)]) -> Vec<Verdict> {
    let mut input = String::new();
    for (a, b) in pairs {
        input.push_str(a);
        input.push('\t');
        input.push_str(b);
        input.push('\n');
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting the reference {command:?}: {e}"));
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let output = child.wait_with_output().expect("reading the reference's output");
    writer
        .join()
        .expect("writer thread")
        .expect("writing pairs to the reference");
    assert!(
        output.status.success(),
        "the reference {command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let verdicts: Vec<Verdict> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(parse_verdict)
        .collect();
    assert_eq!(
        verdicts.len(),
        pairs.len(),
        "the reference answered {} of {} pairs",
        verdicts.len(),
        pairs.len()
    );
    verdicts
}

/// How one version text fares with drydock: its order against the other, or refused.
pub fn ours(scheme: Scheme, a: &str, b: &str) -> Verdict {
    match scheme.compare(a, b) {
        Ok(order) => Verdict::Order(order),
        Err(_) => Verdict::Invalid,
    }
}

/// Compares drydock with the reference on every pair; `lenient` names versions drydock
/// accepts on purpose although the reference does not (documented leniencies).
/// Returns how many pairs both ordered.
pub fn assert_agrees(
    scheme: Scheme,
    pairs: &[(String, String)],
    reference: &[Verdict],
    lenient: &dyn Fn(&str) -> bool,
) -> usize {
    let mut mismatches = Vec::new();
    let mut ordered = 0;
    for ((a, b), expected) in pairs.iter().zip(reference) {
        let actual = ours(scheme, a, b);
        let excused =
            *expected == Verdict::Invalid && matches!(actual, Verdict::Order(_)) && (lenient(a) || lenient(b));
        if actual != *expected && !excused {
            mismatches.push(format!("{a:?} vs {b:?}: reference {expected:?}, drydock {actual:?}"));
        }
        ordered += usize::from(matches!(expected, Verdict::Order(_)));
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} {scheme} pairs disagree with the reference, first ones:\n{}",
        mismatches.len(),
        pairs.len(),
        mismatches.iter().take(25).cloned().collect::<Vec<_>>().join("\n")
    );
    eprintln!(
        "{scheme}: {} pairs agree with the reference ({ordered} ordered)",
        pairs.len()
    );
    ordered
}

/// Antisymmetry and transitivity of drydock's order over the valid versions of a pool, plus
/// equal versions hashing alike.
pub fn assert_total_order(scheme: Scheme, versions: &[String], rng: &mut Rng, triples: usize) {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let parsed: Vec<_> = versions.iter().filter_map(|v| scheme.parse(v).ok()).collect();
    assert!(!parsed.is_empty(), "no valid {scheme} versions in the pool");
    let hash = |v: &drydock_version::Version| {
        let mut h = DefaultHasher::new();
        v.hash(&mut h);
        h.finish()
    };
    for _ in 0..triples {
        let (a, b, c) = (rng.pick(&parsed), rng.pick(&parsed), rng.pick(&parsed));
        assert_eq!(a.cmp(b), b.cmp(a).reverse(), "{scheme}: antisymmetry of {a} and {b}");
        if a <= b && b <= c {
            assert!(a <= c, "{scheme}: {a} <= {b} <= {c} but not {a} <= {c}");
        }
        if a == b {
            assert_eq!(hash(a), hash(b), "{scheme}: {a} == {b} but their hashes differ");
        }
    }
    let mut sorted = parsed.clone();
    sorted.sort();
    for window in sorted.windows(2) {
        if window[0] == window[1] {
            assert_eq!(
                hash(&window[0]),
                hash(&window[1]),
                "{scheme}: {} == {}",
                window[0],
                window[1]
            );
        }
    }
}
