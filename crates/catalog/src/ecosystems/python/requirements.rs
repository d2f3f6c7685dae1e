//! `requirements*.txt` (pip's requirements file format). Only exact pins (`name==1.2`,
//! `name===1.2`) name a version; ranges, options (`-r`, `-e`, `--index-url`), URLs and
//! direct references (`name @ https://…`) do not and are skipped. Environment markers and
//! extras are kept as properties.

use drydock_model::Package;

use super::{is_valid_name, pypi_package};
use crate::Catalogued;

/// The pinned packages of a requirements file; a line that pins something unreadable gives a
/// warning.
pub fn parse_requirements(bytes: &[u8]) -> Catalogued {
    let text = String::from_utf8_lossy(bytes);
    let mut found = Catalogued::default();
    for (number, line) in logical_lines(&text) {
        match requirement(&line) {
            Ok(Some(package)) => found.packages.push(package),
            Ok(None) => {}
            Err(reason) => found.warnings.push(format!("line {number} skipped: {reason}")),
        }
    }
    found
}

/// Lines with `\` continuations joined and comments removed, each with its first line number.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    for (index, raw) in text.lines().enumerate() {
        if current.is_empty() {
            start = index + 1;
        }
        let line = strip_comment(raw);
        match line.strip_suffix('\\') {
            Some(continued) => {
                current.push_str(continued);
                current.push(' ');
            }
            None => {
                current.push_str(line);
                lines.push((start, std::mem::take(&mut current)));
            }
        }
    }
    if !current.trim().is_empty() {
        lines.push((start, current));
    }
    lines
}

/// pip's rule: `#` starts a comment at the start of a line or after whitespace.
fn strip_comment(line: &str) -> &str {
    if line.starts_with('#') {
        return "";
    }
    match line.find(" #").or_else(|| line.find("\t#")) {
        Some(at) => line.get(..at).unwrap_or(line),
        None => line,
    }
    .trim_end()
}

/// One logical line: `Ok(None)` when it pins nothing.
fn requirement(line: &str) -> Result<Option<Package>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('-') {
        return Ok(None);
    }
    // Per-requirement options (`--hash=…`) follow the requirement.
    let line = line.split(" --").next().unwrap_or(line);
    let (spec, marker) = match line.split_once(';') {
        Some((spec, marker)) => (spec.trim(), marker.trim()),
        None => (line, ""),
    };
    if spec.contains("://") || spec.contains('@') || spec.contains('$') {
        return Ok(None);
    }
    let name_end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let (name, rest) = spec.split_at(name_end);
    let (extras, constraint) = extras(rest.trim_start())?;
    let Some(version) = pinned_version(constraint) else {
        return Ok(None);
    };
    if !is_valid_name(name) {
        return Err(format!("invalid package name {name:?}"));
    }
    if version.is_empty() || version.contains(char::is_whitespace) {
        return Err(format!("{name}: invalid pinned version {version:?}"));
    }
    let mut package = pypi_package(name, version);
    if !marker.is_empty() {
        package.properties.insert("markers".into(), marker.to_string());
    }
    if !extras.is_empty() {
        package.properties.insert("extras".into(), extras.to_string());
    }
    Ok(Some(package))
}

/// Splits `[security,socks]==2.0` into the extras and what follows.
fn extras(rest: &str) -> Result<(&str, &str), String> {
    let Some(inner) = rest.strip_prefix('[') else {
        return Ok(("", rest));
    };
    let (extras, after) = inner.split_once(']').ok_or("unclosed extras bracket")?;
    Ok((extras.trim(), after.trim_start()))
}

/// The version of a constraint that is one exact pin (`==1.2`, `===1.2`, `(== 1.2)`); `None`
/// for ranges, several clauses and wildcards.
fn pinned_version(constraint: &str) -> Option<&str> {
    let constraint = constraint.trim();
    let constraint = constraint
        .strip_prefix('(')
        .and_then(|c| c.strip_suffix(')'))
        .unwrap_or(constraint)
        .trim();
    if constraint.contains(',') {
        return None;
    }
    let version = constraint
        .strip_prefix("===")
        .or_else(|| constraint.strip_prefix("=="))?
        .trim();
    (!version.contains('*')).then_some(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQUIREMENTS: &str = "# pinned for production
-r base.txt
--index-url https://pypi.example/simple
-e git+https://github.com/x/y.git#egg=y
Django==3.2 # the web framework
requests[security,socks] == 2.19.1 ; python_version >= \"3.6\"
urllib3==1.24.1 \\
    --hash=sha256:abc \\
    --hash=sha256:def
flask>=2.0
numpy==1.*
six==1.16.0,>=1.0
pkg @ https://example.com/pkg-1.0.tar.gz
https://example.com/other-1.0.tar.gz
legacy (==0.9)
arbitrary===1.0-custom
token==${VERSION}
";

    fn pins(found: &Catalogued) -> Vec<(&str, &str)> {
        found
            .packages
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect()
    }

    #[test]
    fn reads_only_exact_pins() {
        let found = parse_requirements(REQUIREMENTS.as_bytes());
        assert_eq!(
            pins(&found),
            [
                ("Django", "3.2"),
                ("requests", "2.19.1"),
                ("urllib3", "1.24.1"),
                ("legacy", "0.9"),
                ("arbitrary", "1.0-custom")
            ]
        );
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        let requests = &found.packages[1];
        assert_eq!(requests.properties["markers"], "python_version >= \"3.6\"");
        assert_eq!(requests.properties["extras"], "security,socks");
        assert_eq!(found.packages[0].purl, "pkg:pypi/django@3.2");
    }

    #[test]
    fn malformed_pins_give_warnings_and_the_rest_is_kept() {
        let found = parse_requirements(b"good==1.0\nbad[x==1.0\n==2.0\n-bad==1\nok==2.0 extra words\nfine==3\n");
        assert_eq!(pins(&found), [("good", "1.0"), ("fine", "3")]);
        assert_eq!(found.warnings.len(), 3, "{:?}", found.warnings);
        assert!(found.warnings[0].starts_with("line 2 skipped: unclosed extras"));
        assert!(found.warnings[1].contains("line 3") && found.warnings[1].contains("invalid package name"));
        assert!(found.warnings[2].contains("line 5") && found.warnings[2].contains("invalid pinned version"));
    }

    #[test]
    fn a_trailing_continuation_is_still_read() {
        let found = parse_requirements(b"a==1 \\");
        assert_eq!(pins(&found), [("a", "1")]);
    }
}
