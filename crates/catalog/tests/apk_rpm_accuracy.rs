//! apk and rpm: no fixture image has either, so every fixture must yield none; and the rpm
//! test databases in `tests/fixtures/rpm` (SQLite written by rpm, Berkeley DB written by
//! db_load and checked with rpm's bdb_ro, see its README) must yield exactly what `rpm -qa`
//! lists. NDB, which Debian's rpm cannot write, is built here from rpm's format. When `rpm`
//! is installed the lists are also compared with a live `rpm -qa`; `expected.txt` holds the
//! same output for machines without it.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{expected, fixtures, inventory_of};
use drydock_catalog::ecosystems::rpm::{self, Rpm, sqlite};
use drydock_catalog::{Cataloger, Catalogued};
use drydock_model::{Ecosystem, FileKind, Inventory, Package};
use drydock_oci::engine::analyzer::EntryMeta;
use drydock_oci::{ImageRef, OpenOptions, ScanOptions};

const QUERY: &str = "%{NAME}\\t%{EVR}\\t%{ARCH}\\t%{SOURCERPM}\\t%{LICENSE}\\t%{VENDOR}\\n";

fn rpm_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rpm")
}

fn images() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures())
        .unwrap()
        .filter_map(|entry| {
            let name = entry.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".expected.json").map(str::to_string)
        })
        .collect();
    names.sort();
    names
}

#[test]
fn fixture_images_have_no_apk_or_rpm_packages() {
    let names = images();
    assert!(names.len() >= 8, "fixture images: {names:?}");
    for name in names {
        let truth = expected(&name);
        for kind in ["apk", "rpm"] {
            let listed = truth["packages"][kind].as_array().map_or(0, Vec::len);
            assert_eq!(
                listed, 0,
                "{name}: the ground truth lists {kind} packages; this test needs updating"
            );
        }
        let inventory = inventory_of(&name);
        let ours: Vec<&Package> = inventory
            .packages
            .iter()
            .filter(|p| matches!(p.ecosystem, Ecosystem::Apk | Ecosystem::Rpm))
            .collect();
        assert!(ours.is_empty(), "{name}: {ours:?}");
        assert!(inventory.warnings.is_empty(), "{name}: {:?}", inventory.warnings);
    }
}

fn meta(path: &str, size: usize) -> EntryMeta<'_> {
    EntryMeta {
        path,
        kind: FileKind::File,
        mode: 0o644,
        uid: 0,
        gid: 0,
        size: size as u64,
        link_target: None,
    }
}

fn catalog(path: &str, bytes: &[u8]) -> Result<Catalogued, String> {
    Rpm.catalog(&meta(path, bytes.len()), &mut &bytes[..])
}

/// A package as `rpm -qa --qf QUERY` prints it.
fn as_rpm_prints(package: &Package) -> String {
    let property = |key: &str| package.properties.get(key).cloned().unwrap_or("(none)".into());
    let license = package.licenses.first().cloned().unwrap_or("(none)".into());
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}",
        package.name,
        package.version,
        property("architecture"),
        property("source_rpm"),
        license,
        property("vendor")
    )
}

fn lines(found: &Catalogued) -> BTreeSet<String> {
    found.packages.iter().map(as_rpm_prints).collect()
}

fn expected_lines() -> BTreeSet<String> {
    let text = std::fs::read_to_string(rpm_fixtures().join("expected.txt")).unwrap();
    text.lines().map(str::to_string).collect()
}

/// `rpm -qa` over a copy of a fixture database, or `None` when rpm is not installed.
fn live_rpm_qa(file: &str, backend: &str) -> Option<BTreeSet<String>> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(rpm_fixtures().join(file), dir.path().join(file)).unwrap();
    let output = Command::new("rpm")
        .arg("-qa")
        .arg("--dbpath")
        .arg(dir.path())
        .args(["--define", &format!("_db_backend {backend}"), "--qf", QUERY])
        .output();
    match output {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("rpm is not installed: comparing with expected.txt only");
            None
        }
        Err(e) => panic!("running rpm: {e}"),
        Ok(output) => {
            assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
            let text = String::from_utf8(output.stdout).unwrap();
            Some(text.lines().map(str::to_string).collect())
        }
    }
}

