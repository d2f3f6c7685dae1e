//! Ruby gems. Installed: the specifications RubyGems writes for each installed gem
//! (`…/specifications/<name>-<version>.gemspec`, default gems under `specifications/default/`,
//! Debian's under `/usr/share/rubygems-integration/*/specifications/`). They are Ruby source,
//! but RubyGems writes them in a fixed shape (`s.name = "rack".freeze`), so the literal
//! assignments are read without evaluating anything. Declared: `Gemfile.lock` (and Bundler's
//! alternative name `gems.locked`): the `specs:` of its `GEM` and `GIT` sections, with each
//! gem's dependencies. A platform gem (`nokogiri (1.15.0-x86_64-linux)`) has version `1.15.0`
//! and the purl qualifier `platform`, the same from both files so they merge.

use std::io::Read;

use drydock_model::{Ecosystem, FileKind, Package, purl};
use drydock_oci::engine::analyzer::{EntryMeta, Interest};

use crate::{Cataloger, CatalogerKind, Catalogued};

const MAX_GEMSPEC_BYTES: u64 = 4 * 1024 * 1024;
const MAX_LOCK_BYTES: u64 = 16 * 1024 * 1024;

/// Installed gem specifications.
pub struct GemInstalled;

impl Cataloger for GemInstalled {
    fn name(&self) -> &'static str {
        "ruby-installed"
    }

    fn version(&self) -> u32 {
        1
    }

    fn kind(&self) -> CatalogerKind {
        CatalogerKind::Installed
    }

    fn interest(&self) -> Interest {
        Interest {
            globs: vec![
                "**/specifications/*.gemspec".into(),
                "**/specifications/default/*.gemspec".into(),
            ],
            ..Default::default()
        }
    }

    fn catalog(&self, file: &EntryMeta<'_>, content: &mut dyn Read) -> Result<Catalogued, String> {
        if file.kind != FileKind::File {
            return Ok(Catalogued::default());
        }
        let text = super::read_text(content, MAX_GEMSPEC_BYTES)?;
        let mut package = parse_gemspec(&text)?;
        if file.path.contains("/specifications/default/") {
            package.properties.insert("default_gem".into(), "true".into());
        }
        Ok(vec![package].into())
    }
}

/// `Gemfile.lock` / `gems.locked`.
pub struct GemLock;

impl Cataloger for GemLock {
    fn name(&self) -> &'static str {
        "ruby-lock"
    }

    fn version(&self) -> u32 {
        1
    }

    fn kind(&self) -> CatalogerKind {
        CatalogerKind::Declared
    }

    fn interest(&self) -> Interest {
        Interest {
            basenames: vec!["Gemfile.lock".into(), "gems.locked".into()],
            ..Default::default()
        }
    }

    fn catalog(&self, file: &EntryMeta<'_>, content: &mut dyn Read) -> Result<Catalogued, String> {
        if file.kind != FileKind::File {
            return Ok(Catalogued::default());
        }
        if super::is_inside_installed_package(file.path) {
            return Ok(Catalogued::default());
        }
        let text = super::read_text(content, MAX_LOCK_BYTES)?;
        Ok(parse_gemfile_lock(&text))
    }
}

/// `…/gems/<name>-<version>/…/Gemfile.lock`: a lockfile anywhere inside an installed gem (its
/// author's development checkout, shipped in the gem). Its gems were never installed.
pub fn is_inside_installed_gem(path: &str) -> bool {
    let components: Vec<&str> = path.split('/').collect();
    let Some((_, directories)) = components.split_last() else {
        return false;
    };
    directories.windows(2).any(|pair| {
        let (gems, gem_dir) = (pair[0], pair[1]);
        let versioned = gem_dir.match_indices('-').any(|(at, _)| {
            gem_dir
                .get(at + 1..)
                .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        });
        gems == "gems" && versioned
    })
}

/// A gem package; a platform other than `ruby` is a purl qualifier and the property `platform`.
fn gem_package(name: &str, version: &str, platform: Option<&str>) -> Package {
    let mut package = Package::new(Ecosystem::RubyGems, name, version);
    if let Some(platform) = platform.filter(|p| !p.is_empty() && *p != "ruby") {
        package.purl = purl::build(
            Ecosystem::RubyGems.purl_type(),
            None,
            name,
            version,
            &[("platform", platform)],
        );
        package.properties.insert("platform".into(), platform.to_string());
    }
    package
}

