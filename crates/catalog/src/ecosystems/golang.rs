//! Go modules, from two places:
//!
//! - Go binaries (installed): the linker writes a build-info blob, starting with the magic
//!   `\xff Go buildinf:`, into the ELF section `.go.buildinfo` (or, without section
//!   headers, near the start of the data segment). Go 1.18 and later put the Go version and
//!   the module info inline after the 32-byte header, as varint-length-prefixed strings;
//!   Go 1.13 to 1.17 put two pointers there, to the Go string headers of
//!   `runtime.buildVersion` and `runtime.modinfo`, which are followed through the program
//!   headers. The module info lists the main module (`mod`), every dependency (`dep`), each
//!   one's replacement (`=>`) and the build settings (`build`). The Go version gives the
//!   `stdlib` package, which Go's advisories use for the standard library.
//!   [`crate::ecosystems::binary`] hands the ELF over; [`parse_go_binary`] reads it.
//! - `go.mod` (declared): `require` lines and blocks, `// indirect` marks and `replace`
//!   directives; `exclude` and `retract` do not add modules.
//!
//! A dependency replaced by another module (`=> example.com/fork v1.3.0`) is reported as
//! that module, as it is the code that was built in (the replaced one is the `replaces`
//! property). One replaced by a local directory (`=> ./fork`) keeps its own path and
//! version, with the directory as `replaced_by`: the directory has no version to match.

use std::io::Read;

use drydock_model::{Ecosystem, Package, purl};
use drydock_oci::engine::analyzer::{EntryMeta, Interest};

use crate::elf::Elf;
use crate::{Cataloger, CatalogerKind, Catalogued};

/// The `found_by` of modules read from a binary's build info.
pub const BINARY_FOUND_BY: &str = "go-binary";

const MAX_GO_MOD_BYTES: u64 = 4 * 1024 * 1024;
const MAGIC: &[u8] = b"\xff Go buildinf:";
const HEADER_LEN: usize = 32;
/// The build info is 16-byte aligned and, in Go's own reader, within the first 64 KiB of
/// the data it searches.
const ALIGN: usize = 16;
const SEARCH_LIMIT: usize = 64 * 1024;
const FLAG_BIG_ENDIAN: u8 = 0x1;
const FLAG_VERSION_INLINE: u8 = 0x2;
/// Real module info is a few KiB; this bounds what a corrupt length can make us copy.
const MAX_STRING_BYTES: u64 = 16 * 1024 * 1024;
/// The 16 bytes `cmd/go` puts before and after the module info.
const SENTINEL_LEN: usize = 16;
/// Build settings recorded on the main module (and the OS and architecture on `stdlib`).
const BUILD_SETTINGS: [&str; 9] = [
    "GOOS",
    "GOARCH",
    "GOAMD64",
    "GOARM",
    "CGO_ENABLED",
    "vcs",
    "vcs.revision",
    "vcs.time",
    "vcs.modified",
];

/// `go.mod` files.
pub struct GoMod;

impl Cataloger for GoMod {
    fn name(&self) -> &'static str {
        "go-mod"
    }

    fn version(&self) -> u32 {
        1
    }

    fn kind(&self) -> CatalogerKind {
        CatalogerKind::Declared
    }

    fn interest(&self) -> Interest {
        Interest {
            basenames: vec!["go.mod".into()],
            max_size: Some(MAX_GO_MOD_BYTES),
            ..Default::default()
        }
    }

    fn catalog(&self, file: &EntryMeta<'_>, content: &mut dyn Read) -> Result<Catalogued, String> {
        // go.mod files of modules in the module cache describe those modules, not this project.
        if super::is_inside_installed_package(file.path) {
            return Ok(Catalogued::default());
        }
        let bytes = super::read_limited(content, MAX_GO_MOD_BYTES)?;
        let text = std::str::from_utf8(&bytes).map_err(|e| format!("not UTF-8 text: {e}"))?;
        Ok(parse_go_mod(text))
    }
}

