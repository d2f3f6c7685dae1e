//! VEX documents (`--vex`): statements by a vendor or the team that a vulnerability does
//! or does not affect a product. Read from OpenVEX (v0.2.0 JSON) and CycloneDX
//! (1.4–1.6 JSON, `vulnerabilities[].analysis`).
//!
//! A statement applies to a finding when it names one of the finding's ids and either
//! names the package (purl, among products or subcomponents) or names the scanned image
//! as product without subcomponents. `not_affected` (CycloneDX: `not_affected`,
//! `false_positive`) and `fixed` (`resolved`) suppress; `affected` and
//! `under_investigation` (`exploitable`, `in_triage`) do not. Where several statements
//! apply, the last one in the document wins.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use crate::error::AdvisoryError;

/// A statement's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VexStatus {
    NotAffected,
    Fixed,
    Affected,
    UnderInvestigation,
}

impl VexStatus {
    pub fn suppresses(self) -> bool {
        matches!(self, VexStatus::NotAffected | VexStatus::Fixed)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            VexStatus::NotAffected => "not_affected",
            VexStatus::Fixed => "fixed",
            VexStatus::Affected => "affected",
            VexStatus::UnderInvestigation => "under_investigation",
        }
    }
}

/// One statement, in either format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VexStatement {
    /// The vulnerability's id and aliases.
    pub ids: Vec<String>,
    /// Products and subcomponents named: purls, or image references / digests.
    pub products: Vec<String>,
    pub subcomponents: Vec<String>,
    pub status: VexStatus,
    pub justification: Option<String>,
    pub statement: Option<String>,
    pub file: String,
}

/// Reads a VEX document, telling the format from its content.
pub fn read(path: &Path) -> Result<Vec<VexStatement>, AdvisoryError> {
    let bytes = std::fs::read(path).map_err(|e| AdvisoryError::io(path, "reading the VEX document", e))?;
    parse(&bytes, path)
}

pub fn parse(bytes: &[u8], path: &Path) -> Result<Vec<VexStatement>, AdvisoryError> {
    let document: Value =
        serde_json::from_slice(bytes).map_err(|e| AdvisoryError::input(path, format!("not JSON: {e}")))?;
    let file = path.display().to_string();
    let is_openvex = document
        .get("@context")
        .and_then(Value::as_str)
        .is_some_and(|context| context.contains("openvex"));
    if is_openvex {
        return openvex(&document, &file).map_err(|reason| AdvisoryError::input(path, reason));
    }
    if document.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX") {
        return cyclonedx(&document, &file).map_err(|reason| AdvisoryError::input(path, reason));
    }
    Err(AdvisoryError::input(
        path,
        "neither an OpenVEX document (`@context` …openvex…) nor a CycloneDX BOM (`bomFormat`)",
    ))
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

/// `@id` (and `identifiers.purl`) of each product or subcomponent object.
fn product_ids(value: Option<&Value>) -> Vec<String> {
    let mut ids = Vec::new();
    for item in value.and_then(Value::as_array).into_iter().flatten() {
        if let Some(id) = item.get("@id").and_then(Value::as_str) {
            ids.push(id.to_string());
        }
        if let Some(purl) = item.pointer("/identifiers/purl").and_then(Value::as_str) {
            ids.push(purl.to_string());
        }
    }
    ids
}

