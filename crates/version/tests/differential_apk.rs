//! apk order against apk-tools' own published test vectors (`test/version.data`), because
//! apk-tools is not packaged for Debian bookworm and no other reference runs here; plus the
//! order's own laws over generated versions.

mod common;

use std::cmp::Ordering;

use common::{Rng, assert_total_order, fixture};
use drydock_version::Scheme;

fn generated(rng: &mut Rng) -> String {
    let mut v = rng.number();
    for _ in 0..rng.below(4) {
        v.push('.');
        v.push_str(&rng.number());
    }
    if rng.chance(20) {
        v.push(*rng.pick(&['a', 'b', 'z']));
    }
    for _ in 0..rng.below(3) {
        v.push('_');
        v.push_str(rng.pick_str(&["alpha", "beta", "pre", "rc", "cvs", "svn", "git", "hg", "p"]));
        if rng.chance(60) {
            v.push_str(&rng.number());
        }
    }
    if rng.chance(10) {
        v.push('~');
        v.push_str(rng.pick_str(&["deadbeef", "0a1b2c", "f"]));
    }
    if rng.chance(50) {
        v.push_str("-r");
        v.push_str(&rng.number());
    }
    v
}

#[test]
fn apk_matches_apk_tools_test_vectors() {
    let mut checked = 0;
    for line in fixture("apk-tools-version.data") {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let (a, op, b) = (fields[0], fields[1], fields[2]);
        if fields.get(3) == Some(&"invalid") {
            assert!(
                !Scheme::Apk.is_valid(a) || !Scheme::Apk.is_valid(b),
                "{line}: one side should be invalid"
            );
            continue;
        }
        let expected = match op {
            "<" => Ordering::Less,
            "=" => Ordering::Equal,
            ">" => Ordering::Greater,
            other => panic!("unknown operator {other} in {line}"),
        };
        assert_eq!(Scheme::Apk.compare(a, b), Ok(expected), "{line}");
        assert_eq!(Scheme::Apk.compare(b, a), Ok(expected.reverse()), "{line}, reversed");
        checked += 1;
    }
    assert!(checked > 150, "only {checked} vectors checked");
}

#[test]
fn apk_order_is_total_on_generated_versions() {
    let mut rng = Rng::new(5);
    let versions: Vec<String> = (0..3000).map(|_| generated(&mut rng)).collect();
    assert!(versions.iter().filter(|v| Scheme::Apk.is_valid(v)).count() > 2900);
    assert_total_order(Scheme::Apk, &versions, &mut rng, 50_000);
}
