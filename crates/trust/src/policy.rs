//! The trust policy: which keys must have signed an image, which attestations it must
//! carry, and which base images it may be built on, per repository pattern.
//!
//! The file (TOML, or YAML/JSON by extension; docs/trust-policy.md) is parsed into
//! [`PolicyFile`] (no I/O, fuzzed), then [`Policy::load`] reads the keys it names.
//! [`evaluate`] judges gathered [`Evidence`] and explains every check.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use drydock_model::Digest;
use serde::{Deserialize, Serialize};

use crate::error::{Result, TrustError};
use crate::intoto::resolve_predicate_type;
use crate::keys::PublicKey;
use crate::verify::{Candidate, NamedKey};

/// The policy file as written.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyFile {
    pub version: u32,
    /// Key name → path of a PEM public key (relative to the policy file).
    #[serde(default)]
    pub keys: BTreeMap<String, PathBuf>,
    #[serde(default)]
    pub base_images: Vec<BaseImageSpec>,
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// A base image images may be built on, and why it is trusted.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaseImageSpec {
    pub name: String,
    /// Where to read the base image (its layers' diffIDs, its digest, its signatures):
    /// any image reference drydock can write to read from (`oci:DIR:tag`, a registry).
    #[serde(default)]
    pub reference: Option<String>,
    /// Trusted by digest: the manifest digest the reference must resolve to.
    #[serde(default)]
    pub digest: Option<Digest>,
    /// Trusted by signature: keys that must each have signed the reference.
    #[serde(default)]
    pub signed_by: Vec<String>,
    /// The base's layer diffIDs, when no reference is given.
    #[serde(default)]
    pub diff_ids: Vec<Digest>,
}

#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// `registry/repository` glob: `*` matches within one path segment, `**` across.
    pub pattern: String,
    /// `false` denies every image the rule matches (and nothing else is checked).
    #[serde(default = "yes")]
    pub allow: bool,
    /// Every one of these keys must have a valid signature on the image.
    #[serde(default)]
    pub signed_by: Vec<String>,
    /// Predicate types (URIs or short names: vuln, cyclonedx, spdx, provenance, custom)
    /// that must each have a valid attestation.
    #[serde(default)]
    pub attestations: Vec<String>,
    /// Keys accepted for attestations (default: `signed_by`, else every key).
    #[serde(default)]
    pub attestations_signed_by: Vec<String>,
    /// Whether the image must be built on a trusted base image.
    #[serde(default)]
    pub require_trusted_base: bool,
    /// Which base images count (default: all of `base_images`).
    #[serde(default)]
    pub trusted_bases: Vec<String>,
}

fn yes() -> bool {
    true
}

/// Which syntax a policy file is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Toml,
    Yaml,
}

impl Syntax {
    /// `.yaml`, `.yml` and `.json` are YAML (JSON is YAML); anything else TOML.
    pub fn of(path: &Path) -> Self {
        match path.extension().and_then(|e| e.to_str()) {
            Some("yaml" | "yml" | "json") => Syntax::Yaml,
            _ => Syntax::Toml,
        }
    }
}

impl PolicyFile {
    /// Parses and checks the file's own consistency (names, patterns), without I/O.
    pub fn parse(text: &str, syntax: Syntax, what: &str) -> Result<Self> {
        let file: PolicyFile = match syntax {
            Syntax::Toml => toml::from_str(text).map_err(|e| TrustError::invalid(what, e))?,
            Syntax::Yaml => yaml_serde::from_str(text).map_err(|e| TrustError::invalid(what, e))?,
        };
        file.check(what)?;
        Ok(file)
    }