fn openvex(document: &Value, file: &str) -> Result<Vec<VexStatement>, String> {
    let statements = document
        .get("statements")
        .and_then(Value::as_array)
        .ok_or("an OpenVEX document needs a `statements` list")?;
    let mut out = Vec::new();
    for (index, statement) in statements.iter().enumerate() {
        let vulnerability = statement.get("vulnerability");
        let mut ids = Vec::new();
        match vulnerability {
            Some(Value::String(name)) => ids.push(name.clone()),
            Some(object) => {
                ids.extend(object.get("name").and_then(Value::as_str).map(str::to_string));
                ids.extend(strings(object.get("aliases")));
            }
            None => {}
        }
        if ids.is_empty() {
            return Err(format!("statements[{index}] names no vulnerability"));
        }
        let status = match statement.get("status").and_then(Value::as_str) {
            Some("not_affected") => VexStatus::NotAffected,
            Some("fixed") => VexStatus::Fixed,
            Some("affected") => VexStatus::Affected,
            Some("under_investigation") => VexStatus::UnderInvestigation,
            other => return Err(format!("statements[{index}] has an unknown status {other:?}")),
        };
        let products = statement.get("products");
        let subcomponents = products
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .flat_map(|product| product_ids(product.get("subcomponents")))
            .collect();
        out.push(VexStatement {
            ids,
            products: product_ids(products),
            subcomponents,
            status,
            justification: statement
                .get("justification")
                .and_then(Value::as_str)
                .map(str::to_string),
            statement: statement
                .get("impact_statement")
                .or_else(|| statement.get("status_notes"))
                .and_then(Value::as_str)
                .map(str::to_string),
            file: file.to_string(),
        });
    }
    Ok(out)
}

fn cyclonedx(document: &Value, file: &str) -> Result<Vec<VexStatement>, String> {
    let mut purls_by_ref: HashMap<String, String> = HashMap::new();
    collect_components(document.get("components"), &mut purls_by_ref);
    if let Some(component) = document.pointer("/metadata/component") {
        collect_components(Some(&Value::Array(vec![component.clone()])), &mut purls_by_ref);
    }
    let mut out = Vec::new();
    let vulnerabilities = document.get("vulnerabilities").and_then(Value::as_array);
    for (index, vulnerability) in vulnerabilities.into_iter().flatten().enumerate() {
        let Some(analysis) = vulnerability.get("analysis") else {
            continue;
        };
        let status = match analysis.get("state").and_then(Value::as_str) {
            Some("not_affected" | "false_positive") => VexStatus::NotAffected,
            Some("resolved" | "resolved_with_pedigree") => VexStatus::Fixed,
            Some("exploitable") => VexStatus::Affected,
            Some("in_triage") | None => VexStatus::UnderInvestigation,
            Some(other) => {
                return Err(format!(
                    "vulnerabilities[{index}].analysis has an unknown state `{other}`"
                ));
            }
        };
        let mut ids: Vec<String> = vulnerability
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .into_iter()
            .collect();
        for reference in vulnerability
            .get("references")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            ids.extend(reference.get("id").and_then(Value::as_str).map(str::to_string));
        }
        if ids.is_empty() {
            return Err(format!("vulnerabilities[{index}] has no id"));
        }
        let mut products = Vec::new();
        for affects in vulnerability
            .get("affects")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(reference) = affects.get("ref").and_then(Value::as_str) {
                let bom_ref = reference.rsplit_once('#').map_or(reference, |(_, r)| r);
                match purls_by_ref.get(bom_ref).or_else(|| purls_by_ref.get(reference)) {
                    Some(purl) => products.push(purl.clone()),
                    None => products.push(reference.to_string()),
                }
            }
        }
        out.push(VexStatement {
            ids,
            products,
            subcomponents: Vec::new(),
            status,
            justification: analysis
                .get("justification")
                .and_then(Value::as_str)
                .map(str::to_string),
            statement: analysis.get("detail").and_then(Value::as_str).map(str::to_string),
            file: file.to_string(),
        });
    }
    Ok(out)
}

fn collect_components(value: Option<&Value>, purls: &mut HashMap<String, String>) {
    for component in value.and_then(Value::as_array).into_iter().flatten() {
        if let (Some(bom_ref), Some(purl)) = (
            component.get("bom-ref").and_then(Value::as_str),
            component.get("purl").and_then(Value::as_str),
        ) {
            purls.insert(bom_ref.to_string(), purl.to_string());
        }
        collect_components(component.get("components"), purls);
    }
}

