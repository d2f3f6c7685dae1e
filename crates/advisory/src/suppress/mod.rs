//! Silencing findings the team has assessed: ignore files ([`ignore`]) and VEX documents
//! ([`vex`]). A suppressed finding is kept, marked with who silenced it and why, so
//! `--show-suppressed` and the JSON and SARIF outputs can still show it.

pub mod ignore;
pub mod vex;

use drydock_model::{Finding, ScanTarget, ScanWarning, Suppression};

use ignore::IgnoreRule;
use vex::{VexStatement, purl_matches};

/// The rules in force for one scan.
#[derive(Clone, Debug, Default)]
pub struct Suppressions {
    pub ignore: Vec<IgnoreRule>,
    pub vex: Vec<VexStatement>,
    /// What names the scanned image in a VEX `products` list: its reference, manifest
    /// digest and OCI purl.
    pub image_names: Vec<String>,
}

impl Suppressions {
    /// Marks the findings the rules cover; returns warnings for expired ignore rules.
    /// `now` is in seconds since the epoch.
    pub fn apply(&self, targets: &mut [ScanTarget], now: u64) -> Vec<ScanWarning> {
        let mut warnings = Vec::new();
        for rule in self.ignore.iter().filter(|rule| rule.expired(now)) {
            warnings.push(ScanWarning {
                stage: "ignore-file".into(),
                message: format!(
                    "{}:{}: the rule for {} expired on {}; its findings are reported again",
                    rule.file,
                    rule.line,
                    rule.id,
                    rule.expires.as_deref().unwrap_or_default()
                ),
            });
        }
        for finding in targets.iter_mut().flat_map(|t| t.findings.iter_mut()) {
            finding.suppressed = self
                .vex_suppression(finding)
                .or_else(|| self.ignore_suppression(finding, now));
        }
        warnings
    }

    fn ignore_suppression(&self, finding: &Finding, now: u64) -> Option<Suppression> {
        let rule = self.ignore.iter().find(|rule| {
            !rule.expired(now)
                && names(finding, &rule.id)
                && rule
                    .package
                    .as_deref()
                    .is_none_or(|purl| purl_matches(purl, &finding.package.purl))
        })?;
        Some(Suppression {
            source: "ignore-file".into(),
            file: format!("{}:{}", rule.file, rule.line),
            justification: rule.reason.clone(),
            statement: None,
            expires: rule.expires.clone(),
        })
    }

    fn vex_suppression(&self, finding: &Finding) -> Option<Suppression> {
        let statement = self
            .vex
            .iter()
            .rev()
            .find(|s| s.ids.iter().any(|id| names(finding, id)) && self.covers(s, &finding.package.purl))?;
        if !statement.status.suppresses() {
            return None;
        }
        Some(Suppression {
            source: "vex".into(),
            file: statement.file.clone(),
            justification: Some(
                statement
                    .justification
                    .clone()
                    .unwrap_or_else(|| statement.status.as_str().to_string()),
            ),
            statement: statement.statement.clone(),
            expires: None,
        })
    }

    /// Whether a statement covers a package: named among products or subcomponents, or
    /// the scanned image is the product and no subcomponents narrow it.
    fn covers(&self, statement: &VexStatement, purl: &str) -> bool {
        let names_package =
            |id: &String| id.starts_with("pkg:") && !id.starts_with("pkg:oci/") && purl_matches(id, purl);
        if statement.subcomponents.iter().any(names_package) || statement.products.iter().any(names_package) {
            return true;
        }
        statement.subcomponents.is_empty() && statement.products.iter().any(|product| self.is_image(product))
    }

    fn is_image(&self, product: &str) -> bool {
        self.image_names
            .iter()
            .any(|name| !name.is_empty() && (product == name || product.contains(name.as_str())))
    }
}

/// Whether `id` is the finding's id or one of its aliases.
fn names(finding: &Finding, id: &str) -> bool {
    finding.id.eq_ignore_ascii_case(id) || finding.aliases.iter().any(|alias| alias.eq_ignore_ascii_case(id))
}
