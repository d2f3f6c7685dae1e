//! `drydock scan TARGET`: the inventory of an image, directory or SBOM matched against the
//! vulnerability database, plus secrets in every layer and image misconfiguration (one pass
//! over the layers for all of it), filtered and suppressed as the user asked, rendered as a
//! table, JSON, SARIF or CycloneDX, with an exit code CI can act on.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use drydock_advisory::suppress::{Suppressions, ignore, vex};
use drydock_catalog::TargetKind;
use drydock_catalog::sbom::Subject;
use drydock_checks::policy::PolicySet;
use drydock_checks::{AllowList, CheckOptions};
use drydock_model::{
    CheckFinding, FindingKind, FixState, ImageDescription, Inventory, SCAN_REPORT_SCHEMA_VERSION, ScanReport,
    ScanTarget, ScanWarning, Severity,
};
use drydock_report::{RenderOptions, ReportFormat};

use super::db::{database_info, open_database};
use super::sbom::{created, target, write_atomically};
use super::source::{open_options, scan_options};
use crate::args::{GlobalArgs, ScanArgs, ScanFormat, Scanner, SeverityArg};

/// The ignore file used when `--ignore-file` is not given and it exists.
const DEFAULT_IGNORE_FILE: &str = ".drydockignore";

pub fn run(global: &GlobalArgs, args: &ScanArgs) -> Result<ExitCode> {
    let scanned = scan(global, args)?;
    let options = RenderOptions {
        show_suppressed: args.show_suppressed,
        color: args.output.is_none() && std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
        width: None,
    };
    let bytes = drydock_report::render(
        report_format(args.format),
        &scanned.report,
        &scanned.inventory,
        &scanned.subject,
        created()?,
        &options,
    )?;
    match &args.output {
        Some(path) => write_atomically(path, &bytes)?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(&bytes)
                .and_then(|()| out.flush())
                .context("writing the report to standard output")?;
        }
    }
    if args.exit_code != 0 && unsuppressed(&scanned.report) > 0 {
        return Ok(ExitCode::from(args.exit_code));
    }
    Ok(ExitCode::SUCCESS)
}

/// Findings that count for `--exit-code`: unsuppressed vulnerabilities and malware, and
/// check findings (ignored ones were already dropped).
pub(crate) fn unsuppressed(report: &ScanReport) -> usize {
    report.findings().filter(|finding| finding.suppressed.is_none()).count() + report.checks.len()
}

/// A finished scan: the report and what it was made from.
pub(crate) struct ScanOutcome {
    pub report: ScanReport,
    pub inventory: Inventory,
    pub subject: Subject,
}

/// Scans `args.target` as the arguments say, without rendering anything.
pub(crate) fn scan(global: &GlobalArgs, args: &ScanArgs) -> Result<ScanOutcome> {
    let mut policies = policies_for(args)?;
    let vulnerabilities = args.scanners.contains(&Scanner::Vuln);
    let database = vulnerabilities
        .then(|| open_database(global, &args.database))
        .transpose()?;
    let mut suppressions = load_suppressions(args)?;
    let checks = check_options(args)?;
    let scanned = inventory_of(global, args, &checks, policies.as_mut())?;
    let now = drydock_model::time::now_seconds();
    let mut warnings = catalog_warnings(&scanned.inventory);
    let mut targets = Vec::new();
    if let Some(database) = &database {
        warnings.extend(super::db::age_warning(database, args.database.db_max_age, now));
        let (found, match_warnings) = drydock_advisory::vulnerabilities(database, &scanned.inventory)
            .with_context(|| format!("matching {}", args.target))?;
        targets = found;
        warnings.extend(match_warnings);
    }
    filter(&mut targets, args);
    suppressions.image_names = image_names(&args.target, &scanned.subject);
    warnings.extend(suppressions.apply(&mut targets, now));
    let check_findings = filter_checks(scanned.checks, args, &suppressions, now);
    for warning in &warnings {
        tracing::warn!("{}: {}", warning.stage, warning.message);
    }
    let report = ScanReport {
        schema_version: SCAN_REPORT_SCHEMA_VERSION,
        tool: format!("drydock {}", env!("CARGO_PKG_VERSION")),
        target: args.target.clone(),
        image: scanned.image,
        os: scanned.inventory.os.clone(),
        database: database.as_ref().map(database_info).unwrap_or_default(),
        packages: scanned.inventory.packages.len(),
        targets,
        checks: check_findings,
        warnings,
    };
    Ok(ScanOutcome {
        report,
        inventory: scanned.inventory,
        subject: scanned.subject,
    })
}