    fn check(&self, what: &str) -> Result<()> {
        let bad = |reason: String| Err(TrustError::invalid(what, reason));
        if self.version != 1 {
            return bad(format!(
                "version {} is not supported (this drydock reads version 1)",
                self.version
            ));
        }
        let key_known = |name: &String| self.keys.contains_key(name);
        let mut base_names = std::collections::BTreeSet::new();
        for base in &self.base_images {
            if !base_names.insert(base.name.as_str()) {
                return bad(format!("base image `{}` is defined twice", base.name));
            }
            if base.digest.is_none() && base.signed_by.is_empty() {
                return bad(format!(
                    "base image `{}` is trusted by nothing: give `digest` or `signed_by`",
                    base.name
                ));
            }
            if base.reference.is_none() && (base.diff_ids.is_empty() || !base.signed_by.is_empty()) {
                return bad(format!(
                    "base image `{}` needs a `reference` (to read its layers and signatures), or `diff_ids` with `digest`",
                    base.name
                ));
            }
            if let Some(unknown) = base.signed_by.iter().find(|k| !key_known(k)) {
                return bad(format!(
                    "base image `{}` names key `{unknown}`, which `keys` does not define",
                    base.name
                ));
            }
        }
        for (index, rule) in self.rules.iter().enumerate() {
            let name = format!("rule {} (`{}`)", index + 1, rule.pattern);
            if rule.pattern.trim().is_empty() {
                return bad(format!("rule {} has an empty pattern", index + 1));
            }
            if let Some(unknown) = rule
                .signed_by
                .iter()
                .chain(&rule.attestations_signed_by)
                .find(|k| !key_known(k))
            {
                return bad(format!("{name} names key `{unknown}`, which `keys` does not define"));
            }
            if let Some(unknown) = rule.trusted_bases.iter().find(|b| !base_names.contains(b.as_str())) {
                return bad(format!(
                    "{name} names base image `{unknown}`, which `base_images` does not define"
                ));
            }
        }
        Ok(())
    }

    /// The rule for `name`: the matching rule with the most literal characters in its
    /// pattern (the most specific); among equally specific ones, the first in the file.
    pub fn rule_for(&self, name: &str) -> Option<(usize, &Rule)> {
        let mut best: Option<(usize, &Rule, usize)> = None;
        for (index, rule) in self.rules.iter().enumerate() {
            if !glob_matches(&rule.pattern, name) {
                continue;
            }
            let specificity = rule.pattern.chars().filter(|&c| c != '*').count();
            if best.is_none_or(|(_, _, s)| specificity > s) {
                best = Some((index, rule, specificity));
            }
        }
        best.map(|(index, rule, _)| (index, rule))
    }
}

/// `*` matches any run of characters except `/`; `**` any run at all.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    #[derive(Clone, Copy)]
    enum Token {
        Literal(char),
        Star,
        DoubleStar,
    }
    let mut tokens = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '*' {
            if chars.peek() == Some(&'*') {
                chars.next();
                tokens.push(Token::DoubleStar);
            } else {
                tokens.push(Token::Star);
            }
        } else {
            tokens.push(Token::Literal(c));
        }
    }
    let text: Vec<char> = text.chars().collect();
    // matches[j]: the tokens so far match text[..j]. O(tokens × text).
    let mut matches = vec![false; text.len() + 1];
    matches[0] = true;
    for token in tokens {
        let mut next = vec![false; text.len() + 1];
        for j in 0..=text.len() {
            match token {
                Token::Literal(c) => next[j] = j > 0 && matches[j - 1] && text[j - 1] == c,
                Token::Star => next[j] = matches[j] || (j > 0 && next[j - 1] && text[j - 1] != '/'),
                Token::DoubleStar => next[j] = matches[j] || (j > 0 && next[j - 1]),
            }
        }
        matches = next;
    }
    matches[text.len()]
}

/// A policy with its keys read.
pub struct Policy {
    pub file: PolicyFile,
    pub keys: Vec<NamedKey>,
    /// The directory relative paths are resolved against.
    pub base_dir: PathBuf,
}

