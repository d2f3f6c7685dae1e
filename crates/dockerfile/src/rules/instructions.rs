//! How instructions are written: WORKDIR, CMD/ENTRYPOINT forms, repeated instructions,
//! EXPOSE, ONBUILD, ENV, COPY destinations, MAINTAINER.

use drydock_model::Severity;

use super::{Context, Hit, Rule, info, is_absolute_path};
use crate::syntax::{Body, Command, Instruction, Keyword};

pub(super) const RULES: &[Rule] = &[
    Rule {
        info: info(
            "DD-DF-020",
            Severity::Medium,
            "Relative WORKDIR",
            "Give WORKDIR an absolute path (`WORKDIR /app`): a relative one depends on every WORKDIR before it and on the base image.",
        ),
        hadolint: &["DL3000"],
        buildkit: Some("WorkdirRelativePath"),
        check: relative_workdir,
    },
    Rule {
        info: info(
            "DD-DF-021",
            Severity::Medium,
            "CMD or ENTRYPOINT in shell form",
            "Write the JSON (exec) form, `CMD [\"app\", \"--flag\"]`: in shell form the program runs under `/bin/sh -c`, is not PID 1 and never receives SIGTERM.",
        ),
        hadolint: &["DL3025"],
        buildkit: Some("JSONArgsRecommended"),
        check: shell_form_command,
    },
    Rule {
        info: info(
            "DD-DF-022",
            Severity::Low,
            "More than one CMD in a stage",
            "Keep one CMD per stage: only the last one takes effect.",
        ),
        hadolint: &["DL4003"],
        buildkit: Some("MultipleInstructionsDisallowed"),
        check: repeated_cmd,
    },
    Rule {
        info: info(
            "DD-DF-023",
            Severity::Medium,
            "More than one ENTRYPOINT in a stage",
            "Keep one ENTRYPOINT per stage: only the last one takes effect, the others mislead readers.",
        ),
        hadolint: &["DL4004"],
        buildkit: Some("MultipleInstructionsDisallowed"),
        check: repeated_entrypoint,
    },
    Rule {
        info: info(
            "DD-DF-024",
            Severity::Low,
            "More than one HEALTHCHECK in a stage",
            "Keep one HEALTHCHECK per stage: only the last one takes effect.",
        ),
        hadolint: &["DL3012"],
        buildkit: Some("MultipleInstructionsDisallowed"),
        check: repeated_healthcheck,
    },
    Rule {
        info: info(
            "DD-DF-025",
            Severity::Low,
            "No HEALTHCHECK in the final stage",
            "Add `HEALTHCHECK CMD …` that probes the service (or `HEALTHCHECK NONE` to say on purpose that there is none), so orchestrators can tell a hung container from a healthy one.",
        ),
        hadolint: &["DL3057"],
        buildkit: None,
        check: no_healthcheck,
    },
    Rule {
        info: info(
            "DD-DF-026",
            Severity::Low,
            "MAINTAINER is deprecated",
            "Use `LABEL org.opencontainers.image.authors=\"name <email>\"` instead of MAINTAINER.",
        ),
        hadolint: &["DL4000"],
        buildkit: Some("MaintainerDeprecated"),
        check: maintainer,
    },
    Rule {
        info: info(
            "DD-DF-027",
            Severity::Medium,
            "EXPOSE with an invalid port",
            "Expose ports 0–65535 as `PORT`, `PORT/tcp`, `PORT/udp` or `PORT/sctp`, or a range `LOW-HIGH` with LOW ≤ HIGH.",
        ),
        hadolint: &["DL3011"],
        buildkit: Some("ExposeInvalidFormat"),
        check: invalid_expose,
    },
    Rule {
        info: info(
            "DD-DF-028",
            Severity::Medium,
            "SSH port 22 exposed",
            "Do not run an SSH server in a container: use `docker exec`/`kubectl exec` for access and remove `EXPOSE 22`.",
        ),
        hadolint: &[],
        buildkit: None,
        check: ssh_port,
    },
    Rule {
        info: info(
            "DD-DF-029",
            Severity::High,
            "ONBUILD with FROM or MAINTAINER",
            "ONBUILD may not trigger FROM or MAINTAINER: the child build fails. Remove the trigger.",
        ),
        hadolint: &["DL3043"],
        buildkit: None,
        check: onbuild_forbidden,
    },
    Rule {
        info: info(
            "DD-DF-030",
            Severity::Medium,
            "ENV uses a variable set in the same ENV",
            "Split the ENV in two: within one ENV, `$NAME` still has its value from before that instruction.",
        ),
        hadolint: &["DL3044"],
        buildkit: None,
        check: env_self_reference,
    },
    Rule {
        info: info(
            "DD-DF-031",
            Severity::Low,
            "DEBIAN_FRONTEND set with ENV",
            "Use `ARG DEBIAN_FRONTEND=noninteractive` (build time only) or set it on the RUN line: with ENV it stays in the image and changes how apt behaves for its users.",
        ),
        hadolint: &[],
        buildkit: None,
        check: debian_frontend_env,
    },
    Rule {
        info: info(
            "DD-DF-032",
            Severity::High,
            "COPY of several sources to a path not ending in /",
            "End the destination with `/` when copying several sources: the build fails otherwise.",
        ),
        hadolint: &["DL3021"],
        buildkit: None,
        check: many_sources_no_slash,
    },
    Rule {
        info: info(
            "DD-DF-033",
            Severity::Medium,
            "COPY to a relative path without WORKDIR",
            "Set `WORKDIR /app` before copying to a relative path, or copy to an absolute path: otherwise the destination depends on the base image.",
        ),
        hadolint: &["DL3045"],
        buildkit: None,
        check: relative_copy_without_workdir,
    },
    Rule {
        info: info(
            "DD-DF-034",
            Severity::Low,
            "Consecutive RUN instructions",
            "Join consecutive RUN steps with `&&` (or a heredoc) when they belong together: each RUN is a layer.",
        ),
        hadolint: &["DL3059"],
        buildkit: None,
        check: consecutive_runs,
    },
];

