//! `drydock db update`: downloads the per-ecosystem `all.zip` exports osv.dev publishes
//! (`<mirror>/<ECOSYSTEM>/all.zip`) and rebuilds the store from them.
//!
//! Each export is kept beside the store with its `ETag` and `Last-Modified`, and asked
//! for again conditionally, so an unchanged ecosystem costs one `304` response. A new
//! export is written to a temporary file, checked (complete length, readable zip) and
//! only then renamed over the old one; the store is rebuilt into a temporary file and
//! renamed too. A download that fails or is cut off therefore leaves the previous
//! exports and the previous store in place and working.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::AdvisoryError;
use crate::import::{ImportSummary, Importer};

/// Where osv.dev publishes its exports.
pub const OSV_MIRROR: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// The ecosystems fetched when none are named: every one whose packages drydock
/// catalogs and whose version order it knows.
pub const DEFAULT_ECOSYSTEMS: &[&str] = &[
    "AlmaLinux",
    "Alpine",
    "Chainguard",
    "Debian",
    "Go",
    "Maven",
    "npm",
    "NuGet",
    "Packagist",
    "PyPI",
    "Red Hat",
    "Rocky Linux",
    "RubyGems",
    "Ubuntu",
    "Wolfi",
    "crates.io",
];

/// What to update.
#[derive(Clone, Debug)]
pub struct UpdateOptions {
    pub ecosystems: Vec<String>,
    /// Base URL; `<mirror>/<ECOSYSTEM>/all.zip` is fetched.
    pub mirror: String,
    /// The store file to (re)build; the exports are kept in `sources/` beside it.
    pub database: PathBuf,
    /// The time recorded for this update (RFC 3339).
    pub now: String,
    /// `drydock <version>`.
    pub tool: String,
}

