//! Whether one version is affected by one advisory's statement about a package, under
//! the OSV specification's rules: each range's events, sorted in version order, switch
//! "affected" on (`introduced`) and off (`fixed`, or past `last_affected`); `limit`
//! events bound the range from above; explicit `versions` are affected too.

use drydock_version::{Scheme, Version, VersionError};

use crate::osv::EventKind;
use crate::store::{AffectedEntry, RangeKind, StoredRange};

/// An installed version, parsed once per scheme it is compared in.
pub struct Installed<'a> {
    pub text: &'a str,
    pub scheme: Scheme,
    pub parsed: Version,
    semver: Option<Result<Version, VersionError>>,
}

impl<'a> Installed<'a> {
    pub fn new(text: &'a str, scheme: Scheme) -> Result<Installed<'a>, VersionError> {
        Ok(Installed {
            text,
            scheme,
            parsed: scheme.parse(text)?,
            semver: None,
        })
    }

    /// The version in the scheme a range is written in (`SEMVER` ranges use SemVer
    /// whatever the ecosystem).
    fn in_scheme(&mut self, scheme: Scheme) -> Result<&Version, String> {
        if scheme == self.scheme {
            return Ok(&self.parsed);
        }
        let text = self.text;
        self.semver
            .get_or_insert_with(|| scheme.parse(text))
            .as_ref()
            .map_err(|e| format!("installed version: {e}"))
    }
}

/// Why a version matched, and the fixes the advisory names past it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// `ECOSYSTEM: >= 3.2, < 3.2.5`, `SEMVER: >= 0, <= 1.4.0`, `listed in versions`.
    pub reason: String,
    /// The first `fixed` version after the installed one in each matching range.
    pub fixed: Vec<String>,
}

/// Evaluates one affected entry. An error means the entry could not be evaluated (a
/// version that does not parse), which the caller reports.
pub fn evaluate(entry: &AffectedEntry<'_>, installed: &mut Installed<'_>) -> Result<Option<Hit>, String> {
    let mut reasons = Vec::new();
    let mut fixed = Vec::new();
    for range in &entry.ranges {
        let scheme = match range.kind {
            RangeKind::SemVer => Scheme::SemVer,
            RangeKind::Ecosystem => installed.scheme,
        };
        let version = installed.in_scheme(scheme)?;
        if let Some((reason, fix)) = evaluate_range(range, version, scheme)? {
            reasons.push(reason);
            fixed.extend(fix);
        }
    }
    if reasons.is_empty() && listed(entry, installed) {
        reasons.push("listed in versions".to_string());
    }
    if reasons.is_empty() {
        return Ok(None);
    }
    Ok(Some(Hit {
        reason: reasons.join("; "),
        fixed,
    }))
}

/// One range: `Some((reason, next fix))` when `version` is inside it.
fn evaluate_range(
    range: &StoredRange<'_>,
    version: &Version,
    scheme: Scheme,
) -> Result<Option<(String, Option<String>)>, String> {
    let parse = |text: &str| scheme.parse(text).map_err(|e| e.to_string());
    let mut affected = false;
    let mut opened_by = "0";
    let mut limits = Vec::new();
    let mut position = 0;
    // Events are sorted: once one lies above the installed version, none after it can
    // change the outcome.
    while position < range.events.len() {
        let (kind, text) = range.events[position];
        if kind == EventKind::Introduced && text == "0" {
            affected = true;
            opened_by = text;
            position += 1;
            continue;
        }
        let event_version = parse(text)?;
        if kind == EventKind::Limit {
            limits.push(event_version);
            position += 1;
            continue;
        }
        if &event_version > version {
            break;
        }
        match kind {
            EventKind::Introduced => {
                affected = true;
                opened_by = text;
            }
            EventKind::Fixed => affected = false,
            EventKind::LastAffected => {
                if &event_version < version {
                    affected = false;
                }
            }
            EventKind::Limit => {}
        }
        position += 1;
    }
    // Limits later in the list still bound the range.
    for &(kind, text) in &range.events[position..] {
        if kind == EventKind::Limit {
            limits.push(parse(text)?);
        }
    }
    if !affected || (!limits.is_empty() && !limits.iter().any(|limit| version < limit)) {
        return Ok(None);
    }
    let closing = range.events[position..]
        .iter()
        .find(|(kind, _)| matches!(kind, EventKind::Fixed | EventKind::LastAffected));
    let (end, fix) = match closing {
        Some((EventKind::Fixed, text)) => (format!(", < {text}"), Some(text.to_string())),
        Some((_, text)) => (format!(", <= {text}"), None),
        None => (String::new(), None),
    };
    Ok(Some((format!("{}: >= {opened_by}{end}", range.kind.as_str()), fix)))
}

/// Whether the installed version is one of the entry's explicit `versions`, as written
/// or as an equal version of the scheme (`3.2` and `3.2.0` in PEP 440). The parseable
/// ones are stored sorted, so this is a binary search.
fn listed(entry: &AffectedEntry<'_>, installed: &Installed<'_>) -> bool {
    if entry.raw_versions.contains(&installed.text) {
        return true;
    }
    let (mut low, mut high) = (0, entry.versions.len());
    while low < high {
        let middle = low + (high - low) / 2;
        // Parsed at import, so a failure means a damaged entry, which simply does not match.
        let Some(listed) = entry
            .versions
            .get(middle)
            .ok()
            .and_then(|text| installed.scheme.parse(text).ok())
        else {
            return false;
        };
        match listed.cmp(&installed.parsed) {
            std::cmp::Ordering::Less => low = middle + 1,
            std::cmp::Ordering::Greater => high = middle,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}
