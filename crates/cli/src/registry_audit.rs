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
                    project: args.project.clone(),
                    since: args.since,
                    until: args.until,
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

/// `2026-11-22` or `2026-11-22T13:00:00Z` (UTC, optional fraction) as milliseconds since the
/// epoch.
pub fn parse_time(text: &str) -> Result<i64, String> {
    let invalid = || format!("`{text}` is not a UTC time such as 2026-11-22 or 2026-11-22T13:00:00Z");
    let (date, time) = match text.split_once('T') {
        Some((date, time)) => (date, Some(time.strip_suffix('Z').ok_or_else(invalid)?)),
        None => (text, None),
    };
    let numbers = |part: &str, count: usize, separator: char| -> Option<Vec<i64>> {
        let fields: Vec<i64> = part
            .split(separator)
            .map(|field| {
                field
                    .parse::<i64>()
                    .ok()
                    .filter(|_| field.chars().all(|c| c.is_ascii_digit()))
            })
            .collect::<Option<_>>()?;
        (fields.len() == count).then_some(fields)
    };
    let ymd = numbers(date, 3, '-').ok_or_else(invalid)?;
    let (year, month, day) = (ymd[0], ymd[1], ymd[2]);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => return Err(invalid()),
    };
    if !(1970..=9999).contains(&year) || !(1..=days_in_month).contains(&day) {
        return Err(invalid());
    }
    let (mut seconds, mut millis) = (0, 0);
    if let Some(time) = time {
        let (whole, fraction) = time.split_once('.').unwrap_or((time, ""));
        let hms = numbers(whole, 3, ':').ok_or_else(invalid)?;
        if hms[0] > 23 || hms[1] > 59 || hms[2] > 59 || !fraction.chars().all(|c| c.is_ascii_digit()) {
            return Err(invalid());
        }
        seconds = hms[0] * 3600 + hms[1] * 60 + hms[2];
        millis = format!("{fraction:0<3}")[..3].parse::<i64>().map_err(|_| invalid())?;
    }
    let midnight = drydock_model::time::date_seconds(&format!("{year:04}-{month:02}-{day:02}")).ok_or_else(invalid)?;
    let midnight = i64::try_from(midnight).map_err(|_| invalid())?;
    Ok((midnight + seconds) * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::parse_time;

    #[test]
    fn times_parse_as_utc_milliseconds() {
        assert_eq!(parse_time("1970-01-01"), Ok(0));
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Ok(1_700_000_000_000));
        assert_eq!(parse_time("2000-02-29T00:00:00.5Z"), Ok(951_782_400_500));
        for bad in [
            "2023-02-29",
            "2023-13-01",
            "yesterday",
            "2023-11-14T22:13:20",
            "2023-11-14T24:00:00Z",
            "+2023-01-01",
        ] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }
}
