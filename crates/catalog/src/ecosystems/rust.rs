//! Rust crates, from two places:
//!
//! - `Cargo.lock` (declared): every `[[package]]` of the lock file, formats v1 to v4 (and
//!   the `[root]` table of the oldest v1 files). Cargo writes these files in a small,
//!   fixed subset of TOML (tables, `key = "string"`, integers, arrays of strings), which
//!   [`parse_cargo_lock`] reads line by line rather than with the `toml` crate: a syntax
//!   error in one entry then costs that entry (and a warning), not the whole file.
//! - binaries built with `cargo auditable` (installed): the ELF section `.dep-v0` holds
//!   zlib-compressed JSON listing every crate compiled in, with its source, kind and
//!   dependencies. [`crate::ecosystems::binary`] finds the section; [`parse_auditable`]
//!   reads it.
//!
//! Both give `pkg:cargo/<name>@<version>` and a `source` property (`crates.io`, `local`,
//! `git`, `registry`), so a crate in both a lock file and a binary is one package with
//! two locations.

use std::collections::BTreeMap;
use std::io::Read;

use drydock_model::{Ecosystem, Package};
use drydock_oci::engine::analyzer::{EntryMeta, Interest};
use serde::Deserialize;

use crate::elf::Elf;
use crate::{Cataloger, CatalogerKind, Catalogued};

/// Cargo.lock files of the largest workspaces are a few hundred KiB.
const MAX_LOCK_BYTES: u64 = 16 * 1024 * 1024;
/// The decompressed `.dep-v0` JSON is about 100 bytes a crate.
const MAX_AUDIT_JSON_BYTES: u64 = 16 * 1024 * 1024;
/// A garbage file must not produce millions of warnings.
const MAX_WARNINGS: usize = 20;

/// The `found_by` of crates read from a binary's `.dep-v0` section.
pub const AUDITABLE_FOUND_BY: &str = "cargo-auditable";

const CRATES_IO_SOURCES: [&str; 2] = [
    "registry+https://github.com/rust-lang/crates.io-index",
    "sparse+https://index.crates.io/",
];

/// `Cargo.lock` files.
pub struct CargoLock;

impl Cataloger for CargoLock {
    fn name(&self) -> &'static str {
        "cargo-lock"
    }

    fn version(&self) -> u32 {
        1
    }

    fn kind(&self) -> CatalogerKind {
        CatalogerKind::Declared
    }

    fn interest(&self) -> Interest {
        Interest {
            basenames: vec!["Cargo.lock".into()],
            max_size: Some(MAX_LOCK_BYTES),
            ..Default::default()
        }
    }

    fn catalog(&self, file: &EntryMeta<'_>, content: &mut dyn Read) -> Result<Catalogued, String> {
        // Crate sources in Cargo's cache carry their authors' lockfiles; they are not built here.
        if super::is_inside_installed_package(file.path) {
            return Ok(Catalogued::default());
        }
        let bytes = super::read_limited(content, MAX_LOCK_BYTES)?;
        let text = std::str::from_utf8(&bytes).map_err(|e| format!("not UTF-8 text: {e}"))?;
        Ok(parse_cargo_lock(text))
    }
}

/// The crates of a `Cargo.lock`; lines and entries that cannot be read become warnings.
pub fn parse_cargo_lock(text: &str) -> Catalogued {
    let (tables, mut warnings) = toml_tables(text);
    let mut found = Catalogued::default();
    for table in tables.iter().filter(|t| t.header == "package" || t.header == "root") {
        match lock_package(table) {
            Ok(package) => found.packages.push(package),
            Err(reason) => warnings.push(format!("line {}: {reason}", table.line)),
        }
    }
    found.warnings = capped(warnings);
    found
}