fn fixture_bytes(file: &str) -> Vec<u8> {
    std::fs::read(rpm_fixtures().join(file)).unwrap()
}

#[test]
fn the_sqlite_database_lists_what_rpm_lists() {
    let found = catalog("/var/lib/rpm/rpmdb.sqlite", &fixture_bytes("rpmdb.sqlite")).unwrap();
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    assert_eq!(found.packages.len(), 13, "the erased package is not listed");
    assert_eq!(lines(&found), expected_lines());
    if let Some(live) = live_rpm_qa("rpmdb.sqlite", "sqlite") {
        assert_eq!(lines(&found), live);
    }
}

#[test]
fn the_berkeley_db_database_lists_what_rpm_lists() {
    let found = catalog("/var/lib/rpm/Packages", &fixture_bytes("Packages")).unwrap();
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    assert_eq!(lines(&found), expected_lines());
    if let Some(live) = live_rpm_qa("Packages", "bdb_ro") {
        assert_eq!(lines(&found), live);
    }
}

/// The header blobs of the SQLite fixture, by package number.
fn fixture_blobs() -> Vec<(u64, Vec<u8>)> {
    let mut blobs = Vec::new();
    let warnings = sqlite::read_packages(&fixture_bytes("rpmdb.sqlite"), &mut |hnum, blob| {
        blobs.push((hnum, blob.to_vec()))
    })
    .unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    blobs
}

/// An NDB `Packages.db` laid out as rpm's `lib/backend/ndb/rpmpkg.c` writes it: a 32-byte
/// header ("RpmP", version 0, generation, slot page count, next package index), 16-byte
/// slots ("Slot", package index, block offset, block count) filling the 4096-byte slot
/// pages, and each blob in 16-byte blocks: "BlbS", package index, time, length, the
/// header, zero padding, then adler32 of all that, length, "BlbE". Two slot pages, a free
/// slot, and a freed (zeroed) gap between blobs, as rpm leaves after an erase.
fn ndb_database(blobs: &[(u64, Vec<u8>)]) -> Vec<u8> {
    const PAGE: usize = 4096;
    let slot_pages = 2u32;
    let mut file = vec![0u8; PAGE * slot_pages as usize];
    file[0..4].copy_from_slice(b"RpmP");
    file[8..12].copy_from_slice(&7u32.to_le_bytes());
    file[12..16].copy_from_slice(&slot_pages.to_le_bytes());
    let next = blobs.iter().map(|(n, _)| *n).max().unwrap_or(0) as u32 + 1;
    file[16..20].copy_from_slice(&next.to_le_bytes());
    for slot in file[32..].chunks_exact_mut(16) {
        slot[0..4].copy_from_slice(b"Slot");
    }
    for (i, (number, blob)) in blobs.iter().enumerate() {
        file.extend_from_slice(&[0u8; 64]);
        let block = file.len() / 16;
        let mut region = Vec::new();
        region.extend_from_slice(b"BlbS");
        region.extend_from_slice(&(*number as u32).to_le_bytes());
        region.extend_from_slice(&1_700_000_000u32.to_le_bytes());
        region.extend_from_slice(&(blob.len() as u32).to_le_bytes());
        region.extend_from_slice(blob);
        let blocks = (16 + blob.len() + 12).div_ceil(16);
        region.resize(blocks * 16 - 12, 0);
        let checksum = adler32(&region);
        region.extend_from_slice(&checksum.to_le_bytes());
        region.extend_from_slice(&(blob.len() as u32).to_le_bytes());
        region.extend_from_slice(b"BlbE");
        file.extend_from_slice(&region);
        // Slot 2, the first after the header, stays free.
        let at = 32 + 16 * (i + 1);
        file[at + 4..at + 8].copy_from_slice(&(*number as u32).to_le_bytes());
        file[at + 8..at + 12].copy_from_slice(&(block as u32).to_le_bytes());
        file[at + 12..at + 16].copy_from_slice(&(blocks as u32).to_le_bytes());
    }
    file
}

