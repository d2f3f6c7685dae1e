//! Operating-system package managers: apt, apk, yum/dnf, zypper.

use drydock_model::Severity;

use super::{Context, Hit, Rule, RunScript, info};
use crate::shell::{ShellWord, SimpleCommand};
use crate::syntax::Instruction;

pub(super) const RULES: &[Rule] = &[
    Rule {
        info: info(
            "DD-DF-070",
            Severity::Medium,
            "apt-get install without versions",
            "Pin each package, `apt-get install -y curl=7.88.1-10+deb12u8`, so a rebuild cannot pull a different version silently.",
        ),
        hadolint: &["DL3008"],
        buildkit: None,
        check: apt_unpinned,
    },
    Rule {
        info: info(
            "DD-DF-071",
            Severity::Medium,
            "apt-get install without -y",
            "Pass `-y` to apt-get install: the build has no one to answer the prompt.",
        ),
        hadolint: &["DL3014"],
        buildkit: None,
        check: apt_without_yes,
    },
    Rule {
        info: info(
            "DD-DF-072",
            Severity::Low,
            "apt-get install without --no-install-recommends",
            "Pass `--no-install-recommends`: recommended packages are not needed to run and enlarge the attack surface.",
        ),
        hadolint: &["DL3015"],
        buildkit: None,
        check: apt_recommends,
    },
    Rule {
        info: info(
            "DD-DF-073",
            Severity::Low,
            "apt lists left in the image",
            "End the RUN that calls `apt-get update` with `&& rm -rf /var/lib/apt/lists/*` (or mount a cache over /var/lib/apt/lists).",
        ),
        hadolint: &["DL3009"],
        buildkit: None,
        check: apt_lists_kept,
    },
    Rule {
        info: info(
            "DD-DF-074",
            Severity::Low,
            "apt-get upgrade in RUN",
            "Rebuild from an updated base image instead of `apt-get upgrade`/`dist-upgrade`: upgrades in a layer make the build unreproducible and the image larger.",
        ),
        hadolint: &["DL3005"],
        buildkit: None,
        check: apt_upgrade,
    },
    Rule {
        info: info(
            "DD-DF-075",
            Severity::Medium,
            "apt instead of apt-get",
            "Use apt-get (or apt-cache): apt is meant for people and its interface may change between releases.",
        ),
        hadolint: &["DL3027"],
        buildkit: None,
        check: apt_not_apt_get,
    },
    Rule {
        info: info(
            "DD-DF-076",
            Severity::Medium,
            "apk add without versions",
            "Pin each package, `apk add curl=8.5.0-r0` (or `curl~8.5`), so a rebuild cannot pull a different version silently.",
        ),
        hadolint: &["DL3018"],
        buildkit: None,
        check: apk_unpinned,
    },
    Rule {
        info: info(
            "DD-DF-077",
            Severity::Low,
            "apk add without --no-cache",
            "Pass `--no-cache` to apk add, so the package index is not stored in the layer.",
        ),
        hadolint: &["DL3019"],
        buildkit: None,
        check: apk_cache,
    },
    Rule {
        info: info(
            "DD-DF-083",
            Severity::Medium,
            "yum or dnf install without -y",
            "Pass `-y` to yum/dnf install: the build has no one to answer the prompt.",
        ),
        hadolint: &["DL3030", "DL3038"],
        buildkit: None,
        check: rpm_without_yes,
    },
    Rule {
        info: info(
            "DD-DF-084",
            Severity::Low,
            "yum or dnf cache left in the image",
            "End the RUN with `&& yum clean all` / `&& dnf clean all` (or `rm -rf /var/cache/yum /var/cache/dnf`).",
        ),
        hadolint: &["DL3032", "DL3040"],
        buildkit: None,
        check: rpm_cache,
    },
    Rule {
        info: info(
            "DD-DF-085",
            Severity::Medium,
            "yum or dnf install without versions",
            "Pin each package, `dnf install -y httpd-2.4.57`, so a rebuild cannot pull a different version silently.",
        ),
        hadolint: &["DL3033", "DL3041"],
        buildkit: None,
        check: rpm_unpinned,
    },
    Rule {
        info: info(
            "DD-DF-086",
            Severity::Medium,
            "zypper without --non-interactive",
            "Pass `-n` (`--non-interactive`) to zypper, or `-y` to its install command.",
        ),
        hadolint: &["DL3034"],
        buildkit: None,
        check: zypper_interactive,
    },
    Rule {
        info: info(
            "DD-DF-087",
            Severity::Medium,
            "zypper install without versions",
            "Pin each package, `zypper install -y curl=8.0.1`, so a rebuild cannot pull a different version silently.",
        ),
        hadolint: &["DL3037"],
        buildkit: None,
        check: zypper_unpinned,
    },
    Rule {
        info: info(
            "DD-DF-088",
            Severity::Low,
            "zypper cache left in the image",
            "End the RUN with `&& zypper clean -a`.",
        ),
        hadolint: &["DL3036"],
        buildkit: None,
        check: zypper_cache,
    },
    Rule {
        info: info(
            "DD-DF-089",
            Severity::Low,
            "zypper dist-upgrade or update in RUN",
            "Rebuild from an updated base image instead of `zypper dist-upgrade`/`update`.",
        ),
        hadolint: &["DL3035"],
        buildkit: None,
        check: zypper_upgrade,
    },
];