/// A module as Go names one: path, version and, from build info, its checksum.
#[derive(Clone, Debug, Default, PartialEq)]
struct Module {
    path: String,
    version: String,
    sum: String,
}

impl Module {
    /// A local directory (`./fork`, `../fork`, `/src/fork`) rather than a module.
    fn is_directory(&self) -> bool {
        self.path.starts_with("./") || self.path.starts_with("../") || self.path.starts_with('/')
    }
}

/// The purl of a module: `pkg:golang/github.com/gorilla/mux@v1.8.0`. The purl spec asks for
/// a lowercased namespace and name; the package's own name keeps Go's spelling.
fn go_purl(path: &str, version: &str) -> String {
    let lower = path.to_lowercase();
    let (namespace, name) = match lower.rsplit_once('/') {
        Some((namespace, name)) => (Some(namespace), name),
        None => (None, lower.as_str()),
    };
    purl::build(Ecosystem::Go.purl_type(), namespace, name, version, &[])
}

fn go_package(path: &str, version: &str) -> Package {
    let mut package = Package::new(Ecosystem::Go, path, version);
    package.purl = go_purl(path, version);
    package
}

/// The package for a required module, after its replacement (see the module doc).
fn module_package(module: &Module, replacement: Option<&Module>) -> Package {
    let versioned = |m: &&Module| !m.is_directory() && !m.version.is_empty() && m.version != "(devel)";
    let mut package = match replacement.filter(versioned) {
        Some(with) => {
            let mut package = go_package(&with.path, &with.version);
            let replaces = format!("{} {}", module.path, module.version);
            package
                .properties
                .insert("replaces".into(), replaces.trim().to_string());
            if !with.sum.is_empty() {
                package.properties.insert("sum".into(), with.sum.clone());
            }
            package
        }
        None => {
            let mut package = go_package(&module.path, &module.version);
            if let Some(with) = replacement {
                package.properties.insert("replaced_by".into(), with.path.clone());
            }
            if !module.sum.is_empty() {
                package.properties.insert("sum".into(), module.sum.clone());
            }
            package
        }
    };
    package.properties.retain(|_, v| !v.is_empty());
    package
}

/// The modules of a Go binary held in memory (any ELF file): nothing when it is not a Go
/// binary, a warning when its build info is broken.
pub fn parse_go_binary(data: &[u8]) -> Catalogued {
    let Ok(elf) = Elf::parse(data) else {
        return Catalogued::default();
    };
    match from_elf(&elf) {
        None => Catalogued::default(),
        Some(Ok(found)) => found,
        Some(Err(reason)) => Catalogued {
            packages: Vec::new(),
            warnings: vec![reason],
        },
    }
}

/// The modules of a parsed ELF file: `None` when it has no Go build info.
pub(crate) fn from_elf(elf: &Elf<'_>) -> Option<Result<Catalogued, String>> {
    let region = match find_build_info(elf)? {
        Ok(region) => region,
        Err(reason) => return Some(Err(reason)),
    };
    Some(read_build_info(elf, region).map(|(go_version, modinfo)| packages_from_modinfo(&go_version, &modinfo)))
}

/// The bytes from the build-info header on. With section headers, Go binaries have a
/// `.go.buildinfo` section; without them, Go's own reader looks in the data segment.
fn find_build_info<'a>(elf: &Elf<'a>) -> Option<Result<&'a [u8], String>> {
    let data = if elf.has_sections() {
        match elf.section_data(".go.buildinfo")? {
            Ok(data) => data,
            Err(reason) => return Some(Err(reason)),
        }
    } else {
        elf.first_writable_segment()?.1
    };
    let searched = data.len().min(SEARCH_LIMIT);
    let found = (0..searched)
        .step_by(ALIGN)
        .find_map(|at| data.get(at..).filter(|rest| rest.starts_with(MAGIC)));
    match found {
        Some(region) if region.len() >= HEADER_LEN => Some(Ok(region)),
        Some(_) => Some(Err("the Go build info is truncated: its header is cut short".into())),
        None if elf.has_sections() => Some(Err("the .go.buildinfo section has no build-info header".into())),
        None => None,
    }
}

