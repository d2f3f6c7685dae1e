//! What RUN scripts do: piping downloads into a shell, `cd`, pipes without pipefail, tools
//! that make no sense in a container, disabled TLS checks.

use drydock_model::Severity;

use super::{Context, Hit, Rule, RunScript, info};
use crate::shell::{Connector, SimpleCommand};
use crate::syntax::Body;

pub(super) const RULES: &[Rule] = &[
    Rule {
        info: info(
            "DD-DF-060",
            Severity::High,
            "Download piped into a shell",
            "Download the script to a file, verify its checksum or signature, then run it; `curl … | sh` runs whatever the server (or anyone in between) sends.",
        ),
        hadolint: &[],
        buildkit: None,
        check: download_to_shell,
    },
    Rule {
        info: info(
            "DD-DF-061",
            Severity::Low,
            "cd in RUN",
            "Use WORKDIR to change directory (or a subshell / `-C DIR` option for one command): `cd` lasts only for its RUN and hides where files land.",
        ),
        hadolint: &["DL3003"],
        buildkit: None,
        check: cd,
    },
    Rule {
        info: info(
            "DD-DF-062",
            Severity::Medium,
            "Pipe in RUN without pipefail",
            "Put `SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]` before the RUN (or `set -o pipefail &&` in it): otherwise a failing command before `|` does not fail the build.",
        ),
        hadolint: &["DL4006"],
        buildkit: None,
        check: pipe_without_pipefail,
    },
    Rule {
        info: info(
            "DD-DF-063",
            Severity::Low,
            "Interactive or host tool in RUN",
            "Remove commands that make no sense while building an image (ssh, vim, shutdown, service, ps, top, kill, mount, ifconfig, …).",
        ),
        hadolint: &["DL3001"],
        buildkit: None,
        check: pointless_commands,
    },
    Rule {
        info: info(
            "DD-DF-064",
            Severity::Low,
            "Both wget and curl used",
            "Download everything with one tool (curl or wget): two tools mean two sets of dependencies and vulnerabilities.",
        ),
        hadolint: &["DL4001"],
        buildkit: None,
        check: wget_and_curl,
    },
    Rule {
        info: info(
            "DD-DF-065",
            Severity::Low,
            "wget without --progress",
            "Pass `--progress=dot:giga` (or `-q`/`-nv`) to wget: its default progress bar floods the build log.",
        ),
        hadolint: &["DL3047"],
        buildkit: None,
        check: wget_progress,
    },
    Rule {
        info: info(
            "DD-DF-066",
            Severity::High,
            "TLS or signature verification disabled",
            "Remove `curl -k`, `wget --no-check-certificate`, `pip --trusted-host`, `apt-get --allow-unauthenticated`, `apk --allow-untrusted`, `git -c http.sslVerify=false`, `npm config set strict-ssl false`; install the CA certificate the server needs instead.",
        ),
        hadolint: &[],
        buildkit: None,
        check: verification_disabled,
    },
    Rule {
        info: info(
            "DD-DF-067",
            Severity::Medium,
            "/bin/sh replaced in RUN",
            "Use the SHELL instruction to run RUN steps with another shell instead of linking /bin/sh to it.",
        ),
        hadolint: &["DL4005"],
        buildkit: None,
        check: replaced_sh,
    },
];

const SHELLS: [&str; 6] = ["sh", "bash", "ash", "dash", "zsh", "ksh"];

fn downloader(command: &SimpleCommand) -> bool {
    command.is("curl") || command.is("wget")
}

fn download_to_shell(cx: &Context<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for script in &cx.scripts {
        let mut downloading = false;
        for command in &script.commands {
            let piped = command.connector == Connector::Pipe;
            if piped && downloading && command.name().is_some_and(|n| SHELLS.contains(&n)) {
                let shell = command.name().unwrap_or_default();
                hits.push(Hit::new(
                    script.command_at(command),
                    format!("a download is piped into `{shell}`"),
                ));
            }
            downloading = downloader(command) || (piped && downloading);
            let substituted = command.name().is_some_and(|n| SHELLS.contains(&n))
                && command
                    .args()
                    .iter()
                    .any(|a| a.value.contains("$(curl") || a.value.contains("$(wget"));
            if substituted {
                hits.push(Hit::new(
                    script.command_at(command),
                    "a downloaded script is run with `sh -c \"$(curl …)\"`",
                ));
            }
        }
    }
    hits
}

fn cd(cx: &Context<'_>) -> Vec<Hit> {
    cx.commands()
        .filter(|(_, c)| c.is("cd"))
        .map(|(script, command)| Hit::new(script.command_at(command), "`cd` in RUN"))
        .collect()
}

/// Whether a shell invocation (`SHELL` words or `set` arguments) turns pipefail on.
fn enables_pipefail(words: &[&str]) -> bool {
    words
        .windows(2)
        .any(|pair| pair[0].starts_with('-') && pair[0].ends_with('o') && pair[1] == "pipefail")
        || words.contains(&"-opipefail")
}

fn script_sets_pipefail(script: &RunScript<'_>, before: usize) -> bool {
    script.commands[..before].iter().any(|c| {
        let args: Vec<&str> = c.args().iter().map(|w| w.value.as_str()).collect();
        c.is("set") && enables_pipefail(&args)
    })
}