const APT_VALUES: [&str; 9] = [
    "-o",
    "--option",
    "-c",
    "--config-file",
    "-t",
    "--target-release",
    "--default-release",
    "-a",
    "--host-architecture",
];
const APK_VALUES: [&str; 10] = [
    "-t",
    "--virtual",
    "-X",
    "--repository",
    "--arch",
    "-p",
    "--root",
    "--repositories-file",
    "--cache-dir",
    "--keys-dir",
];
const RPM_VALUES: [&str; 12] = [
    "-c",
    "--config",
    "--installroot",
    "--enablerepo",
    "--disablerepo",
    "-x",
    "--exclude",
    "--releasever",
    "--setopt",
    "--repo",
    "--repoid",
    "--downloaddir",
];
const ZYPPER_VALUES: [&str; 7] = ["-r", "--repo", "--root", "-R", "-t", "--type", "--from"];

/// Commands of `tools` whose subcommand is one of `subcommands`, with their package operands.
pub(super) fn invocations<'c, 'a>(
    cx: &'c Context<'a>,
    tools: &'c [&str],
    values: &'c [&str],
    subcommands: &'c [&str],
) -> impl Iterator<Item = (&'c RunScript<'a>, &'c SimpleCommand, Vec<&'c ShellWord>)> + 'c {
    cx.commands().filter_map(move |(script, command)| {
        let name = command.name()?;
        if !tools.contains(&name) {
            return None;
        }
        let mut operands = command.operands(values);
        if operands.is_empty() || !subcommands.contains(&operands[0].value.as_str()) {
            return None;
        }
        operands.remove(0);
        Some((script, command, operands))
    })
}

/// One finding per command listing the packages that `pinned` rejects (variables are not
/// judged).
pub(super) fn unpinned<'c>(
    found: impl Iterator<Item = (&'c RunScript<'c>, &'c SimpleCommand, Vec<&'c ShellWord>)>,
    pinned: fn(&str) -> bool,
    example: &str,
) -> Vec<Hit> {
    found
        .filter_map(|(script, command, packages)| {
            let loose: Vec<&str> = packages
                .iter()
                .map(|w| w.value.as_str())
                .filter(|p| !p.contains('$') && !pinned(p))
                .collect();
            if loose.is_empty() {
                return None;
            }
            let name = command.name().unwrap_or_default();
            let message = format!("{name}: no version for {} (write {example})", loose.join(", "));
            Some(Hit::new(script.command_at(command), message))
        })
        .collect()
}

/// Scripts of the same RUN instruction as `script` (its shell text and heredoc bodies).
fn same_run<'c, 'a>(cx: &'c Context<'a>, script: &'c RunScript<'a>) -> impl Iterator<Item = &'c SimpleCommand> + 'c {
    cx.scripts
        .iter()
        .filter(move |s| std::ptr::eq(s.instruction, script.instruction))
        .flat_map(|s| s.commands.iter())
}

/// Whether the RUN of `script` deletes a path starting with one of `prefixes`.
pub(super) fn removes(cx: &Context<'_>, script: &RunScript<'_>, prefixes: &[&str]) -> bool {
    same_run(cx, script).filter(|c| c.is("rm")).any(|c| {
        c.operands(&[])
            .iter()
            .any(|w| prefixes.iter().any(|p| w.value.starts_with(p)))
    })
}

/// Whether the RUN of `script` runs `tool` with one of `subcommands`.
pub(super) fn runs(
    cx: &Context<'_>,
    script: &RunScript<'_>,
    tool: &str,
    subcommands: &[&str],
    values: &[&str],
) -> bool {
    same_run(cx, script).any(|c| c.is(tool) && c.subcommand(values).is_some_and(|s| subcommands.contains(&s)))
}

