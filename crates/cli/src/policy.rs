//! Custom Rego rules on the command line: `drydock policy input` (the input document a
//! policy sees), `drydock policy rules` (what a policy directory defines), and the
//! `--policy DIR` plumbing `scan`, `lint` and `audit manifest` share.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use drydock_catalog::TargetKind;
use drydock_checks::policy::{self, Evaluation, PolicyInput, PolicySet};
use serde_json::Value;

use crate::args::{GlobalArgs, OutputFormat, PolicyCommand, PolicyInputArgs, PolicyInputKind, PolicyRulesArgs};
use crate::commands::sbom::target;
use crate::commands::source::{open_options, scan_options};
use crate::render::{new_table, printable};

pub fn run(global: &GlobalArgs, command: &PolicyCommand) -> Result<ExitCode> {
    match command {
        PolicyCommand::Input(args) => input(global, args),
        PolicyCommand::Rules(args) => rules(args),
        PolicyCommand::Check(args) => crate::trust::policy_check(args),
    }
}

/// The policies of `--policy DIR…`, `None` when no directory was given.
pub(crate) fn load(dirs: &[PathBuf]) -> Result<Option<PolicySet>> {
    if dirs.is_empty() {
        return Ok(None);
    }
    Ok(Some(policy::load(dirs)?))
}

/// What the policies' `print()` calls wrote, on standard error as OPA does.
pub(crate) fn show_prints(evaluation: &Evaluation) {
    for line in &evaluation.prints {
        eprintln!("drydock: policy print: {}", printable(line));
    }
}

/// Evaluates `input` and returns its findings, showing prints.
pub(crate) fn evaluate(set: &mut PolicySet, input: &PolicyInput) -> Result<Vec<drydock_model::CheckFinding>> {
    let evaluation = set.evaluate(input)?;
    show_prints(&evaluation);
    Ok(evaluation.findings)
}

fn input(global: &GlobalArgs, args: &PolicyInputArgs) -> Result<ExitCode> {
    let kind = match args.kind {
        PolicyInputKind::Auto => detect(&args.target),
        other => other,
    };
    if args.document.is_some() && kind != PolicyInputKind::Manifest {
        bail!("--document applies to manifests only");
    }
    let document = match kind {
        PolicyInputKind::Image | PolicyInputKind::Auto => image_input(global, args)?.document,
        PolicyInputKind::Dockerfile => {
            let file = drydock_dockerfile::parse_file(Path::new(&args.target))?;
            policy::input::dockerfile(&file).document
        }
        PolicyInputKind::Manifest => manifest_documents(&args.target, args.document)?,
    };
    let mut bytes = serde_json::to_vec_pretty(&document)?;
    bytes.push(b'\n');
    let mut out = std::io::stdout().lock();
    out.write_all(&bytes)
        .and_then(|()| out.flush())
        .context("writing the input document to standard output")?;
    Ok(ExitCode::SUCCESS)
}

/// An existing file is a Dockerfile by its name, else a manifest; anything else an image.
fn detect(target: &str) -> PolicyInputKind {
    let path = Path::new(target);
    if !path.is_file() {
        return PolicyInputKind::Image;
    }
    if is_dockerfile_name(path) {
        PolicyInputKind::Dockerfile
    } else {
        PolicyInputKind::Manifest
    }
}

/// `Dockerfile`, `Containerfile`, `Dockerfile.prod`, `api.Dockerfile` (any case).
pub(crate) fn is_dockerfile_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    ["dockerfile", "containerfile"]
        .iter()
        .any(|base| name == *base || name.starts_with(&format!("{base}.")) || name.ends_with(&format!(".{base}")))
}

/// The image's input: one pass over the layers with the catalogers (packages, OS).
fn image_input(global: &GlobalArgs, args: &PolicyInputArgs) -> Result<PolicyInput> {
    let (kind, reference) = target(&args.target)?;
    if kind != TargetKind::Image {
        bail!("`{}`: policies take images, Dockerfiles and manifests", args.target);
    }
    let options = open_options(&args.source)?;
    let opened = drydock_oci::open(&reference, &args.target, &options).map_err(|e| e.in_image(&args.target))?;
    let analyzers = drydock_catalog::analyzers_for(kind);
    let scan = drydock_oci::scan(opened, &analyzers, &scan_options(global, &args.source))
        .map_err(|e| e.in_image(&args.target))?;
    let inventory = drydock_catalog::inventory(&scan);
    Ok(policy::input::image(&scan, &inventory))
}

fn manifest_documents(path: &str, document: Option<usize>) -> Result<Value> {
    let bytes = read_manifest(Path::new(path))?;
    let inputs = policy::input::manifest(path, &bytes)?;
    match document {
        None => Ok(Value::Array(inputs.into_iter().map(|i| i.document).collect())),
        Some(number) => inputs
            .into_iter()
            .find(|i| i.document["document"] == number)
            .map(|i| i.document)
            .with_context(|| format!("{path} has no non-empty YAML document {number}")),
    }
}

/// A manifest's bytes, refused above the manifest audit's size limit.
pub(crate) fn read_manifest(path: &Path) -> Result<Vec<u8>> {
    let size = std::fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len();
    if size > drydock_checks::workload::MAX_MANIFEST_BYTES {
        bail!(
            "{}: {size} bytes, more than the {} accepted for a manifest",
            path.display(),
            drydock_checks::workload::MAX_MANIFEST_BYTES
        );
    }
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn rules(args: &PolicyRulesArgs) -> Result<ExitCode> {
    let set = policy::load(&args.policy)?;
    let text = match args.format {
        OutputFormat::Json => {
            let mut text = serde_json::to_string_pretty(set.rules())?;
            text.push('\n');
            text
        }
        OutputFormat::Table => {
            let mut table = new_table();
            table.set_header(["ID", "SEVERITY", "APPLIES TO", "TITLE", "PACKAGE", "RULES"]);
            for rule in set.rules() {
                let kinds: Vec<&str> = rule.applies_to.iter().map(|k| k.name()).collect();
                let defined: Vec<&str> = [("deny", rule.deny), ("warn", rule.warn)]
                    .iter()
                    .filter(|(_, on)| *on)
                    .map(|(name, _)| *name)
                    .collect();
                table.add_row(vec![
                    printable(&rule.id).into_owned(),
                    rule.severity.to_string(),
                    kinds.join(", "),
                    printable(&rule.title).into_owned(),
                    rule.package.clone(),
                    defined.join(", "),
                ]);
            }
            format!("{table}\n{} rules.\n", set.rules().len())
        }
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("writing the rules to standard output")?;
    Ok(ExitCode::SUCCESS)
}