fn adler32(bytes: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in bytes {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    (b << 16) | a
}

#[test]
fn an_ndb_database_lists_the_same_packages() {
    let file = ndb_database(&fixture_blobs());
    assert_eq!(rpm::Format::detect(&file), Some(rpm::Format::Ndb));
    let found = catalog("/usr/lib/sysimage/rpm/Packages.db", &file).unwrap();
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    assert_eq!(lines(&found), expected_lines());
}

#[test]
fn sources_epochs_and_dependencies_of_the_fixture_packages() {
    let found = catalog("/var/lib/rpm/rpmdb.sqlite", &fixture_bytes("rpmdb.sqlite")).unwrap();
    let get = |name: &str| found.packages.iter().find(|p| p.name == name).unwrap();
    let source = |name: &str| {
        let source = get(name).source.clone().unwrap();
        (source.name, source.version)
    };
    assert_eq!(source("demo-tools"), ("demo".into(), "1.2.3-4.el9".into()));
    assert_eq!(source("demo-lib"), ("demo".into(), "1.2.3-4.el9".into()));
    assert_eq!(source("withepoch"), ("withepoch".into(), "2:0.9-1.fc40".into()));
    assert_eq!(get("withepoch").properties["epoch"], "2");
    assert_eq!(get("zeroepoch").version, "0:3.1-7");
    assert_eq!(get("zeroepoch").properties["epoch"], "0");
    assert!(!get("bigheader").properties.contains_key("epoch"));
    // demo-tools requires demo-lib, libc.so.6()(64bit) and config(demo-tools): only the
    // installed package stays. demo-lib requires /bin/sh (provided by nothing installed)
    // and coreutils (a plain name).
    assert_eq!(get("demo-tools").dependencies, ["demo-lib"]);
    assert_eq!(get("demo-lib").dependencies, ["coreutils"]);
    assert_eq!(get("bigheader").dependencies, ["demo-lib"]);
    assert_eq!(get("bigheader").licenses, ["LGPL-2.1-or-later"]);
}

/// Cut anywhere, a database never panics, never invents a package, and never loses one
/// without saying so.
#[test]
fn truncated_databases_keep_what_they_can_and_warn() {
    let expected = expected_lines();
    let files = [
        ("/var/lib/rpm/rpmdb.sqlite", fixture_bytes("rpmdb.sqlite")),
        ("/var/lib/rpm/Packages", fixture_bytes("Packages")),
        ("/var/lib/rpm/Packages.db", ndb_database(&fixture_blobs())),
    ];
    for (path, bytes) in files {
        let mut partial_results = 0;
        for cut in (1..64).map(|step| bytes.len() * step / 64) {
            match catalog(path, &bytes[..cut]) {
                Ok(found) => {
                    let got = lines(&found);
                    assert!(got.is_subset(&expected), "{path} cut at {cut}: {got:?}");
                    if got.len() < expected.len() {
                        assert!(
                            !found.warnings.is_empty(),
                            "{path} cut at {cut}: packages lost silently"
                        );
                        partial_results += 1;
                    }
                }
                Err(problem) => assert!(!problem.is_empty()),
            }
        }
        assert!(partial_results > 0, "{path}: no cut kept some packages");
    }
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

fn write(root: &Path, path: &str, bytes: &[u8]) {
    let target = root.join(path.trim_start_matches('/'));
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::write(target, bytes).unwrap();
}

#[test]
fn a_red_hat_style_root_filesystem() {
    let root = tempfile::tempdir().unwrap();
    write(
        root.path(),
        "/etc/os-release",
        b"ID=\"rhel\"\nVERSION_ID=\"9.4\"\nID_LIKE=\"fedora\"\n",
    );
    write(root.path(), "/var/lib/rpm/rpmdb.sqlite", &fixture_bytes("rpmdb.sqlite"));
    let inventory = scan_dir(root.path());
    assert!(inventory.warnings.is_empty(), "{:?}", inventory.warnings);
    let rpms: Vec<&Package> = inventory
        .packages
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Rpm)
        .collect();
    assert_eq!(rpms.len(), 13);
    let lib = rpms.iter().find(|p| p.name == "demo-lib").unwrap();
    assert_eq!(lib.locations[0].path, "/var/lib/rpm/rpmdb.sqlite");
    assert_eq!(lib.locations[0].layer, Some(0));
    assert_eq!(lib.found_by, ["rpm"]);
    assert!(
        lib.purl.starts_with("pkg:rpm/rhel/demo-lib@1.2.3-4.el9?")
            && lib.purl.contains("arch=x86_64")
            && lib.purl.contains("distro=rhel-9.4"),
        "{}",
        lib.purl
    );
}

#[test]
fn a_truncated_database_is_a_warning_naming_the_file() {
    let root = tempfile::tempdir().unwrap();
    let bytes = fixture_bytes("Packages");
    write(root.path(), "/usr/lib/sysimage/rpm/Packages", &bytes[..bytes.len() / 2]);
    let inventory = scan_dir(root.path());
    let rpms = inventory
        .packages
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Rpm)
        .count();
    assert!(rpms > 0 && rpms < 13, "{rpms} packages");
    assert!(!inventory.warnings.is_empty());
    for warning in &inventory.warnings {
        assert_eq!(warning.cataloger, "rpm");
        assert_eq!(warning.path, "/usr/lib/sysimage/rpm/Packages");
        assert_eq!(warning.layer, Some(0));
    }
}

