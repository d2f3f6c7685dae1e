//! apk: `/lib/apk/db/installed` (and `/usr/lib/apk/db/installed`, where newer Alpine and
//! Wolfi keep it), apk-tools' database of installed packages. One block per package,
//! blocks separated by a blank line, one `X:value` field a line: `P` name, `V` version,
//! `A` architecture, `o` origin (the source package, which Alpine's advisories are keyed
//! by; it shares the package's version), `L` license, `D` dependencies, `p` what the
//! package provides, `t` build time, `c` the aports commit; file lists (`F`, `R`, `Z`, …)
//! are not needed here.
//!
//! Dependencies name capabilities (`so:libc.musl-x86_64.so.1`, `cmd:sh`, `/bin/sh`,
//! `pc:zlib`, `musl>=1.2`, `!conflict`); each is resolved to the installed package whose
//! `p:` line provides it, conflicts are dropped, and an unprovided capability stays only
//! when it is a plain package name.

use std::collections::HashMap;
use std::io::Read;

use drydock_model::{Ecosystem, Package, SourcePackage};
use drydock_oci::engine::analyzer::{EntryMeta, Interest};

use crate::{Cataloger, CatalogerKind, Catalogued};

const MAX_INSTALLED_BYTES: u64 = 256 * 1024 * 1024;

pub struct Apk;

impl Cataloger for Apk {
    fn name(&self) -> &'static str {
        "apk"
    }

    fn version(&self) -> u32 {
        1
    }

    fn kind(&self) -> CatalogerKind {
        CatalogerKind::Installed
    }

    fn interest(&self) -> Interest {
        Interest {
            globs: vec!["/lib/apk/db/installed".into(), "/usr/lib/apk/db/installed".into()],
            max_size: Some(MAX_INSTALLED_BYTES),
            ..Default::default()
        }
    }

    fn catalog(&self, _file: &EntryMeta<'_>, content: &mut dyn Read) -> Result<Catalogued, String> {
        let mut bytes = Vec::new();
        content
            .take(MAX_INSTALLED_BYTES)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("reading: {e}"))?;
        Ok(parse_installed(&String::from_utf8_lossy(&bytes)))
    }
}

/// The fields of one package block that the cataloger uses.
#[derive(Debug, Default)]
struct Block<'a> {
    name: Option<&'a str>,
    version: Option<&'a str>,
    arch: Option<&'a str>,
    origin: Option<&'a str>,
    license: Option<&'a str>,
    depends: Vec<&'a str>,
    provides: Vec<&'a str>,
    build_time: Option<&'a str>,
    commit: Option<&'a str>,
}

/// The packages of an installed database's text; blocks that cannot be read become
/// warnings.
pub fn parse_installed(text: &str) -> Catalogued {
    let mut found = Catalogued::default();
    let mut blocks = Vec::new();
    for (number, lines) in blocks_of(text).enumerate() {
        match block(&lines) {
            Ok((block, 0)) => blocks.push(block),
            Ok((block, malformed)) => {
                found.warnings.push(format!(
                    "package block {} ({}): {malformed} line(s) that are not `X:value` fields ignored",
                    number + 1,
                    block.name.unwrap_or_default()
                ));
                blocks.push(block);
            }
            Err(problem) => found
                .warnings
                .push(format!("package block {} skipped: {problem}", number + 1)),
        }
    }
    let mut providers: HashMap<&str, &str> = HashMap::new();
    for block in &blocks {
        let name = block.name.unwrap_or_default();
        providers.entry(name).or_insert(name);
        for capability in &block.provides {
            providers.entry(capability_name(capability)).or_insert(name);
        }
    }
    found.packages = blocks.iter().map(|block| package(block, &providers)).collect();
    found
}

/// Non-empty runs of lines between blank lines.
fn blocks_of(text: &str) -> impl Iterator<Item = Vec<&str>> + '_ {
    let mut lines = text.lines().peekable();
    std::iter::from_fn(move || {
        while lines.peek().is_some_and(|line| line.trim().is_empty()) {
            lines.next();
        }
        let mut block = Vec::new();
        while let Some(line) = lines.next_if(|line| !line.trim().is_empty()) {
            block.push(line);
        }
        (!block.is_empty()).then_some(block)
    })
}

