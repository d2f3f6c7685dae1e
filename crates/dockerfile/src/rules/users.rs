//! Who the container runs as and what it may write: USER, sudo, useradd, chmod.

use drydock_model::Severity;

use super::{Context, Hit, Rule, info};
use crate::syntax::{Body, Keyword};

pub(super) const RULES: &[Rule] = &[
    Rule {
        info: info(
            "DD-DF-010",
            Severity::Medium,
            "Last USER is root",
            "End the final stage with `USER <non-root user>` (create one with `useradd -r -l -u 10001 app`); switch to root only for the steps that need it.",
        ),
        hadolint: &["DL3002"],
        buildkit: None,
        check: last_user_root,
    },
    Rule {
        info: info(
            "DD-DF-011",
            Severity::Medium,
            "Final stage never sets USER",
            "Add `USER <non-root user>` to the final stage (unless its base image already sets a non-root user; then silence this rule for the file).",
        ),
        hadolint: &[],
        buildkit: None,
        check: no_user,
    },
    Rule {
        info: info(
            "DD-DF-012",
            Severity::High,
            "sudo in RUN",
            "RUN already runs as the current USER: switch with `USER root` for the steps that need it instead of `sudo`, and do not install sudo in images.",
        ),
        hadolint: &["DL3004"],
        buildkit: None,
        check: sudo,
    },
    Rule {
        info: info(
            "DD-DF-013",
            Severity::Medium,
            "useradd with a high UID and without -l",
            "Pass `-l` (`--no-log-init`) to useradd: with a large UID, the sparse lastlog/faillog files fill the layer with gigabytes of zeros.",
        ),
        hadolint: &["DL3046"],
        buildkit: None,
        check: useradd_without_l,
    },
    Rule {
        info: info(
            "DD-DF-014",
            Severity::Medium,
            "World-writable permissions",
            "Grant write access to the owner (and group) only: `chmod 755`/`644`, `--chmod=755`; a world-writable path lets any process in the container change it.",
        ),
        hadolint: &[],
        buildkit: None,
        check: world_writable,
    },
];

fn is_root(user: &str) -> bool {
    let name = user.split(':').next().unwrap_or(user);
    name == "root" || name == "0"
}

fn last_user_root(cx: &Context<'_>) -> Vec<Hit> {
    let Some(last) = cx.final_stage() else {
        return Vec::new();
    };
    let last_user = last.instructions.iter().rev().find_map(|i| match &i.body {
        Body::User(word) => Some(word),
        _ => None,
    });
    match last_user {
        Some(user) if is_root(&user.value) => {
            vec![Hit::new(user.position, format!("the image runs as `{}`", user.value))]
        }
        _ => Vec::new(),
    }
}

fn no_user(cx: &Context<'_>) -> Vec<Hit> {
    let Some(last) = cx.final_stage() else {
        return Vec::new();
    };
    let sets_user = cx
        .lineage(last.index)
        .iter()
        .any(|stage| stage.instructions.iter().any(|i| i.keyword == Keyword::User));
    if sets_user {
        return Vec::new();
    }
    vec![Hit::new(
        last.from.position,
        "no USER in the final stage: the container runs as the base image's user, root unless it says otherwise",
    )]
}

fn sudo(cx: &Context<'_>) -> Vec<Hit> {
    cx.commands()
        .filter_map(|(script, command)| {
            let word = command
                .words
                .iter()
                .take(command.program + 1)
                .find(|w| w.value.rsplit('/').next() == Some("sudo"))?;
            Some(Hit::new(script.at(word), "`sudo` in RUN"))
        })
        .collect()
}

fn useradd_without_l(cx: &Context<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (script, command) in cx.commands().filter(|(_, c)| c.is("useradd")) {
        if command.has_option(&['l'], &["--no-log-init"]) {
            continue;
        }
        let args = command.args();
        let uid = args.iter().enumerate().find_map(|(i, word)| {
            let value = word.value.as_str();
            if value == "-u" || value == "--uid" {
                args.get(i + 1).map(|w| w.value.as_str())
            } else {
                value
                    .strip_prefix("--uid=")
                    .or_else(|| value.strip_prefix("-u").filter(|v| !v.is_empty()))
            }
        });
        if let Some(uid) = uid.filter(|uid| uid.len() > 5 && uid.bytes().all(|b| b.is_ascii_digit())) {
            hits.push(Hit::new(
                script.command_at(command),
                format!("`useradd -u {uid}` without `-l`"),
            ));
        }
    }
    hits
}

/// Whether a chmod mode grants write to others: octal with the others digit 2, 3, 6 or 7,
/// or symbolic `o+w`, `a+w`, `+w`, `ugo=rwx`. A sticky directory (`1777`, like /tmp) is fine.
pub(crate) fn mode_world_writable(mode: &str) -> bool {
    if !mode.is_empty() && mode.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        let sticky = mode.len() >= 4 && (mode.as_bytes()[mode.len() - 4] - b'0') & 1 == 1;
        return !sticky
            && mode
                .bytes()
                .last()
                .is_some_and(|d| matches!(d, b'2' | b'3' | b'6' | b'7'));
    }
    mode.split(',').any(|clause| {
        let Some(op) = clause.find(['+', '=']) else {
            return false;
        };
        let who = &clause[..op];
        let perms = &clause[op + 1..];
        (who.is_empty() || who.contains(['o', 'a'])) && perms.contains('w')
    })
}

fn world_writable(cx: &Context<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (script, command) in cx.commands().filter(|(_, c)| c.is("chmod")) {
        let mode = command.operands(&["--reference"]).into_iter().next();
        if let Some(mode) = mode.filter(|m| mode_world_writable(&m.value)) {
            hits.push(Hit::new(
                script.at(mode),
                format!("`chmod {}` makes files world-writable", mode.value),
            ));
        }
    }
    for (_, instruction) in cx.instructions() {
        if let Some(flag) = instruction.flag("chmod") {
            let mode = flag.value.as_deref().unwrap_or_default();
            if mode_world_writable(mode) {
                hits.push(Hit::new(
                    flag.position,
                    format!("`--chmod={mode}` makes files world-writable"),
                ));
            }
        }
    }
    hits
}