/// An Alpine `installed` database as apk-tools writes it (Alpine 3.20, trimmed file lists).
const ALPINE_INSTALLED: &str = "\
C:Q1SGvOw3ZeVbQgAnLBGrQP8ZcWN9s=
P:alpine-baselayout-data
V:3.6.5-r0
A:x86_64
S:11235
I:77824
T:Alpine base dir structure and init scripts
U:https://git.alpinelinux.org/cgit/aports/tree/main/alpine-baselayout
L:GPL-2.0-only
o:alpine-baselayout
m:Natanael Copa <ncopa@alpinelinux.org>
t:1714981135
c:66187892e05b03a41d08e9acabd19b7576a1c875
r:alpine-baselayout
q:1000
F:etc
R:fstab
Z:Q11Q7hNe8QpDS531guqCdrXBzoA/o=
R:group
Z:Q12Otk4M39fP2Zjkobu0nC9FvlRI0=

C:Q1Ax4V2Y2mp6Xrl4O3ylnRGoRGGWo=
P:musl
V:1.2.5-r0
A:x86_64
S:411323
I:662528
T:the musl c library (libc) implementation
U:https://musl.libc.org/
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
t:1712579441
c:7a2ad5ae21a8b0b43e36e7b4f5b3ac6f8d8c1aba
p:so:libc.musl-x86_64.so.1=1
F:lib
R:ld-musl-x86_64.so.1
a:0:0:755
Z:Q1o5Ll2FXrprPgbdddRsNMzB5jA3c=
R:libc.musl-x86_64.so.1
a:0:0:777
Z:Q17yJ3JFNypA4mxhJJr0ou6CzsJVI=

C:Q1nNc3q5/vvU6T0yoxUyxSqYHQ2Ic=
P:busybox
V:1.36.1-r29
A:x86_64
S:509358
I:924382
T:Size optimized toolbox of many common UNIX utilities
U:https://busybox.net/
L:GPL-2.0-only
o:busybox
m:Sören Tempel <soeren+alpine@soeren-tempel.net>
t:1715176914
c:e1c10a1ebb1c6ac1ca1a7e4bf6ebd5ea4ba0a9b7
D:so:libc.musl-x86_64.so.1
p:cmd:busybox=1.36.1-r29
r:busybox-initscripts
F:bin
R:busybox
a:0:0:755
Z:Q1Iz2YD1o/CK6+nYl8nfqpR1wKj44=

