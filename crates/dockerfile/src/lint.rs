//! Running the rules over a parsed Dockerfile, and what silences them.

use std::fmt::Write;

use drydock_model::{CheckFinding, CheckLocation};

use crate::rules::{self, Context, Rule};
use crate::syntax::Dockerfile;

/// Which rules not to run. Ids may be drydock's (`DD-DF-001`), hadolint's (`DL3008`) or a
/// BuildKit check name (`JSONArgsRecommended`); each silences every rule it names.
#[derive(Clone, Debug, Default)]
pub struct LintConfig {
    pub ignored: Vec<String>,
}

impl LintConfig {
    /// The ids that name no rule (to warn the user about a typo).
    pub fn unknown_ids(&self) -> Vec<&str> {
        let all = rules::all();
        self.ignored
            .iter()
            .map(String::as_str)
            .filter(|id| !all.iter().any(|rule| names(rule, id)))
            .collect()
    }
}

/// Whether `id` names `rule` (its own id, a hadolint id or its BuildKit check).
fn names(rule: &Rule, id: &str) -> bool {
    let id = id.trim();
    rule.info.id.eq_ignore_ascii_case(id)
        || rule.hadolint.iter().any(|h| h.eq_ignore_ascii_case(id))
        || rule.buildkit.is_some_and(|b| b.eq_ignore_ascii_case(id))
}

/// Runs every rule not ignored and returns the findings in file order.
pub fn lint(file: &Dockerfile, config: &LintConfig) -> Vec<CheckFinding> {
    let context = Context::new(file);
    let silenced = Silenced::new(file, config);
    let mut findings = Vec::new();
    for rule in rules::all() {
        if silenced.everywhere(rule) {
            continue;
        }
        for hit in (rule.check)(&context) {
            if silenced.at(rule, hit.position.line) {
                continue;
            }
            let location = CheckLocation {
                path: Some(file.path.clone()),
                line: Some(hit.position.line),
                column: Some(hit.position.column),
                ..CheckLocation::default()
            };
            findings.push(CheckFinding::new(&rule.info, hit.message, location));
        }
    }
    findings.sort_by(|a, b| {
        (a.location.line, a.location.column, &a.rule).cmp(&(b.location.line, b.location.column, &b.rule))
    });
    findings.dedup();
    findings
}

/// Everything that turns rules off: the config, `# check=skip=`, `# hadolint global
/// ignore=`, and `# hadolint ignore=` / `# drydock ignore=` above an instruction.
struct Silenced {
    everywhere: Vec<String>,
    skip_all_buildkit: bool,
    /// (first line, last line) of an instruction and the ids ignored on it.
    on_instruction: Vec<(u32, u32, Vec<String>)>,
}

impl Silenced {
    fn new(file: &Dockerfile, config: &LintConfig) -> Self {
        let mut everywhere = config.ignored.clone();
        let mut skip_all_buildkit = false;
        if let Some(check) = file.directive("check") {
            for setting in check.value.split(';') {
                if let Some(list) = setting.trim().strip_prefix("skip=") {
                    skip_all_buildkit |= list.trim() == "all";
                    everywhere.extend(list.split(',').map(|s| s.trim().to_string()));
                }
            }
        }
        let mut on_instruction = Vec::new();
        for comment in file.comments.iter().filter(|c| !c.inside_instruction) {
            let Some((global, ids)) = ignore_comment(&comment.text) else {
                continue;
            };
            if global {
                everywhere.extend(ids);
                continue;
            }
            let next = file.instructions.iter().find(|i| i.position.line > comment.line);
            if let Some(instruction) = next {
                on_instruction.push((instruction.position.line, instruction.end_line, ids));
            }
        }
        Silenced {
            everywhere,
            skip_all_buildkit,
            on_instruction,
        }
    }

    fn everywhere(&self, rule: &Rule) -> bool {
        (self.skip_all_buildkit && rule.buildkit.is_some()) || self.everywhere.iter().any(|id| names(rule, id))
    }

    fn at(&self, rule: &Rule, line: u32) -> bool {
        self.on_instruction
            .iter()
            .filter(|(first, last, _)| (*first..=*last).contains(&line))
            .any(|(_, _, ids)| ids.iter().any(|id| names(rule, id)))
    }
}

/// `hadolint ignore=DL3008,DL3015`, `drydock ignore=DD-DF-001`, `hadolint global ignore=…`:
/// whether it is global, and the ids.
fn ignore_comment(text: &str) -> Option<(bool, Vec<String>)> {
    let rest = text.strip_prefix("hadolint").or_else(|| text.strip_prefix("drydock"))?;
    let rest = rest.trim_start();
    let (global, rest) = match rest.strip_prefix("global") {
        Some(rest) => (true, rest.trim_start()),
        None => (false, rest),
    };
    let list = rest.strip_prefix("ignore")?.trim_start().strip_prefix('=')?;
    let list = list.trim_start().replace(", ", ",");
    let ids = list
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .split(',')
        .filter(|id| !id.is_empty())
        .map(str::to_string)
        .collect::<Vec<_>>();
    (!ids.is_empty()).then_some((global, ids))
}

/// docs/dockerfile-rules.md: every rule, generated from the rule table.
pub fn rules_markdown() -> String {
    let mut out = String::from(
        "# Dockerfile rules (`drydock lint`)\n\n\
         <!-- Generated from crates/dockerfile/src/rules by `DRYDOCK_BLESS=1 cargo nextest run -p drydock-dockerfile`; \
         do not edit by hand. -->\n\n\
         `drydock lint Dockerfile…` parses each file with BuildKit's grammar and runs these rules. \
         Ids are stable: a rule never changes meaning and a retired id is never reused. \
         The hadolint column names the hadolint rule that checks the same thing (its ids are accepted \
         wherever drydock takes a rule id: `--ignore`, `# hadolint ignore=`); the BuildKit column names \
         the build check that `# check=skip=` turns off.\n\n\
         Silencing a rule: `--ignore ID` (repeatable), `# hadolint ignore=DL3008,DL3015` or \
         `# drydock ignore=DD-DF-070` on the line above the instruction, `# hadolint global ignore=ID` \
         anywhere, or the `# check=skip=NAME` parser directive.\n\n\
         | id | severity | title | hadolint | BuildKit | remediation |\n\
         | --- | --- | --- | --- | --- | --- |\n",
    );
    for rule in rules::all() {
        let hadolint = if rule.hadolint.is_empty() {
            "—".to_string()
        } else {
            rule.hadolint.join(", ")
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            rule.info.id,
            rule.info.severity,
            rule.info.title.replace('|', "\\|"),
            hadolint,
            rule.buildkit.unwrap_or("—"),
            rule.info.remediation.replace('|', "\\|"),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_comments() {
        assert_eq!(
            ignore_comment("hadolint ignore=DL3008,DL3015"),
            Some((false, vec!["DL3008".into(), "DL3015".into()]))
        );
        assert_eq!(
            ignore_comment("drydock ignore=DD-DF-001, DD-DF-002 because reasons"),
            Some((false, vec!["DD-DF-001".into(), "DD-DF-002".into()]))
        );
        assert_eq!(
            ignore_comment("hadolint global ignore=DL3059"),
            Some((true, vec!["DL3059".into()]))
        );
        assert_eq!(ignore_comment("hadolint is great"), None);
        assert_eq!(ignore_comment("ignore=DL3008"), None);
    }
}
