//! PEP 440 order against Python's `packaging.version` (pip package `packaging`), in one batch.

mod common;

use std::process::Command;

use common::{Rng, assert_agrees, assert_total_order, fixture, pairs, require, run_reference};
use drydock_version::Scheme;

const REFERENCE: &str = r#"
import sys
from packaging.version import Version, InvalidVersion
out = []
for line in sys.stdin.read().split("\n")[:-1]:
    a, b = line.split("\t")
    try:
        x, y = Version(a), Version(b)
    except InvalidVersion:
        out.append("ERR")
        continue
    out.append(str((x > y) - (x < y)))
print("\n".join(out))
"#;

fn separator(rng: &mut Rng) -> &'static str {
    rng.pick_str(&["", "", ".", "-", "_"])
}

fn optional_number(rng: &mut Rng) -> String {
    if rng.chance(75) { rng.number() } else { String::new() }
}

fn generated(rng: &mut Rng) -> String {
    let mut v = String::new();
    if rng.chance(10) {
        v.push_str(rng.pick_str(&["v", "V"]));
    }
    if rng.chance(10) {
        v.push_str(&format!("{}!", rng.number()));
    }
    let parts = 1 + rng.below(4);
    let release: Vec<String> = (0..parts).map(|_| rng.number()).collect();
    v.push_str(&release.join("."));
    if rng.chance(35) {
        v.push_str(separator(rng));
        v.push_str(rng.pick_str(&["a", "alpha", "b", "beta", "c", "rc", "pre", "preview", "RC", "Alpha"]));
        v.push_str(separator(rng));
        v.push_str(&optional_number(rng));
    }
    if rng.chance(25) {
        if rng.chance(30) {
            v.push_str(&format!("-{}", rng.number()));
        } else {
            v.push_str(separator(rng));
            v.push_str(rng.pick_str(&["post", "rev", "r", "POST"]));
            v.push_str(separator(rng));
            v.push_str(&optional_number(rng));
        }
    }
    if rng.chance(25) {
        v.push_str(separator(rng));
        v.push_str(rng.pick_str(&["dev", "DEV"]));
        v.push_str(separator(rng));
        v.push_str(&optional_number(rng));
    }
    if rng.chance(15) {
        let segments: Vec<String> = (0..1 + rng.below(3))
            .map(|_| {
                rng.pick_str(&["ubuntu", "1", "01", "abc", "ABC", "7", "local"])
                    .to_string()
            })
            .collect();
        let joined = segments.join(rng.pick_str(&[".", "-", "_"]));
        v.push('+');
        v.push_str(&joined);
    }
    if rng.chance(8) {
        let at = rng.below(v.len() + 1);
        v.insert(at, *rng.pick(&['x', '.', '-', '_', '+', '!', ' ', 'a']));
    }
    if rng.chance(5) {
        v = format!(" {v}\t");
    }
    v
}

#[test]
fn pep440_matches_packaging() {
    require(
        "python3",
        &["-c", "import packaging.version"],
        "python3-packaging (or pip install packaging)",
    );
    let mut rng = Rng::new(440);
    let mut versions = fixture("osv-pypi-versions.txt");
    versions.extend((0..3000).map(|_| generated(&mut rng)));
    // Tabs separate the pair on the reference's input line.
    versions.iter_mut().for_each(|v| *v = v.replace('\t', " "));
    let pairs = pairs(&versions, 6000, &mut rng);
    let reference = run_reference(Command::new("python3").args(["-c", REFERENCE]), &pairs);
    let ordered = assert_agrees(Scheme::Pep440, &pairs, &reference, &|_| false);
    assert!(
        ordered > 5000,
        "only {ordered} pairs were ordered: the generator makes too few valid versions"
    );
    assert_total_order(Scheme::Pep440, &versions, &mut rng, 20_000);
}
