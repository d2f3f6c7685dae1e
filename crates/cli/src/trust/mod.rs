//! The trust commands: key generation, signing, verification, attestations, attached
//! artifacts and the trust policy check. Formats and decisions live in `drydock-trust`;
//! this module reads files and passwords, resolves the image once and prints results.

pub mod args;
pub(crate) mod password;

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use drydock_model::time::{now_seconds, rfc3339};
use drydock_oci::source::registry::{Credentials, RegistryOptions};
use drydock_oci::write::{Descriptor, Repository, open_repository};
use drydock_trust::intoto::{PredicateKind, build_predicate, resolve_predicate_type};
use drydock_trust::policy::Policy;
use drydock_trust::sign::{Placement, Stored};
use drydock_trust::verify::{Candidate, NamedKey, Subject, Verdict};
use drydock_trust::{PrivateKey, PublicKey, evidence, sign, verify};

use self::args::*;
use crate::args::OutputFormat;
use crate::render::{new_table, printable};

const MAX_KEY_FILE_BYTES: u64 = 64 * 1024;

pub fn key(command: &KeyCommand) -> Result<ExitCode> {
    match command {
        KeyCommand::Generate(args) => key_generate(args),
    }
}

fn key_generate(args: &KeyGenerateArgs) -> Result<ExitCode> {
    let prefix = args.output_key_prefix.display().to_string();
    let private_path = format!("{prefix}.key");
    let public_path = format!("{prefix}.pub");
    if !args.force {
        for path in [&private_path, &public_path] {
            if Path::new(path).exists() {
                bail!("{path} exists; pass --force to replace it");
            }
        }
    }
    let password = password::for_new_key()?;
    let key = PrivateKey::generate()?;
    let encrypted = key.to_encrypted_pem(password.as_bytes())?;
    write_file(Path::new(&private_path), encrypted.as_bytes(), 0o600)?;
    write_file(Path::new(&public_path), key.public_key().to_pem().as_bytes(), 0o644)?;
    eprintln!("Private key written to {private_path}");
    eprintln!("Public key written to {public_path}");
    Ok(ExitCode::SUCCESS)
}

/// Writes a whole file next to its final name, then renames it into place.
fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temp = tempfile::Builder::new()
        .prefix(".drydock-key-")
        .tempfile_in(dir)
        .with_context(|| format!("creating a file in {}", dir.display()))?;
    temp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("setting the mode of {}", path.display()))?;
    temp.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))?;
    temp.persist(path)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

fn read_small(path: &Path) -> Result<String> {
    let metadata = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if metadata.len() > MAX_KEY_FILE_BYTES {
        bail!("{}: {} bytes is too big for a key file", path.display(), metadata.len());
    }
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

fn load_private_key(path: &Path) -> Result<PrivateKey> {
    let what = path.display().to_string();
    let text = read_small(path)?;
    // Parse first, so a malformed file is reported without asking for a password.
    let document = drydock_trust::keys::EncryptedKey::parse(&text, &what)?;
    let password = password::for_reading(&what)?;
    Ok(document.open(password.as_bytes(), &what)?)
}

fn load_public_key(path: &Path) -> Result<NamedKey> {
    let what = path.display().to_string();
    let key = PublicKey::from_pem(&read_small(path)?, &what)?;
    Ok(NamedKey { name: what, key })
}

fn registry_options(args: &RegistryArgs) -> Result<RegistryOptions> {
    let credentials = match (&args.username, args.password_stdin) {
        (Some(username), true) => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("reading the registry password from standard input")?;
            let password = line.trim_end_matches(['\r', '\n']).to_string();
            if password.is_empty() {
                bail!("--password-stdin: standard input held no password");
            }
            Some(Credentials {
                username: username.clone(),
                password,
            })
        }
        _ => None,
    };
    Ok(RegistryOptions {
        insecure: args.insecure,
        credentials,
        ..RegistryOptions::default()
    })
}

/// The image's repository and the descriptor its reference resolved to, once.
struct Resolved {
    repository: Box<dyn Repository>,
    image: Descriptor,
}

fn resolve(image: &str, registry: &RegistryArgs) -> Result<Resolved> {
    resolve_with(image, &registry_options(registry)?)
}

/// What signatures name by default: the repository, with Docker Hub spelled as cosign
/// (go-containerregistry) spells it.
fn default_identity(repository: &dyn Repository) -> String {
    let name = repository.name();
    match name.strip_prefix("docker.io/") {
        Some(rest) => format!("index.docker.io/{rest}"),
        None => name,
    }
}

fn placement<'a>(resolved: &'a Resolved, identity: &Option<String>, storage: &StorageArgs) -> Placement<'a> {
    Placement {
        repository: resolved.repository.as_ref(),
        image: resolved.image.clone(),
        identity: identity
            .clone()
            .unwrap_or_else(|| default_identity(resolved.repository.as_ref())),
        tag: !storage.no_tag,
        referrer: storage.referrers,
        created: rfc3339(now_seconds()),
    }
}

