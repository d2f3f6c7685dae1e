//! `drydock registry audit verify|export`: the audit trail of a `drydock serve` registry,
//! read from its metadata database with the registry's token key (which signs checkpoints).

use std::io::Write as _;
use std::process::ExitCode;

use anyhow::Context;
use drydock_registry::audit::{AuditLog, Query};
use drydock_registry::auth::token::TokenKey;

use crate::args::{RegistryAuditCommand, RegistryStoreArgs};

pub fn run(command: &RegistryAuditCommand) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        match command {
            RegistryAuditCommand::Verify(args) => {
                let log = open(&args.stores).await?;
                let report = log.verify().await?;
                if args.json {
                    println!("{}", serde_json::to_string_pretty(&report)?);
                } else {
                    for problem in &report.problems {
                        println!("entry {}: {}", problem.seq, problem.what);
                    }
                    println!(
                        "{} entries, {} signed checkpoints: {}",
                        report.entries,
                        report.checkpoints,
                        if report.is_intact() { "intact" } else { "TAMPERED" }
                    );
                }
                Ok(if report.is_intact() {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                })
            }
            RegistryAuditCommand::Export(args) => {
                let log = open(&args.stores).await?;
                let query = Query {
                    repository: args.repository.clone(),
                    actor: args.actor.clone(),
                    action: args.action.clone(),
                    ..Query::default()
                };
                let mut out = std::io::BufWriter::new(std::io::stdout().lock());
                log.export_json_lines(&query, &mut out).await?;
                out.flush().context("writing the export")?;
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}

/// The audit log of the registry the arguments name; its key must already exist.
async fn open(stores: &RegistryStoreArgs) -> anyhow::Result<AuditLog> {
    let settings = crate::registry_gc::settings(stores)?;
    let key_path = &settings.auth.token_key;
    let pem = std::fs::read_to_string(key_path).with_context(|| {
        format!(
            "reading the registry's token key {} (it signs the audit checkpoints; set auth.token_key)",
            key_path.display()
        )
    })?;
    let key = TokenKey::from_pem(&pem, &key_path.display().to_string())?;
    let meta = drydock_registry::meta::Metadata::connect(&settings.database_url)
        .await
        .with_context(|| format!("opening the metadata database {}", settings.database_for_log()))?;
    Ok(AuditLog::new(&meta, std::sync::Arc::new(key)))
}