fn lock_package(table: &Table) -> Result<Package, String> {
    let name = table.string("name").ok_or("a package entry without a name")?;
    let version = table
        .string("version")
        .ok_or_else(|| format!("package {name} has no version"))?;
    if name.is_empty() || version.is_empty() {
        return Err("a package entry with an empty name or version".into());
    }
    let source = table.string("source");
    let mut package = crate_package(name, version, &lock_source_kind(source));
    if let Some(url) = source.filter(|s| !CRATES_IO_SOURCES.contains(s)) {
        package.properties.insert("source_url".into(), url.to_string());
    }
    if let Some(checksum) = table.string("checksum") {
        package.properties.insert("checksum".into(), checksum.to_string());
    }
    if let Some(Value::Array(dependencies)) = table.fields.get("dependencies") {
        // v1 writes `name version (source)`, v2+ `name` or `name version` when ambiguous.
        let mut names: Vec<String> = dependencies
            .iter()
            .filter_map(|d| d.split_whitespace().next())
            .map(str::to_string)
            .collect();
        names.sort();
        names.dedup();
        package.dependencies = names;
    }
    Ok(package)
}

/// The kind of source a lock file's `source` names, as cargo-auditable spells it.
fn lock_source_kind(source: Option<&str>) -> String {
    match source {
        None => "local".into(),
        Some(s) if CRATES_IO_SOURCES.contains(&s) => "crates.io".into(),
        Some(s) if s.starts_with("git+") => "git".into(),
        Some(s) if s.starts_with("registry+") || s.starts_with("sparse+") => "registry".into(),
        Some(s) => s.split('+').next().unwrap_or(s).to_string(),
    }
}

fn crate_package(name: &str, version: &str, source_kind: &str) -> Package {
    let mut package = Package::new(Ecosystem::Cargo, name, version);
    package.properties.insert("source".into(), source_kind.to_string());
    package
}

fn capped(mut warnings: Vec<String>) -> Vec<String> {
    if warnings.len() > MAX_WARNINGS {
        let more = warnings.len() - MAX_WARNINGS;
        warnings.truncate(MAX_WARNINGS);
        warnings.push(format!("and {more} more problems"));
    }
    warnings
}

/// A TOML value as Cargo.lock uses them; anything else is kept as raw text.
#[derive(Debug, PartialEq)]
enum Value {
    String(String),
    Array(Vec<String>),
    Other(String),
}

/// One `[table]` or `[[array-of-tables]]` entry, with the line its header is on.
#[derive(Debug)]
struct Table {
    header: String,
    line: usize,
    fields: BTreeMap<String, Value>,
}

impl Table {
    fn string(&self, key: &str) -> Option<&str> {
        match self.fields.get(key) {
            Some(Value::String(s)) => Some(s),
            _ => None,
        }
    }
}

/// Splits Cargo.lock text into tables. Keys before the first header (`version = 4`) go
/// into a table with an empty header.
fn toml_tables(text: &str) -> (Vec<Table>, Vec<String>) {
    let mut tables = vec![Table {
        header: String::new(),
        line: 1,
        fields: BTreeMap::new(),
    }];
    let mut warnings = Vec::new();
    let mut lines = text.lines().enumerate().map(|(i, line)| (i + 1, line));
    while let Some((number, raw)) = lines.next() {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if let Some(header) = table_header(line) {
            tables.push(Table {
                header: header.to_string(),
                line: number,
                fields: BTreeMap::new(),
            });
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            warnings.push(format!("line {number}: expected `key = value` or a [table] header"));
            continue;
        };
        let key = unquote_key(key.trim());
        let mut value = value.trim().to_string();
        // Arrays span lines until their closing bracket.
        while value.starts_with('[') && !array_closed(&value) {
            let Some((_, next)) = lines.next() else {
                break;
            };
            value.push(' ');
            value.push_str(strip_comment(next).trim());
        }
        match parse_value(&value) {
            Ok(parsed) => {
                if let Some(table) = tables.last_mut() {
                    table.fields.insert(key, parsed);
                }
            }
            Err(reason) => warnings.push(format!("line {number}: {key}: {reason}")),
        }
    }
    (tables, warnings)
}

