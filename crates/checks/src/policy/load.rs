//! Loading a policy directory: every `*.rego` file under it, parsed into one engine, and each
//! rule package's metadata read and validated.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::time::Duration;

use drydock_model::Severity;
use regorus::Engine;
use regorus::utils::limits::ExecutionTimerConfig;

use super::error::PolicyError;
use super::{InputKind, PolicyRule, PolicySet, regorus_error};

/// Policy files larger than this are refused (the engine's own limit too).
pub const MAX_POLICY_FILE_BYTES: u64 = 1 << 20;

/// More `.rego` files than this under the given directories are refused.
const MAX_POLICY_FILES: usize = 10_000;

/// One evaluation of one rule over one input may take this long.
pub const EVALUATION_TIME_LIMIT: Duration = Duration::from_secs(60);

/// The rules that make findings, and the names a package's metadata may have.
const DENY: &str = "deny";
const WARN: &str = "warn";
const METADATA_NAMES: [&str; 2] = ["metadata", "__rego_metadata__"];

/// The engine's time limit per evaluation, checked every 1024 steps.
pub(crate) fn timer(limit: Duration) -> ExecutionTimerConfig {
    ExecutionTimerConfig {
        limit,
        check_interval: NonZeroU32::new(1024).unwrap_or(NonZeroU32::MIN),
    }
}

/// Every `*.rego` file under `dirs` (recursively, in path order), parsed and validated.
pub fn load(dirs: &[PathBuf]) -> Result<PolicySet, PolicyError> {
    let mut engine = Engine::new();
    engine.set_strict_builtin_errors(true);
    engine.set_gather_prints(true);
    engine.set_execution_timer_config(timer(EVALUATION_TIME_LIMIT));
    let mut packages: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for dir in dirs {
        let files = rego_files(dir)?;
        if files.is_empty() {
            return Err(PolicyError::Directory {
                path: dir.clone(),
                reason: "holds no .rego file".into(),
            });
        }
        for file in files {
            let shown = file.display().to_string();
            let text = read_policy(&file)?;
            let package = engine
                .add_policy(shown.clone(), text)
                .map_err(|e| parse_error(&shown, &e))?;
            packages.entry(package).or_default().push(shown);
        }
    }
    let mut rules = Vec::new();
    for (package, files) in &packages {
        if let Some(rule) = rule_package(&mut engine, package, files)? {
            rules.push(rule);
        }
    }
    if rules.is_empty() {
        let shown: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        return Err(PolicyError::Directory {
            path: PathBuf::from(shown.join(", ")),
            reason: "no package under `drydock.<kind>` (image, dockerfile, kubernetes, compose, oci_runtime, \
                     manifest) defines a deny or warn rule, so there is nothing to check"
                .into(),
        });
    }
    check_unique_ids(&rules)?;
    Ok(PolicySet { engine, rules })
}

/// The `.rego` files under `dir`, sorted by path. Symlinked files are followed; symlinked
/// directories are not (no loops, nothing outside the tree the user named).
fn rego_files(dir: &Path) -> Result<Vec<PathBuf>, PolicyError> {
    let metadata = std::fs::metadata(dir).map_err(|source| PolicyError::Read {
        path: dir.to_path_buf(),
        source,
    })?;
    if !metadata.is_dir() {
        return Err(PolicyError::Directory {
            path: dir.to_path_buf(),
            reason: "not a directory (--policy takes a directory of .rego files)".into(),
        });
    }
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries = std::fs::read_dir(&current).map_err(|source| PolicyError::Read {
            path: current.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| PolicyError::Read {
                path: current.clone(),
                source,
            })?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|source| PolicyError::Read {
                path: path.clone(),
                source,
            })?;
            if kind.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rego") && (kind.is_file() || path.is_file()) {
                found.push(path);
            }
        }
        if found.len() > MAX_POLICY_FILES {
            return Err(PolicyError::Directory {
                path: dir.to_path_buf(),
                reason: format!("more than {MAX_POLICY_FILES} .rego files"),
            });
        }
    }
    found.sort();
    Ok(found)
}

