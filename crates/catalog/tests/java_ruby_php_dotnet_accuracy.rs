//! Java, Ruby, PHP and .NET packages. No fixture image has any, so every image must yield none
//! (and no warning from these catalogers). Real samples (`tests/fixtures/{java,ruby,php,dotnet}`,
//! see their READMEs) are laid out as a root filesystem, with a generated zip bomb inside a war,
//! and scanned through the layer engine: the packages, their merged locations and the one
//! warning must be exactly the expected ones.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::io::{Cursor, Write};
use std::path::{Path, PathBuf};

use common::{expected, fixtures, inventory_of};
use drydock_catalog::TargetKind;
use drydock_model::{Ecosystem, Inventory, Package};
use drydock_oci::{ImageRef, OpenOptions, ScanOptions};
use sha1::{Digest, Sha1};
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

const ECOSYSTEMS: [Ecosystem; 4] = [
    Ecosystem::Maven,
    Ecosystem::RubyGems,
    Ecosystem::Packagist,
    Ecosystem::NuGet,
];
const CATALOGERS: [&str; 6] = [
    "java-archive",
    "ruby-installed",
    "ruby-lock",
    "php-lock",
    "php-installed",
    "dotnet-deps",
];
/// Keys the ground truth would use for these ecosystems, were an image to have any.
const TRUTH_KEYS: [&str; 8] = ["java", "maven", "ruby", "gem", "php", "composer", "dotnet", "nuget"];