/// A finding per command of `found` in a stage that ends up in the final image, when
/// `cleaned` says its RUN leaves its cache behind.
pub(super) fn cache_left<'c, 'a: 'c>(
    cx: &'c Context<'a>,
    found: impl Iterator<Item = (&'c RunScript<'a>, &'c SimpleCommand, Vec<&'c ShellWord>)>,
    cleaned: impl Fn(&RunScript<'_>) -> bool,
    message: &str,
) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut reported: Vec<&Instruction> = Vec::new();
    for (script, command, _) in found {
        let seen = reported.iter().any(|i| std::ptr::eq(*i, script.instruction));
        if seen || !cx.in_final_image(script.stage) || cleaned(script) {
            continue;
        }
        reported.push(script.instruction);
        hits.push(Hit::new(script.command_at(command), message));
    }
    hits
}

fn apt_pinned(package: &str) -> bool {
    package.contains('=') || package.ends_with(".deb")
}

fn apt_installs<'c, 'a>(
    cx: &'c Context<'a>,
) -> impl Iterator<Item = (&'c RunScript<'a>, &'c SimpleCommand, Vec<&'c ShellWord>)> + 'c {
    invocations(cx, &["apt-get", "apt"], &APT_VALUES, &["install"])
}

fn apt_unpinned(cx: &Context<'_>) -> Vec<Hit> {
    unpinned(apt_installs(cx), apt_pinned, "PACKAGE=VERSION")
}

fn apt_without_yes(cx: &Context<'_>) -> Vec<Hit> {
    apt_installs(cx)
        .filter(|(_, c, _)| {
            let quiet = c
                .args()
                .iter()
                .any(|w| matches!(w.value.as_str(), "-qq" | "-q=2" | "--quiet=2"));
            !quiet && !c.has_option(&['y'], &["--yes", "--assume-yes"])
        })
        .map(|(script, command, _)| {
            Hit::new(
                script.command_at(command),
                format!("{} install without -y", command.name().unwrap_or_default()),
            )
        })
        .collect()
}

fn apt_recommends(cx: &Context<'_>) -> Vec<Hit> {
    apt_installs(cx)
        .filter(|(_, c, _)| {
            let by_option = c
                .args()
                .iter()
                .any(|w| w.value.contains("Install-Recommends=false") || w.value.contains("Install-Recommends=0"));
            !by_option && !c.has_option(&[], &["--no-install-recommends"])
        })
        .map(|(script, command, _)| {
            let name = command.name().unwrap_or_default();
            Hit::new(
                script.command_at(command),
                format!("{name} install without --no-install-recommends"),
            )
        })
        .collect()
}

fn apt_lists_kept(cx: &Context<'_>) -> Vec<Hit> {
    let updates = invocations(cx, &["apt-get", "apt"], &APT_VALUES, &["update"]);
    let cleaned = |script: &RunScript<'_>| {
        script.mounts_over("/var/lib/apt/lists") || removes(cx, script, &["/var/lib/apt/lists"])
    };
    cache_left(
        cx,
        updates,
        cleaned,
        "apt-get update without `rm -rf /var/lib/apt/lists/*` in the same RUN",
    )
}

fn apt_upgrade(cx: &Context<'_>) -> Vec<Hit> {
    invocations(
        cx,
        &["apt-get", "apt"],
        &APT_VALUES,
        &["upgrade", "dist-upgrade", "full-upgrade"],
    )
    .map(|(script, command, _)| {
        let sub = command.subcommand(&APT_VALUES).unwrap_or_default();
        Hit::new(
            script.command_at(command),
            format!("`{} {sub}` in RUN", command.name().unwrap_or_default()),
        )
    })
    .collect()
}

fn apt_not_apt_get(cx: &Context<'_>) -> Vec<Hit> {
    cx.commands()
        .filter(|(_, c)| c.is("apt") && c.subcommand(&APT_VALUES).is_some())
        .map(|(script, command)| Hit::new(script.command_at(command), "`apt` in RUN"))
        .collect()
}

fn apk_adds<'c, 'a>(
    cx: &'c Context<'a>,
) -> impl Iterator<Item = (&'c RunScript<'a>, &'c SimpleCommand, Vec<&'c ShellWord>)> + 'c {
    invocations(cx, &["apk"], &APK_VALUES, &["add"])
}

fn apk_unpinned(cx: &Context<'_>) -> Vec<Hit> {
    let pinned = |p: &str| p.contains(['=', '~', '<', '>']) || p.ends_with(".apk");
    unpinned(apk_adds(cx), pinned, "PACKAGE=VERSION")
}