/// `[[package]]` → `package`, `[metadata]` → `metadata`.
fn table_header(line: &str) -> Option<&str> {
    let inner = line
        .strip_prefix("[[")
        .and_then(|l| l.strip_suffix("]]"))
        .or_else(|| line.strip_prefix('[').and_then(|l| l.strip_suffix(']')))?;
    Some(inner.trim())
}

fn unquote_key(key: &str) -> String {
    match parse_string(key) {
        Some((text, rest)) if rest.trim().is_empty() => text,
        _ => key.to_string(),
    }
}

/// The line up to a `#` that is not inside a string.
fn strip_comment(line: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (at, c) in line.char_indices() {
        match quote {
            Some('"') if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' => return line.get(..at).unwrap_or(line),
            None => {}
        }
    }
    line
}

/// Whether an array's text so far has its closing `]` (outside strings).
fn array_closed(text: &str) -> bool {
    let mut rest = text.trim_start().strip_prefix('[').unwrap_or(text);
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
        if rest.starts_with(']') {
            return true;
        }
        match parse_string(rest) {
            Some((_, after)) => rest = after,
            None => return false,
        }
    }
}

fn parse_value(text: &str) -> Result<Value, String> {
    if text.starts_with('"') || text.starts_with('\'') {
        return match parse_string(text) {
            Some((value, rest)) if rest.trim().is_empty() => Ok(Value::String(value)),
            Some(_) => Err("unexpected text after a string".into()),
            None => Err("an unterminated string".into()),
        };
    }
    if let Some(mut rest) = text.strip_prefix('[') {
        let mut items = Vec::new();
        loop {
            rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
            if let Some(after) = rest.strip_prefix(']') {
                if !after.trim().is_empty() {
                    return Err("unexpected text after an array".into());
                }
                return Ok(Value::Array(items));
            }
            let (item, after) = parse_string(rest).ok_or("an array item that is not a string, or no closing ]")?;
            items.push(item);
            rest = after;
        }
    }
    Ok(Value::Other(text.to_string()))
}

/// A basic (`"…"`, with escapes) or literal (`'…'`) string at the start of `text`, and
/// the text after it.
fn parse_string(text: &str) -> Option<(String, &str)> {
    if let Some(rest) = text.strip_prefix('\'') {
        let end = rest.find('\'')?;
        return Some((rest.get(..end)?.to_string(), rest.get(end + 1..)?));
    }
    let rest = text.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = rest.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '"' => return Some((out, rest.get(at + 1..)?)),
            '\\' => {
                let (_, escape) = chars.next()?;
                match escape {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'b' => out.push('\u{8}'),
                    'f' => out.push('\u{c}'),
                    'u' | 'U' => {
                        let digits = if escape == 'u' { 4 } else { 8 };
                        let hex: String = (0..digits).filter_map(|_| chars.next().map(|(_, h)| h)).collect();
                        out.push(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32)?);
                    }
                    other => out.push(other),
                }
            }
            other => out.push(other),
        }
    }
    None
}

