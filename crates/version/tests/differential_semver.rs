//! SemVer order against Debian's `node-semver` (npm's own implementation), in one batch.

mod common;

use std::process::Command;

use common::{Rng, assert_agrees, assert_total_order, fixture, pairs, require, run_reference};
use drydock_version::Scheme;

const REFERENCE: &str = r#"
const parse = require('/usr/share/nodejs/semver/functions/parse');
const compare = require('/usr/share/nodejs/semver/functions/compare');
const lines = require('fs').readFileSync(0, 'utf8').split('\n').slice(0, -1);
const out = lines.map((line) => {
  const [a, b] = line.split('\t');
  const x = parse(a), y = parse(b);
  return x && y ? String(compare(x, y)) : 'ERR';
});
process.stdout.write(out.join('\n') + '\n');
"#;

fn identifier(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => rng.number(),
        1 => rng.plain_number(),
        2 => rng
            .pick_str(&["alpha", "beta", "rc", "RC", "a", "b", "pre", "x-y", "-", "0a", "A1"])
            .to_string(),
        3 => format!("{}{}", rng.pick_str(&["alpha", "rc", "b"]), rng.plain_number()),
        4 => String::new(),
        _ => rng.pick_str(&["1", "2", "10", "11"]).to_string(),
    }
}

fn identifiers(rng: &mut Rng) -> String {
    let parts: Vec<String> = (0..1 + rng.below(3)).map(|_| identifier(rng)).collect();
    parts.join(".")
}

fn generated(rng: &mut Rng) -> String {
    let mut v = String::new();
    if rng.chance(10) {
        v.push_str(rng.pick_str(&["v", "=", "=v", "V", " "]));
    }
    let numbers = if rng.chance(90) { 3 } else { 1 + rng.below(4) };
    let core: Vec<String> = (0..numbers)
        .map(|_| {
            if rng.chance(90) {
                rng.plain_number()
            } else {
                rng.number()
            }
        })
        .collect();
    v.push_str(&core.join("."));
    if rng.chance(45) {
        v.push('-');
        v.push_str(&identifiers(rng));
    }
    if rng.chance(15) {
        v.push('+');
        v.push_str(&identifiers(rng));
    }
    if rng.chance(5) {
        let at = rng.below(v.len() + 1);
        v.insert(at, *rng.pick(&['.', '-', '+', '_', 'x']));
    }
    v
}

/// `=` and a missing minor or patch are drydock's documented leniencies.
fn lenient(version: &str) -> bool {
    let core = version.trim_start_matches('=').trim_start_matches('v');
    let core = core.split(['-', '+']).next().unwrap_or_default();
    version.starts_with('=') || core.split('.').count() < 3
}

#[test]
fn semver_matches_node_semver() {
    require(
        "node",
        &["-e", "require('/usr/share/nodejs/semver/functions/compare')"],
        "node-semver",
    );
    let mut rng = Rng::new(2_0_0);
    let mut versions = fixture("osv-semver-versions.txt");
    versions.extend((0..3000).map(|_| generated(&mut rng)));
    let pairs = pairs(&versions, 6000, &mut rng);
    let reference = run_reference(Command::new("node").args(["-e", REFERENCE]), &pairs);
    let ordered = assert_agrees(Scheme::SemVer, &pairs, &reference, &lenient);
    assert!(ordered > 4000, "only {ordered} pairs were ordered");
    assert_total_order(Scheme::SemVer, &versions, &mut rng, 20_000);
}

#[test]
fn leniencies_read_as_the_strict_version() {
    for (lenient, strict) in [
        ("=1.2.3", "1.2.3"),
        ("=v1.2.3-rc.1", "1.2.3-rc.1"),
        ("1.2", "1.2.0"),
        ("1", "1.0.0"),
        ("1.2-beta", "1.2.0-beta"),
    ] {
        assert_eq!(
            Scheme::SemVer.compare(lenient, strict),
            Ok(std::cmp::Ordering::Equal),
            "{lenient}"
        );
    }
}
