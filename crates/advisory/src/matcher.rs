//! Matching an inventory against the store: each package's lookups (source package and
//! release for distributions), each candidate entry evaluated, and the matching records
//! of one package merged by alias into findings, one per vulnerability.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use drydock_model::{
    AffectedPackage, Finding, FindingKind, FixState, Inventory, MatchEvidence, Package, ScanWarning, SeverityScore,
};
use drydock_version::Scheme;

use crate::ecosystem::{self, Lookup, normalize_name};
use crate::error::AdvisoryError;
use crate::range::{Hit, Installed, evaluate};
use crate::severity;
use crate::store::{Database, RecordInfo};

/// The findings of one package of the inventory.
#[derive(Clone, Debug, PartialEq)]
pub struct PackageFindings {
    /// Index of the package in `Inventory::packages`.
    pub package: usize,
    pub findings: Vec<Finding>,
}

/// Everything matching found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Matches {
    pub packages: Vec<PackageFindings>,
    pub warnings: Vec<ScanWarning>,
}

/// One record that matched one package.
struct RecordHit {
    record: u32,
    ecosystem: String,
    package: String,
    scheme: Scheme,
    hit: Hit,
    /// Severity statements of the entry itself (`affected[].severity`, its rating).
    entry_scores: Vec<SeverityScore>,
}

/// What a report needs of a matched record, read and scored once per scan: the same
/// advisory often matches many packages (every copy of a library in node_modules).
struct CachedRecord {
    info: RecordInfo,
    /// The record's own severity statements, scored.
    scores: Vec<SeverityScore>,
}

#[derive(Default)]
struct RecordCache {
    records: HashMap<u32, Rc<CachedRecord>>,
}

impl RecordCache {
    fn get(&mut self, db: &Database, index: u32) -> Result<Rc<CachedRecord>, AdvisoryError> {
        if let Some(cached) = self.records.get(&index) {
            return Ok(cached.clone());
        }
        let info = db.record(index)?;
        let scores = info
            .severity
            .iter()
            .map(|(kind, value)| severity::score(kind, value))
            .chain(info.rating.as_deref().map(severity::rating))
            .collect();
        let cached = Rc::new(CachedRecord { info, scores });
        self.records.insert(index, cached.clone());
        Ok(cached)
    }
}

/// Matches every package of `inventory` against `db`.
pub fn match_inventory(db: &Database, inventory: &Inventory) -> Result<Matches, AdvisoryError> {
    let mut matches = Matches::default();
    let mut cache = RecordCache::default();
    let mut warned = BTreeSet::new();
    let os_problem = inventory.os.as_ref().and_then(|os| ecosystem::distribution(os).err());
    for (index, package) in inventory.packages.iter().enumerate() {
        let lookups = match ecosystem::lookups(package, inventory.os.as_ref()) {
            Ok(lookups) => lookups,
            Err(problem) => {
                // One warning for an OS without advisory data, not one per package.
                let message = match (&os_problem, package.ecosystem.is_os()) {
                    (Some(os), true) => os.0.clone(),
                    _ => problem.0,
                };
                if warned.insert(message.clone()) {
                    matches.warnings.push(warning(message));
                }
                continue;
            }
        };
        let hits = match_package(db, package, &lookups, &mut matches.warnings)?;
        if hits.is_empty() {
            continue;
        }
        let findings = merge(db, &mut cache, package, hits)?;
        matches.packages.push(PackageFindings {
            package: index,
            findings,
        });
    }
    Ok(matches)
}

fn warning(message: String) -> ScanWarning {
    ScanWarning {
        stage: "match".into(),
        message,
    }
}

fn match_package(
    db: &Database,
    package: &Package,
    lookups: &[Lookup],
    warnings: &mut Vec<ScanWarning>,
) -> Result<Vec<RecordHit>, AdvisoryError> {
    let mut hits: Vec<RecordHit> = Vec::new();
    for lookup in lookups {
        let Some(scheme) = Scheme::for_osv_ecosystem(lookup.family) else {
            warnings.push(warning(format!(
                "{} {}: no version order is known for ecosystem {}",
                package.name, package.version, lookup.family
            )));
            continue;
        };
        let candidates = db.lookup(lookup.family, &normalize_name(lookup.family, &lookup.name))?;
        if candidates.is_empty() {
            continue;
        }
        let mut installed = match Installed::new(&lookup.version, scheme) {
            Ok(installed) => installed,
            Err(e) => {
                warnings.push(warning(format!(
                    "{} {} ({}): not matched, the version cannot be read: {e}",
                    package.name, package.version, package.purl
                )));
                continue;
            }
        };
        for (record, entry) in candidates {
            if !lookup.release.accepts(entry.ecosystem) || hits.iter().any(|h| h.record == record) {
                continue;
            }
            match evaluate(&entry, &mut installed) {
                Ok(Some(hit)) => hits.push(RecordHit {
                    record,
                    ecosystem: entry.ecosystem.to_string(),
                    package: entry.package.to_string(),
                    scheme,
                    hit,
                    entry_scores: entry
                        .severity
                        .iter()
                        .map(|(kind, value)| severity::score(kind, value))
                        .chain(entry.rating.map(severity::rating))
                        .collect(),
                }),
                Ok(None) => {}
                Err(reason) => warnings.push(warning(format!(
                    "{} {}: advisory {} could not be evaluated: {reason}",
                    package.name,
                    package.version,
                    db.record_id(record)?
                ))),
            }
        }
    }
    Ok(hits)
}

