//! The allow-list: findings a user has reviewed and accepted.
//!
//! A TOML or YAML file. Top-level `paths`, `rules` and `values` each suppress on their own;
//! an `[[allow]]` entry suppresses only what matches every field it sets:
//!
//! ```toml
//! paths = ["/usr/share/myapp/fixtures/**"]      # globs on the path inside the image
//! rules = ["DD-IMG-002"]                         # rule ids
//! values = ["^AKIA[A-Z0-9]{12}TEST$"]            # regexes on the secret value (never printed)
//!
//! [[allow]]
//! reason = "the setuid helper is reviewed"
//! rules = ["DD-IMG-011"]
//! paths = ["/usr/lib/dbus-1.0/dbus-daemon-launch-helper"]
//! ```

use std::path::Path;

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::RegexSet;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use crate::error::ChecksError;

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowFile {
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    rules: Vec<String>,
    #[serde(default)]
    values: Vec<String>,
    #[serde(default)]
    allow: Vec<EntryFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryFile {
    #[serde(default)]
    #[allow(dead_code)] // documentation for the reader of the file
    reason: Option<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    rules: Vec<String>,
    #[serde(default)]
    values: Vec<String>,
}

/// One compiled entry: every field that is set must match.
#[derive(Debug, Clone)]
struct Entry {
    paths: Option<GlobSet>,
    rules: Option<Vec<String>>,
    values: Option<RegexSet>,
}

/// What a candidate finding offers to the allow-list.
#[derive(Debug, Clone, Copy, Default)]
pub struct Candidate<'a> {
    pub rule: &'a str,
    pub path: Option<&'a str>,
    /// The clear value of a secret, when the finding has one.
    pub value: Option<&'a [u8]>,
}

/// A compiled allow-list. The default one allows nothing.
#[derive(Debug, Clone, Default)]
pub struct AllowList {
    entries: Vec<Entry>,
    /// sha256 of the source text, so cached results made with another list are not reused.
    fingerprint: Option<String>,
}

/// The syntax of an allow-list file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllowListFormat {
    Toml,
    Yaml,
}

impl AllowList {
    /// Reads a `.toml`, `.yaml` or `.yml` file (any other name is tried as TOML, then YAML).
    pub fn from_file(path: &Path) -> Result<Self, ChecksError> {
        let text = std::fs::read_to_string(path).map_err(|source| ChecksError::ReadAllowList {
            path: path.to_path_buf(),
            source,
        })?;
        let origin = path.display().to_string();
        match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => Self::parse(&text, AllowListFormat::Toml, &origin),
            Some("yaml" | "yml") => Self::parse(&text, AllowListFormat::Yaml, &origin),
            _ => Self::parse(&text, AllowListFormat::Toml, &origin)
                .or_else(|_| Self::parse(&text, AllowListFormat::Yaml, &origin)),
        }
    }

    /// Parses and compiles an allow-list; `origin` names it in errors.
    pub fn parse(text: &str, format: AllowListFormat, origin: &str) -> Result<Self, ChecksError> {
        let invalid = |reason: String| ChecksError::AllowList {
            origin: origin.to_string(),
            reason,
        };
        let file: AllowFile = match format {
            AllowListFormat::Toml => toml::from_str(text).map_err(|e| invalid(format!("not valid TOML: {e}")))?,
            AllowListFormat::Yaml if text.trim().is_empty() => AllowFile::default(),
            AllowListFormat::Yaml => yaml_serde::from_str(text).map_err(|e| invalid(format!("not valid YAML: {e}")))?,
        };
        let mut entries = Vec::new();
        let top = |paths: Vec<String>, rules: Vec<String>, values: Vec<String>| EntryFile {
            reason: None,
            paths,
            rules,
            values,
        };
        for (index, entry) in [
            top(file.paths, Vec::new(), Vec::new()),
            top(Vec::new(), file.rules, Vec::new()),
            top(Vec::new(), Vec::new(), file.values),
        ]
        .into_iter()
        .enumerate()
        {
            if let Some(entry) = compile_entry(entry).map_err(|e| invalid(format!("top level ({index}): {e}")))? {
                entries.push(entry);
            }
        }
        for (index, entry) in file.allow.into_iter().enumerate() {
            match compile_entry(entry).map_err(|e| invalid(format!("allow[{index}]: {e}")))? {
                Some(entry) => entries.push(entry),
                None => return Err(invalid(format!("allow[{index}] sets none of paths, rules, values"))),
            }
        }
        let fingerprint = (!entries.is_empty()).then(|| hex::encode(&Sha256::digest(text.as_bytes())[..6]));
        Ok(AllowList { entries, fingerprint })
    }

    /// Whether `candidate` is allowed (suppressed).
    pub fn allows(&self, candidate: &Candidate<'_>) -> bool {
        self.entries.iter().any(|entry| entry.matches(candidate))
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A short hash of the list's text; `None` for an empty list.
    pub fn fingerprint(&self) -> Option<&str> {
        self.fingerprint.as_deref()
    }
}