/// The Go version and the module info from the region starting at the build-info header.
fn read_build_info(elf: &Elf<'_>, region: &[u8]) -> Result<(String, String), String> {
    let pointer_size = region.get(14).copied().unwrap_or(0);
    let flags = region.get(15).copied().unwrap_or(0);
    let (version, modinfo) = if flags & FLAG_VERSION_INLINE != 0 {
        let rest = region.get(HEADER_LEN..).unwrap_or_default();
        let (version, rest) = varint_string(rest).ok_or("the Go version in the build info is truncated")?;
        let (modinfo, _) = varint_string(rest).ok_or("the module info in the build info is truncated")?;
        (version, modinfo)
    } else {
        let size = usize::from(pointer_size);
        if size != 4 && size != 8 {
            return Err(format!("the build info gives an unknown pointer size {pointer_size}"));
        }
        let big_endian = flags & FLAG_BIG_ENDIAN != 0;
        let pointer = |at: usize| region.get(at..).and_then(|b| Elf::word(b, size, big_endian));
        let (Some(version_at), Some(modinfo_at)) = (pointer(16), pointer(16 + size)) else {
            return Err("the build info pointers are truncated".into());
        };
        let version = go_string(elf, version_at, size, big_endian)
            .ok_or_else(|| format!("the Go version pointer {version_at:#x} does not lead to a string in the file"))?;
        let modinfo = go_string(elf, modinfo_at, size, big_endian)
            .ok_or_else(|| format!("the module info pointer {modinfo_at:#x} does not lead to a string in the file"))?;
        (version, modinfo)
    };
    if version.is_empty() {
        return Err("the build info has no Go version".into());
    }
    Ok((
        String::from_utf8_lossy(version).into_owned(),
        String::from_utf8_lossy(strip_sentinels(modinfo)).into_owned(),
    ))
}

/// A uvarint length and that many bytes, and what follows them.
fn varint_string(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut length: u64 = 0;
    for (i, &byte) in data.iter().enumerate().take(10) {
        length |= u64::from(byte & 0x7f).checked_shl(7 * i as u32)?;
        if byte & 0x80 == 0 {
            let start = i + 1;
            let end = start.checked_add(usize::try_from(length).ok()?)?;
            return Some((data.get(start..end)?, data.get(end..)?));
        }
    }
    None
}

/// A Go string (`{data pointer, length}` at `address`) read through the program headers.
fn go_string<'a>(elf: &Elf<'a>, address: u64, pointer_size: usize, big_endian: bool) -> Option<&'a [u8]> {
    let header = elf.read_address(address, 2 * pointer_size as u64)?;
    let data = Elf::word(header, pointer_size, big_endian)?;
    let len = Elf::word(header.get(pointer_size..)?, pointer_size, big_endian)?;
    if len > MAX_STRING_BYTES {
        return None;
    }
    elf.read_address(data, len)
}

/// `cmd/go` frames the module info with 16 bytes on each side; Go's reader keeps what is
/// between them when the text before the closing frame ends in a newline.
fn strip_sentinels(modinfo: &[u8]) -> &[u8] {
    let len = modinfo.len();
    if len > 2 * SENTINEL_LEN && modinfo.get(len - SENTINEL_LEN - 1) == Some(&b'\n') {
        modinfo.get(SENTINEL_LEN..len - SENTINEL_LEN).unwrap_or_default()
    } else {
        &[]
    }
}

