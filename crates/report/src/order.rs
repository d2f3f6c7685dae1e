//! The one order findings are shown in, whatever the format.

use std::cmp::Ordering;

use drydock_model::{CheckFinding, Finding};

/// Most severe first, then by package name, then by id; version and purl break the
/// remaining ties so the order never depends on the order findings arrived in.
pub fn findings<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Vec<&'a Finding> {
    let mut sorted: Vec<&Finding> = findings.into_iter().collect();
    sorted.sort_by(|a, b| compare_findings(a, b));
    sorted
}

fn compare_findings(a: &Finding, b: &Finding) -> Ordering {
    b.severity
        .cmp(&a.severity)
        .then_with(|| a.package.name.cmp(&b.package.name))
        .then_with(|| a.id.cmp(&b.id))
        .then_with(|| a.package.version.cmp(&b.package.version))
        .then_with(|| a.package.purl.cmp(&b.package.purl))
}

/// Check findings, most severe first, then by rule and place.
pub fn checks(checks: &[CheckFinding]) -> Vec<&CheckFinding> {
    let mut sorted: Vec<&CheckFinding> = checks.iter().collect();
    sorted.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.rule.cmp(&b.rule))
            .then_with(|| a.location.path.cmp(&b.location.path))
            .then_with(|| a.location.layer.cmp(&b.location.layer))
            .then_with(|| a.location.line.cmp(&b.location.line))
            .then_with(|| a.location.object.cmp(&b.location.object))
            .then_with(|| a.message.cmp(&b.message))
    });
    sorted
}