/// The `.dep-v0` JSON: the crates compiled into the binary.
#[derive(Deserialize)]
struct AuditData {
    packages: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct AuditPackage {
    name: String,
    version: String,
    source: String,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    dependencies: Vec<usize>,
    #[serde(default)]
    root: bool,
}

/// The crates of a cargo-auditable `.dep-v0` section (zlib-compressed JSON). `Err` when the
/// section cannot be decompressed or is not the expected JSON at all; an entry that cannot
/// be read is skipped with a warning.
pub fn parse_auditable(section: &[u8]) -> Result<Catalogued, String> {
    let json = inflate(section)?;
    let data: AuditData =
        serde_json::from_slice(&json).map_err(|e| format!("the .dep-v0 section is not cargo-auditable JSON: {e}"))?;
    let mut entries = Vec::new();
    let mut warnings = Vec::new();
    for (index, value) in data.packages.into_iter().enumerate() {
        match serde_json::from_value::<AuditPackage>(value) {
            Ok(entry) if entry.name.is_empty() || entry.version.is_empty() => {
                warnings.push(format!(".dep-v0 entry {index}: an empty name or version"));
                entries.push(None);
            }
            Ok(entry) => entries.push(Some(entry)),
            Err(e) => {
                warnings.push(format!(".dep-v0 entry {index} skipped: {e}"));
                entries.push(None);
            }
        }
    }
    let mut found = Catalogued::default();
    for entry in entries.iter().flatten() {
        let mut package = crate_package(&entry.name, &entry.version, &entry.source);
        package.found_by.push(AUDITABLE_FOUND_BY.to_string());
        if entry.root {
            package.properties.insert("root".into(), "true".into());
        }
        if let Some(kind) = &entry.kind {
            package.properties.insert("kind".into(), kind.clone());
        }
        for &dependency in &entry.dependencies {
            match entries.get(dependency) {
                Some(Some(target)) => package.dependencies.push(target.name.clone()),
                Some(None) => {}
                None => warnings.push(format!(
                    "crate {}: dependency index {dependency} is out of range",
                    entry.name
                )),
            }
        }
        package.dependencies.sort();
        package.dependencies.dedup();
        found.packages.push(package);
    }
    found.warnings = capped(warnings);
    Ok(found)
}

/// The crates of a parsed ELF file: `None` when it has no `.dep-v0` section.
pub(crate) fn from_elf(elf: &Elf<'_>) -> Option<Result<Catalogued, String>> {
    Some(elf.section_data(".dep-v0")?.and_then(parse_auditable))
}

fn inflate(compressed: &[u8]) -> Result<Vec<u8>, String> {
    let mut json = Vec::new();
    flate2::read::ZlibDecoder::new(compressed)
        .take(MAX_AUDIT_JSON_BYTES + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("the .dep-v0 section is not valid zlib data: {e}"))?;
    if json.len() as u64 > MAX_AUDIT_JSON_BYTES {
        return Err(format!("the .dep-v0 section expands past {MAX_AUDIT_JSON_BYTES} bytes"));
    }
    Ok(json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::ZlibEncoder;
    use std::io::Write;

    fn meta(path: &str) -> EntryMeta<'_> {
        crate::ecosystems::test_file(path, 0)
    }

    fn zlib(data: &[u8]) -> Vec<u8> {
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn by_name<'a>(packages: &'a [Package], name: &str) -> &'a Package {
        packages.iter().find(|p| p.name == name).unwrap()
    }

    const LOCK_V4: &str = r#"# This file is automatically @generated by Cargo.
version = 4

[[package]]
name = "demo"
version = "0.1.0"
dependencies = [
 "regex",
 "serde 1.0.200",
 "tokio-util", # a comment
]

[[package]]
name = "regex"
version = "1.5.4"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "d07a8629359eb56f1e2fb1652bb04212c072a87ba68546a04065d525673ac461"

[[package]]
name = "serde"
version = "1.0.200"
source = "sparse+https://index.crates.io/"

[[package]]
name = "tokio-util"
version = "0.7.0"
source = "git+https://github.com/tokio-rs/tokio?rev=abc#abcdef0123"
dependencies = ["serde"]

[[package]]
name = "internal"
version = "2.0.0"
source = "registry+https://my.registry/index"
"#;