/// The packages of a binary's module info: the main module, every dependency and `stdlib`.
pub fn packages_from_modinfo(go_version: &str, modinfo: &str) -> Catalogued {
    let mut warnings = Vec::new();
    let mut main: Option<Module> = None;
    let mut deps: Vec<(Module, Option<Module>)> = Vec::new();
    let mut settings: Vec<(String, String)> = Vec::new();
    for (number, line) in modinfo.lines().enumerate() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            [""] | ["go", ..] | ["path", ..] => {}
            ["mod", path, rest @ ..] => main = Some(module_from(path, rest)),
            ["dep", path, rest @ ..] => deps.push((module_from(path, rest), None)),
            ["=>", path, rest @ ..] => match deps.last_mut() {
                Some((_, replacement)) => *replacement = Some(module_from(path, rest)),
                None => warnings.push(format!("module info line {}: a replacement of nothing", number + 1)),
            },
            ["build", setting] => {
                if let Some((key, value)) = setting.split_once('=') {
                    settings.push((unquote(key), unquote(value)));
                }
            }
            _ => warnings.push(format!("module info line {}: unexpected {line:?}", number + 1)),
        }
    }
    let mut found = Catalogued::default();
    if let Some(main) = main.filter(|m| !m.path.is_empty()) {
        let mut package = go_package(&main.path, &main.version);
        package.properties.insert("main_module".into(), "true".into());
        for (key, value) in settings.iter().filter(|(k, _)| BUILD_SETTINGS.contains(&k.as_str())) {
            package.properties.insert(key.clone(), value.clone());
        }
        found.packages.push(package);
    }
    let mut modules = Vec::new();
    for (module, replacement) in &deps {
        if module.path.is_empty() || module.version.is_empty() {
            warnings.push(format!("a dependency without a path or version: {module:?}"));
            continue;
        }
        modules.push(module_package(module, replacement.as_ref()));
    }
    // Build info lists every module of the build, not only direct ones: the main module
    // depends on each, directly or not.
    if let Some(main) = found.packages.first_mut() {
        main.dependencies = modules.iter().map(|m| m.name.clone()).collect();
    }
    found.packages.extend(modules);
    if let Some(version) = stdlib_version(go_version) {
        let mut stdlib = go_package("stdlib", &version);
        for (key, value) in settings.iter().filter(|(k, _)| k == "GOOS" || k == "GOARCH") {
            stdlib.properties.insert(key.clone(), value.clone());
        }
        found.packages.push(stdlib);
    }
    for package in &mut found.packages {
        package.properties.insert("go_version".into(), go_version.to_string());
        package.found_by.push(BINARY_FOUND_BY.to_string());
    }
    found.warnings = warnings;
    found
}

fn module_from(path: &str, rest: &[&str]) -> Module {
    Module {
        path: path.to_string(),
        version: rest.first().copied().unwrap_or_default().to_string(),
        sum: rest.get(1).copied().unwrap_or_default().to_string(),
    }
}

/// `go1.22.3` → `1.22.3`; `go1.19.8 X:boringcrypto` → `1.19.8`; development builds
/// (`devel go1.23-abc…`) have no release to match.
fn stdlib_version(go_version: &str) -> Option<String> {
    let release = go_version.split_whitespace().next()?.strip_prefix("go")?;
    (!release.is_empty()).then(|| release.to_string())
}

/// Build settings whose key or value holds spaces, quotes or `=` are Go-quoted.
fn unquote(text: &str) -> String {
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => text.to_string(),
    }
}

