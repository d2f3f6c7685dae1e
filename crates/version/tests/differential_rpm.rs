//! rpm order against Debian's `python3-rpm` (`rpm.labelCompare`, run by Debian's own
//! /usr/bin/python3), in one batch. rpm accepts any text, so only drydock's valid versions go in.

mod common;

use std::process::Command;

use common::{Rng, Verdict, assert_agrees, assert_total_order, pairs, require, run_reference};
use drydock_version::Scheme;

/// Splits `[E:]V[-R]` the way rpm's `parseEVR` does; a missing epoch is 0 as in `rpmverCmp`.
const REFERENCE: &str = r#"
import sys, rpm
def evr(s):
    i = 0
    while i < len(s) and s[i].isdigit():
        i += 1
    if i < len(s) and s[i] == ":":
        e, rest = s[:i] or "0", s[i + 1:]
    else:
        e, rest = "0", s
    v, _, r = rest.rpartition("-") if "-" in rest else (rest, "", None)
    return (e, v, r)
out = []
for line in sys.stdin.read().split("\n")[:-1]:
    a, b = line.split("\t")
    out.append(str(rpm.labelCompare(evr(a), evr(b))))
print("\n".join(out))
"#;

fn piece(rng: &mut Rng) -> String {
    match rng.below(7) {
        0..=2 => rng.number(),
        3 => rng
            .pick_str(&["a", "b", "rc", "git", "el", "fc", "Z", "alpha", "beta"])
            .to_string(),
        4 => rng.pick_str(&["~", "^", "~~", "^~"]).to_string(),
        _ => rng.pick_str(&[".", "_", "+", ".", "..", "._"]).to_string(),
    }
}

fn generated(rng: &mut Rng) -> String {
    let mut v = String::new();
    if rng.chance(15) {
        v.push_str(&format!("{}:", rng.plain_number()));
    }
    v.push_str(&rng.number());
    for _ in 0..rng.below(6) {
        v.push_str(&piece(rng));
    }
    if rng.chance(70) {
        v.push('-');
        v.push_str(&rng.number());
        for _ in 0..rng.below(4) {
            v.push_str(&piece(rng));
        }
    }
    v
}

#[test]
fn rpm_matches_label_compare() {
    require("/usr/bin/python3", &["-c", "import rpm"], "python3-rpm");
    let mut rng = Rng::new(4);
    let mut versions: Vec<String> = [
        "0:4.18.0-513.5.1.el8_9",
        "4.18.0-513.11.1.el8_9",
        "1:1.1.1k-12.el8_9",
        "2.28-251.el9_2",
        "5.4.4-3.el8^20230101",
        "1.0~rc1-1.fc39",
        "3.2.1-1.mga9",
        "15.5-150500.1.1",
    ]
    .map(String::from)
    .to_vec();
    versions.extend((0..3000).map(|_| generated(&mut rng)));
    versions.retain(|v| Scheme::Rpm.is_valid(v));
    let pairs = pairs(&versions, 8000, &mut rng);
    let reference = run_reference(Command::new("/usr/bin/python3").args(["-c", REFERENCE]), &pairs);
    assert!(reference.iter().all(|v| *v != Verdict::Invalid));
    assert_agrees(Scheme::Rpm, &pairs, &reference, &|_| false);
    assert_total_order(Scheme::Rpm, &versions, &mut rng, 20_000);
}