fn images() -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(fixtures())
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
fn fixture_images_have_no_java_ruby_php_or_dotnet_packages() {
    let images = images();
    assert!(images.len() >= 8, "fixtures missing: {images:?}");
    for name in &images {
        let truth = expected(name);
        for key in TRUTH_KEYS {
            let count = truth["packages"][key].as_array().map_or(0, Vec::len);
            assert_eq!(
                count, 0,
                "{name}: the ground truth now lists {key} packages: compare them here"
            );
        }
        let inventory = inventory_of(name);
        let ours: Vec<&Package> = inventory
            .packages
            .iter()
            .filter(|p| ECOSYSTEMS.contains(&p.ecosystem))
            .collect();
        assert!(ours.is_empty(), "{name}: {ours:#?}");
        let warnings: Vec<_> = inventory
            .warnings
            .iter()
            .filter(|w| CATALOGERS.contains(&w.cataloger.as_str()))
            .collect();
        assert!(warnings.is_empty(), "{name}: {warnings:?}");
    }
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn place(root: &Path, image_path: &str, sample: &str) {
    let target = root.join(image_path.trim_start_matches('/'));
    fs::create_dir_all(target.parent().unwrap()).unwrap();
    fs::copy(samples().join(sample), target).unwrap();
}

/// A war with its own pom.properties, a real jar, and a "jar" of 80 MiB of zeros that
/// deflates to about 80 KiB.
fn bomb_war() -> Vec<u8> {
    let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
    let deflated = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    writer
        .start_file("META-INF/maven/com.example/bomb-app/pom.properties", deflated)
        .unwrap();
    writer
        .write_all(b"groupId=com.example\nartifactId=bomb-app\nversion=1.0\n")
        .unwrap();
    writer.start_file("WEB-INF/lib/slf4j-api-1.7.32.jar", deflated).unwrap();
    writer
        .write_all(&fs::read(samples().join("java/slf4j-api-1.7.32.jar")).unwrap())
        .unwrap();
    writer.start_file("WEB-INF/lib/bomb-1.0.jar", deflated).unwrap();
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..80 {
        writer.write_all(&zeros).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

/// A root filesystem with every sample where it would be installed.
fn sample_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    place(
        root,
        "/usr/share/java/slf4j-api-1.7.32.jar",
        "java/slf4j-api-1.7.32.jar",
    );
    place(
        root,
        "/usr/share/java/atinject-jsr330-api-1.0.jar",
        "java/atinject-jsr330-api-1.0.jar",
    );
    place(
        root,
        "/usr/share/java/jsr305-0.1~+svn49.jar",
        "java/jsr305-0.1~+svn49.jar",
    );
    std::os::unix::fs::symlink("jsr305-0.1~+svn49.jar", root.join("usr/share/java/jsr305.jar")).unwrap();
    place(root, "/srv/demo-web-1.0.0.war", "java/demo-web-1.0.0.war");
    place(root, "/srv/demo-app.ear", "java/demo-app.ear");
    place(root, "/app/demo-boot.jar", "java/demo-boot.jar");
    fs::write(root.join("app/bomb.war"), bomb_war()).unwrap();
    let specifications = "/usr/share/rubygems-integration/all/specifications";
    place(
        root,
        &format!("{specifications}/rack-2.2.22.gemspec"),
        "ruby/rack-2.2.22.gemspec",
    );
    place(
        root,
        &format!("{specifications}/rack-test-2.0.2.gemspec"),
        "ruby/rack-test-2.0.2.gemspec",
    );
    place(root, "/app/Gemfile.lock", "ruby/Gemfile.lock");
    place(root, "/app/composer.lock", "php/composer.lock");
    place(root, "/app/vendor/composer/installed.json", "php/installed.json");
    place(root, "/app/bin/WebApp.deps.json", "dotnet/WebApp.deps.json");
    dir
}

fn inventory_of_dir(root: &Path, target: TargetKind) -> Inventory {
    let text = format!("dir:{}", root.display());
    let reference: ImageRef = text.parse().unwrap();
    let opened = drydock_oci::open(&reference, &text, &OpenOptions::default()).unwrap();
    let options = ScanOptions {
        cache: None,
        ..ScanOptions::default()
    };
    let scan = drydock_oci::scan(opened, &drydock_catalog::analyzers_for(target), &options).unwrap();
    drydock_catalog::inventory(&scan)
}

/// (ecosystem, name, version, purl, locations as `path@layer`).
type Row = (Ecosystem, String, String, String, Vec<String>);

fn rows(inventory: &Inventory) -> BTreeSet<Row> {
    inventory
        .packages
        .iter()
        .filter(|p| ECOSYSTEMS.contains(&p.ecosystem))
        .map(|p| {
            let mut locations: Vec<String> = p
                .locations
                .iter()
                .map(|l| format!("{}@{}", l.path, l.layer.unwrap()))
                .collect();
            locations.sort();
            (
                p.ecosystem,
                p.name.clone(),
                p.version.clone(),
                p.purl.clone(),
                locations,
            )
        })
        .collect()
}

fn row(ecosystem: Ecosystem, name: &str, version: &str, purl: &str, locations: &[&str]) -> Row {
    let mut locations: Vec<String> = locations.iter().map(|l| format!("{l}@0")).collect();
    locations.sort();
    (ecosystem, name.into(), version.into(), purl.into(), locations)
}

const GEMSPECS: &str = "/usr/share/rubygems-integration/all/specifications";

fn expected_rows() -> BTreeSet<Row> {
    use Ecosystem::{Maven, NuGet, Packagist, RubyGems};
    let rack_spec = format!("{GEMSPECS}/rack-2.2.22.gemspec");
    let rack_test_spec = format!("{GEMSPECS}/rack-test-2.0.2.gemspec");
    let lock = "/app/Gemfile.lock";
    let composer = ["/app/composer.lock", "/app/vendor/composer/installed.json"];
    let deps = ["/app/bin/WebApp.deps.json"];
    [
        row(
            Maven,
            "org.slf4j:slf4j-api",
            "1.7.32",
            "pkg:maven/org.slf4j/slf4j-api@1.7.32",
            &[
                "/usr/share/java/slf4j-api-1.7.32.jar",
                "/srv/demo-web-1.0.0.war",
                "/srv/demo-app.ear",
                "/app/bomb.war",
            ],
        ),
        row(
            Maven,
            "javax.inject",
            "1.0.0",
            "pkg:maven/javax.inject@1.0.0",
            &["/usr/share/java/atinject-jsr330-api-1.0.jar", "/app/demo-boot.jar"],
        ),
        row(
            Maven,
            "jsr305",
            "0.1~+svn49",
            "pkg:maven/jsr305@0.1~%2Bsvn49",
            &[
                "/usr/share/java/jsr305-0.1~+svn49.jar",
                "/srv/demo-web-1.0.0.war",
                "/srv/demo-app.ear",
            ],
        ),
        row(
            Maven,
            "com.example:demo-web",
            "1.0.0",
            "pkg:maven/com.example/demo-web@1.0.0",
            &["/srv/demo-web-1.0.0.war", "/srv/demo-app.ear"],
        ),
        row(
            Maven,
            "com.example:demo-boot",
            "2.1.0",
            "pkg:maven/com.example/demo-boot@2.1.0",
            &["/app/demo-boot.jar"],
        ),
        row(Maven, "demo-app", "", "pkg:maven/demo-app", &["/srv/demo-app.ear"]),
        row(
            Maven,
            "com.example:bomb-app",
            "1.0",
            "pkg:maven/com.example/bomb-app@1.0",
            &["/app/bomb.war"],
        ),
        row(RubyGems, "rack", "2.2.22", "pkg:gem/rack@2.2.22", &[&rack_spec, lock]),
        row(
            RubyGems,
            "rack-test",
            "2.0.2",
            "pkg:gem/rack-test@2.0.2",
            &[&rack_test_spec, lock],
        ),
        row(
            RubyGems,
            "mini_portile2",
            "2.8.4",
            "pkg:gem/mini_portile2@2.8.4",
            &[lock],
        ),
        row(
            RubyGems,
            "nokogiri",
            "1.15.4",
            "pkg:gem/nokogiri@1.15.4?platform=x86_64-linux",
            &[lock],
        ),
        row(RubyGems, "racc", "1.7.1", "pkg:gem/racc@1.7.1", &[lock]),
        row(
            Packagist,
            "monolog/monolog",
            "3.4.0",
            "pkg:composer/monolog/monolog@3.4.0",
            &composer,
        ),
        row(Packagist, "psr/log", "3.0.0", "pkg:composer/psr/log@3.0.0", &composer),
        row(
            Packagist,
            "phpunit/phpunit",
            "10.3.2",
            "pkg:composer/phpunit/phpunit@10.3.2",
            &composer,
        ),
        row(
            NuGet,
            "Newtonsoft.Json",
            "13.0.3",
            "pkg:nuget/Newtonsoft.Json@13.0.3",
            &deps,
        ),
        row(NuGet, "Serilog", "3.0.1", "pkg:nuget/Serilog@3.0.1", &deps),
    ]
    .into_iter()
    .collect()
}

fn assert_same(got: &BTreeSet<Row>, want: &BTreeSet<Row>) {
    let missing: Vec<_> = want.difference(got).collect();
    let extra: Vec<_> = got.difference(want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:#?}\nextra {extra:#?}"
    );
}

fn find<'a>(inventory: &'a Inventory, name: &str) -> &'a Package {
    inventory.packages.iter().find(|p| p.name == name).unwrap()
}