/// Groups the records that matched one package into vulnerabilities: two records are
/// the same vulnerability when one's id is among the other's ids, aliases or upstream ids.
fn merge(
    db: &Database,
    cache: &mut RecordCache,
    package: &Package,
    hits: Vec<RecordHit>,
) -> Result<Vec<Finding>, AdvisoryError> {
    let mut records = Vec::with_capacity(hits.len());
    for hit in &hits {
        records.push(cache.get(db, hit.record)?);
    }
    let ids: Vec<BTreeSet<&str>> = records.iter().map(|r| ids_of(&r.info)).collect();
    let mut group: Vec<usize> = (0..hits.len()).collect();
    for a in 0..hits.len() {
        for b in a + 1..hits.len() {
            if !ids[a].is_disjoint(&ids[b]) {
                let (from, to) = (group[b], group[a]);
                for g in group.iter_mut().filter(|g| **g == from) {
                    *g = to;
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (member, g) in group.iter().enumerate() {
        groups.entry(*g).or_default().push(member);
    }
    let mut findings: Vec<Finding> = groups
        .values()
        .map(|members| finding(package, members, &hits, &records))
        .collect();
    findings.sort_by(|a, b| b.severity.cmp(&a.severity).then_with(|| a.id.cmp(&b.id)));
    Ok(findings)
}

fn ids_of(info: &RecordInfo) -> BTreeSet<&str> {
    std::iter::once(info.id.as_str())
        .chain(info.aliases.iter().map(String::as_str))
        .chain(info.upstream.iter().map(String::as_str))
        .collect()
}

fn finding(package: &Package, members: &[usize], hits: &[RecordHit], records: &[Rc<CachedRecord>]) -> Finding {
    let infos: Vec<&RecordInfo> = records.iter().map(|r| &r.info).collect();
    let mut all_ids: BTreeSet<&str> = BTreeSet::new();
    for &m in members {
        all_ids.extend(ids_of(infos[m]));
    }
    let primary = primary_id(&all_ids, members.iter().map(|&m| infos[m].id.as_str()));
    let lead = members
        .iter()
        .map(|&m| infos[m])
        .find(|info| info.summary.is_some() || info.details.is_some())
        .unwrap_or(infos[members[0]]);
    let mut scores: Vec<SeverityScore> = Vec::new();
    for &m in members {
        let record_scores = records[m].scores.iter().chain(hits[m].entry_scores.iter()).cloned();
        for score in record_scores {
            if !scores.contains(&score) {
                scores.push(score);
            }
        }
    }
    let fixed_versions = fixed_versions(
        hits[members[0]].scheme,
        members.iter().flat_map(|&m| hits[m].hit.fixed.iter()),
    );
    let mut references: Vec<String> = Vec::new();
    for url in members.iter().flat_map(|&m| infos[m].references.iter()) {
        if !references.contains(url) {
            references.push(url.clone());
        }
    }
    Finding {
        id: primary.clone(),
        aliases: all_ids
            .iter()
            .filter(|id| **id != primary)
            .map(|id| id.to_string())
            .collect(),
        kind: if all_ids.iter().any(|id| id.starts_with("MAL-")) {
            FindingKind::Malware
        } else {
            FindingKind::Vulnerability
        },
        package: AffectedPackage {
            name: package.name.clone(),
            version: package.version.clone(),
            ecosystem: package.ecosystem,
            purl: package.purl.clone(),
            source: package.source.clone(),
            locations: package.locations.clone(),
        },
        severity: severity::overall(&scores),
        scores,
        fix_state: if fixed_versions.is_empty() {
            FixState::NotFixed
        } else {
            FixState::Fixed
        },
        fixed_versions,
        title: lead.summary.clone().or_else(|| lead.details.as_deref().map(first_line)),
        description: lead.details.clone(),
        references,
        published: members.iter().filter_map(|&m| infos[m].published.clone()).min(),
        modified: members.iter().filter_map(|&m| infos[m].modified.clone()).max(),
        matched_by: members
            .iter()
            .map(|&m| MatchEvidence {
                record: infos[m].id.clone(),
                ecosystem: hits[m].ecosystem.clone(),
                package: hits[m].package.clone(),
                reason: hits[m].hit.reason.clone(),
            })
            .collect(),
        suppressed: None,
    }
}

/// The id shown first: a CVE where the vulnerability has one (what users search for and
/// VEX documents name), else a GitHub advisory, else the first matched record's own id.
fn primary_id<'a>(ids: &BTreeSet<&'a str>, records: impl Iterator<Item = &'a str>) -> String {
    let records: Vec<&str> = records.collect();
    ids.iter()
        .find(|id| id.starts_with("CVE-"))
        .or_else(|| ids.iter().find(|id| id.starts_with("GHSA-")))
        .copied()
        .or_else(|| records.iter().min().copied())
        .unwrap_or_default()
        .to_string()
}

/// The fixes, lowest first, without repeats; sorted in the ecosystem's order where the
/// versions parse, as written otherwise.
fn fixed_versions<'a>(scheme: Scheme, fixes: impl Iterator<Item = &'a String>) -> Vec<String> {
    let mut unique: Vec<String> = Vec::new();
    for fix in fixes {
        if !unique.contains(fix) {
            unique.push(fix.clone());
        }
    }
    unique.sort_by(|a, b| match (scheme.parse(a), scheme.parse(b)) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.cmp(b),
    });
    unique
}

fn first_line(text: &str) -> String {
    let line = text.lines().map(str::trim).find(|l| !l.is_empty()).unwrap_or_default();
    match line.char_indices().nth(160) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line.to_string(),
    }
}