fn apk_cache(cx: &Context<'_>) -> Vec<Hit> {
    apk_adds(cx)
        .filter(|(script, command, _)| {
            !command.has_option(&[], &["--no-cache"])
                && !script.mounts_over("/var/cache/apk")
                && !removes(cx, script, &["/var/cache/apk"])
        })
        .map(|(script, command, _)| Hit::new(script.command_at(command), "apk add without --no-cache"))
        .collect()
}

fn rpm_installs<'c, 'a>(
    cx: &'c Context<'a>,
) -> impl Iterator<Item = (&'c RunScript<'a>, &'c SimpleCommand, Vec<&'c ShellWord>)> + 'c {
    invocations(
        cx,
        &["yum", "dnf"],
        &RPM_VALUES,
        &["install", "groupinstall", "localinstall", "reinstall"],
    )
}

fn rpm_without_yes(cx: &Context<'_>) -> Vec<Hit> {
    rpm_installs(cx)
        .filter(|(_, c, _)| !c.has_option(&['y'], &["--assumeyes"]))
        .map(|(script, command, _)| {
            Hit::new(
                script.command_at(command),
                format!("{} install without -y", command.name().unwrap_or_default()),
            )
        })
        .collect()
}

fn rpm_cache(cx: &Context<'_>) -> Vec<Hit> {
    let cleaned = |script: &RunScript<'_>| {
        script.mounts_over("/var/cache/yum")
            || script.mounts_over("/var/cache/dnf")
            || removes(cx, script, &["/var/cache/yum", "/var/cache/dnf"])
            || runs(cx, script, "yum", &["clean"], &RPM_VALUES)
            || runs(cx, script, "dnf", &["clean"], &RPM_VALUES)
    };
    cache_left(
        cx,
        rpm_installs(cx),
        cleaned,
        "yum/dnf install without `clean all` in the same RUN",
    )
}

/// `name-1.2.3`, a local `.rpm` or a path.
fn rpm_pinned(package: &str) -> bool {
    let bytes = package.as_bytes();
    let versioned = bytes.windows(2).any(|w| w[0] == b'-' && w[1].is_ascii_digit());
    versioned || package.ends_with(".rpm") || package.contains(['/', '=', '<', '>'])
}

fn rpm_unpinned(cx: &Context<'_>) -> Vec<Hit> {
    unpinned(rpm_installs(cx), rpm_pinned, "PACKAGE-VERSION")
}

fn zypper_installs<'c, 'a>(
    cx: &'c Context<'a>,
) -> impl Iterator<Item = (&'c RunScript<'a>, &'c SimpleCommand, Vec<&'c ShellWord>)> + 'c {
    invocations(cx, &["zypper"], &ZYPPER_VALUES, &["install", "in"])
}

fn zypper_interactive(cx: &Context<'_>) -> Vec<Hit> {
    let changing = [
        "install",
        "in",
        "remove",
        "rm",
        "update",
        "up",
        "patch",
        "dist-upgrade",
        "dup",
        "source-install",
        "si",
    ];
    invocations(cx, &["zypper"], &ZYPPER_VALUES, &changing)
        .filter(|(_, c, _)| !c.has_option(&['n', 'y'], &["--non-interactive", "--no-confirm"]))
        .map(|(script, command, _)| Hit::new(script.command_at(command), "zypper without -n or -y"))
        .collect()
}

fn zypper_unpinned(cx: &Context<'_>) -> Vec<Hit> {
    let pinned = |p: &str| p.contains(['=', '<', '>']) || p.ends_with(".rpm");
    unpinned(zypper_installs(cx), pinned, "PACKAGE=VERSION")
}

fn zypper_cache(cx: &Context<'_>) -> Vec<Hit> {
    let cleaned = |script: &RunScript<'_>| {
        runs(cx, script, "zypper", &["clean", "cc"], &ZYPPER_VALUES) || removes(cx, script, &["/var/cache/zypp"])
    };
    cache_left(
        cx,
        zypper_installs(cx),
        cleaned,
        "zypper install without `zypper clean` in the same RUN",
    )
}

fn zypper_upgrade(cx: &Context<'_>) -> Vec<Hit> {
    invocations(
        cx,
        &["zypper"],
        &ZYPPER_VALUES,
        &["dist-upgrade", "dup", "update", "up"],
    )
    .map(|(script, command, _)| {
        let sub = command.subcommand(&ZYPPER_VALUES).unwrap_or_default();
        Hit::new(script.command_at(command), format!("`zypper {sub}` in RUN"))
    })
    .collect()
}