/// The gem an installed specification describes: `name`, `version`, `platform`,
/// `license`/`licenses` and runtime dependencies, from their literal assignments.
pub fn parse_gemspec(text: &str) -> Result<Package, String> {
    let mut spec = GemspecFields::default();
    for line in text.lines() {
        spec.read_line(line.trim());
    }
    let name = spec
        .name
        .filter(|n| !n.is_empty())
        .ok_or("no literal `name` assignment")?;
    let version = spec
        .version
        .filter(|v| !v.is_empty())
        .ok_or_else(|| format!("gem {name} has no literal `version` assignment"))?;
    if name.contains(char::is_whitespace) || version.contains(char::is_whitespace) {
        return Err(format!("gem name `{name}` or version `{version}` has whitespace"));
    }
    let mut package = gem_package(&name, &version, spec.platform.as_deref());
    package.licenses = spec.licenses.unwrap_or_default();
    spec.dependencies.sort();
    spec.dependencies.dedup();
    package.dependencies = spec.dependencies;
    Ok(package)
}

#[derive(Default)]
struct GemspecFields {
    name: Option<String>,
    version: Option<String>,
    platform: Option<String>,
    licenses: Option<Vec<String>>,
    dependencies: Vec<String>,
    /// Inside `if s.respond_to? :add_runtime_dependency then … else … end`, which older
    /// RubyGems wrote: the `else` branch repeats every dependency, development ones included,
    /// as `add_dependency` for RubyGems versions that cannot tell them apart.
    compat: Compat,
}

#[derive(Default, PartialEq)]
enum Compat {
    #[default]
    Outside,
    Then,
    Else,
}

impl GemspecFields {
    fn read_line(&mut self, line: &str) {
        match (&self.compat, line) {
            (Compat::Outside, _) if line.starts_with("if ") && line.contains(":add_runtime_dependency") => {
                self.compat = Compat::Then;
            }
            (Compat::Then, "else") => self.compat = Compat::Else,
            (Compat::Then | Compat::Else, "end") => self.compat = Compat::Outside,
            _ => {}
        }
        if let Some(dependency) = runtime_dependency(line) {
            if self.compat != Compat::Else {
                self.dependencies.push(dependency);
            }
            return;
        }
        let Some((attribute, value)) = assignment(line) else {
            return;
        };
        match attribute {
            "name" if self.name.is_none() => self.name = string_value(value),
            "version" if self.version.is_none() => {
                let value = value.strip_prefix("Gem::Version.new(").unwrap_or(value);
                self.version = string_value(value);
            }
            "platform" if self.platform.is_none() => self.platform = string_value(value),
            "license" if self.licenses.is_none() => self.licenses = string_value(value).map(|l| vec![l]),
            "licenses" if self.licenses.is_none() => self.licenses = string_array(value),
            _ => {}
        }
    }
}

/// `s.name = "rack".freeze` → (`name`, `"rack".freeze`): a receiver identifier, an attribute
/// and `=` (not `==`).
fn assignment(line: &str) -> Option<(&str, &str)> {
    let (receiver, rest) = line.split_once('.')?;
    if receiver.is_empty() || !receiver.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    let (attribute, value) = rest.split_once('=')?;
    let attribute = attribute.trim();
    if value.starts_with('=') || !attribute.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return None;
    }
    Some((attribute, value.trim()))
}

/// `s.add_runtime_dependency(%q<rack>.freeze, [">= 1.3"])` or `s.add_dependency "rack"` → `rack`.
fn runtime_dependency(line: &str) -> Option<String> {
    let (_, call) = line.split_once('.')?;
    let rest = call
        .strip_prefix("add_runtime_dependency")
        .or_else(|| call.strip_prefix("add_dependency"))?;
    let rest = rest.trim_start().trim_start_matches('(').trim_start();
    let (name, _) = string_literal(rest)?;
    (!name.is_empty()).then_some(name)
}

/// A string literal, optionally `.freeze`d; what follows (a modifier like `if …`) is ignored.
fn string_value(value: &str) -> Option<String> {
    let (text, _) = string_literal(value)?;
    Some(text)
}