fn print_stored(what: &str, resolved: &Resolved, stored: &[Stored]) {
    for entry in stored {
        println!(
            "{what} {}@{} stored as {} {} (manifest {})",
            resolved.repository.name(),
            resolved.image.digest,
            entry.scheme,
            match entry.scheme {
                drydock_trust::cosign::Scheme::Tag => "scheme",
                drydock_trust::cosign::Scheme::Referrer => "of the image",
            },
            entry.manifest
        );
    }
}

pub fn sign_command(args: &SignArgs) -> Result<ExitCode> {
    let annotations = parse_annotations(&args.annotations)?;
    let key = load_private_key(&args.key)?;
    let resolved = resolve(&args.image, &args.registry)?;
    let place = placement(&resolved, &args.identity, &args.storage);
    let stored = sign::sign_image(&place, &key, &annotations)?;
    print_stored("Signed", &resolved, &stored);
    Ok(ExitCode::SUCCESS)
}

fn parse_annotations(items: &[String]) -> Result<BTreeMap<String, String>> {
    items
        .iter()
        .map(|item| match item.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
            _ => Err(anyhow!("annotation `{item}` is not KEY=VALUE")),
        })
        .collect()
}

pub fn verify_command(args: &VerifyArgs) -> Result<ExitCode> {
    let key = load_public_key(&args.key)?;
    let resolved = resolve(&args.image, &args.registry)?;
    let subject = subject(&resolved, &args.identity);
    let candidates = verify::verify_signatures(&subject, &[key])?;
    report(&resolved, "signature", &candidates, args.format)
}

fn subject<'a>(resolved: &'a Resolved, identity: &Option<String>) -> Subject<'a> {
    Subject {
        repository: resolved.repository.as_ref(),
        identity: identity
            .clone()
            .unwrap_or_else(|| default_identity(resolved.repository.as_ref())),
        digest: resolved.image.digest.clone(),
    }
}

/// Prints every candidate; exits 1 with each one's reason when none is valid.
fn report(resolved: &Resolved, noun: &str, candidates: &[Candidate], format: OutputFormat) -> Result<ExitCode> {
    let valid = candidates.iter().filter(|c| c.is_valid()).count();
    let image = format!("{}@{}", resolved.repository.name(), resolved.image.digest);
    match format {
        OutputFormat::Json => {
            let document = serde_json::json!({
                "image": image,
                "verified": valid > 0,
                "candidates": candidates,
            });
            println!("{}", serde_json::to_string_pretty(&document)?);
        }
        OutputFormat::Table => {
            println!("{}", printable(&image));
            if !candidates.is_empty() {
                let mut table = new_table();
                table.set_header(["verdict", "scheme", "layer", "key / reason", "details"]);
                for candidate in candidates {
                    let (verdict, why, details) = match &candidate.verdict {
                        Verdict::Valid {
                            key,
                            identity,
                            annotations,
                            predicate_type,
                            ..
                        } => {
                            let mut details = vec![format!("identity {identity}")];
                            details.extend(predicate_type.iter().map(|t| format!("predicate {t}")));
                            details.extend(annotations.iter().map(|(k, v)| format!("{k}={v}")));
                            ("valid", key.clone(), details.join(", "))
                        }
                        Verdict::Rejected { reason, predicate_type } => (
                            "rejected",
                            reason.clone(),
                            predicate_type
                                .as_ref()
                                .map(|t| format!("predicate {t}"))
                                .unwrap_or_default(),
                        ),
                    };
                    table.add_row([
                        verdict.to_string(),
                        candidate.scheme.to_string(),
                        candidate.layer.short().to_string(),
                        printable(&why).into_owned(),
                        printable(&details).into_owned(),
                    ]);
                }
                println!("{table}");
            }
        }
    }
    if valid > 0 {
        return Ok(ExitCode::SUCCESS);
    }
    if candidates.is_empty() {
        eprintln!("drydock: error: {image} has no {noun}s (neither cosign's tag nor OCI referrers)");
    } else {
        eprintln!("drydock: error: no valid {noun} for {image}:");
        for candidate in candidates {
            if let Verdict::Rejected { reason, .. } = &candidate.verdict {
                eprintln!("  {} ({}): {}", candidate.layer, candidate.scheme, printable(reason));
            }
        }
    }
    Ok(ExitCode::from(1))
}