/// Progress of an update, for a progress bar.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Progress<'a> {
    /// A download starts; `total` is its length when the server says.
    Downloading { ecosystem: &'a str, total: Option<u64> },
    /// Bytes received so far of the current download.
    Received { ecosystem: &'a str, bytes: u64 },
    /// The server's copy has not changed since the last update.
    Unchanged { ecosystem: &'a str },
    /// The store is being rebuilt.
    Building,
}

/// What an update did.
#[derive(Debug)]
pub struct UpdateSummary {
    pub downloaded: Vec<String>,
    pub unchanged: Vec<String>,
    /// The import that rebuilt the store (`None` when nothing had changed).
    pub import: Option<ImportSummary>,
}

/// What is remembered of each downloaded export.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct ExportState {
    url: String,
    etag: Option<String>,
    last_modified: Option<String>,
    fetched: String,
}

/// Runs an update.
pub fn update(options: &UpdateOptions, progress: &mut dyn FnMut(Progress<'_>)) -> Result<UpdateSummary, AdvisoryError> {
    if options.ecosystems.is_empty() {
        return Err(AdvisoryError::Build("no ecosystems to update".into()));
    }
    let sources = sources_dir(&options.database);
    std::fs::create_dir_all(&sources).map_err(|e| AdvisoryError::io(&sources, "creating", e))?;
    let agent = agent();
    let mut summary = UpdateSummary {
        downloaded: Vec::new(),
        unchanged: Vec::new(),
        import: None,
    };
    for ecosystem in &options.ecosystems {
        if fetch_export(&agent, options, ecosystem, &sources, progress)? {
            summary.downloaded.push(ecosystem.clone());
        } else {
            progress(Progress::Unchanged { ecosystem });
            summary.unchanged.push(ecosystem.clone());
        }
    }
    if summary.downloaded.is_empty() && same_sources(&options.database, &options.ecosystems) {
        return Ok(summary);
    }
    progress(Progress::Building);
    let mut importer = Importer::new(&options.now)?;
    for ecosystem in &options.ecosystems {
        let state = read_state(&sources, ecosystem).unwrap_or_default();
        importer.add_path(&export_path(&sources, ecosystem), ecosystem, &state.url)?;
    }
    summary.import = Some(importer.finish(&options.database, &options.tool)?);
    Ok(summary)
}

fn agent() -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .user_agent(concat!("drydock/", env!("CARGO_PKG_VERSION")))
        .build();
    ureq::Agent::new_with_config(config)
}

/// The folder the exports are kept in.
pub fn sources_dir(database: &Path) -> PathBuf {
    let parent = database.parent().unwrap_or(Path::new("."));
    parent.join("sources")
}

fn file_stem(ecosystem: &str) -> String {
    ecosystem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn export_path(sources: &Path, ecosystem: &str) -> PathBuf {
    sources.join(format!("{}.zip", file_stem(ecosystem)))
}

fn state_path(sources: &Path, ecosystem: &str) -> PathBuf {
    sources.join(format!("{}.json", file_stem(ecosystem)))
}

fn read_state(sources: &Path, ecosystem: &str) -> Option<ExportState> {
    let bytes = std::fs::read(state_path(sources, ecosystem)).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Whether the current store was built from exactly these ecosystems.
fn same_sources(database: &Path, ecosystems: &[String]) -> bool {
    let Ok(db) = crate::store::Database::open(database) else {
        return false;
    };
    let mut built: Vec<&str> = db.meta().sources.iter().map(|s| s.name.as_str()).collect();
    let mut wanted: Vec<&str> = ecosystems.iter().map(String::as_str).collect();
    built.sort_unstable();
    wanted.sort_unstable();
    built == wanted
}

fn url_of(mirror: &str, ecosystem: &str) -> String {
    let encoded: String = ecosystem
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b':' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("{}/{encoded}/all.zip", mirror.trim_end_matches('/'))
}

/// Fetches one export if it changed; `Ok(false)` when the server says it has not.
fn fetch_export(
    agent: &ureq::Agent,
    options: &UpdateOptions,
    ecosystem: &str,
    sources: &Path,
    progress: &mut dyn FnMut(Progress<'_>),
) -> Result<bool, AdvisoryError> {
    let url = url_of(&options.mirror, ecosystem);
    let failed = |reason: String| AdvisoryError::Download {
        url: url.clone(),
        reason,
    };
    let target = export_path(sources, ecosystem);
    let previous = read_state(sources, ecosystem).filter(|state| state.url == url && target.is_file());
    let mut request = agent.get(&url);
    if let Some(state) = &previous {
        if let Some(etag) = &state.etag {
            request = request.header("If-None-Match", etag);
        }
        if let Some(modified) = &state.last_modified {
            request = request.header("If-Modified-Since", modified);
        }
    }
    let response = request.call().map_err(|e| failed(e.to_string()))?;
    let status = response.status().as_u16();
    if status == 304 && previous.is_some() {
        return Ok(false);
    }
    if status != 200 {
        let hint = if status == 404 {
            " (is the ecosystem name spelled as osv.dev spells it?)"
        } else {
            ""
        };
        return Err(failed(format!("the server answered HTTP {status}{hint}")));
    }
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let total = header("content-length").and_then(|v| v.parse::<u64>().ok());
    let state = ExportState {
        url: url.clone(),
        etag: header("etag"),
        last_modified: header("last-modified"),
        fetched: options.now.clone(),
    };
    progress(Progress::Downloading { ecosystem, total });
    let mut partial = tempfile::Builder::new()
        .prefix(".download-")
        .tempfile_in(sources)
        .map_err(|e| AdvisoryError::io(sources, "creating a temporary file in", e))?;
    let received = copy_with_progress(response.into_body().into_reader(), partial.as_file_mut(), |bytes| {
        progress(Progress::Received { ecosystem, bytes })
    })
    .map_err(|e| failed(format!("the download broke off: {e}")))?;
    if let Some(total) = total
        && received != total
    {
        return Err(failed(format!(
            "the download is truncated: {received} of {total} bytes"
        )));
    }
    partial
        .as_file()
        .sync_all()
        .map_err(|e| AdvisoryError::io(partial.path(), "writing", e))?;
    check_zip(partial.path())
        .map_err(|reason| failed(format!("the download is not a complete zip archive: {reason}")))?;
    partial
        .persist(&target)
        .map_err(|e| AdvisoryError::io(&target, "replacing", e.error))?;
    let state_json = serde_json::to_vec_pretty(&state).map_err(|e| AdvisoryError::Build(e.to_string()))?;
    crate::atomic::write(&state_path(sources, ecosystem), &state_json)?;
    Ok(true)
}

fn copy_with_progress(mut from: impl Read, to: &mut File, mut report: impl FnMut(u64)) -> std::io::Result<u64> {
    let mut buffer = vec![0u8; 256 * 1024];
    let mut total = 0u64;
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) => return Ok(total),
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        to.write_all(&buffer[..read])?;
        total += read as u64;
        report(total);
    }
}

fn check_zip(path: &Path) -> Result<(), String> {
    let file = File::open(path).map_err(|e| e.to_string())?;
    let archive = zip::ZipArchive::new(std::io::BufReader::new(file)).map_err(|e| e.to_string())?;
    if archive.is_empty() {
        return Err("it is empty".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_urls_escape_spaces() {
        assert_eq!(
            url_of("https://m.example/", "Red Hat"),
            "https://m.example/Red%20Hat/all.zip"
        );
        assert_eq!(
            url_of("http://127.0.0.1:1", "crates.io"),
            "http://127.0.0.1:1/crates.io/all.zip"
        );
        assert_eq!(file_stem("Rocky Linux"), "Rocky_Linux");
    }
}
