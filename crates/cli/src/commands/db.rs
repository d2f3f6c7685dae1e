//! `drydock db update|import|status`: building and inspecting the vulnerability database,
//! and opening it for `scan`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use drydock_advisory::import::{ImportSummary, Importer};
use drydock_advisory::update::{self, DEFAULT_ECOSYSTEMS, OSV_MIRROR, Progress, UpdateOptions};
use drydock_advisory::{AdvisoryError, Database};
use drydock_model::time::{now_seconds, rfc3339, timestamp_seconds};
use drydock_model::{DatabaseInfo, ScanWarning};
use indicatif::{ProgressBar, ProgressStyle};

use crate::args::{DatabaseArgs, DbCommand, DbImportArgs, DbStatusArgs, DbUpdateArgs, GlobalArgs, OutputFormat};
use crate::render::{new_table, printable};

/// How many import warnings are printed one by one before the rest are counted.
const WARNINGS_SHOWN: usize = 20;

pub fn run(global: &GlobalArgs, command: &DbCommand) -> Result<ExitCode> {
    match command {
        DbCommand::Update(args) => run_update(global, args),
        DbCommand::Import(args) => run_import(global, args),
        DbCommand::Status(args) => run_status(global, args),
    }
}

/// `--db`, else `<cache dir>/db/advisories.ddb`.
pub fn database_path(global: &GlobalArgs, args: &DatabaseArgs) -> Result<PathBuf> {
    if let Some(path) = &args.db {
        return Ok(path.clone());
    }
    let root = global
        .cache_dir
        .clone()
        .or_else(drydock_oci::engine::cache::LayerCache::default_root)
        .context("no place for the vulnerability database: set --db, --cache-dir or HOME")?;
    Ok(root.join("db").join("advisories.ddb"))
}

pub fn open_database(global: &GlobalArgs, args: &DatabaseArgs) -> Result<Database> {
    let path = database_path(global, args)?;
    if !path.exists() {
        return Err(AdvisoryError::Missing { path }.into());
    }
    Ok(Database::open(&path)?)
}

/// What a report says about the database.
pub fn database_info(database: &Database) -> DatabaseInfo {
    DatabaseInfo {
        path: database.path().display().to_string(),
        built: database.meta().built.clone(),
        sources: database.meta().sources.clone(),
    }
}

/// A warning when the database is older than `max_age` seconds (0: never).
pub fn age_warning(database: &Database, max_age: u64, now: u64) -> Option<ScanWarning> {
    let built = timestamp_seconds(&database.meta().built)?;
    let age = now.checked_sub(built)?;
    (max_age > 0 && age > max_age).then(|| ScanWarning {
        stage: "database".into(),
        message: format!(
            "the vulnerability database was built {} ago ({}); run `drydock db update` for current advisories",
            human_age(age),
            database.meta().built
        ),
    })
}

fn human_age(seconds: u64) -> String {
    match seconds {
        s if s >= 2 * 86_400 => format!("{} days", s / 86_400),
        s if s >= 2 * 3_600 => format!("{} hours", s / 3_600),
        s => format!("{} minutes", s / 60),
    }
}

fn tool() -> String {
    format!("drydock {}", env!("CARGO_PKG_VERSION"))
}

fn run_update(global: &GlobalArgs, args: &DbUpdateArgs) -> Result<ExitCode> {
    let database = database_path(global, &args.database)?;
    let ecosystems: Vec<String> = if args.ecosystems.is_empty() {
        DEFAULT_ECOSYSTEMS.iter().map(|e| e.to_string()).collect()
    } else {
        args.ecosystems
            .iter()
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
            .collect()
    };
    if ecosystems.is_empty() {
        bail!("--ecosystems: no ecosystem named");
    }
    let options = UpdateOptions {
        ecosystems,
        mirror: args.mirror.clone().unwrap_or_else(|| OSV_MIRROR.to_string()),
        database: database.clone(),
        now: rfc3339(now_seconds()),
        tool: tool(),
    };
    let bar = progress_bar(global);
    let summary = update::update(&options, &mut |event| show_progress(&bar, event))?;
    bar.finish_and_clear();
    if !summary.unchanged.is_empty() {
        eprintln!("unchanged since the last update: {}", summary.unchanged.join(", "));
    }
    match &summary.import {
        Some(import) => report_import(import, &database),
        None => eprintln!("{} is up to date", database.display()),
    }
    Ok(ExitCode::SUCCESS)
}

