//! Custom rules written in Rego (`--policy DIR`), evaluated with `regorus` over a documented
//! input document, their results turned into [`CheckFinding`]s like the built-in ones.
//!
//! A rule is a Rego package under `drydock.<kind>` (`drydock.image.required_labels`): the
//! kind says which inputs it sees ([`InputKind`]; `manifest` means every manifest format).
//! The package declares `metadata` (or `__rego_metadata__`: id, title, severity, optional
//! description, remediation and CIS reference) and a `deny` and/or `warn` set whose
//! elements are messages or objects `{"msg", "path", "object", "line", "column", "layer"}`.
//! `deny` findings carry the metadata's severity, `warn` findings `low`. Packages elsewhere
//! are libraries the rules may import. Ids must not start with `DD-` (drydock's own).
//!
//! [`load`] reads every `*.rego` file of the given directories into one engine; [`input`]
//! builds the input document of an image, a Dockerfile or a manifest document;
//! [`PolicySet::evaluate`] runs every rule that applies once per input. `docs/policy.md`
//! documents the convention and every input field.

mod error;
pub mod input;
mod load;
mod results;

use drydock_model::{CheckFinding, CheckLocation, Severity};
use serde::{Deserialize, Serialize};

pub use error::PolicyError;
pub use load::{EVALUATION_TIME_LIMIT, MAX_POLICY_FILE_BYTES, load};

/// What a policy is evaluated over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    /// An image (`drydock scan --policy`).
    Image,
    /// A Dockerfile (`drydock lint --policy`).
    Dockerfile,
    /// One Kubernetes document (`drydock audit manifest --policy`).
    Kubernetes,
    /// A compose file.
    Compose,
    /// An OCI runtime `config.json`.
    OciRuntime,
}

impl InputKind {
    pub const ALL: [InputKind; 5] = [
        InputKind::Image,
        InputKind::Dockerfile,
        InputKind::Kubernetes,
        InputKind::Compose,
        InputKind::OciRuntime,
    ];

    /// The name in input documents (`input.format`) and messages.
    pub fn name(self) -> &'static str {
        match self {
            InputKind::Image => "image",
            InputKind::Dockerfile => "dockerfile",
            InputKind::Kubernetes => "kubernetes",
            InputKind::Compose => "compose",
            InputKind::OciRuntime => "oci-runtime",
        }
    }

    /// The kinds a package `drydock.<segment>.…` applies to.
    fn for_package_segment(segment: &str) -> Option<&'static [InputKind]> {
        Some(match segment {
            "image" => &[InputKind::Image],
            "dockerfile" => &[InputKind::Dockerfile],
            "kubernetes" => &[InputKind::Kubernetes],
            "compose" => &[InputKind::Compose],
            "oci_runtime" => &[InputKind::OciRuntime],
            "manifest" => &[InputKind::Kubernetes, InputKind::Compose, InputKind::OciRuntime],
            _ => return None,
        })
    }
}

/// One custom rule: a Rego package with metadata and `deny` and/or `warn`.
#[derive(Clone, Debug, Serialize)]
pub struct PolicyRule {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub description: String,
    pub remediation: String,
    pub cis: Option<String>,
    /// The package path without `data.` (`drydock.image.required_labels`).
    pub package: String,
    /// The files that make up the package.
    pub files: Vec<String>,
    pub applies_to: Vec<InputKind>,
    /// Whether it defines `deny` and `warn`.
    pub deny: bool,
    pub warn: bool,
}

/// Loaded policies, ready to evaluate.
pub struct PolicySet {
    engine: regorus::Engine,
    rules: Vec<PolicyRule>,
}

impl std::fmt::Debug for PolicySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PolicySet")
            .field("rules", &self.rules)
            .finish_non_exhaustive()
    }
}

/// One input document and where findings on it are located unless a result says otherwise.
#[derive(Clone, Debug)]
pub struct PolicyInput {
    pub kind: InputKind,
    pub document: serde_json::Value,
    /// Default location of findings (the manifest or Dockerfile path, the object).
    pub location: CheckLocation,
    /// How errors name this input (`image oci:…`, `deploy.yaml document 2`).
    pub name: String,
}