/// The required modules of a `go.mod`, with `replace` directives applied.
pub fn parse_go_mod(text: &str) -> Catalogued {
    let mut requires: Vec<(Module, bool)> = Vec::new();
    let mut replaces: Vec<(Module, Module)> = Vec::new();
    let mut warnings = Vec::new();
    let mut block: Option<String> = None;
    for (number, raw) in text.lines().enumerate() {
        let (line, comment) = match raw.split_once("//") {
            Some((line, comment)) => (line.trim(), comment.trim()),
            None => (raw.trim(), ""),
        };
        let indirect = comment == "indirect" || comment.starts_with("indirect;");
        if line.is_empty() {
            continue;
        }
        if block.is_some() && line == ")" {
            block = None;
            continue;
        }
        let mut tokens = tokens(line).into_iter();
        let verb = match &block {
            Some(verb) => verb.clone(),
            None => tokens.next().unwrap_or_default(),
        };
        let tokens: Vec<String> = tokens.collect();
        if block.is_none() && tokens.first().map(String::as_str) == Some("(") {
            block = Some(verb);
            continue;
        }
        let result = match verb.as_str() {
            "require" => require_line(&tokens).map(|m| requires.push((m, indirect))),
            "replace" => replace_line(&tokens).map(|r| replaces.push(r)),
            _ => Ok(()),
        };
        if let Err(reason) = result {
            warnings.push(format!("line {}: {reason}", number + 1));
        }
    }
    let mut found = Catalogued::default();
    for (module, indirect) in &requires {
        let replacement = replaces
            .iter()
            .find(|(old, _)| old.path == module.path && (old.version.is_empty() || old.version == module.version))
            .map(|(_, new)| new);
        let mut package = module_package(module, replacement);
        if *indirect {
            package.properties.insert("indirect".into(), "true".into());
        }
        found.packages.push(package);
    }
    found.warnings = warnings;
    found
}

fn require_line(tokens: &[String]) -> Result<Module, String> {
    match tokens {
        [path, version] => Ok(Module {
            path: path.clone(),
            version: version.clone(),
            sum: String::new(),
        }),
        _ => Err(format!("expected `require path version`, found {tokens:?}")),
    }
}

/// `old [version] => new [version]`.
fn replace_line(tokens: &[String]) -> Result<(Module, Module), String> {
    let arrow = tokens
        .iter()
        .position(|t| t == "=>")
        .ok_or("a replace directive without =>")?;
    let side = |part: &[String]| match part {
        [path] => Some(Module {
            path: path.clone(),
            ..Module::default()
        }),
        [path, version] => Some(Module {
            path: path.clone(),
            version: version.clone(),
            sum: String::new(),
        }),
        _ => None,
    };
    let old = tokens.get(..arrow).and_then(side);
    let new = tokens.get(arrow + 1..).and_then(side);
    match (old, new) {
        (Some(old), Some(new)) => Ok((old, new)),
        _ => Err(format!(
            "expected `replace path [version] => path [version]`, found {tokens:?}"
        )),
    }
}