fn relative_workdir(cx: &Context<'_>) -> Vec<Hit> {
    cx.each(Keyword::Workdir)
        .filter_map(|(_, i)| match &i.body {
            Body::Workdir(dir) if !is_absolute_path(&dir.value) => {
                Some(Hit::new(dir.position, format!("`WORKDIR {}` is relative", dir.value)))
            }
            _ => None,
        })
        .collect()
}

fn shell_form_command(cx: &Context<'_>) -> Vec<Hit> {
    cx.instructions()
        .filter_map(|(_, i)| match &i.body {
            Body::Cmd(Command::Shell(script)) | Body::Entrypoint(Command::Shell(script))
                if !script.text.trim().is_empty() =>
            {
                Some(Hit::new(
                    i.position,
                    format!("`{} {}` is in shell form", i.keyword, script.text.trim()),
                ))
            }
            _ => None,
        })
        .collect()
}

fn repeated(cx: &Context<'_>, keyword: Keyword) -> Vec<Hit> {
    let mut hits = Vec::new();
    for stage in &cx.stages {
        let mut all = stage.instructions.iter().filter(|i| i.keyword == keyword);
        let Some(first) = all.next() else { continue };
        for later in all {
            let message = format!(
                "{keyword} again (first on line {}): only the last one counts",
                first.position.line
            );
            hits.push(Hit::new(later.position, message));
        }
    }
    hits
}

fn repeated_cmd(cx: &Context<'_>) -> Vec<Hit> {
    repeated(cx, Keyword::Cmd)
}

fn repeated_entrypoint(cx: &Context<'_>) -> Vec<Hit> {
    repeated(cx, Keyword::Entrypoint)
}

fn repeated_healthcheck(cx: &Context<'_>) -> Vec<Hit> {
    repeated(cx, Keyword::Healthcheck)
}

fn no_healthcheck(cx: &Context<'_>) -> Vec<Hit> {
    let Some(last) = cx.final_stage() else {
        return Vec::new();
    };
    let has = cx
        .lineage(last.index)
        .iter()
        .any(|s| s.instructions.iter().any(|i| i.keyword == Keyword::Healthcheck));
    if has {
        return Vec::new();
    }
    vec![Hit::new(last.from.position, "the final stage has no HEALTHCHECK")]
}

fn maintainer(cx: &Context<'_>) -> Vec<Hit> {
    cx.instructions()
        .filter(|(_, i)| i.keyword == Keyword::Maintainer)
        .map(|(_, i)| Hit::new(i.position, "MAINTAINER is deprecated"))
        .collect()
}

/// Why an EXPOSE value is invalid, if it is (values with variables are not judged).
fn expose_problem(value: &str) -> Option<String> {
    if value.contains('$') {
        return None;
    }
    let (ports, protocol) = value.split_once('/').unwrap_or((value, "tcp"));
    if !matches!(protocol.to_ascii_lowercase().as_str(), "tcp" | "udp" | "sctp") {
        return Some(format!("`{value}`: protocol `{protocol}` is not tcp, udp or sctp"));
    }
    let (low, high) = ports.split_once('-').unwrap_or((ports, ports));
    let parse = |p: &str| p.parse::<u32>().ok().filter(|n| *n <= 65535);
    match (parse(low), parse(high)) {
        (Some(low), Some(high)) if low <= high => None,
        (Some(_), Some(_)) => Some(format!("`{value}`: the range ends before it starts")),
        _ if ports.contains(':') => Some(format!(
            "`{value}`: EXPOSE takes container ports only, not HOST:CONTAINER"
        )),
        _ => Some(format!("`{value}` is not a port number from 0 to 65535")),
    }
}

fn exposed<'c>(cx: &'c Context<'_>) -> impl Iterator<Item = &'c crate::syntax::Word> + 'c {
    cx.each(Keyword::Expose)
        .filter_map(|(_, i)| match &i.body {
            Body::Expose(ports) => Some(ports.iter()),
            _ => None,
        })
        .flatten()
}