/// A block's fields, and how many of its lines were not fields.
fn block<'a>(lines: &[&'a str]) -> Result<(Block<'a>, usize), String> {
    let mut block = Block::default();
    let mut malformed = 0usize;
    for line in lines {
        let Some((key, value)) = field(line) else {
            malformed += 1;
            continue;
        };
        match key {
            'P' => block.name = block.name.or(Some(value)),
            'V' => block.version = block.version.or(Some(value)),
            'A' => block.arch = block.arch.or(Some(value)),
            'o' => block.origin = block.origin.or(Some(value)),
            'L' => block.license = block.license.or(Some(value)),
            't' => block.build_time = block.build_time.or(Some(value)),
            'c' => block.commit = block.commit.or(Some(value)),
            'D' => block.depends.extend(value.split_whitespace()),
            'p' => block.provides.extend(value.split_whitespace()),
            _ => {}
        }
    }
    let name = block.name.filter(|name| !name.is_empty());
    let Some(name) = name else {
        return Err(match malformed {
            0 => "it has no P: (name) line".to_string(),
            lines => format!("it has no P: (name) line and {lines} lines that are not `X:value` fields"),
        });
    };
    if block.version.is_none_or(str::is_empty) {
        return Err(format!("package {name} has no V: (version) line"));
    }
    Ok((block, malformed))
}

/// `X:value` → (`X`, `value`).
fn field(line: &str) -> Option<(char, &str)> {
    let mut chars = line.chars();
    let key = chars.next().filter(char::is_ascii_alphabetic)?;
    let value = chars.as_str().strip_prefix(':')?;
    Some((key, value.trim()))
}

fn package(block: &Block<'_>, providers: &HashMap<&str, &str>) -> Package {
    let name = block.name.unwrap_or_default();
    let version = block.version.unwrap_or_default();
    let mut package = Package::new(Ecosystem::Apk, name, version);
    package.source = Some(SourcePackage {
        name: block
            .origin
            .filter(|origin| !origin.is_empty())
            .unwrap_or(name)
            .to_string(),
        version: version.to_string(),
    });
    if let Some(license) = block.license.filter(|license| !license.is_empty()) {
        package.licenses.push(license.to_string());
    }
    let properties = [
        ("architecture", block.arch),
        ("build_time", block.build_time),
        ("commit", block.commit),
    ];
    for (key, value) in properties {
        if let Some(value) = value.filter(|value| !value.is_empty()) {
            package.properties.insert(key.to_string(), value.to_string());
        }
    }
    package.dependencies = dependencies(name, &block.depends, providers);
    package
}