/// Whitespace-separated tokens; `"…"` and `` `…` `` quote one token.
fn tokens(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line.trim_start();
    while !rest.is_empty() {
        let quoted = ['"', '`']
            .into_iter()
            .find_map(|quote| Some((quote, rest.strip_prefix(quote)?)));
        let (token, after) = match quoted {
            Some((quote, inner)) => inner.split_once(quote).unwrap_or((inner, "")),
            None => rest.split_at(rest.find(char::is_whitespace).unwrap_or(rest.len())),
        };
        out.push(token.to_string());
        rest = after.trim_start();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::build::{BASE, TestSection, elf, first_data_offset};

    fn by_name<'a>(packages: &'a [Package], name: &str) -> &'a Package {
        packages
            .iter()
            .find(|p| p.name == name)
            .unwrap_or_else(|| panic!("no {name} in {packages:#?}"))
    }

    const MODINFO: &str = "path\texample.com/demo\nmod\texample.com/demo\t(devel)\t\ndep\tgithub.com/BurntSushi/toml\tv1.2.0\th1:abc=\ndep\texample.com/greet\tv0.1.0\n=>\t./greet\t(devel)\t\n\ndep\texample.com/quote\tv1.2.0\n=>\texample.com/quotefork\tv1.3.0\th1:def=\n\nbuild\t-compiler=gc\nbuild\t-ldflags=\"-s -w\"\nbuild\tGOARCH=amd64\nbuild\tGOOS=linux\nbuild\tvcs.revision=0123abc\n";

    fn framed(modinfo: &str) -> Vec<u8> {
        let mut out = vec![0x30; SENTINEL_LEN];
        out.extend_from_slice(modinfo.as_bytes());
        out.extend_from_slice(&[0xf9; SENTINEL_LEN]);
        out
    }

    fn varint(mut n: usize, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }

    /// A Go 1.18+ build-info blob: header, then the inline strings.
    fn inline_blob(version: &str, modinfo: &[u8]) -> Vec<u8> {
        let mut blob = MAGIC.to_vec();
        blob.extend([8, FLAG_VERSION_INLINE]);
        blob.resize(HEADER_LEN, 0);
        varint(version.len(), &mut blob);
        blob.extend_from_slice(version.as_bytes());
        varint(modinfo.len(), &mut blob);
        blob.extend_from_slice(modinfo);
        blob
    }

    fn go_elf(blob: &[u8]) -> Vec<u8> {
        elf(
            true,
            false,
            &[TestSection {
                name: ".go.buildinfo",
                data: blob,
                loaded: true,
            }],
        )
    }

    fn check_demo(found: &Catalogued, go_version: &str) {
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        let packages = &found.packages;
        assert_eq!(packages.len(), 5, "{packages:#?}");
        let main = by_name(packages, "example.com/demo");
        assert_eq!(main.version, "(devel)");
        assert_eq!(main.purl, "pkg:golang/example.com/demo@%28devel%29");
        assert_eq!(main.properties["main_module"], "true");
        assert_eq!(main.properties["GOOS"], "linux");
        assert_eq!(main.properties["vcs.revision"], "0123abc");
        assert!(!main.properties.contains_key("-ldflags"));
        let toml = by_name(packages, "github.com/BurntSushi/toml");
        assert_eq!(toml.purl, "pkg:golang/github.com/burntsushi/toml@v1.2.0");
        assert_eq!(toml.properties["sum"], "h1:abc=");
        let greet = by_name(packages, "example.com/greet");
        assert_eq!(greet.version, "v0.1.0");
        assert_eq!(greet.properties["replaced_by"], "./greet");
        let fork = by_name(packages, "example.com/quotefork");
        assert_eq!(fork.version, "v1.3.0");
        assert_eq!(fork.properties["replaces"], "example.com/quote v1.2.0");
        assert_eq!(fork.properties["sum"], "h1:def=");
        let stdlib = by_name(packages, "stdlib");
        assert_eq!(stdlib.purl, "pkg:golang/stdlib@1.19.8");
        assert_eq!(stdlib.properties["GOARCH"], "amd64");
        for package in packages {
            assert_eq!(package.properties["go_version"], go_version);
            assert_eq!(package.found_by, [BINARY_FOUND_BY]);
        }
    }

    #[test]
    fn reads_inline_build_info() {
        let bytes = go_elf(&inline_blob("go1.19.8", &framed(MODINFO)));
        check_demo(&parse_go_binary(&bytes), "go1.19.8");
    }

    /// Go 1.13–1.17: the header points at the Go string headers of `runtime.buildVersion`
    /// and `runtime.modinfo`, which point at the bytes.
    fn pointer_elf(is_64: bool, big_endian: bool, version: &str, modinfo: &[u8]) -> Vec<u8> {
        let size = if is_64 { 8 } else { 4 };
        let word = |v: u64| -> Vec<u8> {
            match (is_64, big_endian) {
                (true, true) => v.to_be_bytes().to_vec(),
                (true, false) => v.to_le_bytes().to_vec(),
                (false, true) => (v as u32).to_be_bytes().to_vec(),
                (false, false) => (v as u32).to_le_bytes().to_vec(),
            }
        };
        // One loaded section: [32-byte header][version header][modinfo header][version][modinfo].
        let start = BASE + first_data_offset(is_64);
        let version_header = start + HEADER_LEN as u64;
        let modinfo_header = version_header + 2 * size as u64;
        let version_bytes = modinfo_header + 2 * size as u64;
        let modinfo_bytes = version_bytes + version.len() as u64;
        let mut blob = MAGIC.to_vec();
        blob.extend([size as u8, u8::from(big_endian)]);
        blob.extend(word(version_header));
        blob.extend(word(modinfo_header));
        blob.resize(HEADER_LEN, 0);
        blob.extend(word(version_bytes));
        blob.extend(word(version.len() as u64));
        blob.extend(word(modinfo_bytes));
        blob.extend(word(modinfo.len() as u64));
        blob.extend_from_slice(version.as_bytes());
        blob.extend_from_slice(modinfo);
        elf(
            is_64,
            big_endian,
            &[TestSection {
                name: ".go.buildinfo",
                data: &blob,
                loaded: true,
            }],
        )
    }

    #[test]
    fn reads_pointer_build_info_of_go_before_1_18() {
        for (is_64, big_endian) in [(true, false), (true, true), (false, false), (false, true)] {
            let bytes = pointer_elf(is_64, big_endian, "go1.19.8", &framed(MODINFO));
            check_demo(&parse_go_binary(&bytes), "go1.19.8");
        }
    }

    #[test]
    fn finds_build_info_in_the_data_segment_without_section_headers() {
        let mut bytes = go_elf(&inline_blob("go1.19.8", &framed(MODINFO)));
        // Drop the section headers, as `sstrip` does.
        bytes[0x28..0x30].copy_from_slice(&0u64.to_le_bytes());
        bytes[0x3c..0x40].copy_from_slice(&[0; 4]);
        check_demo(&parse_go_binary(&bytes), "go1.19.8");
    }

    #[test]
    fn elf_files_that_are_not_go_give_nothing() {
        let other = elf(
            true,
            false,
            &[TestSection {
                name: ".data",
                data: b"\xff Go buildinf: is not in a .go.buildinfo section",
                loaded: true,
            }],
        );
        let found = parse_go_binary(&other);
        assert!(found.packages.is_empty() && found.warnings.is_empty());
        assert!(parse_go_binary(b"\x7fELF garbage").packages.is_empty());
    }

    #[test]
    fn broken_build_info_is_a_warning_naming_the_problem() {
        let blob = inline_blob("go1.19.8", &framed(MODINFO));
        let truncated = go_elf(&blob[..blob.len() - 40]);
        let found = parse_go_binary(&truncated);
        assert!(found.packages.is_empty());
        assert!(found.warnings[0].contains("module info"), "{:?}", found.warnings);

        let short = go_elf(&blob[..20]);
        assert!(parse_go_binary(&short).warnings[0].contains("header is cut short"));

        let mut bad_pointer = pointer_elf(true, false, "go1.16", &framed(MODINFO));
        let header_at = first_data_offset(true) as usize;
        bad_pointer[header_at + 16..header_at + 24].copy_from_slice(&0xdead_beefu64.to_le_bytes());
        let found = parse_go_binary(&bad_pointer);
        assert!(found.warnings[0].contains("0xdeadbeef"), "{:?}", found.warnings);

        let mut bad_size = pointer_elf(true, false, "go1.16", &framed(MODINFO));
        bad_size[header_at + 14] = 3;
        assert!(parse_go_binary(&bad_size).warnings[0].contains("pointer size 3"));

        let no_magic = go_elf(&[0u8; 64]);
        assert!(parse_go_binary(&no_magic).warnings[0].contains("no build-info header"));
    }

    #[test]
    fn every_prefix_and_byte_flip_of_a_go_binary_is_handled() {
        let bytes = pointer_elf(false, true, "go1.16", &framed(MODINFO));
        for len in 0..bytes.len() {
            let _ = parse_go_binary(&bytes[..len]);
        }
        for at in 0..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x5a;
            let _ = parse_go_binary(&flipped);
        }
    }

    #[test]
    fn modinfo_without_frame_or_with_odd_lines() {
        assert_eq!(strip_sentinels(b"short"), b"");
        let found = packages_from_modinfo("devel go1.23-abc", "=>\tx\tv1\t\nweird line\nmod\tm\tv1.0.0\t\n");
        assert_eq!(found.packages.len(), 1, "no stdlib for a devel toolchain");
        assert_eq!(found.warnings.len(), 2, "{:?}", found.warnings);
        assert_eq!(stdlib_version("go1.22.3"), Some("1.22.3".into()));
        assert_eq!(stdlib_version("go1.19.8 X:boringcrypto"), Some("1.19.8".into()));
        assert_eq!(stdlib_version(""), None);
        assert_eq!(varint_string(&[0x80, 0x01]), None, "length 128 but no bytes");
        assert_eq!(varint_string(&[0xff; 11]), None);
    }

    const GO_MOD: &str = r#"module example.com/demo

