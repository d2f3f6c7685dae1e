//! Findings about an image that are not known vulnerabilities: how it was built and what
//! it carries.
//!
//! Two scanners plug into the one-pass layer walk of `drydock_oci::engine` as analyzers
//! ([`analyzers`]): the secret scanner ([`secrets`], `DD-SEC-*`) reads every regular text
//! file of EVERY layer, so a credential deleted by a later layer is still reported with the
//! layer that holds it; the files analyzer ([`image::files`]) reads account databases and
//! credential files. After the walk, [`image_findings`] turns their per-layer results, the
//! merged filesystem, the image config and its history into [`CheckFinding`]s: the image
//! checks ([`image`], `DD-IMG-*`) and the secrets. Every rule is listed by [`rules`] and
//! documented in `docs/checks.md`, which [`docs::render`] generates.
//!
//! Secret values never leave this crate in clear: analyzers record masked values only (the
//! layer cache is written to disk), and messages show a short prefix then `****`.

pub mod allowlist;
pub mod docs;
mod error;
pub mod image;
pub mod policy;
pub mod secrets;
pub mod workload;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};

use drydock_model::{CheckFinding, CheckLocation, RuleInfo};
use drydock_oci::ImageScan;
use drydock_oci::engine::analyzer::Analyzer;
use serde::de::DeserializeOwned;

pub use allowlist::{AllowList, AllowListFormat};
pub use error::ChecksError;
use secrets::analyzer::{FileSecrets, SECRETS_ANALYZER, SecretAnalyzer};
use secrets::rules::SECRET_RULES;

/// Files larger than this are not scanned for secrets unless the options say otherwise.
pub const DEFAULT_MAX_SECRET_FILE_BYTES: u64 = 1024 * 1024;

/// What to check and how.
#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// Scan file contents for secrets (`DD-SEC-*`).
    pub secrets: bool,
    /// Run the image checks (`DD-IMG-*`).
    pub misconfig: bool,
    /// Regular files larger than this are not scanned for secrets.
    pub max_secret_file_bytes: u64,
    /// Findings the user accepted.
    pub allow_list: Arc<AllowList>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            secrets: true,
            misconfig: true,
            max_secret_file_bytes: DEFAULT_MAX_SECRET_FILE_BYTES,
            allow_list: Arc::new(AllowList::default()),
        }
    }
}

/// The analyzers to hand to `drydock_oci::scan` (with the catalogers, in the same pass).
pub fn analyzers(options: &CheckOptions) -> Vec<Arc<dyn Analyzer>> {
    let mut chosen: Vec<Arc<dyn Analyzer>> = Vec::new();
    if options.secrets {
        chosen.push(Arc::new(SecretAnalyzer::new(
            secrets_analyzer_name(options),
            options.max_secret_file_bytes,
            options.allow_list.clone(),
        )));
    }
    if options.misconfig {
        chosen.push(Arc::new(image::files::FilesAnalyzer));
    }
    chosen
}

/// `checks/secrets`, with a suffix when the size limit or allow-list differ from the
/// defaults: the layer cache is keyed by analyzer names, so results made with other
/// options are never reused.
fn secrets_analyzer_name(options: &CheckOptions) -> &'static str {
    let mut suffix = String::new();
    if options.max_secret_file_bytes != DEFAULT_MAX_SECRET_FILE_BYTES {
        suffix.push_str(&format!("/max={}", options.max_secret_file_bytes));
    }
    if let Some(fingerprint) = options.allow_list.fingerprint() {
        suffix.push_str(&format!("/allow={fingerprint}"));
    }
    if suffix.is_empty() {
        return SECRETS_ANALYZER;
    }
    intern(format!("{SECRETS_ANALYZER}{suffix}"))
}

/// Analyzer names are `&'static str`; each distinct name is leaked once per process.
fn intern(name: String) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES.get_or_init(Default::default).lock().expect("name table lock");
    if let Some(existing) = names.get(name.as_str()) {
        return existing;
    }
    let leaked: &'static str = Box::leak(name.into_boxed_str());
    names.insert(leaked);
    leaked
}

/// Every finding of the enabled checks, sorted by rule, path, layer and line.
pub fn image_findings(scan: &ImageScan, options: &CheckOptions) -> Result<Vec<CheckFinding>, ChecksError> {
    let allow = options.allow_list.as_ref();
    let mut findings = Vec::new();
    let mut secret_files = Vec::new();
    if options.secrets {
        let outputs: Vec<(usize, String, FileSecrets)> =
            layer_outputs(scan, |name| name.starts_with(SECRETS_ANALYZER))?;
        for (layer, path, file) in outputs {
            findings.extend(secret_findings(scan, layer, &path, &file));
            secret_files.push((layer, path));
        }
    }
    if options.misconfig {
        findings.extend(image::image_checks(scan, allow, &secret_files)?);
    }
    findings.retain(|f| {
        !allow.allows(&allowlist::Candidate {
            rule: &f.rule,
            path: f.location.path.as_deref(),
            value: None,
        })
    });
    findings.sort_by(|a, b| {
        (&a.rule, &a.location.path, a.location.layer, a.location.line, &a.message).cmp(&(
            &b.rule,
            &b.location.path,
            b.location.layer,
            b.location.line,
            &b.message,
        ))
    });
    Ok(findings)
}

fn secret_findings<'a>(
    scan: &'a ImageScan,
    layer: usize,
    path: &'a str,
    file: &'a FileSecrets,
) -> impl Iterator<Item = CheckFinding> + 'a {
    file.secrets.iter().filter_map(move |hit| {
        let rule = SECRET_RULES.iter().find(|r| r.info.id == hit.rule)?;
        let message = format!(
            "{} ({}) {}{}",
            rule.info.title,
            rule.slug,
            hit.masked,
            image::deleted_note(scan, path, layer)
        );
        let location = CheckLocation {
            path: Some(path.to_string()),
            layer: Some(layer),
            line: Some(hit.line),
            column: Some(hit.column),
            object: None,
        };
        Some(CheckFinding::new(&rule.info, message, location))
    })
}

/// The outputs of the analyzers `wanted` picks, decoded, as (layer, path, value).
pub(crate) fn layer_outputs<T: DeserializeOwned>(
    scan: &ImageScan,
    wanted: impl Fn(&str) -> bool,
) -> Result<Vec<(usize, String, T)>, ChecksError> {
    let mut found = Vec::new();
    for (layer, facts) in scan.layers.iter().enumerate() {
        for output in facts.outputs.iter().filter(|o| wanted(&o.analyzer)) {
            let value = T::deserialize(&output.value).map_err(|e| ChecksError::AnalyzerOutput {
                analyzer: output.analyzer.clone(),
                path: output.path.clone(),
                layer,
                reason: e.to_string(),
            })?;
            found.push((layer, output.path.clone(), value));
        }
    }
    Ok(found)
}

/// Every rule: the image checks, then the secret rules, in id order.
pub fn rules() -> &'static [RuleInfo] {
    static ALL: OnceLock<Vec<RuleInfo>> = OnceLock::new();
    ALL.get_or_init(|| {
        image::rules::IMAGE_RULES
            .iter()
            .copied()
            .chain(SECRET_RULES.iter().map(|r| r.info))
            .collect()
    })
}
