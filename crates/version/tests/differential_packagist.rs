//! Packagist order against Debian's `php-composer-semver`: Composer's `VersionParser::normalize`
//! then `version_compare`, as Composer sorts versions, in one batch.

mod common;

use std::process::Command;

use common::{Rng, assert_agrees, assert_total_order, pairs, require, run_reference};
use drydock_version::Scheme;

const REFERENCE: &str = r#"
require '/usr/share/php/Composer/Semver/autoload.php';
$parser = new Composer\Semver\VersionParser();
$normalize = function ($v) use ($parser) {
    $n = $parser->normalize($v);
    if (strncmp($n, 'dev-', 4) === 0) throw new UnexpectedValueException('branch');
    return $n;
};
$out = [];
foreach (explode("\n", rtrim(stream_get_contents(STDIN), "\n")) as $line) {
    [$a, $b] = explode("\t", $line, 2);
    try {
        $out[] = (string) version_compare($normalize($a), $normalize($b));
    } catch (UnexpectedValueException $e) {
        $out[] = 'ERR';
    }
}
echo implode("\n", $out), "\n";
"#;

fn generated(rng: &mut Rng) -> String {
    let mut v = String::new();
    if rng.chance(15) {
        v.push_str(rng.pick_str(&["v", "V"]));
    }
    if rng.chance(8) {
        v.push_str(rng.pick_str(&["2024", "20240115", "2023-12", "2024.01.15"]));
    } else {
        let parts: Vec<String> = (0..1 + rng.below(4)).map(|_| rng.number()).collect();
        v.push_str(&parts.join("."));
    }
    if rng.chance(40) {
        v.push_str(rng.pick_str(&["", "-", ".", "_"]));
        v.push_str(rng.pick_str(&[
            "alpha", "a", "beta", "b", "RC", "rc", "patch", "pl", "p", "stable", "STABLE", "Beta", "dev",
        ]));
        if rng.chance(60) {
            v.push_str(rng.pick_str(&["", ".", "-"]));
            v.push_str(&rng.number());
        }
    }
    if rng.chance(15) {
        v.push_str(rng.pick_str(&["-dev", ".dev", "dev", "-DEV"]));
    }
    if rng.chance(8) {
        v.push_str(rng.pick_str(&["+build.1", "@beta", "@dev", ".x-dev", "-foo", " as 1.0"]));
    }
    if rng.chance(4) {
        v = rng
            .pick_str(&["dev-main", "master", "1.x-dev", "2.3.*-dev", "v1.2.x-dev"])
            .to_string();
    }
    v
}

#[test]
fn packagist_matches_composer() {
    require(
        "php",
        &["-r", "require '/usr/share/php/Composer/Semver/autoload.php';"],
        "php-cli and php-composer-semver",
    );
    let mut rng = Rng::new(3);
    let mut versions: Vec<String> = ["v5.4.32", "1.0.0-beta2", "10.3.0", "2.0.0-RC1", "4.4.0-patch1"]
        .map(String::from)
        .to_vec();
    versions.extend((0..3000).map(|_| generated(&mut rng)));
    let pairs = pairs(&versions, 8000, &mut rng);
    let reference = run_reference(Command::new("php").args(["-r", REFERENCE]), &pairs);
    let ordered = assert_agrees(Scheme::Packagist, &pairs, &reference, &|_| false);
    assert!(ordered > 5000, "only {ordered} pairs were ordered");
    assert_total_order(Scheme::Packagist, &versions, &mut rng, 20_000);
}
