//! Maven order against Debian's `maven` (`ComparableVersion` in maven-artifact 3.8.7), whose
//! `main` compares each argument with the next: pairs go in as `a1 b1 a2 b2 ...`, a few
//! thousand per JVM.

mod common;

use std::cmp::Ordering;
use std::process::Command;

use common::{Rng, Verdict, assert_agrees, assert_total_order, pairs, require};
use drydock_version::Scheme;

const JAR: &str = "/usr/share/maven/lib/maven-artifact-3.x.jar";
const CLASS: &str = "org.apache.maven.artifact.versioning.ComparableVersion";

fn reference(pairs: &[(String, String)]) -> Vec<Verdict> {
    pairs.chunks(2500).flat_map(reference_batch).collect()
}

fn reference_batch(pairs: &[(String, String)]) -> Vec<Verdict> {
    let args = pairs.iter().flat_map(|(a, b)| [a.as_str(), b.as_str()]);
    let output = Command::new("java")
        .args(["-cp", JAR, CLASS])
        .args(args)
        .output()
        .expect("running java");
    assert!(
        output.status.success(),
        "java failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let comparisons: Vec<Verdict> = text
        .lines()
        .filter(|line| line.starts_with("   "))
        .map(|line| match line.split_whitespace().nth(1) {
            Some("<") => Verdict::Order(Ordering::Less),
            Some("==") => Verdict::Order(Ordering::Equal),
            Some(">") => Verdict::Order(Ordering::Greater),
            other => panic!("unexpected ComparableVersion line {line:?} ({other:?})"),
        })
        .collect();
    assert_eq!(
        comparisons.len(),
        pairs.len() * 2 - 1,
        "ComparableVersion printed an unexpected number of lines"
    );
    comparisons.into_iter().step_by(2).collect()
}

fn token(rng: &mut Rng) -> String {
    match rng.below(8) {
        0..=2 => rng.number(),
        3 => rng
            .pick_str(&[
                "alpha",
                "a",
                "beta",
                "b",
                "milestone",
                "m",
                "rc",
                "cr",
                "snapshot",
                "SNAPSHOT",
                "ga",
                "final",
                "release",
                "sp",
                "RC",
                "Final",
                "foo",
                "x",
            ])
            .to_string(),
        4 => format!("{}{}", rng.pick_str(&["a", "b", "m", "rc", "M", "x"]), rng.number()),
        5 => "0000000000".to_string(),
        6 => "12345678901".to_string(),
        _ => rng.pick_str(&["", "0", "1"]).to_string(),
    }
}

fn generated(rng: &mut Rng) -> String {
    let mut v = rng.number();
    for _ in 0..rng.below(6) {
        v.push_str(rng.pick_str(&[".", ".", "-", "-", ""]));
        v.push_str(&token(rng));
    }
    if v.is_empty() { "0".into() } else { v }
}

#[test]
fn maven_matches_comparable_version() {
    require("java", &["-cp", JAR, CLASS], "maven");
    let mut rng = Rng::new(3_8_7);
    let mut versions: Vec<String> = [
        "2.17.1",
        "5.3.31.RELEASE",
        "1.0-alpha-2",
        "9.4.53.v20231009",
        "1.0.0.RC1",
        "1.0.0-RC2",
    ]
    .map(String::from)
    .to_vec();
    versions.extend((0..2500).map(|_| generated(&mut rng)));
    let pairs = pairs(&versions, 5000, &mut rng);
    let verdicts = reference(&pairs);
    assert_agrees(Scheme::Maven, &pairs, &verdicts, &|_| false);
    assert_total_order(Scheme::Maven, &versions, &mut rng, 20_000);
}