fn dependencies(name: &str, depends: &[&str], providers: &HashMap<&str, &str>) -> Vec<String> {
    let mut names: Vec<String> = depends
        .iter()
        .filter(|dependency| !dependency.starts_with('!'))
        .filter_map(|dependency| {
            let wanted = capability_name(dependency);
            match providers.get(wanted) {
                Some(provider) => Some(provider.to_string()),
                None if is_plain_name(wanted) => Some(wanted.to_string()),
                None => None,
            }
        })
        .filter(|dependency| dependency != name)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// `so:libc.musl-x86_64.so.1=1` → `so:libc.musl-x86_64.so.1`; `musl>=1.2.4` → `musl`.
fn capability_name(capability: &str) -> &str {
    let end = capability.find(['=', '<', '>', '~']).unwrap_or(capability.len());
    capability.get(..end).unwrap_or(capability)
}

fn is_plain_name(capability: &str) -> bool {
    !capability.is_empty() && !capability.contains(':') && !capability.starts_with('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(path: &str) -> EntryMeta<'_> {
        crate::ecosystems::test_file(path, 0)
    }

    const INSTALLED: &str = "\
C:Q1nB8t3LfBmGF8GXTvRsq0k8RmOk4=
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
Z:Q1CKGHHxQnzHoGCn5vPJiPgCZO3RA=
R:libc.musl-x86_64.so.1

C:Q1dVtYTZSjr4GTe3jlxmwMMhTbk48=
P:busybox-binsh
V:1.36.1-r29
A:x86_64
L:GPL-2.0-only
o:busybox
t:1715176914
c:9d9e5a6b1f4c5a6a3b8e7d7c1f0e2d3c4b5a6978
D:busybox=1.36.1-r29
p:/bin/sh cmd:sh=1.36.1-r29
F:bin
R:sh

C:Q1K2d7cY5wA4b0Q2m3i5qJb8yN3RdkE=
P:busybox
V:1.36.1-r29
A:x86_64
L:GPL-2.0-only
o:busybox
D:so:libc.musl-x86_64.so.1
p:cmd:busybox=1.36.1-r29 cmd:ash=1.36.1-r29

C:Q1Q4S1bXvX6cJ3yG7h2p0i8e9R1xLwTk=
P:ca-certificates-bundle
V:20240226-r0
A:x86_64
L:MPL-2.0 AND MIT
o:ca-certificates
D:!ca-certificates-legacy /bin/sh libcrypto3>=3.0 so:libnotinstalled.so.9 pc:zlib
";

    fn packages() -> Catalogued {
        Apk.catalog(&meta("/lib/apk/db/installed"), &mut INSTALLED.as_bytes())
            .unwrap()
    }

    #[test]
    fn reads_every_package_with_its_origin() {
        let found = packages();
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        let names: Vec<(&str, &str)> = found
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(
            names,
            [
                ("musl", "1.2.5-r0"),
                ("busybox-binsh", "1.36.1-r29"),
                ("busybox", "1.36.1-r29"),
                ("ca-certificates-bundle", "20240226-r0")
            ]
        );
        let binsh = &found.packages[1];
        let source = binsh.source.as_ref().unwrap();
        assert_eq!(
            (source.name.as_str(), source.version.as_str()),
            ("busybox", "1.36.1-r29")
        );
        assert_eq!(binsh.licenses, ["GPL-2.0-only"]);
        assert_eq!(binsh.properties["architecture"], "x86_64");
        assert_eq!(binsh.properties["build_time"], "1715176914");
        assert_eq!(binsh.properties["commit"], "9d9e5a6b1f4c5a6a3b8e7d7c1f0e2d3c4b5a6978");
        assert_eq!(binsh.ecosystem, Ecosystem::Apk);
        assert_eq!(found.packages[3].licenses, ["MPL-2.0 AND MIT"]);
    }

    #[test]
    fn dependencies_are_resolved_to_the_providing_packages() {
        let found = packages();
        assert_eq!(found.packages[0].dependencies, Vec::<String>::new());
        assert_eq!(found.packages[1].dependencies, ["busybox"]);
        assert_eq!(found.packages[2].dependencies, ["musl"], "so:libc.musl is musl's");
        // /bin/sh is busybox-binsh's, libcrypto3 is a plain name, the conflict and the
        // unprovided so: and pc: capabilities go.
        assert_eq!(found.packages[3].dependencies, ["busybox-binsh", "libcrypto3"]);
    }

    #[test]
    fn a_block_without_name_or_version_is_skipped_with_a_warning() {
        let text = "P:good\nV:1.0-r0\n\n\nV:2.0-r0\nA:x86_64\n\nP:noversion\nA:x86_64\n\nnot a field\nP:ok\nV:3-r1\n";
        let found = parse_installed(text);
        let names: Vec<&str> = found.packages.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["good", "ok"], "a stray line does not cost its package");
        assert_eq!(
            found.warnings,
            [
                "package block 2 skipped: it has no P: (name) line",
                "package block 3 skipped: package noversion has no V: (version) line",
                "package block 4 (ok): 1 line(s) that are not `X:value` fields ignored"
            ]
        );
    }

    #[test]
    fn an_empty_or_binary_file_yields_nothing_and_no_panic() {
        assert!(parse_installed("").packages.is_empty());
        let garbage: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
        let found = Apk
            .catalog(&meta("/lib/apk/db/installed"), &mut garbage.as_slice())
            .unwrap();
        assert!(found.packages.is_empty());
    }

    #[test]
    fn a_package_without_origin_is_its_own_source() {
        let found = parse_installed("P:alpine-baselayout-data\nV:3.6.5-r0\n");
        let source = found.packages[0].source.as_ref().unwrap();
        assert_eq!(source.name, "alpine-baselayout-data");
    }
}