fn read_policy(path: &Path) -> Result<String, PolicyError> {
    let read_error = |source| PolicyError::Read {
        path: path.to_path_buf(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_error)?.len();
    if size > MAX_POLICY_FILE_BYTES {
        return Err(PolicyError::Parse {
            path: path.display().to_string(),
            reason: format!("{size} bytes, more than the {MAX_POLICY_FILE_BYTES} accepted for a policy file"),
        });
    }
    let bytes = std::fs::read(path).map_err(read_error)?;
    String::from_utf8(bytes).map_err(|e| PolicyError::Parse {
        path: path.display().to_string(),
        reason: format!("not UTF-8 text: {e}"),
    })
}

fn parse_error(path: &str, error: &impl std::fmt::Display) -> PolicyError {
    let (location, mut reason) = regorus_error(error);
    if reason.contains("keyword is required") {
        reason.push_str(
            " (drydock reads Rego v1, the syntax of OPA 1.0: write `deny contains msg if { ... }`; see docs/policy.md)",
        );
    }
    PolicyError::Parse {
        path: location.unwrap_or_else(|| path.to_string()),
        reason,
    }
}

/// The rule a package defines, `None` for a library package (no deny, warn or metadata).
fn rule_package(engine: &mut Engine, package: &str, files: &[String]) -> Result<Option<PolicyRule>, PolicyError> {
    let package_error = |reason: String| PolicyError::Package {
        package: package.to_string(),
        files: files.join(", "),
        reason,
    };
    let declares = |name: &str| -> Result<bool, PolicyError> {
        for file in files {
            let found = engine
                .has_declared_rule_rooted_at(file, name)
                .map_err(|e| package_error(regorus_error(&e).1))?;
            if found {
                return Ok(true);
            }
        }
        Ok(false)
    };
    let deny = declares(DENY)?;
    let warn = declares(WARN)?;
    let mut metadata_name = None;
    for name in METADATA_NAMES {
        if declares(name)? {
            metadata_name = Some(name);
        }
    }
    let path = package.strip_prefix("data.").unwrap_or(package);
    let segments: Vec<&str> = path.split('.').collect();
    let kinds = match segments.as_slice() {
        ["drydock", kind, ..] => InputKind::for_package_segment(kind),
        _ => None,
    };
    let Some(kinds) = kinds else {
        if deny || warn || metadata_name.is_some() {
            return Err(package_error(format!(
                "defines deny, warn or metadata but `package {path}` is not under `drydock.<kind>` with kind one of \
                 image, dockerfile, kubernetes, compose, oci_runtime, manifest, so it would never run"
            )));
        }
        return Ok(None);
    };
    if !(deny || warn) {
        if metadata_name.is_some() {
            return Err(package_error("has metadata but defines neither deny nor warn".into()));
        }
        return Ok(None);
    }
    if let Some(bad) = segments.iter().find(|s| !is_identifier(s)) {
        return Err(package_error(format!(
            "package path component `{bad}` is not a plain identifier (letters, digits, _)"
        )));
    }
    let Some(metadata_name) = metadata_name else {
        return Err(package_error(
            "has no metadata: declare `metadata := {\"id\": ..., \"title\": ..., \"severity\": ...}`".into(),
        ));
    };
    engine.set_input(regorus::Value::new_object());
    let value = engine
        .eval_rule(format!("{package}.{metadata_name}"))
        .map_err(|e| package_error(format!("evaluating {metadata_name}: {}", one_line(&e))))?;
    let metadata = serde_json::to_value(&value)
        .ok()
        .filter(|_| value != regorus::Value::Undefined)
        .ok_or_else(|| package_error(format!("{metadata_name} is undefined (it must not depend on input)")))?;
    let fields = Metadata::read(&metadata).map_err(|reason| package_error(format!("{metadata_name}: {reason}")))?;
    Ok(Some(PolicyRule {
        id: fields.id,
        title: fields.title,
        severity: fields.severity,
        description: fields.description,
        remediation: fields.remediation,
        cis: fields.cis,
        package: path.to_string(),
        files: files.to_vec(),
        applies_to: kinds.to_vec(),
        deny,
        warn,
    }))
}

fn one_line(error: &impl std::fmt::Display) -> String {
    match regorus_error(error) {
        (Some(location), reason) => format!("{location}: {reason}"),
        (None, reason) => reason,
    }
}

fn is_identifier(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The validated fields of a package's metadata object.
#[derive(Debug)]
pub(crate) struct Metadata {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub description: String,
    pub remediation: String,
    pub cis: Option<String>,
}

impl Metadata {
    /// Reads and checks a metadata object; the error says which field is wrong and why.
    pub(crate) fn read(value: &serde_json::Value) -> Result<Metadata, String> {
        let object = value
            .as_object()
            .ok_or_else(|| format!("must be an object, not {}", json_type(value)))?;
        let text = |name: &str| -> Result<Option<String>, String> {
            match object.get(name) {
                None | Some(serde_json::Value::Null) => Ok(None),
                Some(serde_json::Value::String(text)) => Ok(Some(text.trim().to_string())),
                Some(other) => Err(format!("`{name}` must be a string, not {}", json_type(other))),
            }
        };
        let required = |name: &str| -> Result<String, String> {
            text(name)?
                .filter(|t| !t.is_empty())
                .ok_or_else(|| format!("`{name}` is missing or empty"))
        };
        let id = required("id")?;
        check_id(&id)?;
        let severity = parse_severity(&required("severity")?)?;
        let remediation = match text("remediation")? {
            Some(text) => Some(text),
            None => text("recommended_actions")?,
        };
        Ok(Metadata {
            id,
            title: required("title")?,
            severity,
            description: text("description")?.unwrap_or_default(),
            remediation: remediation.unwrap_or_default(),
            cis: text("cis")?.filter(|c| !c.is_empty()),
        })
    }
}

/// Ids are the user's own: never a built-in `DD-` id, and printable in every report.
fn check_id(id: &str) -> Result<(), String> {
    if id.len() > 64 {
        return Err(format!("`id` {id:?} is longer than 64 characters"));
    }
    if !id.chars().all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c)) {
        return Err(format!(
            "`id` {id:?} may only hold ASCII letters, digits, `-`, `_`, `.` and `:`"
        ));
    }
    if id.get(..3).is_some_and(|prefix| prefix.eq_ignore_ascii_case("DD-")) {
        return Err(format!(
            "`id` {id:?} uses the `DD-` prefix reserved for drydock's built-in rules: use another, such as `CUSTOM-{}`",
            id.get(3..).unwrap_or_default()
        ));
    }
    Ok(())
}

fn parse_severity(word: &str) -> Result<Severity, String> {
    match word.to_ascii_lowercase().as_str() {
        "critical" => Ok(Severity::Critical),
        "high" => Ok(Severity::High),
        "medium" => Ok(Severity::Medium),
        "low" => Ok(Severity::Low),
        _ => Err(format!("`severity` {word:?} is not one of critical, high, medium, low")),
    }
}

pub(crate) fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

fn check_unique_ids(rules: &[PolicyRule]) -> Result<(), PolicyError> {
    let mut seen: BTreeMap<String, &PolicyRule> = BTreeMap::new();
    for rule in rules {
        if let Some(first) = seen.insert(rule.id.to_ascii_uppercase(), rule) {
            return Err(PolicyError::DuplicateId {
                id: rule.id.clone(),
                first: first.files.join(", "),
                second: rule.files.join(", "),
            });
        }
    }
    Ok(())
}
