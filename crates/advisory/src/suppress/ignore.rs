//! Ignore files (`--ignore-file`): one rule per line, an advisory id with optional limits.
//!
//! ```text
//! # comment lines and blank lines are skipped
//! CVE-2023-4911
//! GHSA-9wx4-h78v-vm56 exp:2027-01-31            # accepted until the upgrade in January
//! CVE-2024-1234 expires=2026-12-31 pkg=pkg:pypi/django   # only for Django
//! ```
//!
//! The id matches a finding's id or any of its aliases (case-insensitive). `exp:DATE` or
//! `expires=DATE` (`YYYY-MM-DD`) ends the rule after that day: from then on the finding is
//! reported again and a warning says so. `pkg=PURL` limits the rule to packages whose purl
//! starts with it (without a version it covers every version). Text after `#` is the reason.

use std::path::Path;

use drydock_model::time::date_seconds;

use crate::error::AdvisoryError;

/// One rule of an ignore file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoreRule {
    pub id: String,
    pub expires: Option<String>,
    pub package: Option<String>,
    pub reason: Option<String>,
    pub file: String,
    pub line: usize,
}

impl IgnoreRule {
    /// Whether the rule has expired at `now` (seconds since the epoch): the expiry day
    /// itself is still covered.
    pub fn expired(&self, now: u64) -> bool {
        self.expires
            .as_deref()
            .and_then(date_seconds)
            .is_some_and(|day| now >= day + 86_400)
    }
}

/// Reads an ignore file.
pub fn read(path: &Path) -> Result<Vec<IgnoreRule>, AdvisoryError> {
    let text = std::fs::read_to_string(path).map_err(|e| AdvisoryError::io(path, "reading the ignore file", e))?;
    parse(&text, path)
}

/// Parses ignore rules; `path` names the file in errors.
pub fn parse(text: &str, path: &Path) -> Result<Vec<IgnoreRule>, AdvisoryError> {
    let mut rules = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let error = |reason: String| AdvisoryError::Rule {
            path: path.to_path_buf(),
            line,
            reason,
        };
        let (content, reason) = match raw.split_once('#') {
            Some((content, reason)) => (content, Some(reason.trim().to_string()).filter(|r| !r.is_empty())),
            None => (raw, None),
        };
        let mut words = content.split_whitespace();
        let Some(id) = words.next() else { continue };
        let mut rule = IgnoreRule {
            id: id.to_string(),
            expires: None,
            package: None,
            reason,
            file: path.display().to_string(),
            line,
        };
        for word in words {
            if let Some(date) = word.strip_prefix("exp:").or_else(|| word.strip_prefix("expires=")) {
                if date_seconds(date).is_none() || date.len() != 10 {
                    return Err(error(format!("`{date}` is not a date (YYYY-MM-DD)")));
                }
                rule.expires = Some(date.to_string());
            } else if let Some(purl) = word.strip_prefix("pkg=").or_else(|| word.strip_prefix("purl=")) {
                if !purl.starts_with("pkg:") {
                    return Err(error(format!("`{purl}` is not a package URL (pkg:TYPE/NAME)")));
                }
                rule.package = Some(purl.to_string());
            } else {
                return Err(error(format!(
                    "unexpected `{word}` after the id (expected exp:YYYY-MM-DD, pkg=PURL or # reason)"
                )));
            }
        }
        rules.push(rule);
    }
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_with_expiry_packages_and_reasons() {
        let text = "# header\n\nCVE-2023-4911\nGHSA-x exp:2027-01-31 # until January\nCVE-1 expires=2026-12-31 pkg=pkg:pypi/django\n";
        let rules = parse(text, Path::new(".drydockignore")).unwrap();
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].id, "CVE-2023-4911");
        assert_eq!(rules[1].expires.as_deref(), Some("2027-01-31"));
        assert_eq!(rules[1].reason.as_deref(), Some("until January"));
        assert_eq!(rules[1].line, 4);
        assert_eq!(rules[2].package.as_deref(), Some("pkg:pypi/django"));
        let end_of_2026_12_31 = date_seconds("2027-01-01").unwrap();
        assert!(!rules[2].expired(end_of_2026_12_31 - 1));
        assert!(rules[2].expired(end_of_2026_12_31));
        assert!(!rules[0].expired(u64::MAX / 2));
    }

    #[test]
    fn mistakes_name_the_line() {
        let error = parse("CVE-1\nCVE-2 exp:2026-02-30\n", Path::new("ignore")).unwrap_err();
        assert_eq!(error.to_string(), "ignore:2: `2026-02-30` is not a date (YYYY-MM-DD)");
        assert!(parse("CVE-1 because\n", Path::new("i")).is_err());
        assert!(parse("CVE-1 pkg=django\n", Path::new("i")).is_err());
    }
}