/// `["MIT".freeze, "Ruby".freeze]` or `%w[MIT Ruby]`.
fn string_array(value: &str) -> Option<Vec<String>> {
    if let Some(words) = value.strip_prefix("%w") {
        let (text, _) = delimited(words)?;
        return Some(text.split_whitespace().map(str::to_string).collect());
    }
    let mut rest = value.strip_prefix('[')?.trim_start();
    let mut items = Vec::new();
    loop {
        if rest.starts_with(']') {
            return Some(items);
        }
        let (item, after) = string_literal(rest)?;
        items.push(item);
        rest = after.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
}

/// A Ruby string literal at the start of `text` (`"…"`, `'…'`, `%q{…}`, `%Q<…>`, `%{…}`) and
/// what follows it, past a `.freeze`. Interpolation (`#{…}` in double quotes) is not literal.
fn string_literal(text: &str) -> Option<(String, &str)> {
    let text = text.trim_start();
    let (value, rest) = if let Some(body) = text.strip_prefix('"') {
        quoted(body, '"', true)?
    } else if let Some(body) = text.strip_prefix('\'') {
        quoted(body, '\'', false)?
    } else if let Some(body) = text.strip_prefix("%q").or_else(|| text.strip_prefix("%Q")) {
        delimited(body)?
    } else if let Some(body) = text.strip_prefix('%') {
        delimited(body)?
    } else {
        return None;
    };
    Some((value, rest.strip_prefix(".freeze").unwrap_or(rest)))
}

/// The body of a quoted string up to the closing `quote`, with backslash escapes.
fn quoted(body: &str, quote: char, double: bool) -> Option<(String, &str)> {
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((at, c)) = chars.next() {
        match c {
            '\\' => {
                let (_, escaped) = chars.next()?;
                value.push(match escaped {
                    'n' if double => '\n',
                    't' if double => '\t',
                    other => other,
                });
            }
            '#' if double && body.get(at + 1..)?.starts_with('{') => return None,
            c if c == quote => return Some((value, body.get(at + 1..)?)),
            c => value.push(c),
        }
    }
    None
}

/// `{…}`, `<…>`, `(…)`, `[…]` (nesting counted) or any other delimiter repeated: `|…|`.
fn delimited(body: &str) -> Option<(String, &str)> {
    let open = body.chars().next()?;
    let close = match open {
        '{' => '}',
        '<' => '>',
        '(' => ')',
        '[' => ']',
        c if c.is_alphanumeric() || c.is_whitespace() => return None,
        c => c,
    };
    let inner = body.get(open.len_utf8()..)?;
    let mut depth = 0usize;
    for (at, c) in inner.char_indices() {
        if c == close && depth == 0 {
            return Some((inner.get(..at)?.to_string(), inner.get(at + c.len_utf8()..)?));
        }
        if c == close {
            depth -= 1;
        } else if c == open && open != close {
            depth += 1;
        }
    }
    None
}

/// The sections of a lockfile whose `specs:` are gems from a registry or a repository
/// (`PATH` ones are the project's own gems).
const GEM_SECTIONS: [&str; 2] = ["GEM", "GIT"];

/// The gems of a `Gemfile.lock`: `    name (version)` under a `GEM` or `GIT` section's `specs:`,
/// with `      dependency (constraint)` lines below each.
pub fn parse_gemfile_lock(text: &str) -> Catalogued {
    let mut found = Catalogued::default();
    let mut section = "";
    let mut remote = String::new();
    let mut in_specs = false;
    for (number, line) in text.lines().enumerate() {
        let line = line.trim_end();
        let indent = line.len() - line.trim_start().len();
        match indent {
            0 if !line.is_empty() => {
                section = line;
                remote.clear();
                in_specs = false;
            }
            2 if GEM_SECTIONS.contains(&section) => {
                let field = line.trim_start();
                in_specs = field == "specs:";
                if let Some(url) = field.strip_prefix("remote:") {
                    remote = url.trim().to_string();
                }
            }
            4 if in_specs => match spec_line(line.trim_start()) {
                Some((name, version, platform)) => found
                    .packages
                    .push(locked_gem(name, version, platform, section, &remote)),
                None => found
                    .warnings
                    .push(format!("line {}: not a `name (version)` spec: {line:?}", number + 1)),
            },
            6 if in_specs => {
                if let (Some(package), Some(name)) = (found.packages.last_mut(), line.split_whitespace().next()) {
                    package.dependencies.push(name.to_string());
                }
            }
            _ => {}
        }
    }
    for package in &mut found.packages {
        package.dependencies.sort();
        package.dependencies.dedup();
    }
    found
}

/// `rack (2.2.8)` → (`rack`, `2.2.8`, none); `nokogiri (1.15.0-x86_64-linux)` → (`nokogiri`,
/// `1.15.0`, `x86_64-linux`): gem versions have no `-`, what follows the first is the platform.
fn spec_line(line: &str) -> Option<(&str, &str, Option<&str>)> {
    let (name, rest) = line.split_once(" (")?;
    let full_version = rest.strip_suffix(')')?;
    let (version, platform) = match full_version.split_once('-') {
        Some((version, platform)) => (version, Some(platform)),
        None => (full_version, None),
    };
    let valid = |s: &str| !s.is_empty() && !s.contains(char::is_whitespace);
    (valid(name) && valid(version) && platform.is_none_or(valid)).then_some((name, version, platform))
}

fn locked_gem(name: &str, version: &str, platform: Option<&str>, section: &str, remote: &str) -> Package {
    let mut package = gem_package(name, version, platform);
    let source = if section == "GIT" { "git" } else { "rubygems" };
    package.properties.insert("source".into(), source.into());
    if !remote.is_empty() {
        package.properties.insert("remote".into(), remote.to_string());
    }
    package
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(path: &str) -> EntryMeta<'_> {
        crate::ecosystems::test_file(path, 0)
    }

    const RACK_TEST: &str = r#"# -*- encoding: utf-8 -*-
# stub: rack-test 2.0.2 ruby lib

Gem::Specification.new do |s|
  s.name = "rack-test".freeze
  s.version = "2.0.2"

  s.required_rubygems_version = Gem::Requirement.new(">= 0".freeze) if s.respond_to? :required_rubygems_version=
  s.authors = ["Jeremy Evans".freeze, "Bryan Helmkamp".freeze]
  s.licenses = ["MIT".freeze]
  s.summary = "Simple testing API built on Rack".freeze

  if s.respond_to? :add_runtime_dependency then
    s.add_runtime_dependency(%q<rack>.freeze, [">= 1.3"])
    s.add_development_dependency(%q<rake>.freeze, [">= 0"])
  else
    s.add_dependency(%q<rack>.freeze, [">= 1.3"])
    s.add_dependency(%q<rake>.freeze, [">= 0"])
  end
end
"#;

    #[test]
    fn reads_an_installed_gemspec() {
        let package = parse_gemspec(RACK_TEST).unwrap();
        assert_eq!(
            (package.name.as_str(), package.version.as_str()),
            ("rack-test", "2.0.2")
        );
        assert_eq!(package.purl, "pkg:gem/rack-test@2.0.2");
        assert_eq!(package.licenses, ["MIT"]);
        // `rake` is a development dependency: the `else` branch that lists it again is skipped.
        assert_eq!(package.dependencies, ["rack"]);
    }

    #[test]
    fn reads_old_quoting_and_platforms() {
        let text = "Gem::Specification.new do |spec|\n  spec.name = %q{nokogiri}\n  spec.version = \"1.15.0\"\n  spec.platform = %q{x86_64-linux}\n  spec.license = 'MIT'\n  spec.add_dependency \"racc\", \"~> 1.4\"\nend\n";
        let package = parse_gemspec(text).unwrap();
        assert_eq!(
            (package.name.as_str(), package.version.as_str()),
            ("nokogiri", "1.15.0")
        );
        assert_eq!(package.purl, "pkg:gem/nokogiri@1.15.0?platform=x86_64-linux");
        assert_eq!(package.licenses, ["MIT"]);
        assert_eq!(package.dependencies, ["racc"]);
    }

    #[test]
    fn a_gemspec_without_literal_name_or_version_is_an_error() {
        let err =
            parse_gemspec("Gem::Specification.new do |s|\n  s.name = \"x\"\n  s.version = VERSION\nend\n").unwrap_err();
        assert!(err.contains("gem x has no literal `version`"), "{err}");
        assert!(parse_gemspec("s.name = \"#{x}\"\ns.version = \"1\"\n").is_err());
        assert!(parse_gemspec("").is_err());
        assert!(parse_gemspec("s.name == \"x\"\ns.version = \"1\"\n").is_err());
    }

    #[test]
    fn literals() {
        assert_eq!(string_literal("\"a\\\"b\".freeze rest"), Some(("a\"b".into(), " rest")));
        assert_eq!(string_literal("%q<a<b>c>"), Some(("a<b>c".into(), "")));
        assert_eq!(string_literal("%|x|"), Some(("x".into(), "")));
        assert_eq!(string_literal("\"unterminated"), None);
        assert_eq!(string_literal("%q{open"), None);
        assert_eq!(
            string_array("[\"MIT\".freeze, \"Ruby\".freeze]"),
            Some(vec!["MIT".into(), "Ruby".into()])
        );
        assert_eq!(
            string_array("%w[MIT BSD-2-Clause]"),
            Some(vec!["MIT".into(), "BSD-2-Clause".into()])
        );
        assert_eq!(string_array("[\"MIT\""), None);
    }

    #[test]
    fn the_cataloger_marks_default_gems() {
        let text = "Gem::Specification.new do |s|\n  s.name = \"json\"\n  s.version = \"2.6.3\"\nend\n";
        let found = GemInstalled
            .catalog(
                &meta("/usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.3.gemspec"),
                &mut text.as_bytes(),
            )
            .unwrap();
        assert_eq!(found.packages[0].properties["default_gem"], "true");
    }

    const LOCK: &str = "GIT\n  remote: https://github.com/rails/rails.git\n  revision: abc\n  specs:\n    rails (7.1.0.alpha)\n      actionpack (= 7.1.0.alpha)\n\nPATH\n  remote: .\n  specs:\n    myapp (0.1.0)\n\nGEM\n  remote: https://rubygems.org/\n  specs:\n    mini_portile2 (2.8.2)\n    nokogiri (1.15.0-x86_64-linux)\n      racc (~> 1.4)\n    nokogiri (1.15.0)\n      mini_portile2 (~> 2.8.2)\n      racc (~> 1.4)\n    racc (1.7.1)\n\nPLATFORMS\n  ruby\n  x86_64-linux\n\nDEPENDENCIES\n  nokogiri\n  rails!\n\nBUNDLED WITH\n   2.4.10\n";

    #[test]
    fn reads_gemfile_lock_specs() {
        let found = parse_gemfile_lock(LOCK);
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        let got: Vec<_> = found
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.purl.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("rails", "7.1.0.alpha", "pkg:gem/rails@7.1.0.alpha"),
                ("mini_portile2", "2.8.2", "pkg:gem/mini_portile2@2.8.2"),
                ("nokogiri", "1.15.0", "pkg:gem/nokogiri@1.15.0?platform=x86_64-linux"),
                ("nokogiri", "1.15.0", "pkg:gem/nokogiri@1.15.0"),
                ("racc", "1.7.1", "pkg:gem/racc@1.7.1"),
            ]
        );
        assert_eq!(found.packages[0].properties["source"], "git");
        assert_eq!(found.packages[2].properties["platform"], "x86_64-linux");
        assert_eq!(found.packages[3].dependencies, ["mini_portile2", "racc"]);
        assert_eq!(found.packages[3].properties["remote"], "https://rubygems.org/");
    }

    #[test]
    fn a_malformed_spec_line_is_a_warning_and_the_rest_is_kept() {
        let text = "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack 2.2.8\n    rake (13.0.6)\n    odd (-x86_64-linux)\n";
        let found = parse_gemfile_lock(text);
        assert_eq!(found.packages.len(), 1);
        assert_eq!(found.warnings.len(), 2);
        assert!(found.warnings[1].starts_with("line 6: "), "{:?}", found.warnings);
        assert!(
            found.warnings[0].starts_with("line 4: not a `name (version)` spec"),
            "{:?}",
            found.warnings
        );
    }

    #[test]
    fn lockfiles_shipped_inside_installed_gems_are_skipped() {
        let inside = "/usr/local/lib/ruby/gems/3.2.0/gems/rbs-2.8.2/Gemfile.lock";
        assert!(is_inside_installed_gem(inside));
        assert!(is_inside_installed_gem(
            "/app/vendor/bundle/ruby/3.2.0/gems/net-imap-0.3.4/Gemfile.lock"
        ));
        assert!(!is_inside_installed_gem("/app/Gemfile.lock"));
        assert!(is_inside_installed_gem(
            "/usr/lib/ruby/gems/3.1.0/gems/rbs-2.1.0/steep/Gemfile.lock"
        ));
        assert!(!is_inside_installed_gem("/srv/gems/Gemfile.lock"));
        assert!(!is_inside_installed_gem("/srv/gems/my-web-app/Gemfile.lock"));
        let found = GemLock
            .catalog(&meta(inside), &mut "GEM\n  specs:\n    rake (13.0.6)\n".as_bytes())
            .unwrap();
        assert!(found.packages.is_empty());
    }

    #[test]
    fn the_lock_and_the_installed_spec_agree_on_the_purl() {
        let locked = parse_gemfile_lock("GEM\n  specs:\n    rack-test (2.0.2)\n");
        assert_eq!(locked.packages[0].purl, parse_gemspec(RACK_TEST).unwrap().purl);
    }
}