pub fn attest_command(args: &AttestArgs) -> Result<ExitCode> {
    let bytes = std::fs::read(&args.predicate).with_context(|| format!("reading {}", args.predicate.display()))?;
    let modified = std::fs::metadata(&args.predicate)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
        .unwrap_or_else(now_seconds);
    let kind = match args.kind {
        AttestType::Sbom => PredicateKind::Sbom,
        AttestType::Vuln => PredicateKind::Vuln,
        AttestType::Provenance => PredicateKind::Provenance,
        AttestType::Custom => PredicateKind::Custom,
    };
    let custom = args.predicate_type.as_deref().map(resolve_predicate_type);
    let (predicate_type, predicate) = build_predicate(
        kind,
        &bytes,
        &args.predicate.display().to_string(),
        custom.as_deref(),
        &rfc3339(modified),
        &rfc3339(now_seconds()),
    )?;
    let key = load_private_key(&args.key)?;
    let resolved = resolve(&args.image, &args.registry)?;
    let place = placement(&resolved, &args.identity, &args.storage);
    let stored = sign::attest_image(&place, &key, &predicate_type, predicate)?;
    print_stored(&format!("Attested ({predicate_type})"), &resolved, &stored);
    Ok(ExitCode::SUCCESS)
}

pub fn verify_attestation_command(args: &VerifyAttestationArgs) -> Result<ExitCode> {
    let key = load_public_key(&args.key)?;
    let resolved = resolve(&args.image, &args.registry)?;
    let subject = subject(&resolved, &args.identity);
    let mut candidates = verify::verify_attestations(&subject, &[key])?;
    if let Some(kind) = &args.kind {
        let wanted = resolve_predicate_type(kind);
        candidates.retain(|c| c.predicate_type() == Some(wanted.as_str()));
    }
    report(&resolved, "attestation", &candidates, args.format)
}

pub fn attach(command: &AttachCommand) -> Result<ExitCode> {
    let (args, is_sbom) = match command {
        AttachCommand::Sbom(args) => (args, true),
        AttachCommand::Scan(args) => (args, false),
    };
    let bytes = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let what = args.file.display().to_string();
    let document: serde_json::Value = serde_json::from_slice(&bytes).with_context(|| format!("{what} is not JSON"))?;
    let (media_type, tag_suffix) = if is_sbom {
        if document.get("bomFormat").and_then(|v| v.as_str()) == Some("CycloneDX") {
            ("application/vnd.cyclonedx+json", Some("sbom"))
        } else if document.get("spdxVersion").is_some() {
            ("application/spdx+json", Some("sbom"))
        } else {
            bail!("{what} is neither a CycloneDX (`bomFormat`) nor an SPDX (`spdxVersion`) JSON SBOM");
        }
    } else {
        if document.get("schema_version").is_none() || document.get("targets").is_none() {
            bail!("{what} is not a drydock scan report (`drydock scan --format json`)");
        }
        ("application/vnd.drydock.scan.report.v1+json", None)
    };
    let resolved = resolve(&args.image, &args.registry)?;
    let storage = StorageArgs {
        referrers: args.referrers || !is_sbom,
        no_tag: false,
    };
    let place = placement(&resolved, &None, &storage);
    let stored = sign::attach(&place, media_type, media_type, tag_suffix, bytes)?;
    print_stored("Attached (unsigned)", &resolved, &stored);
    Ok(ExitCode::SUCCESS)
}

pub fn policy_check(args: &PolicyCheckArgs) -> Result<ExitCode> {
    let policy = Policy::load(&args.policy)?;
    let options = registry_options(&args.registry)?;
    let resolved = resolve_with(&args.image, &options)?;
    let subject = Subject {
        repository: resolved.repository.as_ref(),
        identity: default_identity(resolved.repository.as_ref()),
        digest: resolved.image.digest.clone(),
    };
    let gathered = evidence::gather(&policy, &subject)?;
    let bases = evidence::gather_bases(&policy, &options);
    let decision = drydock_trust::policy::evaluate(&policy.file, &gathered, &bases);
    match args.format {
        OutputFormat::Json => println!("{}", serde_json::to_string_pretty(&decision)?),
        OutputFormat::Table => {
            println!("{}@{}", printable(&decision.image), decision.digest);
            println!("rule: {}", decision.rule.as_deref().unwrap_or("(none matched)"));
            let mut table = new_table();
            table.set_header(["check", "result", "why"]);
            for check in &decision.checks {
                table.add_row([
                    printable(&check.check).into_owned(),
                    if check.passed { "pass" } else { "fail" }.to_string(),
                    printable(&check.detail).into_owned(),
                ]);
            }
            println!("{table}");
            println!("decision: {}", if decision.allowed { "allow" } else { "deny" });
        }
    }
    Ok(if decision.allowed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn resolve_with(image: &str, options: &RegistryOptions) -> Result<Resolved> {
    let target = open_repository(image, options)?;
    let reference = match target.reference {
        Some(reference) => reference,
        // A registry reference without tag names `latest`, as everywhere in drydock.
        None if !image.starts_with("oci:") => drydock_oci::write::Reference::Tag("latest".into()),
        None => bail!("{image}: name the image in the layout with :TAG or @DIGEST"),
    };
    let descriptor = target.repository.resolve(&reference)?.ok_or_else(|| {
        anyhow!(
            "{image}: no such image ({reference} is not in {})",
            target.repository.name()
        )
    })?;
    Ok(Resolved {
        repository: target.repository,
        image: descriptor,
    })
}