fn invalid_expose(cx: &Context<'_>) -> Vec<Hit> {
    exposed(cx)
        .filter_map(|port| Some(Hit::new(port.position, expose_problem(&port.value)?)))
        .collect()
}

fn ssh_port(cx: &Context<'_>) -> Vec<Hit> {
    exposed(cx)
        .filter(|port| {
            let number = port.value.split('/').next().unwrap_or_default();
            let (low, high) = number.split_once('-').unwrap_or((number, number));
            matches!((low.parse::<u32>(), high.parse::<u32>()), (Ok(l), Ok(h)) if l <= 22 && 22 <= h)
        })
        .map(|port| Hit::new(port.position, format!("`EXPOSE {}` publishes SSH", port.value)))
        .collect()
}

fn onbuild_forbidden(cx: &Context<'_>) -> Vec<Hit> {
    cx.instructions()
        .filter_map(|(_, i)| match &i.body {
            Body::Onbuild(inner) if matches!(inner.keyword, Keyword::From | Keyword::Maintainer) => Some(Hit::new(
                inner.position,
                format!("`ONBUILD {}` is not allowed", inner.keyword),
            )),
            _ => None,
        })
        .collect()
}

/// Whether `text` refers to `$name` or `${name…}`.
fn refers_to(text: &str, name: &str) -> bool {
    let bytes = text.as_bytes();
    let continues_name = |at: usize| bytes.get(at).is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_');
    text.match_indices(name).any(|(at, _)| {
        let end = at + name.len();
        let plain = at >= 1 && bytes[at - 1] == b'$' && !continues_name(end);
        let braced = at >= 2 && &bytes[at - 2..at] == b"${" && matches!(bytes.get(end), Some(b'}' | b':'));
        plain || braced
    })
}

fn env_self_reference(cx: &Context<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (_, instruction) in cx.each(Keyword::Env) {
        let Body::Env(pairs) = &instruction.body else { continue };
        for (index, pair) in pairs.iter().enumerate() {
            if let Some(earlier) = pairs[..index].iter().find(|e| refers_to(&pair.value, &e.key)) {
                let message = format!("`{}` uses `${}`, which this same ENV sets", pair.key, earlier.key);
                hits.push(Hit::new(pair.position, message));
            }
        }
    }
    hits
}

fn debian_frontend_env(cx: &Context<'_>) -> Vec<Hit> {
    cx.each(Keyword::Env)
        .filter_map(|(_, i)| match &i.body {
            Body::Env(pairs) => Some(pairs.iter()),
            _ => None,
        })
        .flatten()
        .filter(|pair| pair.key == "DEBIAN_FRONTEND")
        .map(|pair| Hit::new(pair.position, "ENV DEBIAN_FRONTEND stays set in the image"))
        .collect()
}

fn copies<'c>(cx: &'c Context<'_>) -> impl Iterator<Item = (usize, &'c Instruction, &'c crate::syntax::Transfer)> + 'c {
    cx.instructions().filter_map(|(stage, i)| match &i.body {
        Body::Copy(t) | Body::Add(t) => Some((stage?, i, t)),
        _ => None,
    })
}

fn many_sources_no_slash(cx: &Context<'_>) -> Vec<Hit> {
    copies(cx)
        .filter(|(_, _, t)| t.sources.len() > 1 && !t.destination.value.ends_with('/'))
        .map(|(_, i, t)| {
            let message = format!(
                "{} of {} sources to `{}`",
                i.keyword,
                t.sources.len(),
                t.destination.value
            );
            Hit::new(t.destination.position, message)
        })
        .collect()
}

fn relative_copy_without_workdir(cx: &Context<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for stage in &cx.stages {
        let inherited = cx
            .lineage(stage.index)
            .iter()
            .skip(1)
            .any(|s| s.instructions.iter().any(|i| i.keyword == Keyword::Workdir));
        let mut workdir = inherited;
        for instruction in stage.instructions {
            match &instruction.body {
                Body::Workdir(_) => workdir = true,
                Body::Copy(t) | Body::Add(t) if !workdir && !is_absolute_path(&t.destination.value) => {
                    let message = format!("`{}` is relative and no WORKDIR is set", t.destination.value);
                    hits.push(Hit::new(t.destination.position, message));
                }
                _ => {}
            }
        }
    }
    hits
}

/// Two RUNs in a row that each run one simple command with the same flags: the case where
/// joining them is clearly right (longer scripts are often split on purpose, for caching).
fn consecutive_runs(cx: &Context<'_>) -> Vec<Hit> {
    let single = |i: &Instruction| {
        let scripts: Vec<_> = cx.scripts.iter().filter(|s| std::ptr::eq(s.instruction, i)).collect();
        i.keyword == Keyword::Run && scripts.len() == 1 && scripts[0].commands.len() == 1
    };
    let mut hits = Vec::new();
    for stage in &cx.stages {
        for pair in stage.instructions.windows(2) {
            if single(&pair[0]) && single(&pair[1]) && pair[0].flags == pair[1].flags {
                hits.push(Hit::new(
                    pair[1].position,
                    "a one-command RUN right after another: one more layer",
                ));
            }
        }
    }
    hits
}
