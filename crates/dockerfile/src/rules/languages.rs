//! Language package managers: pip, npm, yarn, gem, go.

use drydock_model::Severity;

use super::packages::{cache_left, invocations, runs, unpinned};
use super::{Context, Hit, Rule, RunScript, info};
use crate::shell::{ShellWord, SimpleCommand};
use crate::syntax::Body;

pub(super) const RULES: &[Rule] = &[
    Rule {
        info: info(
            "DD-DF-078",
            Severity::Medium,
            "pip install without versions",
            "Pin each package, `pip install requests==2.32.3`, or install from a requirements file with pinned versions (and hashes).",
        ),
        hadolint: &["DL3013"],
        buildkit: None,
        check: pip_unpinned,
    },
    Rule {
        info: info(
            "DD-DF-079",
            Severity::Low,
            "pip install without --no-cache-dir",
            "Pass `--no-cache-dir` to pip install (or set `ENV PIP_NO_CACHE_DIR=1`), so pip's download cache stays out of the layer.",
        ),
        hadolint: &["DL3042"],
        buildkit: None,
        check: pip_cache,
    },
    Rule {
        info: info(
            "DD-DF-080",
            Severity::Medium,
            "npm install without versions",
            "Pin each package, `npm install express@4.21.2`, or run `npm ci` from a lockfile.",
        ),
        hadolint: &["DL3016"],
        buildkit: None,
        check: npm_unpinned,
    },
    Rule {
        info: info(
            "DD-DF-081",
            Severity::Medium,
            "gem install without versions",
            "Pin each gem, `gem install rails:7.2.1` or `gem install rails -v 7.2.1`.",
        ),
        hadolint: &["DL3028"],
        buildkit: None,
        check: gem_unpinned,
    },
    Rule {
        info: info(
            "DD-DF-082",
            Severity::Medium,
            "go install without a version",
            "Install a fixed version, `go install golang.org/x/tools/gopls@v0.16.2`, not `@latest` or none.",
        ),
        hadolint: &["DL3062"],
        buildkit: None,
        check: go_unpinned,
    },
    Rule {
        info: info(
            "DD-DF-090",
            Severity::Low,
            "yarn cache left in the image",
            "End the RUN that runs `yarn install` with `&& yarn cache clean`.",
        ),
        hadolint: &["DL3060"],
        buildkit: None,
        check: yarn_cache,
    },
];

const PIP_VALUES: [&str; 26] = [
    "-r",
    "--requirement",
    "-c",
    "--constraint",
    "-e",
    "--editable",
    "-i",
    "--index-url",
    "--extra-index-url",
    "-f",
    "--find-links",
    "-t",
    "--target",
    "--prefix",
    "--root",
    "--trusted-host",
    "--platform",
    "--python-version",
    "--implementation",
    "--abi",
    "--src",
    "--upgrade-strategy",
    "--cache-dir",
    "--progress-bar",
    "-C",
    "--config-settings",
];
const NPM_VALUES: [&str; 8] = [
    "--prefix",
    "--registry",
    "--cache",
    "--tag",
    "-w",
    "--workspace",
    "--omit",
    "--include",
];
const GEM_VALUES: [&str; 11] = [
    "-v",
    "--version",
    "-i",
    "--install-dir",
    "-n",
    "--bindir",
    "-s",
    "--source",
    "-P",
    "--trust-policy",
    "--platform",
];

/// The arguments after `pip` in `pip …`, `pip3 …` or `python -m pip …`.
fn pip_args(command: &SimpleCommand) -> Option<&[ShellWord]> {
    let name = command.name()?;
    let args = command.args();
    if name == "pip" || name.starts_with("pip2") || name.starts_with("pip3") {
        return Some(args);
    }
    let python = name == "python" || name.starts_with("python2") || name.starts_with("python3");
    let module = args.iter().position(|w| w.value == "-m")?;
    (python && args.get(module + 1).is_some_and(|w| w.value == "pip")).then(|| &args[module + 2..])
}