/// What evaluating the policies over one input produced.
#[derive(Clone, Debug, Default)]
pub struct Evaluation {
    pub findings: Vec<CheckFinding>,
    /// What the policies' `print()` calls wrote, `file:line: text`.
    pub prints: Vec<String>,
}

impl PolicySet {
    /// The rules, in package order.
    pub fn rules(&self) -> &[PolicyRule] {
        &self.rules
    }

    /// How long one evaluation of one rule over one input may take (default
    /// [`EVALUATION_TIME_LIMIT`]); past it the evaluation fails with an error.
    pub fn set_time_limit(&mut self, limit: std::time::Duration) {
        self.engine.set_execution_timer_config(load::timer(limit));
    }

    /// Whether any rule applies to inputs of `kind`.
    pub fn applies_to(&self, kind: InputKind) -> bool {
        self.rules.iter().any(|r| r.applies_to.contains(&kind))
    }

    /// Every rule that applies to the input, evaluated once over it.
    pub fn evaluate(&mut self, input: &PolicyInput) -> Result<Evaluation, PolicyError> {
        if !self.applies_to(input.kind) {
            return Ok(Evaluation::default());
        }
        let value = regorus::Value::deserialize(&input.document).map_err(|e| PolicyError::Input {
            what: input.name.clone(),
            reason: e.to_string(),
        })?;
        self.engine.set_input(value);
        let mut findings = Vec::new();
        for rule in self.rules.iter().filter(|r| r.applies_to.contains(&input.kind)) {
            for (name, defined) in [(results::DENY, rule.deny), (results::WARN, rule.warn)] {
                if !defined {
                    continue;
                }
                let value = self
                    .engine
                    .eval_rule(format!("data.{}.{name}", rule.package))
                    .map_err(|e| evaluation_error(rule, name, &input.name, &e))?;
                let found = results::findings(rule, name, &value, &input.location)
                    .map_err(|reason| evaluation_error(rule, name, &input.name, &reason))?;
                findings.extend(found);
            }
        }
        findings.sort_by(|a, b| {
            (
                &a.rule,
                &a.location.path,
                &a.location.object,
                a.location.line,
                &a.message,
            )
                .cmp(&(
                    &b.rule,
                    &b.location.path,
                    &b.location.object,
                    b.location.line,
                    &b.message,
                ))
        });
        findings.dedup();
        let prints = self.engine.take_prints().unwrap_or_default();
        Ok(Evaluation { findings, prints })
    }
}

impl PolicySet {
    /// The findings of the image rules over a scanned image, minus what the allow-list
    /// accepts (by rule id and path, as for the built-in checks).
    pub fn evaluate_image(
        &mut self,
        scan: &drydock_oci::ImageScan,
        inventory: &drydock_model::Inventory,
        allow: &crate::AllowList,
    ) -> Result<Evaluation, PolicyError> {
        if !self.applies_to(InputKind::Image) {
            return Ok(Evaluation::default());
        }
        let mut evaluation = self.evaluate(&input::image(scan, inventory))?;
        evaluation.findings.retain(|f| {
            !allow.allows(&crate::allowlist::Candidate {
                rule: &f.rule,
                path: f.location.path.as_deref(),
                value: None,
            })
        });
        Ok(evaluation)
    }
}

fn evaluation_error(rule: &PolicyRule, name: &str, input: &str, error: &impl std::fmt::Display) -> PolicyError {
    let reason = match regorus_error(error) {
        (Some(location), reason) => format!("{location}: {reason}"),
        (None, reason) => reason,
    };
    PolicyError::Evaluation {
        package: rule.package.clone(),
        rule: name.to_string(),
        files: rule.files.join(", "),
        reason: format!("{reason} (input: {input})"),
    }
}

/// A regorus error on one line: its `file:line:column` (when it has one) and its message.
/// regorus writes `\n--> file:4:7\n  |\n4 | source\n  |   ^\nerror: message`.
pub(crate) fn regorus_error(error: &impl std::fmt::Display) -> (Option<String>, String) {
    let text = format!("{error:#}");
    let location = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("--> "))
        .map(str::to_string);
    let message = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("error: "))
        .map(str::to_string)
        .unwrap_or_else(|| text.split_whitespace().collect::<Vec<_>>().join(" "));
    (location, message)
}

#[cfg(test)]
mod tests;