go 1.21

toolchain go1.21.3

require github.com/gorilla/mux v1.8.0

require (
	example.com/greet v0.1.0
	example.com/quote v1.2.0 // indirect
	"github.com/Quoted/Path" v0.0.0-20200101000000-abcdef123456 // indirect; used by tests
	golang.org/x/text v0.3.7 // a comment
)

exclude golang.org/x/text v0.3.6

replace example.com/greet => ./greet

replace (
	example.com/quote v1.2.0 => example.com/quotefork v1.3.0
	golang.org/x/text v0.3.0 => golang.org/x/text v0.3.8
)

retract v0.9.0
"#;

    #[test]
    fn reads_go_mod_with_replacements() {
        let found = GoMod
            .catalog(
                &EntryMeta {
                    path: "/src/go.mod",
                    kind: drydock_model::FileKind::File,
                    mode: 0o644,
                    uid: 0,
                    gid: 0,
                    size: 0,
                    link_target: None,
                },
                &mut GO_MOD.as_bytes(),
            )
            .unwrap();
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        let packages = &found.packages;
        assert_eq!(packages.len(), 5, "{packages:#?}");
        let mux = by_name(packages, "github.com/gorilla/mux");
        assert_eq!(mux.purl, "pkg:golang/github.com/gorilla/mux@v1.8.0");
        assert!(!mux.properties.contains_key("indirect"));
        assert_eq!(
            by_name(packages, "example.com/greet").properties["replaced_by"],
            "./greet"
        );
        let fork = by_name(packages, "example.com/quotefork");
        assert_eq!(
            (fork.version.as_str(), fork.properties["indirect"].as_str()),
            ("v1.3.0", "true")
        );
        assert_eq!(
            by_name(packages, "github.com/Quoted/Path").properties["indirect"],
            "true"
        );
        // The replacement names another version than the one required: it does not apply.
        assert_eq!(by_name(packages, "golang.org/x/text").version, "v0.3.7");
    }

    #[test]
    fn go_mod_and_binary_give_the_same_identity() {
        let from_mod = parse_go_mod(GO_MOD);
        let from_binary = packages_from_modinfo("go1.21.3", MODINFO);
        for name in ["example.com/greet", "example.com/quotefork"] {
            assert_eq!(
                by_name(&from_mod.packages, name).identity(),
                by_name(&from_binary.packages, name).identity()
            );
        }
    }

    #[test]
    fn malformed_go_mod_lines_are_warnings() {
        let found = parse_go_mod(
            "module x\nrequire (\n\tonly-a-path\n\tok.com/m v1.0.0\n)\nreplace a.com/b\nreplace \"unterminated\n",
        );
        assert_eq!(found.packages.len(), 1);
        assert_eq!(found.warnings.len(), 3, "{:?}", found.warnings);
        assert!(found.warnings[0].starts_with("line 3:"), "{:?}", found.warnings);
        let _ = parse_go_mod("(\n)\n\"\n`\n=>\nrequire ( x\n");
    }
}
