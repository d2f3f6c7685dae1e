//! RubyGems order against Debian's `ruby` (`Gem::Version`), in one batch.

mod common;

use std::process::Command;

use common::{Rng, assert_agrees, assert_total_order, pairs, require, run_reference};
use drydock_version::Scheme;

const REFERENCE: &str = r#"
out = STDIN.read.split("\n").map do |line|
  a, b = line.split("\t", 2)
  begin
    (Gem::Version.new(a) <=> Gem::Version.new(b)).to_s
  rescue ArgumentError
    "ERR"
  end
end
puts out.join("\n")
"#;

fn generated(rng: &mut Rng) -> String {
    let mut v = rng.number();
    for _ in 0..rng.below(5) {
        v.push('.');
        v.push_str(&match rng.below(6) {
            0..=2 => rng.number(),
            3 => rng
                .pick_str(&["a", "b", "pre", "rc", "alpha", "beta", "A", "Z"])
                .to_string(),
            4 => format!("{}{}", rng.pick_str(&["rc", "b", "pre"]), rng.number()),
            _ => format!("{}{}", rng.number(), rng.pick_str(&["a", "b", "rc"])),
        });
    }
    if rng.chance(15) {
        v.push('-');
        v.push_str(rng.pick_str(&["1", "rc1", "a-b", "beta.2", "0", "x"]));
    }
    if rng.chance(6) {
        let at = rng.below(v.len() + 1);
        v.insert(at, *rng.pick(&['.', '-', '_', ' ', '+']));
    }
    v
}

#[test]
fn rubygems_matches_gem_version() {
    require("ruby", &["-e", "Gem::Version.new('1.0')"], "ruby");
    let mut rng = Rng::new(1);
    let mut versions: Vec<String> = ["7.0.8.1", "1.16.0.rc1", "2.5.3", "6.1.7.6", "1.0.0.pre", "3.0.0.beta2"]
        .map(String::from)
        .to_vec();
    versions.extend((0..3000).map(|_| generated(&mut rng)));
    let pairs = pairs(&versions, 8000, &mut rng);
    let reference = run_reference(Command::new("ruby").args(["-e", REFERENCE]), &pairs);
    let ordered = assert_agrees(Scheme::RubyGems, &pairs, &reference, &|_| false);
    assert!(ordered > 5000, "only {ordered} pairs were ordered");
    assert_total_order(Scheme::RubyGems, &versions, &mut rng, 20_000);
}
