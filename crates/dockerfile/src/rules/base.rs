//! Base images and stages: tags, platforms, stage names, `COPY --from`.

use std::collections::HashMap;

use drydock_model::Severity;

use super::{Context, Hit, Rule, info};
use crate::syntax::Keyword;

pub(super) const RULES: &[Rule] = &[
    Rule {
        info: info(
            "DD-DF-001",
            Severity::Medium,
            "Base image without a tag or digest",
            "Name the exact base image: `FROM debian:12.8-slim`, better with its digest (`@sha256:…`), so rebuilds start from what was reviewed.",
        ),
        hadolint: &["DL3006"],
        buildkit: None,
        check: untagged_base,
    },
    Rule {
        info: info(
            "DD-DF-002",
            Severity::Medium,
            "Base image tagged `latest`",
            "Replace `latest` with a version tag (and a digest): `latest` moves, so the same Dockerfile builds different images.",
        ),
        hadolint: &["DL3007"],
        buildkit: None,
        check: latest_base,
    },
    Rule {
        info: info(
            "DD-DF-003",
            Severity::Low,
            "FROM --platform with a constant",
            "Drop `--platform`, or use a build argument such as `--platform=$BUILDPLATFORM` for cross-compiling stages.",
        ),
        hadolint: &["DL3029"],
        buildkit: Some("FromPlatformFlagConstDisallowed"),
        check: constant_platform,
    },
    Rule {
        info: info(
            "DD-DF-004",
            Severity::High,
            "Stage name used twice",
            "Give every `FROM … AS name` a different name (names are compared without case).",
        ),
        hadolint: &["DL3024"],
        buildkit: Some("DuplicateStageName"),
        check: duplicate_stage_names,
    },
    Rule {
        info: info(
            "DD-DF-005",
            Severity::Medium,
            "COPY --from names no earlier stage",
            "Point `--from` at a stage defined above (by name or number) or at a full image reference with a tag or digest.",
        ),
        hadolint: &["DL3022"],
        buildkit: None,
        check: copy_from_unknown,
    },
    Rule {
        info: info(
            "DD-DF-006",
            Severity::High,
            "COPY --from names its own stage",
            "A stage cannot copy from itself: copy from an earlier stage, or use a plain COPY from the build context.",
        ),
        hadolint: &["DL3023"],
        buildkit: None,
        check: copy_from_self,
    },
];

/// A base image as the build will see it: `None` for `scratch`, earlier stages and
/// references that still hold an unresolved variable.
fn external_image(cx: &Context<'_>, stage_index: usize) -> Option<(String, crate::Position)> {
    let stage = &cx.stages[stage_index];
    let image = cx.expand_global(&stage.image.value);
    if image.contains('$') || image.eq_ignore_ascii_case("scratch") || cx.stage_named(&image, stage_index).is_some() {
        return None;
    }
    Some((image, stage.image.position))
}

/// The tag of an image reference (`None` when it has none), and whether it has a digest.
fn tag_and_digest(image: &str) -> (Option<&str>, bool) {
    let (name, digest) = match image.split_once('@') {
        Some((name, _)) => (name, true),
        None => (image, false),
    };
    let last = name.rsplit('/').next().unwrap_or(name);
    (last.split_once(':').map(|(_, tag)| tag), digest)
}

fn untagged_base(cx: &Context<'_>) -> Vec<Hit> {
    (0..cx.stages.len())
        .filter_map(|index| external_image(cx, index))
        .filter(|(image, _)| tag_and_digest(image) == (None, false))
        .map(|(image, position)| {
            Hit::new(
                position,
                format!("`{image}` has no tag: the build takes whatever `latest` is"),
            )
        })
        .collect()
}

fn latest_base(cx: &Context<'_>) -> Vec<Hit> {
    (0..cx.stages.len())
        .filter_map(|index| external_image(cx, index))
        .filter(|(image, _)| tag_and_digest(image) == (Some("latest"), false))
        .map(|(image, position)| Hit::new(position, format!("`{image}` follows the moving `latest` tag")))
        .collect()
}

fn constant_platform(cx: &Context<'_>) -> Vec<Hit> {
    cx.stages
        .iter()
        .filter_map(|stage| stage.from.flag("platform"))
        .filter(|flag| flag.value.as_deref().is_some_and(|v| !v.contains('$')))
        .map(|flag| {
            let value = flag.value.as_deref().unwrap_or_default();
            Hit::new(
                flag.position,
                format!("`--platform={value}` pins the stage to one platform"),
            )
        })
        .collect()
}

fn duplicate_stage_names(cx: &Context<'_>) -> Vec<Hit> {
    let mut seen: HashMap<String, u32> = HashMap::new();
    let mut hits = Vec::new();
    for stage in &cx.stages {
        let (Some(alias), Some(name)) = (stage.alias, stage.name()) else {
            continue;
        };
        match seen.get(&name) {
            Some(line) => hits.push(Hit::new(
                alias.position,
                format!("stage `{}` is already defined on line {line}", alias.value),
            )),
            None => {
                seen.insert(name, alias.position.line);
            }
        }
    }
    hits
}

/// Each `COPY --from=` value with its stage and position.
fn copy_froms<'a>(cx: &'a Context<'_>) -> impl Iterator<Item = (usize, &'a crate::syntax::Flag, &'a str)> + 'a {
    cx.each(Keyword::Copy).filter_map(|(stage, instruction)| {
        let flag = instruction.flag("from")?;
        Some((stage, flag, flag.value.as_deref()?))
    })
}

fn copy_from_unknown(cx: &Context<'_>) -> Vec<Hit> {
    let mut hits = Vec::new();
    for (stage, flag, from) in copy_froms(cx) {
        let from = cx.expand_global(from);
        let own = cx.stages[stage].name().is_some_and(|n| n == from.to_ascii_lowercase());
        if own || from.contains('$') || cx.stage_named(&from, stage).is_some() {
            continue;
        }
        let message = if let Ok(number) = from.parse::<usize>() {
            format!("stage {number} is not defined before this one (this is stage {stage})")
        } else if let Some(later) = cx.stages.iter().find(|s| s.name() == Some(from.to_ascii_lowercase())) {
            format!(
                "stage `{from}` is defined later (line {}), not before",
                later.from.position.line
            )
        } else if from.contains(['/', ':', '@']) {
            continue;
        } else {
            format!("`{from}` is not a stage defined above, nor an image reference with a tag or digest")
        };
        hits.push(Hit::new(flag.position, message));
    }
    hits
}

fn copy_from_self(cx: &Context<'_>) -> Vec<Hit> {
    copy_froms(cx)
        .filter(|(stage, _, from)| {
            let current = &cx.stages[*stage];
            current.name().is_some_and(|n| n == from.to_ascii_lowercase()) || from.parse() == Ok(*stage)
        })
        .map(|(_, flag, from)| Hit::new(flag.position, format!("`--from={from}` is the stage this COPY is in")))
        .collect()
}
