//! Go module version order against golang.org/x/mod/semver (Debian's `golang-go` and
//! `golang-golang-x-mod-dev`): a small Go program built offline, run once over all pairs.

mod common;

use std::path::Path;
use std::process::Command;

use common::{Rng, assert_agrees, assert_total_order, pairs, require, run_reference};
use drydock_version::Scheme;

/// OSV writes Go versions without the `v` that x/mod requires; the program adds it.
const PROGRAM: &str = r#"package main

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/semver"
)

func withV(v string) string {
	if strings.HasPrefix(v, "v") {
		return v
	}
	return "v" + v
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		pair := strings.SplitN(in.Text(), "\t", 2)
		a, b := withV(pair[0]), withV(pair[1])
		if !semver.IsValid(a) || !semver.IsValid(b) {
			fmt.Fprintln(out, "ERR")
			continue
		}
		fmt.Fprintln(out, semver.Compare(a, b))
	}
}
"#;

fn build_reference(dir: &Path) -> std::path::PathBuf {
    std::fs::write(dir.join("main.go"), PROGRAM).expect("writing main.go");
    let binary = dir.join("reference");
    let cache = std::env::temp_dir().join("drydock-version-go-cache");
    let output = Command::new("go")
        .args(["build", "-o"])
        .arg(&binary)
        .arg("main.go")
        .current_dir(dir)
        .env("GOPATH", "/usr/share/gocode")
        .env("GO111MODULE", "off")
        .env("GOFLAGS", "")
        .env("GOCACHE", cache)
        .output()
        .expect("running go build");
    assert!(
        output.status.success(),
        "building the x/mod/semver reference failed (Debian package golang-golang-x-mod-dev): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    binary
}

fn generated(rng: &mut Rng) -> String {
    let mut v = String::new();
    if rng.chance(50) {
        v.push('v');
    }
    let numbers = if rng.chance(85) { 3 } else { 1 + rng.below(3) };
    let core: Vec<String> = (0..numbers)
        .map(|_| {
            if rng.chance(92) {
                rng.plain_number()
            } else {
                rng.number()
            }
        })
        .collect();
    v.push_str(&core.join("."));
    match rng.below(10) {
        0..=2 => {
            let stamp = format!(
                "2019{:02}{:02}{:06}",
                1 + rng.below(12),
                1 + rng.below(28),
                rng.below(1_000_000)
            );
            let base = rng.pick_str(&["", "0.", "rc.1.0.", "pre.0."]);
            v.push_str(&format!("-{base}{stamp}-daa7c04131f5"));
        }
        3..=4 => {
            v.push('-');
            v.push_str(rng.pick_str(&["rc.1", "beta", "alpha.2", "0", "01", "rc.10", "x-y", "", "RC1"]));
        }
        _ => {}
    }
    if rng.chance(15) {
        v.push_str(rng.pick_str(&["+incompatible", "+build.01", "+", "+a.b"]));
    }
    v
}

#[test]
fn go_matches_x_mod_semver() {
    require("go", &["version"], "golang-go");
    let dir = tempfile::tempdir().expect("temporary directory");
    let binary = build_reference(dir.path());
    let mut rng = Rng::new(119);
    let mut versions: Vec<String> = [
        "v0.0.0-20191109021931-daa7c04131f5",
        "0.0.0-20200101000000-aaaaaaaaaaaa",
        "v1.2.3-pre.0.20200101000000-abcdefabcdef",
        "v2.1.0+incompatible",
        "1.21.5",
    ]
    .map(String::from)
    .to_vec();
    versions.extend((0..3000).map(|_| generated(&mut rng)));
    let pairs = pairs(&versions, 8000, &mut rng);
    let reference = run_reference(&mut Command::new(binary), &pairs);
    let ordered = assert_agrees(Scheme::Go, &pairs, &reference, &|_| false);
    assert!(ordered > 5000, "only {ordered} pairs were ordered");
    assert_total_order(Scheme::Go, &versions, &mut rng, 20_000);
}
