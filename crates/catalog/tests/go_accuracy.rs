//! Go modules: none in any fixture image (none has a Go binary or go.mod, and the ground
//! truth lists none), and the exact
//! modules of the Go binaries in `tests/fixtures/go` (built by its `make.sh`, checked
//! against `go version -m`) and of their go.mod, scanned as a directory through the
//! layer engine. A binary with broken build info gives a warning naming it, and the rest of
//! the inventory is still produced.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use common::{expected, inventory_of};
use drydock_model::{Ecosystem, Inventory};
use drydock_oci::{ImageRef, OpenOptions, ScanOptions};

const IMAGES: [&str; 8] = [
    "debian-min",
    "debian-python",
    "node-app",
    "rust-app",
    "misconfig",
    "layers-whiteout",
    "distroless-style",
    "debian-nosec",
];

/// The analyzers this file's catalogers run as.
const MINE: [&str; 2] = ["elf-binary", "go-mod"];

fn go_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/go")
}

fn gunzip(path: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut bytes)
        .unwrap();
    bytes
}

fn scan_dir(root: &Path) -> Inventory {
    let text = format!("dir:{}", root.display());
    let reference: ImageRef = text.parse().unwrap();
    let opened = drydock_oci::open(&reference, &text, &OpenOptions::default()).unwrap();
    let options = ScanOptions {
        cache: None,
        ..ScanOptions::default()
    };
    let scan = drydock_oci::scan(opened, &drydock_catalog::analyzers(), &options).unwrap();
    drydock_catalog::inventory(&scan)
}

fn put(root: &Path, path: &str, bytes: &[u8]) {
    let target = root.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::write(target, bytes).unwrap();
}

/// (name, version) → sorted paths, for the Go packages of an inventory.
fn go_packages(inventory: &Inventory) -> BTreeMap<(String, String), BTreeSet<String>> {
    inventory
        .packages
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Go)
        .map(|p| {
            let paths = p.locations.iter().map(|l| l.path.clone()).collect();
            ((p.name.clone(), p.version.clone()), paths)
        })
        .collect()
}

/// The modules `go version -m` printed for a binary: the main module, each dependency as
/// built (a module replacement's path and version; a directory replacement keeps the
/// original), and `stdlib` at the Go version.
fn reference_modules(listing: &str) -> BTreeSet<(String, String)> {
    let mut modules = BTreeSet::new();
    let mut lines = listing.lines().peekable();
    let go_version = lines
        .next()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .trim_start_matches("go");
    modules.insert(("stdlib".to_string(), go_version.to_string()));
    while let Some(line) = lines.next() {
        let fields: Vec<&str> = line.trim_start().split('\t').collect();
        match fields.as_slice() {
            ["mod", path, version, ..] => {
                modules.insert((path.to_string(), version.to_string()));
            }
            ["dep", path, version, ..] => {
                let replacement = lines
                    .peek()
                    .map(|next| next.trim_start().split('\t').collect::<Vec<_>>())
                    .filter(|next| next.first() == Some(&"=>"));
                let built = match replacement.as_deref() {
                    Some(["=>", with, with_version, ..]) if !with.starts_with('.') => (*with, *with_version),
                    _ => (*path, *version),
                };
                modules.insert((built.0.to_string(), built.1.to_string()));
            }
            _ => {}
        }
    }
    modules
}

#[test]
fn no_fixture_image_has_go_modules_or_go_warnings() {
    for name in IMAGES {
        // The ground truth lists no Go packages for any image (no `go` key, or an empty one).
        let truth = expected(name);
        let listed = truth["packages"]
            .get("go")
            .and_then(|go| go.as_array())
            .map_or(0, Vec::len);
        assert_eq!(
            listed, 0,
            "{name}: the ground truth now lists Go packages: compare them here"
        );
        let inventory = inventory_of(name);
        assert!(
            go_packages(&inventory).is_empty(),
            "{name}: {:?}",
            go_packages(&inventory)
        );
        let mine: Vec<_> = inventory
            .warnings
            .iter()
            .filter(|w| MINE.contains(&w.cataloger.as_str()))
            .collect();
        assert!(mine.is_empty(), "{name}: {mine:?}");
    }
}