/// What was scanned.
struct Scanned {
    inventory: Inventory,
    subject: Subject,
    image: Option<ImageDescription>,
    checks: Vec<CheckFinding>,
}

/// `--scanners` and `--secret-allow-list` as check options.
fn check_options(args: &ScanArgs) -> Result<CheckOptions> {
    let allow_list = match &args.secret_allow_list {
        Some(path) => AllowList::from_file(path)?,
        None => AllowList::default(),
    };
    Ok(CheckOptions {
        secrets: args.scanners.contains(&Scanner::Secret),
        misconfig: args.scanners.contains(&Scanner::Misconfig),
        allow_list: Arc::new(allow_list),
        ..CheckOptions::default()
    })
}

/// `--policy`: custom rules run with the misconfig scanner, over images only. Loaded before
/// the image is read, so a broken policy fails at once.
fn policies_for(args: &ScanArgs) -> Result<Option<PolicySet>> {
    if args.policy.is_empty() {
        return Ok(None);
    }
    if !args.scanners.contains(&Scanner::Misconfig) {
        bail!("--policy needs the misconfig scanner (add misconfig to --scanners)");
    }
    if ["fs:", "rootfs:", "sbom:"]
        .iter()
        .any(|prefix| args.target.starts_with(prefix))
    {
        bail!("--policy applies to images, not to `{}`", args.target);
    }
    crate::policy::load(&args.policy)
}

/// One pass over the target: the catalogers and the checks' analyzers together; then the
/// custom policies, once, over what the pass found.
fn inventory_of(
    global: &GlobalArgs,
    args: &ScanArgs,
    checks: &CheckOptions,
    policies: Option<&mut PolicySet>,
) -> Result<Scanned> {
    if let Some(path) = args.target.strip_prefix("sbom:") {
        return sbom_inventory(&args.target, Path::new(path));
    }
    let (kind, reference) = target(&args.target)?;
    // Image configuration checks mean nothing for a directory; secrets are everywhere.
    let checks = CheckOptions {
        misconfig: checks.misconfig && kind == TargetKind::Image,
        ..checks.clone()
    };
    let options = open_options(&args.source)?;
    let opened = drydock_oci::open(&reference, &args.target, &options).map_err(|e| e.in_image(&args.target))?;
    let mut analyzers = drydock_catalog::analyzers_for(kind);
    analyzers.extend(drydock_checks::analyzers(&checks));
    let scan = drydock_oci::scan(opened, &analyzers, &scan_options(global, &args.source))
        .map_err(|e| e.in_image(&args.target))?;
    let inventory = drydock_catalog::inventory(&scan);
    let mut check_findings = drydock_checks::image_findings(&scan, &checks)?;
    if let Some(set) = policies.filter(|_| checks.misconfig) {
        let evaluation = set.evaluate_image(&scan, &inventory, &checks.allow_list)?;
        crate::policy::show_prints(&evaluation);
        check_findings.extend(evaluation.findings);
    }
    let subject = Subject::new(&args.target, &reference, &scan.description, kind);
    let image = (kind == TargetKind::Image).then_some(scan.description);
    Ok(Scanned {
        inventory,
        subject,
        image,
        checks: check_findings,
    })
}