fn pipe_without_pipefail(cx: &Context<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for stage in &cx.stages {
        let mut shell_ok = false;
        let mut posix = true;
        for instruction in stage.instructions {
            if let Body::Shell(words) = &instruction.body {
                let values: Vec<&str> = words.iter().map(|w| w.value.as_str()).collect();
                shell_ok = enables_pipefail(&values);
                let program = values.first().map_or("", |p| p.rsplit(['/', '\\']).next().unwrap_or(p));
                posix = SHELLS.contains(&program);
            }
            if shell_ok || !posix {
                continue;
            }
            for script in cx.scripts.iter().filter(|s| std::ptr::eq(s.instruction, instruction)) {
                let first_pipe = script.commands.iter().position(|c| c.connector == Connector::Pipe);
                if let Some(index) = first_pipe.filter(|&i| !script_sets_pipefail(script, i)) {
                    hits.push(Hit::new(
                        script.command_at(&script.commands[index]),
                        "a pipe without pipefail: a failure before `|` is ignored",
                    ));
                }
            }
        }
    }
    hits
}

fn pointless_commands(cx: &Context<'_>) -> Vec<Hit> {
    const POINTLESS: [&str; 13] = [
        "ssh", "vim", "vi", "nano", "shutdown", "reboot", "service", "ps", "free", "top", "kill", "mount", "ifconfig",
    ];
    cx.commands()
        .filter_map(|(script, command)| {
            let name = command.name().filter(|n| POINTLESS.contains(n))?;
            Some(Hit::new(script.command_at(command), format!("`{name}` in RUN")))
        })
        .collect()
}

fn wget_and_curl(cx: &Context<'_>) -> Vec<Hit> {
    let first = |tool: &str| cx.commands().find(|(_, c)| c.is(tool)).map(|(s, c)| s.command_at(c));
    match (first("wget"), first("curl")) {
        (Some(wget), Some(curl)) => {
            let (later, other) = if wget > curl { (wget, "curl") } else { (curl, "wget") };
            vec![Hit::new(
                later,
                format!("{other} is used too (line {})", wget.min(curl).line),
            )]
        }
        _ => Vec::new(),
    }
}

fn wget_progress(cx: &Context<'_>) -> Vec<Hit> {
    cx.commands()
        .filter(|(_, c)| c.is("wget") && !c.has_option(&['q'], &["--progress", "--quiet", "--no-verbose"]))
        .filter(|(_, c)| !c.args().iter().any(|a| a.value == "-nv"))
        .map(|(script, command)| Hit::new(script.command_at(command), "wget without --progress"))
        .collect()
}

/// The argument of a command that disables verification, if any.
fn disabling_argument(command: &SimpleCommand) -> Option<&str> {
    let name = command.name()?;
    let args = command.args();
    let values: Vec<&str> = args.iter().map(|w| w.value.as_str()).collect();
    let found = |list: &[&'static str]| values.iter().find(|v| list.contains(v)).copied();
    match name {
        "curl" => found(&["-k", "--insecure"]).or_else(|| values.iter().find(|v| is_cluster_with(v, 'k')).copied()),
        "wget" => found(&["--no-check-certificate"]),
        "pip" | "pip3" | "python" | "python3" => values.iter().find(|v| v.starts_with("--trusted-host")).copied(),
        "apt-get" | "apt" => found(&["--allow-unauthenticated", "--allow-insecure-repositories"]).or_else(|| {
            values
                .iter()
                .find(|v| v.contains("AllowUnauthenticated=true") || v.contains("Verify-Peer=false"))
                .copied()
        }),
        "apk" => found(&["--allow-untrusted"]),
        "git" => values
            .iter()
            .find(|v| v.to_ascii_lowercase().contains("sslverify=false"))
            .copied(),
        "npm" | "yarn" => {
            let strict = values.windows(2).any(|p| p[0] == "strict-ssl" && p[1] == "false");
            (strict || values.contains(&"--strict-ssl=false")).then_some("strict-ssl false")
        }
        _ => None,
    }
}

fn is_cluster_with(value: &str, letter: char) -> bool {
    value
        .strip_prefix('-')
        .is_some_and(|c| !c.starts_with('-') && c.chars().all(|ch| ch.is_ascii_alphabetic()) && c.contains(letter))
}

fn verification_disabled(cx: &Context<'_>) -> Vec<Hit> {
    cx.commands()
        .filter_map(|(script, command)| {
            let argument = disabling_argument(command)?;
            let name = command.name().unwrap_or_default();
            Some(Hit::new(
                script.command_at(command),
                format!("`{name} {argument}` turns verification off"),
            ))
        })
        .collect()
}

fn replaced_sh(cx: &Context<'_>) -> Vec<Hit> {
    cx.commands()
        .filter(|(_, c)| c.is("ln"))
        .filter(|(_, c)| c.operands(&[]).last().is_some_and(|target| target.value == "/bin/sh"))
        .map(|(script, command)| Hit::new(script.command_at(command), "`ln … /bin/sh` replaces the shell RUN uses"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pipefail_spellings() {
        assert!(enables_pipefail(&["/bin/bash", "-o", "pipefail", "-c"]));
        assert!(enables_pipefail(&["-euxo", "pipefail"]));
        assert!(!enables_pipefail(&["/bin/bash", "-c"]));
    }
}