fn progress_bar(global: &GlobalArgs) -> ProgressBar {
    if global.quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{msg:>12} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar
}

fn show_progress(bar: &ProgressBar, event: Progress<'_>) {
    match event {
        Progress::Downloading { ecosystem, total } => {
            bar.reset();
            bar.set_length(total.unwrap_or(0));
            bar.set_message(ecosystem.to_string());
        }
        Progress::Received { bytes, .. } => bar.set_position(bytes),
        Progress::Unchanged { ecosystem } => bar.println(format!("{ecosystem}: unchanged")),
        Progress::Building => {
            bar.set_length(0);
            bar.set_message("building");
        }
    }
}

fn run_import(global: &GlobalArgs, args: &DbImportArgs) -> Result<ExitCode> {
    let database = database_path(global, &args.database)?;
    let mut importer = Importer::new(&rfc3339(now_seconds()))?;
    for path in &args.paths {
        let name = path.display().to_string();
        let origin = std::fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        importer.add_path(path, &name, &origin.display().to_string())?;
    }
    let summary = importer.finish(&database, &tool())?;
    report_import(&summary, &database);
    Ok(ExitCode::SUCCESS)
}

fn report_import(summary: &ImportSummary, database: &Path) {
    for warning in summary.warnings.iter().take(WARNINGS_SHOWN) {
        eprintln!("warning: skipped {}", printable(&warning.to_string()));
    }
    if summary.warnings.len() > WARNINGS_SHOWN {
        eprintln!("warning: … and {} more", summary.warnings.len() - WARNINGS_SHOWN);
    }
    for (ecosystem, count) in &summary.unsupported_ecosystems {
        eprintln!(
            "note: {count} affected entries of ecosystem {} left out: drydock knows no version order for it",
            printable(ecosystem)
        );
    }
    eprintln!(
        "wrote {} ({} records, {} withdrawn left out, {} unreadable, {:.1} MiB)",
        database.display(),
        summary.meta.records,
        summary.meta.withdrawn,
        summary.meta.rejected,
        summary.size as f64 / (1 << 20) as f64
    );
}

fn run_status(global: &GlobalArgs, args: &DbStatusArgs) -> Result<ExitCode> {
    let database = open_database(global, &args.database)?;
    let meta = database.meta();
    let warning = age_warning(&database, args.database.db_max_age, now_seconds());
    if args.format == OutputFormat::Json {
        let status = serde_json::json!({
            "path": database.path(),
            "built": meta.built,
            "tool": meta.tool,
            "records": meta.records,
            "withdrawn": meta.withdrawn,
            "rejected": meta.rejected,
            "sources": meta.sources,
            "stale": warning.is_some(),
        });
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        println!("database: {}", database.path().display());
        println!("built:    {} by {}", meta.built, printable(&meta.tool));
        println!(
            "records:  {} ({} withdrawn and {} unreadable left out)",
            meta.records, meta.withdrawn, meta.rejected
        );
        let mut table = new_table();
        table.set_header(vec!["Source", "Records", "Newest record", "Fetched", "From"]);
        for source in &meta.sources {
            table.add_row(vec![
                printable(&source.name).to_string(),
                source.records.to_string(),
                source.newest_record.clone().unwrap_or_else(|| "-".into()),
                source.fetched.clone(),
                printable(&source.origin).to_string(),
            ]);
        }
        println!("{table}");
    }
    if let Some(warning) = warning {
        eprintln!("warning: {}", warning.message);
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_naturally() {
        assert_eq!(human_age(3 * 86_400 + 5), "3 days");
        assert_eq!(human_age(5 * 3_600), "5 hours");
        assert_eq!(human_age(600), "10 minutes");
    }
}