fn sbom_inventory(text: &str, path: &Path) -> Result<Scanned> {
    let bytes = std::fs::read(path).with_context(|| format!("reading the SBOM {}", path.display()))?;
    let inventory = drydock_catalog::sbom::read(&bytes, &path.display().to_string())
        .with_context(|| format!("reading the SBOM {}", path.display()))?;
    let subject = Subject {
        name: text.to_string(),
        kind: TargetKind::Image,
        digest: None,
        purl: None,
        properties: vec![("drydock:image:reference".to_string(), text.to_string())],
    };
    Ok(Scanned {
        inventory,
        subject,
        image: None,
        checks: Vec::new(),
    })
}

fn catalog_warnings(inventory: &Inventory) -> Vec<ScanWarning> {
    inventory
        .warnings
        .iter()
        .map(|w| ScanWarning {
            stage: format!("catalog/{}", w.cataloger),
            message: match w.layer {
                Some(layer) => format!("{} (layer {layer}): {}", w.path, w.message),
                None => format!("{}: {}", w.path, w.message),
            },
        })
        .collect()
}

fn load_suppressions(args: &ScanArgs) -> Result<Suppressions> {
    let ignore_file = match &args.ignore_file {
        Some(path) => Some(path.clone()),
        None => Some(PathBuf::from(DEFAULT_IGNORE_FILE)).filter(|p| p.is_file()),
    };
    let mut suppressions = Suppressions::default();
    if let Some(path) = ignore_file {
        suppressions.ignore = ignore::read(&path)?;
    }
    for path in &args.vex {
        suppressions.vex.extend(vex::read(path)?);
    }
    Ok(suppressions)
}

/// What names the scanned image in VEX `products`.
fn image_names(target: &str, subject: &Subject) -> Vec<String> {
    let mut names = vec![target.to_string(), subject.name.clone()];
    names.extend(subject.digest.as_ref().map(|d| d.to_string()));
    names.extend(subject.purl.clone());
    names
}

/// `--severity` and `--ignore-unfixed`. Known-malicious packages are never filtered out:
/// there is no fix but removing them.
fn filter(targets: &mut [ScanTarget], args: &ScanArgs) {
    let wanted: Vec<Severity> = args.severity.iter().map(|s| severity(*s)).collect();
    for target in targets {
        target.findings.retain(|finding| {
            finding.kind == FindingKind::Malware
                || ((wanted.is_empty() || wanted.contains(&finding.severity))
                    && !(args.ignore_unfixed && finding.fix_state == FixState::NotFixed))
        });
    }
}

/// `--severity` for check findings too, and ignore-file rules naming a check's rule id.
fn filter_checks(
    mut findings: Vec<CheckFinding>,
    args: &ScanArgs,
    suppressions: &Suppressions,
    now: u64,
) -> Vec<CheckFinding> {
    let wanted: Vec<Severity> = args.severity.iter().map(|s| severity(*s)).collect();
    findings.retain(|finding| {
        let ignored = suppressions
            .ignore
            .iter()
            .any(|rule| !rule.expired(now) && rule.id.eq_ignore_ascii_case(&finding.rule));
        !ignored && (wanted.is_empty() || wanted.contains(&finding.severity))
    });
    findings
}

fn severity(arg: SeverityArg) -> Severity {
    match arg {
        SeverityArg::Unknown => Severity::Unknown,
        SeverityArg::Low => Severity::Low,
        SeverityArg::Medium => Severity::Medium,
        SeverityArg::High => Severity::High,
        SeverityArg::Critical => Severity::Critical,
    }
}

fn report_format(format: ScanFormat) -> ReportFormat {
    match format {
        ScanFormat::Table => ReportFormat::Table,
        ScanFormat::Json => ReportFormat::Json,
        ScanFormat::Sarif => ReportFormat::Sarif,
        ScanFormat::Cyclonedx => ReportFormat::CycloneDx,
    }
}
