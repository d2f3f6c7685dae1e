//! NuGet order against the examples NuGet publishes (learn.microsoft.com "Package versioning"
//! and NuGet.Versioning's SemVer 2 rules), because no NuGet reference runs on Debian here;
//! plus the order's own laws over generated versions.

mod common;

use std::cmp::Ordering;

use common::{Rng, assert_total_order};
use drydock_version::Scheme;

/// Each version is lower than the next.
const ASCENDING: &[&str] = &[
    "0.9.9",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.0.1",
    "1.0.1-0",
    "1.0.1-2",
    "1.0.1-10",
    "1.0.1-a",
    "1.0.1",
    "1.1",
    "2.0.0",
];

/// Each pair is the same version.
const EQUAL: &[(&str, &str)] = &[
    ("1.0", "1.0.0"),
    ("1.0.0", "1.0.0.0"),
    ("1.0.0-ALPHA", "1.0.0-alpha"),
    ("1.0.0-Beta.1", "1.0.0-beta.1"),
    ("1.0.0+build", "1.0.0"),
    ("1.0.0-rc.1+git.abc", "1.0.0-RC.1+other"),
    ("01.002.0003", "1.2.3"),
];

#[test]
fn nuget_matches_published_precedence() {
    for pair in ASCENDING.windows(2) {
        assert_eq!(
            Scheme::NuGet.compare(pair[0], pair[1]),
            Ok(Ordering::Less),
            "{} < {}",
            pair[0],
            pair[1]
        );
    }
    for (a, b) in EQUAL {
        assert_eq!(Scheme::NuGet.compare(a, b), Ok(Ordering::Equal), "{a} == {b}");
    }
}

#[test]
fn nuget_refuses_what_nuget_versioning_refuses() {
    for bad in [
        "",
        "1.0.0.0.0",
        "1.0.0-",
        "1.0.0-beta..1",
        "1.0.0-01",
        "1.0.0-b_1",
        "1.0.0+",
        "-1.0",
        "1.0.0 1",
        "v1.0",
    ] {
        assert!(!Scheme::NuGet.is_valid(bad), "{bad:?} was accepted");
    }
}

#[test]
fn nuget_order_is_total_on_generated_versions() {
    let mut rng = Rng::new(6);
    let versions: Vec<String> = (0..3000)
        .map(|_| {
            let parts: Vec<String> = (0..1 + rng.below(4)).map(|_| rng.number()).collect();
            let mut v = parts.join(".");
            if rng.chance(50) {
                v.push('-');
                v.push_str(rng.pick_str(&[
                    "alpha", "Alpha", "beta.2", "beta.10", "rc.1", "1", "2", "a-b", "-1", "RC",
                ]));
            }
            v
        })
        .collect();
    assert_total_order(Scheme::NuGet, &versions, &mut rng, 50_000);
}
