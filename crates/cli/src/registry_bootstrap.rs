//! `drydock registry bootstrap-admin NAME`: the first system administrator of a registry,
//! created directly in its stores (no server needed), for installations that do not put
//! one in the configuration. It refuses once any administrator exists, so it cannot take
//! over a registry in use; there is never a default password. The creation is an audit
//! entry signed into the trail with the registry's key.

use std::process::ExitCode;

use anyhow::{Context, bail};
use drydock_registry::audit::{AuditLog, NewEntry};
use drydock_registry::auth::accounts::Accounts;
use drydock_registry::auth::token::TokenKey;
use drydock_registry::s3::Secret;

use crate::args::RegistryStoreArgs;

#[derive(clap::Args, Debug)]
pub struct BootstrapArgs {
    #[command(flatten)]
    pub stores: RegistryStoreArgs,
    /// The administrator's name.
    pub name: String,
    /// Read the password from standard input instead of asking on the terminal.
    #[arg(long)]
    pub password_stdin: bool,
}

pub fn run(args: &BootstrapArgs) -> anyhow::Result<ExitCode> {
    let settings = crate::registry_gc::settings(&args.stores)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        let meta = drydock_registry::meta::Metadata::connect_creating(&settings)
            .await
            .with_context(|| format!("opening the metadata database {}", settings.database_for_log()))?;
        let accounts = Accounts::new(&meta);
        let admins: Vec<String> = accounts
            .users()
            .await?
            .into_iter()
            .filter(|user| user.system_admin)
            .map(|user| user.name)
            .collect();
        if !admins.is_empty() {
            bail!(
                "the registry already has an administrator ({}): create users through the API \
                 (`drydock registry user create NAME --admin`)",
                admins.join(", ")
            );
        }
        let password = if args.password_stdin {
            crate::registry_admin::read_secret_line("the password")?
        } else {
            let first = crate::trust::password::prompt(&format!("Password for {}: ", args.name))?;
            let second = crate::trust::password::prompt(&format!("Password for {} again: ", args.name))?;
            if *first != *second {
                bail!("the two passwords differ");
            }
            first.to_string()
        };
        let key = TokenKey::load_or_generate(&settings.auth.token_key)?;
        accounts.create_user(&args.name, &Secret::new(password), true).await?;
        let audit = AuditLog::new(&meta, std::sync::Arc::new(key));
        audit
            .append(&[NewEntry {
                actor: "bootstrap".into(),
                action: "user-create".into(),
                detail: format!("user {} (system admin) by drydock registry bootstrap-admin", args.name),
                client: "local".into(),
                outcome: "success".into(),
                ..NewEntry::default()
            }])
            .await?;
        meta.close().await;
        eprintln!("created system administrator {}", args.name);
        Ok(ExitCode::SUCCESS)
    })
}