/// Whether a purl from a VEX statement or ignore rule names `package_purl`: the same
/// type, namespace and name, and the same version when the statement gives one;
/// qualifiers and subpaths are ignored, percent-escapes decoded.
pub fn purl_matches(statement: &str, package_purl: &str) -> bool {
    let (want_base, want_version) = purl_parts(statement);
    let (have_base, have_version) = purl_parts(package_purl);
    want_base.eq_ignore_ascii_case(&have_base) && (want_version.is_none() || want_version == have_version)
}

fn purl_parts(purl: &str) -> (String, Option<String>) {
    let purl = purl.split(['?', '#']).next().unwrap_or(purl);
    let decoded = percent_decode(purl);
    // The version starts at the last `@` after the final `/` (npm scopes start with `@`).
    let name_start = decoded.rfind('/').map_or(0, |slash| slash + 1);
    match decoded[name_start..].rfind('@') {
        Some(at) => (
            decoded[..name_start + at].to_string(),
            Some(decoded[name_start + at + 1..].to_string()),
        ),
        None => (decoded, None),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%'
            && let Some(hex) = text.get(index + 1..index + 3)
            && let Ok(byte) = u8::from_str_radix(hex, 16)
        {
            out.push(byte);
            index += 3;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purls_match_with_or_without_versions() {
        assert!(purl_matches("pkg:pypi/django", "pkg:pypi/django@3.2.0"));
        assert!(purl_matches("pkg:pypi/django@3.2.0", "pkg:pypi/django@3.2.0?x=y"));
        assert!(!purl_matches("pkg:pypi/django@3.2.1", "pkg:pypi/django@3.2.0"));
        assert!(purl_matches("pkg:npm/%40babel/core", "pkg:npm/@babel/core@7.0.0"));
        assert!(!purl_matches("pkg:npm/babel", "pkg:npm/%40babel/core@7.0.0"));
        assert!(purl_matches(
            "pkg:deb/debian/libc6@2.36-9?arch=amd64",
            "pkg:deb/debian/libc6@2.36-9?arch=amd64&distro=debian-12"
        ));
    }

    #[test]
    fn openvex_statements() {
        let doc = br#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[
            {"vulnerability":{"name":"CVE-2021-1","aliases":["GHSA-a"]},"products":[{"@id":"pkg:oci/app","subcomponents":[{"@id":"pkg:pypi/django"}]}],
             "status":"not_affected","justification":"vulnerable_code_not_in_execute_path","impact_statement":"we never call it"}]}"#;
        let statements = parse(doc, Path::new("a.vex.json")).unwrap();
        assert_eq!(statements[0].ids, ["CVE-2021-1", "GHSA-a"]);
        assert_eq!(statements[0].subcomponents, ["pkg:pypi/django"]);
        assert_eq!(statements[0].status, VexStatus::NotAffected);
        assert_eq!(statements[0].statement.as_deref(), Some("we never call it"));
        let bad = br#"{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"X"},"status":"maybe"}]}"#;
        assert!(
            parse(bad, Path::new("b"))
                .unwrap_err()
                .to_string()
                .contains("unknown status")
        );
    }

    #[test]
    fn cyclonedx_analysis() {
        let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","components":[{"bom-ref":"c1","purl":"pkg:npm/lodash@4.17.15"}],
            "vulnerabilities":[{"id":"CVE-2020-8203","analysis":{"state":"false_positive","detail":"not reachable"},"affects":[{"ref":"urn:cdx:x/1#c1"}]},
                               {"id":"CVE-2","analysis":{"state":"exploitable"},"affects":[{"ref":"pkg:npm/a@1"}]}]}"#;
        let statements = parse(doc, Path::new("bom.json")).unwrap();
        assert_eq!(statements[0].products, ["pkg:npm/lodash@4.17.15"]);
        assert_eq!(statements[0].status, VexStatus::NotAffected);
        assert_eq!(statements[1].status, VexStatus::Affected);
        assert!(parse(b"{}", Path::new("x")).is_err());
        assert!(parse(b"[", Path::new("x")).is_err());
    }
}