/// pip install commands with their package operands.
fn pip_installs<'c, 'a>(
    cx: &'c Context<'a>,
) -> impl Iterator<Item = (&'c RunScript<'a>, &'c SimpleCommand, Vec<&'c ShellWord>)> + 'c {
    cx.commands().filter_map(|(script, command)| {
        let args = pip_args(command)?;
        let mut operands = Vec::new();
        let mut skip = false;
        for word in args {
            if std::mem::take(&mut skip) {
                continue;
            }
            if word.value.starts_with('-') {
                skip = PIP_VALUES.contains(&word.value.as_str());
            } else {
                operands.push(word);
            }
        }
        if operands.first().is_none_or(|w| w.value != "install") {
            return None;
        }
        operands.remove(0);
        Some((script, command, operands))
    })
}

fn pip_pinned(package: &str) -> bool {
    const LOCAL: [&str; 4] = [".whl", ".tar.gz", ".zip", ".tgz"];
    package.contains(['=', '<', '>', '@'])
        || package.starts_with(['.', '/'])
        || package.contains("://")
        || LOCAL.iter().any(|e| package.ends_with(e))
}

fn pip_unpinned(cx: &Context<'_>) -> Vec<Hit> {
    unpinned(pip_installs(cx), pip_pinned, "PACKAGE==VERSION")
}

/// Whether ENV (in the stage or the stages it is built from) sets PIP_NO_CACHE_DIR.
fn env_disables_pip_cache(cx: &Context<'_>, stage: usize) -> bool {
    cx.lineage(stage)
        .iter()
        .flat_map(|s| s.instructions.iter())
        .any(|i| match &i.body {
            Body::Env(pairs) => pairs
                .iter()
                .any(|p| p.key == "PIP_NO_CACHE_DIR" && !matches!(p.value.as_str(), "0" | "false" | "")),
            _ => false,
        })
}

fn pip_cache(cx: &Context<'_>) -> Vec<Hit> {
    pip_installs(cx)
        .filter(|(script, command, _)| {
            let flag = pip_args(command).is_some_and(|args| args.iter().any(|w| w.value == "--no-cache-dir"));
            let assigned = command
                .assignments
                .iter()
                .any(|a| a.value.starts_with("PIP_NO_CACHE_DIR="));
            let mounted = script.mounts_over("/root/.cache/pip") || script.mounts_over("/root/.cache");
            !flag && !assigned && !mounted && !env_disables_pip_cache(cx, script.stage)
        })
        .map(|(script, command, _)| Hit::new(script.command_at(command), "pip install without --no-cache-dir"))
        .collect()
}

/// `name@version` (not `@latest`), scoped `@scope/name@version`, or a path, URL or tarball.
fn npm_pinned(package: &str) -> bool {
    const SOURCES: [&str; 5] = ["://", "git+", "github:", "file:", ".tgz"];
    let versioned = package
        .rfind('@')
        .is_some_and(|at| at > 0 && &package[at + 1..] != "latest" && at + 1 < package.len());
    versioned || package.starts_with(['.', '/', '~']) || SOURCES.iter().any(|s| package.contains(s))
}

fn npm_unpinned(cx: &Context<'_>) -> Vec<Hit> {
    let installs = invocations(cx, &["npm"], &NPM_VALUES, &["install", "i", "add", "isntall"]);
    unpinned(installs, npm_pinned, "PACKAGE@VERSION")
}

fn gem_unpinned(cx: &Context<'_>) -> Vec<Hit> {
    let installs = invocations(cx, &["gem"], &GEM_VALUES, &["install"])
        .filter(|(_, command, _)| !command.has_option(&['v'], &["--version"]));
    unpinned(installs, |p| p.contains(':'), "GEM:VERSION")
}

fn go_unpinned(cx: &Context<'_>) -> Vec<Hit> {
    let pinned =
        |p: &str| p.starts_with(['.', '/']) || p.rsplit_once('@').is_some_and(|(_, v)| !v.is_empty() && v != "latest");
    let installs = invocations(cx, &["go"], &["-o", "-modfile", "-p"], &["install"]);
    unpinned(installs, pinned, "MODULE@VERSION")
}

fn yarn_cache(cx: &Context<'_>) -> Vec<Hit> {
    let installs = invocations(
        cx,
        &["yarn"],
        &["--cwd", "--cache-folder", "--modules-folder"],
        &["install"],
    );
    let cleaned = |script: &RunScript<'_>| {
        runs(cx, script, "yarn", &["cache"], &[]) || script.mounts_over("/usr/local/share/.cache/yarn")
    };
    cache_left(
        cx,
        installs,
        cleaned,
        "yarn install without `yarn cache clean` in the same RUN",
    )
}