C:Q1KL8TpS6nVx5gTNzc6fWPNQMmDFQ=
P:busybox-binsh
V:1.36.1-r29
A:x86_64
S:1543
I:1
T:busybox ash /bin/sh
U:https://busybox.net/
L:GPL-2.0-only
o:busybox
m:Sören Tempel <soeren+alpine@soeren-tempel.net>
t:1715176914
c:e1c10a1ebb1c6ac1ca1a7e4bf6ebd5ea4ba0a9b7
D:busybox=1.36.1-r29
p:/bin/sh cmd:sh=1.36.1-r29
k:100
F:bin
R:sh
a:0:0:777
Z:Q1pcfTfDNEbNKQc2s1tia7da05M8Q=

C:Q1ebtyc6EXWtoPiqyvKfVGfcqHTes=
P:ssl_client
V:1.36.1-r29
A:x86_64
S:4816
I:14184
T:EXternal ssl_client for busybox wget
U:https://busybox.net/
L:GPL-2.0-only
o:busybox
m:Sören Tempel <soeren+alpine@soeren-tempel.net>
t:1715176914
c:e1c10a1ebb1c6ac1ca1a7e4bf6ebd5ea4ba0a9b7
D:so:libc.musl-x86_64.so.1 so:libcrypto.so.3 so:libssl.so.3
i:busybox=1.36.1-r29 libssl3
F:usr
F:usr/bin
R:usr/bin/ssl_client
a:0:0:755
Z:Q1sJ0zLFJl7S7l6V2W4FKSEXbqNOU=

";

#[test]
fn an_alpine_root_filesystem() {
    let root = tempfile::tempdir().unwrap();
    write(
        root.path(),
        "/etc/os-release",
        b"NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.20.3\n",
    );
    write(root.path(), "/lib/apk/db/installed", ALPINE_INSTALLED.as_bytes());
    let inventory = scan_dir(root.path());
    assert!(inventory.warnings.is_empty(), "{:?}", inventory.warnings);
    let got: BTreeSet<(String, String, String, String)> = inventory
        .packages
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Apk)
        .map(|p| {
            let source = p.source.as_ref().unwrap();
            assert_eq!(p.locations[0].path, "/lib/apk/db/installed");
            assert_eq!(p.locations[0].layer, Some(0));
            (
                p.name.clone(),
                p.version.clone(),
                source.name.clone(),
                source.version.clone(),
            )
        })
        .collect();
    let row = |name: &str, version: &str, origin: &str| {
        (
            name.to_string(),
            version.to_string(),
            origin.to_string(),
            version.to_string(),
        )
    };
    let want = BTreeSet::from([
        row("alpine-baselayout-data", "3.6.5-r0", "alpine-baselayout"),
        row("musl", "1.2.5-r0", "musl"),
        row("busybox", "1.36.1-r29", "busybox"),
        row("busybox-binsh", "1.36.1-r29", "busybox"),
        row("ssl_client", "1.36.1-r29", "busybox"),
    ]);
    assert_eq!(got, want);
    let ssl_client = inventory.packages.iter().find(|p| p.name == "ssl_client").unwrap();
    // libcrypto.so.3 and libssl.so.3 are provided by nothing installed here.
    assert_eq!(ssl_client.dependencies, ["musl"]);
    assert!(
        ssl_client.purl.starts_with("pkg:apk/alpine/ssl_client@1.36.1-r29?")
            && ssl_client.purl.contains("arch=x86_64")
            && ssl_client.purl.contains("distro=alpine-3.20.3"),
        "{}",
        ssl_client.purl
    );
}
