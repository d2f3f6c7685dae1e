//! Image checks (`DD-IMG-*`): the configuration, the build history and the merged files.

pub mod config;
pub mod files;
pub mod filesystem;
pub mod rules;

use drydock_model::{CheckFinding, CheckLocation};
use drydock_oci::ImageScan;
use files::{Account, FILES_ANALYZER, FileFact};
use rules::{DUPLICATE_UID, EMPTY_PASSWORD, EXTRA_ROOT_ACCOUNT};

use crate::allowlist::AllowList;
use crate::error::ChecksError;
use crate::layer_outputs;

/// Findings of the image checks; `secret_files` are the (layer, path) pairs the secret
/// scanner already reported, whose credential-file findings would say the same thing again.
pub fn image_checks(
    scan: &ImageScan,
    allow: &AllowList,
    secret_files: &[(usize, String)],
) -> Result<Vec<CheckFinding>, ChecksError> {
    let facts: Vec<(usize, String, FileFact)> = layer_outputs(scan, |name| name == FILES_ANALYZER)?;
    let accounts = visible_accounts(scan, &facts);
    let config = &scan.description.config;
    let mut findings = Vec::new();
    findings.extend(config::root_user(config, &accounts));
    findings.extend(config::healthcheck(config));
    findings.extend(config::ssh_port(config));
    findings.extend(config::base_latest(config));
    findings.extend(config::env_secrets(config, allow));
    findings.extend(config::label_secrets(config, allow));
    findings.extend(config::history_findings(&scan.description.layers, allow));
    findings.extend(filesystem::filesystem_findings(&scan.merged));
    findings.extend(account_findings(scan, &facts));
    findings.extend(credential_findings(scan, &facts, secret_files));
    Ok(findings)
}

/// The accounts of the `/etc/passwd` the merged view shows.
fn visible_accounts(scan: &ImageScan, facts: &[(usize, String, FileFact)]) -> Vec<Account> {
    facts
        .iter()
        .filter(|(layer, path, _)| scan.merged.is_visible(path, *layer))
        .find_map(|(_, _, fact)| match fact {
            FileFact::Passwd { accounts } => Some(accounts.clone()),
            _ => None,
        })
        .unwrap_or_default()
}

/// Empty passwords, extra UID 0 accounts and shared UIDs in the visible account files.
fn account_findings(scan: &ImageScan, facts: &[(usize, String, FileFact)]) -> Vec<CheckFinding> {
    let mut findings = Vec::new();
    for (layer, path, fact) in facts.iter().filter(|(l, p, _)| scan.merged.is_visible(p, *l)) {
        let location = CheckLocation {
            path: Some(path.clone()),
            layer: Some(*layer),
            ..Default::default()
        };
        match fact {
            FileFact::Passwd { accounts } => {
                for account in accounts.iter().filter(|a| a.empty_password) {
                    let message = format!("{}: the password field of `{}` is empty", path, account.name);
                    findings.push(CheckFinding::new(&EMPTY_PASSWORD, message, location.clone()));
                }
                findings.extend(uid_findings(accounts, &location));
            }
            FileFact::Shadow { empty_passwords } => {
                for name in empty_passwords {
                    let message = format!("{path}: `{name}` has an empty password hash");
                    findings.push(CheckFinding::new(&EMPTY_PASSWORD, message, location.clone()));
                }
            }
            _ => {}
        }
    }
    findings
}

fn uid_findings(accounts: &[Account], location: &CheckLocation) -> Vec<CheckFinding> {
    let mut findings = Vec::new();
    let root_names: Vec<&str> = accounts
        .iter()
        .filter(|a| a.uid == 0)
        .map(|a| a.name.as_str())
        .collect();
    for name in root_names.iter().filter(|n| **n != "root") {
        let message = format!("`{name}` has UID 0 (root accounts: {})", root_names.join(", "));
        findings.push(CheckFinding::new(&EXTRA_ROOT_ACCOUNT, message, location.clone()));
    }
    let mut by_uid: std::collections::BTreeMap<u64, Vec<&str>> = Default::default();
    for account in accounts.iter().filter(|a| a.uid != 0) {
        by_uid.entry(account.uid).or_default().push(&account.name);
    }
    for (uid, names) in by_uid.iter().filter(|(_, names)| names.len() > 1) {
        let message = format!("UID {uid} is shared by {}", names.join(", "));
        findings.push(CheckFinding::new(&DUPLICATE_UID, message, location.clone()));
    }
    findings
}

/// Private key and credential files, in every layer (a deleted one can still be extracted).
fn credential_findings(
    scan: &ImageScan,
    facts: &[(usize, String, FileFact)],
    secret_files: &[(usize, String)],
) -> Vec<CheckFinding> {
    facts
        .iter()
        .filter(|(layer, path, _)| !secret_files.iter().any(|(l, p)| l == layer && p == path))
        .filter_map(|(layer, path, fact)| {
            let (rule, what) = match fact {
                FileFact::PrivateKey { what } => (&rules::PRIVATE_KEY_FILE, what),
                FileFact::Credential { what } => (&rules::CREDENTIAL_FILE, what),
                _ => return None,
            };
            let message = format!("{path}: {what}{}", deleted_note(scan, path, *layer));
            let location = CheckLocation {
                path: Some(path.clone()),
                layer: Some(*layer),
                ..Default::default()
            };
            Some(CheckFinding::new(rule, message, location))
        })
        .collect()
}

/// Said of a file that a later layer deleted or replaced.
pub(crate) fn deleted_note(scan: &ImageScan, path: &str, layer: usize) -> String {
    if scan.merged.is_visible(path, layer) {
        String::new()
    } else {
        format!(" (removed or replaced by a later layer, but still in layer {layer})")
    }
}