    #[test]
    fn reads_a_v4_lock_file() {
        let found = CargoLock
            .catalog(&meta("/src/Cargo.lock"), &mut LOCK_V4.as_bytes())
            .unwrap();
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        let packages = found.packages;
        assert_eq!(packages.len(), 5);
        let demo = by_name(&packages, "demo");
        assert_eq!(demo.purl, "pkg:cargo/demo@0.1.0");
        assert_eq!(demo.properties["source"], "local");
        assert_eq!(demo.dependencies, ["regex", "serde", "tokio-util"]);
        let regex = by_name(&packages, "regex");
        assert_eq!(
            (regex.version.as_str(), regex.properties["source"].as_str()),
            ("1.5.4", "crates.io")
        );
        assert!(regex.properties["checksum"].starts_with("d07a"));
        assert!(!regex.properties.contains_key("source_url"));
        assert_eq!(by_name(&packages, "serde").properties["source"], "crates.io");
        let git = by_name(&packages, "tokio-util");
        assert_eq!(git.properties["source"], "git");
        assert!(git.properties["source_url"].starts_with("git+https://github.com/tokio-rs"));
        assert_eq!(git.dependencies, ["serde"]);
        assert_eq!(by_name(&packages, "internal").properties["source"], "registry");
    }

    #[test]
    fn reads_this_workspace_s_own_lock_file() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.lock");
        let text = std::fs::read_to_string(path).unwrap();
        let found = parse_cargo_lock(&text);
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        assert_eq!(found.packages.len(), text.matches("[[package]]").count());
        let catalog = by_name(&found.packages, "drydock-catalog");
        assert_eq!(catalog.properties["source"], "local");
        assert!(catalog.dependencies.iter().any(|d| d == "serde_json"));
    }

    #[test]
    fn reads_a_v1_lock_file_with_root_and_metadata() {
        let text = r#"[root]
name = "old-app"
version = "0.2.0"
dependencies = [
 "libc 0.2.20 (registry+https://github.com/rust-lang/crates.io-index)",
]

[[package]]
name = "libc"
version = "0.2.20"
source = "registry+https://github.com/rust-lang/crates.io-index"

[metadata]
"checksum libc 0.2.20 (registry+https://github.com/rust-lang/crates.io-index)" = "684f330624d8c3784fb9558ca46c4ce488073a8d22450415c5eb4f4cfb0d11b5"
"#;
        let found = parse_cargo_lock(text);
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        let names: Vec<_> = found
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(names, [("old-app", "0.2.0"), ("libc", "0.2.20")]);
        assert_eq!(found.packages[0].dependencies, ["libc"]);
    }

    #[test]
    fn a_broken_entry_is_skipped_with_a_warning_and_the_rest_kept() {
        let text = "version = 3\n\n[[package]]\nname = \"good\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"noversion\"\n\n[[package]]\nname = \"bad\nversion = \"1.0\"\nthis is not toml\n";
        let found = parse_cargo_lock(text);
        assert_eq!(found.packages.len(), 1);
        assert_eq!(found.packages[0].name, "good");
        let all = found.warnings.join("\n");
        assert!(all.contains("line 7: package noversion has no version"), "{all}");
        assert!(all.contains("line 11: name: an unterminated string"), "{all}");
        assert!(all.contains("line 13: expected `key = value`"), "{all}");
    }

    #[test]
    fn strings_escapes_and_comments() {
        assert_eq!(
            parse_string(r#""a\"b\u00e9#" rest"#),
            Some(("a\"bé#".to_string(), " rest"))
        );
        assert_eq!(parse_string("'lit\\eral'"), Some(("lit\\eral".to_string(), "")));
        assert_eq!(parse_string("\"\\u12\""), None);
        assert_eq!(strip_comment(r#"name = "a#b" # c"#), r#"name = "a#b" "#);
        assert_eq!(
            parse_value("[ \"a\" , 'b', ]").unwrap(),
            Value::Array(vec!["a".into(), "b".into()])
        );
        assert!(parse_value("[ 1, 2 ]").is_err());
        assert_eq!(parse_value("4").unwrap(), Value::Other("4".into()));
    }

    #[test]
    fn binary_text_and_unterminated_arrays_do_not_panic() {
        let found = parse_cargo_lock("[[package]]\nname = \"x\"\nversion = \"1\"\ndependencies = [\n \"a\",\n");
        assert_eq!(found.packages.len(), 1);
        assert!(found.warnings[0].contains("dependencies"), "{:?}", found.warnings);
        let noise: String = (0..2000).map(|i| char::from(b"=[]\"'#\n\\ax"[i % 10])).collect();
        let found = parse_cargo_lock(&noise);
        assert!(found.warnings.len() <= MAX_WARNINGS + 1);
        let invalid = CargoLock.catalog(&meta("/Cargo.lock"), &mut &[0xff, 0xfe, 0x00][..]);
        assert!(invalid.unwrap_err().contains("UTF-8"));
    }

    const AUDIT_JSON: &str = r#"{"packages":[{"name":"aho-corasick","version":"0.7.20","source":"crates.io","dependencies":[3]},{"name":"demo","version":"0.1.0","source":"local","dependencies":[0,3,4],"root":true},{"name":"cc","version":"1.0.0","source":"crates.io","kind":"build"},{"name":"memchr","version":"2.8.3","source":"crates.io"},{"name":"mine","version":"0.3.0","source":"git"}],"format":1}"#;

    #[test]
    fn reads_a_dep_v0_section() {
        let found = parse_auditable(&zlib(AUDIT_JSON.as_bytes())).unwrap();
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        assert_eq!(found.packages.len(), 5);
        let demo = by_name(&found.packages, "demo");
        assert_eq!(demo.properties["root"], "true");
        assert_eq!(demo.properties["source"], "local");
        assert_eq!(demo.dependencies, ["aho-corasick", "memchr", "mine"]);
        assert_eq!(demo.found_by, [AUDITABLE_FOUND_BY]);
        assert_eq!(demo.purl, "pkg:cargo/demo@0.1.0");
        assert_eq!(by_name(&found.packages, "cc").properties["kind"], "build");
        assert_eq!(by_name(&found.packages, "aho-corasick").dependencies, ["memchr"]);
    }

    #[test]
    fn lock_file_and_binary_give_the_same_purl_and_source() {
        let lock = parse_cargo_lock(LOCK_V4);
        let binary = parse_auditable(&zlib(
            br#"{"packages":[{"name":"regex","version":"1.5.4","source":"crates.io"},{"name":"demo","version":"0.1.0","source":"local"}]}"#,
        ))
        .unwrap();
        for from_binary in &binary.packages {
            let from_lock = by_name(&lock.packages, &from_binary.name);
            assert_eq!(from_lock.identity(), from_binary.identity());
            assert_eq!(from_lock.properties["source"], from_binary.properties["source"]);
        }
    }

    #[test]
    fn broken_dep_v0_sections() {
        let compressed = zlib(AUDIT_JSON.as_bytes());
        let truncated = parse_auditable(&compressed[..compressed.len() / 2]).unwrap_err();
        assert!(truncated.contains("zlib"), "{truncated}");
        assert!(parse_auditable(b"not zlib").unwrap_err().contains("zlib"));
        let not_json = parse_auditable(&zlib(b"{\"packages\": 3}")).unwrap_err();
        assert!(not_json.contains("not cargo-auditable JSON"), "{not_json}");
        let partly = parse_auditable(&zlib(
            br#"{"packages":[{"name":"ok","version":"1.0.0","source":"crates.io","dependencies":[7]},{"name":"x"},{"name":"","version":"1","source":"local"}]}"#,
        ))
        .unwrap();
        assert_eq!(partly.packages.len(), 1);
        let all = partly.warnings.join("\n");
        assert!(all.contains("entry 1 skipped"), "{all}");
        assert!(all.contains("entry 2: an empty name"), "{all}");
        assert!(all.contains("index 7 is out of range"), "{all}");
    }

    #[test]
    fn a_dep_v0_bomb_is_refused() {
        let bomb = zlib(&vec![b' '; (MAX_AUDIT_JSON_BYTES + 10) as usize]);
        assert!(bomb.len() < 100_000);
        assert!(parse_auditable(&bomb).unwrap_err().contains("expands past"));
    }
}
