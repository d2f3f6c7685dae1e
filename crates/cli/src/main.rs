//! `drydock`: the command-line front end. Arguments, configuration, output and exit codes
//! live here; everything that knows about images lives in the library crates.

mod args;
mod commands;
mod login;
mod policy;
mod registry_admin;
mod registry_audit;
mod registry_bootstrap;
mod registry_gc;
mod render;
mod serve;
mod trust;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // A server's request log is its main output: info by default for `serve`.
    let verbose = match cli.command {
        Command::Serve(_) => cli.global.verbose.max(1),
        _ => cli.global.verbose,
    };
    init_tracing(verbose, cli.global.quiet);
    let result = match &cli.command {
        Command::Image(image) => commands::image::run(&cli.global, image),
        Command::Cache(cache) => commands::cache::run(&cli.global, cache),
        Command::Sbom(sbom) => commands::sbom::run(&cli.global, sbom),
        Command::Scan(scan) => commands::scan::run(&cli.global, scan),
        Command::Db(db) => commands::db::run(&cli.global, db),
        Command::Lint(lint) => commands::lint::run(&cli.global, lint),
        Command::Policy(command) => policy::run(&cli.global, command),
        Command::Audit(audit) => commands::audit::run(&cli.global, audit),
        Command::Probe(probe) => commands::probe::run(&cli.global, probe),
        Command::Serve(serve) => serve::run(serve),
        Command::Registry(args::RegistryCommand::Gc(gc)) => registry_gc::run(gc),
        Command::Registry(args::RegistryCommand::Audit(audit)) => registry_audit::run(audit),
        Command::Registry(args::RegistryCommand::User(command)) => registry_admin::user(command),
        Command::Registry(args::RegistryCommand::Project(command)) => registry_admin::project(command),
        Command::Registry(args::RegistryCommand::Member(command)) => registry_admin::member(command),
        Command::Registry(args::RegistryCommand::Robot(command)) => registry_admin::robot(command),
        Command::Registry(args::RegistryCommand::History(history)) => registry_admin::history(history),
        Command::Registry(args::RegistryCommand::BootstrapAdmin(bootstrap)) => registry_bootstrap::run(bootstrap),
        Command::Login(login) => login::login(login),
        Command::Logout(logout) => login::logout(logout),
        Command::Key(key) => trust::key(key),
        Command::Sign(sign) => trust::sign_command(sign),
        Command::Verify(verify) => trust::verify_command(verify),
        Command::Attest(attest) => trust::attest_command(attest),
        Command::VerifyAttestation(verify) => trust::verify_attestation_command(verify),
        Command::Attach(attach) => trust::attach(attach),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("drydock: error: {}", render::printable(&error_message(&error)));
            ExitCode::from(1)
        }
    }
}

/// The error and its causes on one line, each cause said once: library errors already
/// include their cause in their own message, context added on top does not.
fn error_message(error: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(&text);
    }
    message
}

fn init_tracing(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("DRYDOCK_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}
