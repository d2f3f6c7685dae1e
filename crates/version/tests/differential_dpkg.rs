//! dpkg order against Debian's own tools: `apt_pkg.version_compare` (python3-apt) for every pair
//! in one batch, `dpkg --compare-versions` for which versions are valid and for a sample of pairs.

mod common;

use std::process::{Command, Stdio};

use common::{Rng, Verdict, assert_agrees, assert_total_order, fixture, pairs, require, run_reference};
use drydock_version::Scheme;

const APT_PKG: &str = r#"
import sys, apt_pkg
apt_pkg.init_system()
out = []
for line in sys.stdin.read().split("\n")[:-1]:
    a, b = line.split("\t")
    r = apt_pkg.version_compare(a, b)
    out.append(str((r > 0) - (r < 0)))
print("\n".join(out))
"#;

fn generated(rng: &mut Rng) -> String {
    let mut v = String::new();
    if rng.chance(15) {
        v.push_str(&format!("{}:", rng.plain_number()));
    }
    let pieces = 1 + rng.below(5);
    v.push_str(&rng.number());
    for _ in 1..pieces {
        v.push_str(rng.pick_str(&[
            ".", ".", "~", "+", "a", "b", "~rc", "+dfsg", "~~", ".0", "-", "z", "A", ":",
        ]));
        if rng.chance(60) {
            v.push_str(&rng.number());
        }
    }
    if rng.chance(60) {
        v.push('-');
        v.push_str(&rng.number());
        for _ in 0..rng.below(3) {
            v.push_str(rng.pick_str(&["ubuntu", "+deb12u", "~bpo", ".", "~", "+b", "build"]));
            v.push_str(&rng.number());
        }
    }
    if rng.chance(4) {
        let at = rng.below(v.len() + 1);
        v.insert(at, *rng.pick(&['_', ' ', ':', '-', '!', 'é']));
    }
    v
}

/// Whether `dpkg --compare-versions` takes `version` without an error or a syntax warning.
fn dpkg_accepts(version: &str) -> bool {
    let output = Command::new("dpkg")
        .args(["--compare-versions", version, "eq", version])
        .stdin(Stdio::null())
        .output()
        .expect("running dpkg");
    output.status.success() && output.stderr.is_empty()
}

fn dpkg_order(a: &str, b: &str) -> std::cmp::Ordering {
    let holds = |op: &str| {
        Command::new("dpkg")
            .args(["--compare-versions", a, op, b])
            .status()
            .expect("running dpkg")
            .success()
    };
    if holds("lt") {
        std::cmp::Ordering::Less
    } else if holds("eq") {
        std::cmp::Ordering::Equal
    } else {
        std::cmp::Ordering::Greater
    }
}

fn pool() -> Vec<String> {
    let mut rng = Rng::new(7);
    let mut versions = fixture("osv-debian-versions.txt");
    versions.extend((0..1200).map(|_| generated(&mut rng)));
    versions
}

#[test]
fn dpkg_validity_matches_dpkg() {
    require("dpkg", &["--version"], "dpkg");
    let versions = pool();
    let chunks: Vec<&[String]> = versions.chunks(versions.len().div_ceil(4)).collect();
    let mismatches: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = chunks
            .iter()
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .filter(|v| dpkg_accepts(v) != Scheme::Dpkg.is_valid(v))
                        .map(|v| {
                            format!(
                                "{v:?}: dpkg accepts {}, drydock {}",
                                dpkg_accepts(v),
                                Scheme::Dpkg.is_valid(v)
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers.into_iter().flat_map(|w| w.join().expect("worker")).collect()
    });
    assert!(
        mismatches.is_empty(),
        "validity differs from dpkg:\n{}",
        mismatches.join("\n")
    );
    assert!(versions.iter().filter(|v| Scheme::Dpkg.is_valid(v)).count() > 1000);
}

#[test]
fn dpkg_order_matches_apt_pkg_and_dpkg() {
    require("/usr/bin/python3", &["-c", "import apt_pkg"], "python3-apt");
    require("dpkg", &["--version"], "dpkg");
    let mut rng = Rng::new(8);
    // apt_pkg does not trim spaces as dpkg does; spaces are covered by the validity test.
    let valid: Vec<String> = pool()
        .into_iter()
        .filter(|v| Scheme::Dpkg.is_valid(v))
        .map(|v| v.trim().to_owned())
        .collect();
    let pairs = pairs(&valid, 8000, &mut rng);
    let reference = run_reference(Command::new("/usr/bin/python3").args(["-c", APT_PKG]), &pairs);
    assert!(reference.iter().all(|v| *v != Verdict::Invalid));
    assert_agrees(Scheme::Dpkg, &pairs, &reference, &|_| false);
    for _ in 0..150 {
        let (a, b) = rng.pick(&pairs);
        assert_eq!(
            Scheme::Dpkg.compare(a, b),
            Ok(dpkg_order(a, b)),
            "{a} vs {b} by dpkg --compare-versions"
        );
    }
    assert_total_order(Scheme::Dpkg, &valid, &mut rng, 20_000);
}