impl Policy {
    pub fn load(path: &Path) -> Result<Self> {
        let what = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| TrustError::io(path, e))?;
        let file = PolicyFile::parse(&text, Syntax::of(path), &what)?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut keys = Vec::new();
        for (name, key_path) in &file.keys {
            let full = base_dir.join(key_path);
            let pem = std::fs::read_to_string(&full).map_err(|e| TrustError::io(&full, e))?;
            let key = PublicKey::from_pem(&pem, &full.display().to_string())?;
            keys.push(NamedKey {
                name: name.clone(),
                key,
            });
        }
        Ok(Policy { file, keys, base_dir })
    }

    pub fn keys_named(&self, names: &[String]) -> Vec<NamedKey> {
        self.keys.iter().filter(|k| names.contains(&k.name)).cloned().collect()
    }
}

/// What is known about the image being judged.
pub struct Evidence {
    /// The repository name rules are matched against.
    pub name: String,
    pub digest: Digest,
    /// Signature verdicts against every policy key.
    pub signatures: Vec<Candidate>,
    /// Attestation verdicts against every policy key.
    pub attestations: Vec<Candidate>,
    /// The image's layer diffIDs, bottom first.
    pub diff_ids: Vec<Digest>,
}

/// What is known about one base image of the policy.
pub struct BaseEvidence {
    pub name: String,
    pub diff_ids: Vec<Digest>,
    /// Why it is trusted, or why not.
    pub trust: std::result::Result<String, String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Check {
    pub check: String,
    pub passed: bool,
    pub detail: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Decision {
    pub image: String,
    pub digest: Digest,
    /// `rule N (pattern)`, or `None` when no rule matched (denied).
    pub rule: Option<String>,
    pub allowed: bool,
    pub checks: Vec<Check>,
}

/// Judges `evidence` by the rule for its name. Every requirement of the rule becomes a
/// check with its reason; the image is allowed when the rule allows and every check passes.
pub fn evaluate(file: &PolicyFile, evidence: &Evidence, bases: &[BaseEvidence]) -> Decision {
    let mut decision = Decision {
        image: evidence.name.clone(),
        digest: evidence.digest.clone(),
        rule: None,
        allowed: false,
        checks: Vec::new(),
    };
    let Some((index, rule)) = file.rule_for(&evidence.name) else {
        decision.checks.push(Check {
            check: "rule".into(),
            passed: false,
            detail: format!(
                "no rule's pattern matches `{}`; unmatched images are denied",
                evidence.name
            ),
        });
        return decision;
    };
    decision.rule = Some(format!("rule {} (`{}`)", index + 1, rule.pattern));
    if !rule.allow {
        decision.checks.push(Check {
            check: "rule".into(),
            passed: false,
            detail: "the rule denies every image it matches (`allow = false`)".into(),
        });
        return decision;
    }
    for key in &rule.signed_by {
        decision.checks.push(signature_check(key, &evidence.signatures));
    }
    let attestation_keys: Vec<&String> = if !rule.attestations_signed_by.is_empty() {
        rule.attestations_signed_by.iter().collect()
    } else if !rule.signed_by.is_empty() {
        rule.signed_by.iter().collect()
    } else {
        file.keys.keys().collect()
    };
    for wanted in &rule.attestations {
        decision
            .checks
            .push(attestation_check(wanted, &attestation_keys, &evidence.attestations));
    }
    if rule.require_trusted_base {
        let allowed: Vec<&BaseEvidence> = bases
            .iter()
            .filter(|b| rule.trusted_bases.is_empty() || rule.trusted_bases.contains(&b.name))
            .collect();
        decision.checks.push(base_check(&evidence.diff_ids, &allowed));
    }
    decision.allowed = decision.checks.iter().all(|c| c.passed);
    decision
}

fn signature_check(key: &str, signatures: &[Candidate]) -> Check {
    let valid = signatures.iter().find(|c| c.key() == Some(key));
    Check {
        check: format!("signed by `{key}`"),
        passed: valid.is_some(),
        detail: match valid {
            Some(c) => format!("valid signature {} ({} scheme)", c.layer, c.scheme),
            None => format!("no valid signature by `{key}`{}", rejected_summary(signatures)),
        },
    }
}

fn attestation_check(wanted: &str, keys: &[&String], attestations: &[Candidate]) -> Check {
    let predicate_type = resolve_predicate_type(wanted);
    let of_type: Vec<&Candidate> = attestations
        .iter()
        .filter(|c| c.predicate_type() == Some(predicate_type.as_str()))
        .collect();
    let valid = of_type
        .iter()
        .find(|c| c.key().is_some_and(|k| keys.iter().any(|wanted| *wanted == k)));
    let key_list = keys.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
    Check {
        check: format!("attestation {predicate_type}"),
        passed: valid.is_some(),
        detail: match valid {
            Some(c) => format!(
                "valid, signed by `{}` ({} scheme)",
                c.key().unwrap_or_default(),
                c.scheme
            ),
            None if of_type.is_empty() => "the image has no attestation of this type".to_string(),
            None => format!(
                "none of {} attestation(s) of this type is valid and signed by {key_list}{}",
                of_type.len(),
                rejected_summary(&of_type.into_iter().cloned().collect::<Vec<_>>())
            ),
        },
    }
}

fn rejected_summary(candidates: &[Candidate]) -> String {
    let reasons: Vec<String> = candidates
        .iter()
        .map(|c| match &c.verdict {
            crate::verify::Verdict::Rejected { reason, .. } => format!("{}: {reason}", c.layer.short()),
            crate::verify::Verdict::Valid { key, .. } => {
                format!("{}: valid but signed by `{key}`", c.layer.short())
            }
        })
        .collect();
    if reasons.is_empty() {
        "; the image has no signatures".to_string()
    } else {
        format!("; found: {}", reasons.join("; "))
    }
}

fn base_check(image: &[Digest], bases: &[&BaseEvidence]) -> Check {
    let matching = bases
        .iter()
        .filter(|b| !b.diff_ids.is_empty() && image.starts_with(&b.diff_ids))
        .max_by_key(|b| b.diff_ids.len());
    let check = "trusted base image".to_string();
    match matching {
        Some(base) => match &base.trust {
            Ok(why) => Check {
                check,
                passed: true,
                detail: format!(
                    "its first {} layer(s) are base image `{}`, trusted {why}",
                    base.diff_ids.len(),
                    base.name
                ),
            },
            Err(why) => Check {
                check,
                passed: false,
                detail: format!(
                    "its first {} layer(s) are base image `{}`, which is not trusted: {why}",
                    base.diff_ids.len(),
                    base.name
                ),
            },
        },
        None => Check {
            check,
            passed: false,
            detail: format!(
                "its first layers match none of the trusted base images ({})",
                if bases.is_empty() {
                    "none defined for this rule".to_string()
                } else {
                    bases
                        .iter()
                        .map(|b| format!("`{}`", b.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_respect_path_segments() {
        assert!(glob_matches(
            "registry.example.com/team/*",
            "registry.example.com/team/app"
        ));
        assert!(!glob_matches(
            "registry.example.com/team/*",
            "registry.example.com/team/sub/app"
        ));
        assert!(glob_matches(
            "registry.example.com/team/**",
            "registry.example.com/team/sub/app"
        ));
        assert!(glob_matches("127.0.0.1:*/team/*", "127.0.0.1:5000/team/app"));
        assert!(!glob_matches("a*c", "ab/c"));
        assert!(glob_matches("**", "anything/at/all"));
        assert!(!glob_matches("exact", "exactly"));
        assert!(glob_matches(&"*".repeat(40), &"a".repeat(200)));
    }

    const POLICY: &str = r#"
version = 1
[keys]
release = "release.pub"
ci = "ci.pub"

[[base_images]]
name = "debian"
reference = "oci:images:debian"
digest = "sha256:0000000000000000000000000000000000000000000000000000000000000000"

[[rules]]
pattern = "**"
allow = false

[[rules]]
pattern = "registry.example.com/team/*"
signed_by = ["release"]
attestations = ["vuln"]
attestations_signed_by = ["ci"]
require_trusted_base = true

[[rules]]
pattern = "registry.example.com/team/special"
signed_by = ["ci"]
"#;

    #[test]
    fn the_most_specific_rule_wins() {
        let file = PolicyFile::parse(POLICY, Syntax::Toml, "p.toml").unwrap();
        assert_eq!(file.rule_for("registry.example.com/team/app").unwrap().0, 1);
        assert_eq!(file.rule_for("registry.example.com/team/special").unwrap().0, 2);
        assert_eq!(file.rule_for("elsewhere/app").unwrap().0, 0);
    }

    #[test]
    fn inconsistent_policies_name_the_problem() {
        let cases = [
            (
                POLICY.replace("signed_by = [\"ci\"]", "signed_by = [\"nobody\"]"),
                "names key `nobody`",
            ),
            (POLICY.replace("version = 1", "version = 2"), "version 2"),
            (POLICY.replace("digest = ", "# digest = "), "trusted by nothing"),
            (
                POLICY.replace("allow = false", "allow = false\nsigend_by = []"),
                "unknown field `sigend_by`",
            ),
            (
                POLICY.replace(
                    "require_trusted_base = true",
                    "require_trusted_base = true\ntrusted_bases = [\"alpine\"]",
                ),
                "base image `alpine`",
            ),
        ];
        for (text, expected) in cases {
            let error = PolicyFile::parse(&text, Syntax::Toml, "p.toml")
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{expected}: {error}");
            assert!(error.contains("p.toml"));
        }
    }

    #[test]
    fn yaml_says_the_same() {
        let yaml = r#"
version: 1
keys: { release: release.pub }
rules:
  - pattern: "registry.example.com/**"
    signed_by: [release]
"#;
        let file = PolicyFile::parse(yaml, Syntax::Yaml, "p.yaml").unwrap();
        assert_eq!(file.rules[0].signed_by, vec!["release".to_string()]);
        assert!(file.rules[0].allow);
    }

    fn digest(c: char) -> Digest {
        format!("sha256:{}", c.to_string().repeat(64)).parse().unwrap()
    }

    #[test]
    fn decisions_explain_each_requirement() {
        let file = PolicyFile::parse(POLICY, Syntax::Toml, "p.toml").unwrap();
        let evidence = Evidence {
            name: "registry.example.com/team/app".into(),
            digest: digest('a'),
            signatures: vec![],
            attestations: vec![],
            diff_ids: vec![digest('1'), digest('2'), digest('3')],
        };
        let bases = [BaseEvidence {
            name: "debian".into(),
            diff_ids: vec![digest('1'), digest('2')],
            trust: Ok("by digest".into()),
        }];
        let decision = evaluate(&file, &evidence, &bases);
        assert!(!decision.allowed);
        let details: Vec<(bool, &str)> = decision.checks.iter().map(|c| (c.passed, c.detail.as_str())).collect();
        assert_eq!(
            details[0],
            (false, "no valid signature by `release`; the image has no signatures")
        );
        assert_eq!(details[1], (false, "the image has no attestation of this type"));
        assert!(details[2].0 && details[2].1.contains("first 2 layer(s) are base image `debian`"));
        let other_base = Evidence {
            diff_ids: vec![digest('9')],
            ..evidence
        };
        let decision = evaluate(&file, &other_base, &bases);
        assert!(
            decision.checks[2]
                .detail
                .contains("match none of the trusted base images")
        );
        let denied = Evidence {
            name: "elsewhere/x".into(),
            ..other_base
        };
        let decision = evaluate(&file, &denied, &bases);
        assert!(!decision.allowed && decision.checks[0].detail.contains("allow = false"));
    }
}