impl Entry {
    fn matches(&self, candidate: &Candidate<'_>) -> bool {
        let path_ok = self
            .paths
            .as_ref()
            .is_none_or(|globs| candidate.path.is_some_and(|p| globs.is_match(p)));
        let rule_ok = self
            .rules
            .as_ref()
            .is_none_or(|rules| rules.iter().any(|r| r.eq_ignore_ascii_case(candidate.rule)));
        let value_ok = self
            .values
            .as_ref()
            .is_none_or(|set| candidate.value.is_some_and(|v| set.is_match(v)));
        path_ok && rule_ok && value_ok
    }
}

fn compile_entry(entry: EntryFile) -> Result<Option<Entry>, String> {
    if entry.paths.is_empty() && entry.rules.is_empty() && entry.values.is_empty() {
        return Ok(None);
    }
    let paths = if entry.paths.is_empty() {
        None
    } else {
        let mut builder = GlobSetBuilder::new();
        for pattern in &entry.paths {
            let glob = Glob::new(pattern).map_err(|e| format!("path glob `{pattern}`: {e}"))?;
            builder.add(glob);
        }
        Some(builder.build().map_err(|e| format!("path globs: {e}"))?)
    };
    let values = if entry.values.is_empty() {
        None
    } else {
        let set = RegexSet::new(&entry.values).map_err(|e| format!("value regex: {e}"))?;
        Some(set)
    };
    let rules = (!entry.rules.is_empty()).then_some(entry.rules);
    Ok(Some(Entry { paths, rules, values }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate<'a>(rule: &'a str, path: Option<&'a str>, value: Option<&'a [u8]>) -> Candidate<'a> {
        Candidate { rule, path, value }
    }

    #[test]
    fn top_level_fields_each_suppress_alone() {
        let list = AllowList::parse(
            "paths = [\"/opt/fixtures/**\"]\nrules = [\"DD-IMG-002\"]\nvalues = [\"^KEEP\"]\n",
            AllowListFormat::Toml,
            "t",
        )
        .unwrap();
        assert!(list.allows(&candidate("DD-SEC-001", Some("/opt/fixtures/a/b"), None)));
        assert!(list.allows(&candidate("dd-img-002", None, None)));
        assert!(list.allows(&candidate("DD-SEC-001", Some("/x"), Some(b"KEEPME"))));
        assert!(!list.allows(&candidate("DD-SEC-001", Some("/x"), Some(b"other"))));
        assert!(list.fingerprint().is_some());
    }

    #[test]
    fn an_entry_needs_every_field_it_sets() {
        let yaml = "allow:\n  - reason: reviewed\n    rules: [DD-IMG-011]\n    paths: [/usr/bin/su]\n";
        let list = AllowList::parse(yaml, AllowListFormat::Yaml, "t").unwrap();
        assert!(list.allows(&candidate("DD-IMG-011", Some("/usr/bin/su"), None)));
        assert!(!list.allows(&candidate("DD-IMG-011", Some("/usr/bin/passwd"), None)));
        assert!(!list.allows(&candidate("DD-IMG-012", Some("/usr/bin/su"), None)));
    }

    #[test]
    fn errors_name_the_file_and_the_place() {
        let err = AllowList::parse("values = [\"(\"]", AllowListFormat::Toml, "allow.toml").unwrap_err();
        assert!(
            err.to_string().contains("allow.toml") && err.to_string().contains("value regex"),
            "{err}"
        );
        let err = AllowList::parse("[[allow]]\nreason = \"x\"\n", AllowListFormat::Toml, "a.toml").unwrap_err();
        assert!(err.to_string().contains("allow[0]"), "{err}");
        let err = AllowList::parse("pathz = []", AllowListFormat::Toml, "a.toml").unwrap_err();
        assert!(err.to_string().contains("pathz"), "{err}");
        let err = AllowList::parse("paths: [\"a[\"]", AllowListFormat::Yaml, "a.yaml").unwrap_err();
        assert!(err.to_string().contains("path glob"), "{err}");
    }

    #[test]
    fn empty_lists_allow_nothing() {
        let list = AllowList::parse("", AllowListFormat::Toml, "t").unwrap();
        assert!(list.is_empty() && list.fingerprint().is_none());
        assert!(!list.allows(&candidate("DD-SEC-001", Some("/a"), Some(b"x"))));
        assert!(AllowList::parse("", AllowListFormat::Yaml, "t").unwrap().is_empty());
    }

    #[test]
    fn files_are_read_by_extension() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("allow.yml");
        std::fs::write(&path, "rules: [DD-SEC-002]\n").unwrap();
        let list = AllowList::from_file(&path).unwrap();
        assert!(list.allows(&candidate("DD-SEC-002", None, None)));
        let missing = AllowList::from_file(&dir.path().join("nope.toml")).unwrap_err();
        assert!(missing.to_string().contains("nope.toml"), "{missing}");
    }
}