#[test]
fn real_samples_give_exactly_the_expected_packages_and_the_zip_bomb_one_warning() {
    let root = sample_root();
    let inventory = inventory_of_dir(root.path(), TargetKind::Image);
    assert_same(&rows(&inventory), &expected_rows());

    let warnings: Vec<(&str, &str, &str)> = inventory
        .warnings
        .iter()
        .filter(|w| CATALOGERS.contains(&w.cataloger.as_str()))
        .map(|w| (w.cataloger.as_str(), w.path.as_str(), w.message.as_str()))
        .collect();
    assert_eq!(
        warnings,
        [(
            "java-archive",
            "/app/bomb.war",
            "/app/bomb.war!/WEB-INF/lib/bomb-1.0.jar skipped: over 67108864 bytes when decompressed (a zip bomb?)"
        )]
    );

    let slf4j_sha1: String = Sha1::digest(fs::read(samples().join("java/slf4j-api-1.7.32.jar")).unwrap())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(find(&inventory, "org.slf4j:slf4j-api").properties["sha1"], slf4j_sha1);
    assert_eq!(
        find(&inventory, "com.example:demo-boot").properties["metadata"],
        "MANIFEST.MF"
    );
    assert_eq!(find(&inventory, "jsr305").properties["metadata"], "file name");
    let rack = find(&inventory, "rack");
    assert_eq!(rack.licenses, ["MIT"]);
    assert_eq!(find(&inventory, "rack-test").dependencies, ["rack"]);
    assert_eq!(find(&inventory, "phpunit/phpunit").properties["dev"], "true");
    assert_eq!(find(&inventory, "monolog/monolog").dependencies, ["psr/log"]);
    assert_eq!(find(&inventory, "nokogiri").properties["platform"], "x86_64-linux");
}

#[test]
fn nested_archives_record_their_path_and_their_own_sha1() {
    let ear = fs::read(samples().join("java/demo-app.ear")).unwrap();
    let found = drydock_catalog::ecosystems::java::catalog_archive("/srv/demo-app.ear", &ear).unwrap();
    assert!(found.warnings.is_empty(), "{:?}", found.warnings);
    let slf4j = found.packages.iter().find(|p| p.name == "org.slf4j:slf4j-api").unwrap();
    assert_eq!(
        slf4j.properties["archive_path"],
        "/srv/demo-app.ear!/demo-web-1.0.0.war!/WEB-INF/lib/slf4j-api-1.7.32.jar"
    );
    let jar = fs::read(samples().join("java/slf4j-api-1.7.32.jar")).unwrap();
    let want: String = Sha1::digest(&jar).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(slf4j.properties["sha1"], want);
}

#[test]
fn a_project_target_reads_only_the_lockfiles() {
    let root = sample_root();
    let inventory = inventory_of_dir(root.path(), TargetKind::Project);
    let lock_paths = ["/app/Gemfile.lock", "/app/composer.lock"];
    let want: BTreeSet<Row> = expected_rows()
        .into_iter()
        .filter_map(|(ecosystem, name, version, purl, locations)| {
            let kept: Vec<String> = locations
                .into_iter()
                .filter(|l| lock_paths.iter().any(|p| l.starts_with(&format!("{p}@"))))
                .collect();
            (!kept.is_empty()).then_some((ecosystem, name, version, purl, kept))
        })
        .collect();
    assert_same(&rows(&inventory), &want);
}