#[test]
fn go_binaries_and_go_mod_give_exactly_the_modules_go_reports() {
    let root = tempfile::tempdir().unwrap();
    let fixtures = go_fixtures();
    let binaries = [
        ("/usr/local/bin/demo", "demo-linux-amd64"),
        ("/opt/mips/bin/demo", "demo-linux-mips"),
    ];
    let mut want: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for (path, fixture) in binaries {
        put(root.path(), path, &gunzip(&fixtures.join(format!("{fixture}.gz"))));
        let listing = std::fs::read_to_string(fixtures.join(format!("{fixture}.buildinfo.txt"))).unwrap();
        for module in reference_modules(&listing) {
            want.entry(module).or_default().insert(path.to_string());
        }
    }
    let go_mod = std::fs::read(fixtures.join("src/go.mod")).unwrap();
    put(root.path(), "/src/demo/go.mod", &go_mod);
    for required in ["example.com/colour", "example.com/greet", "example.com/quotefork"] {
        let (_, paths) = want.iter_mut().find(|((name, _), _)| name == required).unwrap();
        paths.insert("/src/demo/go.mod".to_string());
    }

    let inventory = scan_dir(root.path());
    assert!(inventory.warnings.is_empty(), "{:?}", inventory.warnings);
    assert_eq!(go_packages(&inventory), want);

    let find = |name: &str| inventory.packages.iter().find(|p| p.name == name).unwrap();
    let stdlib = find("stdlib");
    assert_eq!(stdlib.purl, "pkg:golang/stdlib@1.19.8");
    assert_eq!(stdlib.found_by, ["go-binary"]);
    let main = find("example.com/demo");
    assert_eq!(main.properties["main_module"], "true");
    assert_eq!(main.properties["GOOS"], "linux");
    let fork = find("example.com/quotefork");
    assert_eq!(fork.purl, "pkg:golang/example.com/quotefork@v1.3.0");
    assert_eq!(fork.properties["replaces"], "example.com/quote v1.2.0");
    let mut found_by = fork.found_by.clone();
    found_by.sort();
    assert_eq!(found_by, ["go-binary", "go-mod"]);
    assert_eq!(find("example.com/greet").properties["replaced_by"], "./greet");
}

#[test]
fn a_go_binary_with_broken_build_info_is_a_warning_naming_it() {
    let root = tempfile::tempdir().unwrap();
    let mut binary = gunzip(&go_fixtures().join("demo-linux-amd64.gz"));
    // The inline strings follow the 32-byte header: make the module info's length run
    // past the end of the file.
    let header = binary.windows(14).position(|w| w == b"\xff Go buildinf:").unwrap();
    let version_len = usize::from(binary[header + 32]);
    let modinfo_len_at = header + 33 + version_len;
    binary[modinfo_len_at..modinfo_len_at + 5].copy_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
    put(root.path(), "/usr/bin/broken", &binary);
    put(
        root.path(),
        "/src/go.mod",
        b"module m\n\nrequire example.com/colour v0.4.1\n",
    );

    let inventory = scan_dir(root.path());
    assert_eq!(inventory.warnings.len(), 1, "{:?}", inventory.warnings);
    let warning = &inventory.warnings[0];
    assert_eq!(
        (warning.cataloger.as_str(), warning.path.as_str()),
        ("elf-binary", "/usr/bin/broken")
    );
    assert!(warning.message.contains("module info"), "{warning:?}");
    let modules: Vec<_> = go_packages(&inventory).into_keys().collect();
    assert_eq!(modules, [("example.com/colour".to_string(), "v0.4.1".to_string())]);
}
