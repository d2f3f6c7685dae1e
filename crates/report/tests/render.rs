//! Every format rendered from one hand-built scan of a Debian image with a Python app: a
//! Debian finding matched through its source package with a CVSS v3 score, a PyPI finding
//! known by several ids, a malicious package, findings suppressed by VEX and by an ignore
//! file, a finding without a fix, and check findings. The table is asserted row by row; the
//! machine formats are validated against their JSON schemas (tests/fixtures/schemas, with
//! python-jsonschema through `validate.py` there) and checked for what their consumers need.

use std::path::{Path, PathBuf};
use std::process::Command;

use drydock_catalog::TargetKind;
use drydock_catalog::sbom::Subject;
use drydock_model::{
    AffectedPackage, CheckFinding, CheckLocation, DatabaseInfo, DatabaseSource, Ecosystem, Finding, FindingKind,
    FixState, Inventory, MatchEvidence, OsRelease, Package, PackageLocation, SCAN_REPORT_SCHEMA_VERSION, ScanReport,
    ScanTarget, ScanWarning, ScoreKind, Severity, SeverityScore, SourcePackage, Suppression, TargetClass,
};
use drydock_report::{RenderOptions, ReportError, ReportFormat, render};
use serde_json::Value;

const CREATED: u64 = 1_795_340_280;
const STATUS: &str = "/var/lib/dpkg/status";
const LOCKFILE: &str = "/app/poetry.lock";

fn location(path: &str, layer: usize) -> PackageLocation {
    PackageLocation {
        path: path.to_string(),
        layer: Some(layer),
        layer_diff_id: Some(format!("sha256:{}", layer.to_string().repeat(64)).parse().unwrap()),
    }
}

fn deb(name: &str, version: &str, source: &str) -> Package {
    let mut package = Package::new(Ecosystem::Deb, name, version);
    package.purl = format!("pkg:deb/debian/{name}@{version}?arch=amd64&distro=debian-12&upstream={source}");
    package.source = Some(SourcePackage {
        name: source.to_string(),
        version: version.to_string(),
    });
    package.locations = vec![location(STATUS, 0)];
    package.found_by = vec!["dpkg".to_string()];
    package
}

fn pypi(name: &str, version: &str) -> Package {
    let mut package = Package::new(Ecosystem::PyPI, name, version);
    package.locations = vec![location(LOCKFILE, 2)];
    package.found_by = vec!["python-lock".to_string()];
    package
}

fn inventory() -> Inventory {
    Inventory {
        os: Some(OsRelease {
            id: "debian".into(),
            version_id: Some("12".into()),
            version_codename: Some("bookworm".into()),
            pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
            id_like: Vec::new(),
            path: "/usr/lib/os-release".into(),
            layer: Some(0),
        }),
        packages: vec![
            deb("libssl3", "3.0.11-1~deb12u2", "openssl"),
            deb("libc6", "2.36-9+deb12u4", "glibc"),
            deb("zlib1g", "1:1.2.13.dfsg-1", "zlib"),
            pypi("jinja2", "3.1.2"),
            pypi("evil-pkg", "0.0.1"),
        ],
        warnings: Vec::new(),
    }
}

fn subject() -> Subject {
    Subject {
        name: "oci:layout:app".into(),
        kind: TargetKind::Image,
        digest: Some(format!("sha256:{}", "a".repeat(64)).parse().unwrap()),
        purl: None,
        properties: vec![("drydock:image:platform".into(), "linux/amd64".into())],
    }
}

/// A finding against `package` of the inventory, with what every finding has.
fn finding(id: &str, package: &Package, severity: Severity, record_ecosystem: &str) -> Finding {
    Finding {
        id: id.to_string(),
        aliases: Vec::new(),
        kind: FindingKind::Vulnerability,
        package: AffectedPackage {
            name: package.name.clone(),
            version: package.version.clone(),
            ecosystem: package.ecosystem,
            purl: package.purl.clone(),
            source: package.source.clone(),
            locations: package.locations.clone(),
        },
        severity,
        scores: Vec::new(),
        fix_state: FixState::NotFixed,
        fixed_versions: Vec::new(),
        title: None,
        description: None,
        references: Vec::new(),
        published: None,
        modified: None,
        matched_by: vec![MatchEvidence {
            record: id.to_string(),
            ecosystem: record_ecosystem.to_string(),
            package: package.source.as_ref().map_or(package.name.clone(), |s| s.name.clone()),
            reason: "ECOSYSTEM >= 0, < fixed".to_string(),
        }],
        suppressed: None,
    }
}

fn debian_findings(packages: &[Package]) -> Vec<Finding> {
    let mut openssl = finding("CVE-2024-0727", &packages[0], Severity::High, "Debian:12");
    openssl.aliases = vec!["DSA-5678-1".into()];
    openssl.scores = vec![SeverityScore {
        kind: ScoreKind::CvssV3,
        value: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H".into(),
        score: Some(7.5),
        severity: Severity::High,
    }];
    openssl.fix_state = FixState::Fixed;
    openssl.fixed_versions = vec!["3.0.13-1~deb12u1".into()];
    openssl.title = Some("PKCS12 Decoding crashes".into());
    openssl.description = Some("Processing a maliciously formatted PKCS12 file may lead OpenSSL to crash.".into());
    openssl.references = vec![
        "https://www.openssl.org/news/secadv/20240125.txt".into(),
        "https://security-tracker.debian.org/tracker/CVE-2024-0727".into(),
        "not a url".into(),
    ];
    openssl.published = Some("2024-01-26T09:15:07Z".into());
    openssl.modified = Some("2024-06-10T17:16:18.123Z".into());

    let mut glibc = finding("CVE-2010-4756", &packages[1], Severity::Low, "Debian:12");
    glibc.scores = vec![SeverityScore {
        kind: ScoreKind::Database,
        value: "unimportant".into(),
        score: None,
        severity: Severity::Low,
    }];
    glibc.title = Some("glob implementation can exhaust stack".into());

    let mut zlib = finding("CVE-2023-45853", &packages[2], Severity::Critical, "Debian:12");
    zlib.title = Some("MiniZip integer overflow".into());
    zlib.published = Some("not a date".into());
    zlib.suppressed = Some(Suppression {
        source: "vex".into(),
        file: "app.vex.json".into(),
        justification: Some("vulnerable_code_not_in_execute_path".into()),
        statement: Some("MiniZip is not built into Debian's zlib1g".into()),
        expires: None,
    });
    vec![zlib, openssl, glibc]
}

fn python_findings(packages: &[Package]) -> Vec<Finding> {
    let mut jinja = finding("PYSEC-2024-10", &packages[3], Severity::Medium, "PyPI");
    jinja.aliases = vec!["CVE-2024-22195".into(), "GHSA-h5c8-rqwp-cp95".into()];
    jinja.scores = vec![SeverityScore {
        kind: ScoreKind::CvssV3,
        value: "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N".into(),
        score: Some(5.4),
        severity: Severity::Medium,
    }];
    jinja.fix_state = FixState::Fixed;
    jinja.fixed_versions = vec!["3.1.3".into()];
    jinja.title = Some("Jinja2 \u{1b}[31mXSS\u{1b}[0m in the xmlattr\nfilter\u{202e}".into());
    jinja.description = Some("The `xmlattr` filter accepts keys containing spaces. | pipes |".into());
    jinja.references = vec!["https://github.com/pallets/jinja/security/advisories/GHSA-h5c8-rqwp-cp95".into()];

    let mut ignored = finding("GHSA-q2x7-8rv6-6q7h", &packages[3], Severity::Low, "PyPI");
    ignored.title = Some("Jinja vulnerable to sandbox breakout".into());
    ignored.suppressed = Some(Suppression {
        source: "ignore-file".into(),
        file: ".drydockignore".into(),
        justification: Some("templates are not user-controlled".into()),
        statement: None,
        expires: Some("2027-01-01".into()),
    });

    let mut malware = finding("MAL-2024-1234", &packages[4], Severity::Critical, "PyPI");
    malware.kind = FindingKind::Malware;
    malware.title = Some("Malicious code in evil-pkg (PyPI)\r\u{1b}]0;pwned\u{7}".into());
    vec![ignored, malware, jinja]
}

fn checks() -> Vec<CheckFinding> {
    vec![
        CheckFinding {
            rule: "DD-IMG-001".into(),
            severity: Severity::Medium,
            title: "Image runs as root".into(),
            message: "config.User is empty, so containers run as root".into(),
            remediation: "Add a USER instruction with a non-root user".into(),
            location: CheckLocation {
                object: Some("config.User".into()),
                ..CheckLocation::default()
            },
            cis: Some("CIS Docker Benchmark v1.6.0 4.1".into()),
        },
        CheckFinding {
            rule: "DD-SEC-001".into(),
            severity: Severity::Critical,
            title: "AWS access key id".into(),
            message: "AKIA************MPLE".into(),
            remediation: "Remove the key from the image and rotate it".into(),
            location: CheckLocation {
                path: Some("/app/.env".into()),
                layer: Some(2),
                line: Some(3),
                column: Some(15),
                object: None,
            },
            cis: None,
        },
    ]
}

fn report() -> ScanReport {
    let packages = inventory().packages;
    ScanReport {
        schema_version: SCAN_REPORT_SCHEMA_VERSION,
        tool: "drydock 0.1.0".into(),
        target: "oci:layout:app".into(),
        image: None,
        os: inventory().os,
        database: DatabaseInfo {
            path: "/root/.cache/drydock/osv.store".into(),
            built: "2026-11-20T03:00:00Z".into(),
            sources: vec![DatabaseSource {
                name: "Debian".into(),
                origin: "https://osv-vulnerabilities.storage.googleapis.com/Debian/all.zip".into(),
                records: 51234,
                newest_record: Some("2026-11-19T23:59:00Z".into()),
                fetched: "2026-11-20T02:58:00Z".into(),
            }],
        },
        packages: packages.len(),
        targets: vec![
            ScanTarget {
                name: "debian 12 (dpkg)".into(),
                class: TargetClass::OsPackages,
                ecosystem: Ecosystem::Deb,
                packages: 3,
                findings: debian_findings(&packages),
            },
            ScanTarget {
                name: LOCKFILE.into(),
                class: TargetClass::LanguagePackages,
                ecosystem: Ecosystem::PyPI,
                packages: 2,
                findings: python_findings(&packages),
            },
        ],
        checks: checks(),
        warnings: vec![ScanWarning {
            stage: "catalog/dpkg".into(),
            message: "unparseable version `1..2` of foo".into(),
        }],
    }
}

fn render_as(format: ReportFormat, report: &ScanReport, options: &RenderOptions) -> Vec<u8> {
    render(format, report, &inventory(), &subject(), CREATED, options).unwrap()
}

fn table(options: &RenderOptions) -> String {
    String::from_utf8(render_as(ReportFormat::Table, &report(), options)).unwrap()
}

/// The table lines (header included) after `heading`, up to the table's end, each as its
/// trimmed cells; a cell of two lines gives a second line whose other cells are empty.
fn rows_after(output: &str, heading: &str) -> Vec<Vec<String>> {
    let start = output
        .find(heading)
        .unwrap_or_else(|| panic!("no `{heading}` in\n{output}"));
    output[start..]
        .lines()
        .skip_while(|line| !line.starts_with('┌'))
        .take_while(|line| !line.starts_with('└'))
        .filter(|line| line.starts_with('│'))
        .map(|line| {
            line.trim_matches('│')
                .split('┆')
                .map(|cell| cell.trim().to_string())
                .collect()
        })
        .collect()
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

#[test]
fn table_sorts_findings_by_severity_and_labels_their_ids() {
    let output = table(&RenderOptions::default());
    assert!(
        output.starts_with("Target: oci:layout:app\nOS: Debian GNU/Linux 12 (bookworm)\n"),
        "{output}"
    );
    assert!(
        output.contains("Database: built 2026-11-20T03:00:00Z, 1 source (/root/.cache/drydock/osv.store)\n"),
        "{output}"
    );
    assert!(
        output.contains("\ndebian 12 (dpkg): 3 packages, 2 findings (1 suppressed, hidden, see --show-suppressed)\n"),
        "{output}"
    );
    assert_eq!(
        rows_after(&output, "debian 12 (dpkg)"),
        [
            row(&["Vulnerability", "Package", "Installed", "Fixed", "Severity", "Title"]),
            row(&[
                "CVE-2024-0727 (+1)",
                "libssl3 (src: openssl)",
                "3.0.11-1~deb12u2",
                "3.0.13-1~deb12u1",
                "HIGH",
                "PKCS12 Decoding crashes"
            ]),
            row(&[
                "CVE-2010-4756",
                "libc6 (src: glibc)",
                "2.36-9+deb12u4",
                "not fixed",
                "LOW",
                "glob implementation can exhaust stack"
            ]),
        ]
    );
    assert!(
        output.contains("Summary: Critical: 0, High: 1, Medium: 0, Low: 1, Unknown: 0\n"),
        "{output}"
    );
    assert!(
        !output.contains("CVE-2023-45853"),
        "suppressed findings are hidden:\n{output}"
    );
}

#[test]
fn table_puts_malware_in_its_own_section() {
    let output = table(&RenderOptions::default());
    assert!(
        output.contains("\n/app/poetry.lock: 2 packages, 2 findings (1 suppressed, hidden, see --show-suppressed)\n"),
        "{output}"
    );
    assert!(
        output.contains("MALWARE: 1 known malicious package (remove, do not upgrade)\n"),
        "{output}"
    );
    let malware = rows_after(&output, "MALWARE:");
    assert_eq!(
        malware,
        [
            row(&["Malware", "Package", "Version", "Title"]),
            row(&[
                "MAL-2024-1234",
                "evil-pkg",
                "0.0.1",
                "Malicious code in evil-pkg (PyPI) \\u{1b}]0;pwned\\u{7}"
            ]),
        ]
    );
    let after_malware = &output[output.find("MALWARE:").unwrap()..];
    let second_table = &after_malware[after_malware.find('└').unwrap()..];
    assert_eq!(
        rows_after(second_table, "└")[1],
        row(&[
            "PYSEC-2024-10 (CVE-2024-22195)",
            "jinja2",
            "3.1.2",
            "3.1.3",
            "MEDIUM",
            "Jinja2 \\u{1b}[31mXSS\\u{1b}[0m in the xmlattr filter\\u{202e}"
        ])
    );
    assert!(
        output.contains("Summary: Critical: 1, High: 0, Medium: 1, Low: 0, Unknown: 0\n"),
        "{output}"
    );
}

#[test]
fn table_lists_checks_totals_and_warnings() {
    let output = table(&RenderOptions::default());
    assert!(output.contains("\nChecks: 2 findings\n"), "{output}");
    assert_eq!(
        rows_after(&output, "\nChecks: 2 findings"),
        [
            row(&["Rule", "Severity", "Title", "Location", "Message"]),
            row(&[
                "DD-SEC-001",
                "CRITICAL",
                "AWS access key id",
                "/app/.env:3:15 (layer 2)",
                "AKIA************MPLE"
            ]),
            row(&[
                "DD-IMG-001",
                "MEDIUM",
                "Image runs as root",
                "config.User",
                "config.User is empty, so containers run as root"
            ]),
        ]
    );
    assert!(
        output.ends_with(
            "\nTotal: 4 findings in 2 targets (1 malware, 2 suppressed). \
             Critical: 1, High: 1, Medium: 1, Low: 1, Unknown: 0\n\
             Checks: 2 findings. Critical: 1, High: 0, Medium: 1, Low: 0, Unknown: 0\n\
             Warnings: 1 (listed in --format json)\n"
        ),
        "{output}"
    );
}

#[test]
fn table_escapes_every_control_character_from_images_and_advisories() {
    for options in [
        RenderOptions::default(),
        RenderOptions {
            show_suppressed: true,
            width: Some(100),
            ..RenderOptions::default()
        },
    ] {
        let output = table(&options);
        for forbidden in ['\u{1b}', '\r', '\u{7}', '\u{202e}'] {
            assert!(!output.contains(forbidden), "{forbidden:?} in\n{output}");
        }
        assert!(output.contains("\\u{1b}"), "{output}");
    }
}

#[test]
fn suppressed_findings_are_shown_with_who_suppressed_them_on_request() {
    let output = table(&RenderOptions {
        show_suppressed: true,
        ..RenderOptions::default()
    });
    assert!(output.contains("(1 suppressed, shown)"), "{output}");
    let rows = rows_after(&output, "debian 12 (dpkg)");
    assert_eq!(
        rows[1][0], "CVE-2023-45853",
        "critical first, suppressed or not: {rows:?}"
    );
    assert_eq!(rows[1][5], "MiniZip integer overflow");
    assert_eq!(
        rows[2][5],
        "SUPPRESSED by vex (app.vex.json): vulnerable_code_not_in_execute_path"
    );
    assert!(
        output.contains("SUPPRESSED by ignore-file (.drydockignore): templates are not user-controlled"),
        "{output}"
    );
    assert!(
        output.contains("Summary: Critical: 0, High: 1, Medium: 0, Low: 1, Unknown: 0\n"),
        "suppressed do not count"
    );
}

#[test]
fn table_colours_severities_only_when_asked_and_wraps_to_the_width() {
    let plain = table(&RenderOptions::default());
    let coloured = table(&RenderOptions {
        color: true,
        ..RenderOptions::default()
    });
    assert!(!plain.contains('\u{1b}'));
    assert!(coloured.contains("\u{1b}["), "{coloured}");
    assert!(
        coloured.contains("\\u{1b}[31mXSS"),
        "image text stays escaped:\n{coloured}"
    );
    let narrow = table(&RenderOptions {
        width: Some(90),
        ..RenderOptions::default()
    });
    for line in narrow.lines().filter(|line| line.starts_with(['│', '┌', '├', '└'])) {
        assert!(line.chars().count() <= 90, "{line}");
    }
}

#[test]
fn long_titles_are_cut_in_the_table() {
    let mut long = report();
    long.targets[0].findings[1].title = Some("overflow ".repeat(20));
    let output = String::from_utf8(render_as(ReportFormat::Table, &long, &RenderOptions::default())).unwrap();
    let rows = rows_after(&output, "debian 12 (dpkg)");
    assert_eq!(rows.len(), 3, "{output}");
    let title = &rows[1][5];
    assert_eq!(title.chars().count(), 60, "{title}");
    assert!(title.ends_with('…'), "{title}");
}

#[test]
fn an_empty_scan_says_so() {
    let mut empty = report();
    for target in &mut empty.targets {
        target.findings.clear();
    }
    empty.checks.clear();
    empty.warnings.clear();
    let output = String::from_utf8(render_as(ReportFormat::Table, &empty, &RenderOptions::default())).unwrap();
    assert_eq!(output.matches("No vulnerabilities found.").count(), 2, "{output}");
    assert!(
        output.ends_with(
            "\nTotal: 0 findings in 2 targets (0 malware, 0 suppressed). \
             Critical: 0, High: 0, Medium: 0, Low: 0, Unknown: 0\n"
        ),
        "{output}"
    );
}

/// Writes `documents` to files and runs the schema validator on them; panics with its
/// report when any is invalid.
fn validate(schema: &str, closed: bool, documents: &[(&str, &[u8])]) {
    let dir = tempfile::tempdir().unwrap();
    let files: Vec<PathBuf> = documents
        .iter()
        .map(|(name, bytes)| {
            let path = dir.path().join(name);
            std::fs::write(&path, bytes).unwrap();
            path
        })
        .collect();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/schemas/validate.py");
    let mut command = Command::new("python3");
    command.arg(&script);
    if closed {
        command.arg("--closed");
    }
    let output = command
        .arg(schema)
        .args(&files)
        .output()
        .expect("python3 must be installed to validate reports against the schemas");
    assert!(
        output.status.success(),
        "{schema} schema validation failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn json_is_the_report_and_follows_its_schema() {
    let report = report();
    let bytes = render_as(ReportFormat::Json, &report, &RenderOptions::default());
    let back: ScanReport = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(back, report, "reads back into the same report");
    let value = json_of(&bytes);
    assert_eq!(value["schema_version"], 1);
    assert_eq!(value["targets"][0]["findings"][0]["suppressed"]["source"], "vex");
    let mut with_image = report.clone();
    with_image.image = Some(image());
    let with_image = render_as(ReportFormat::Json, &with_image, &RenderOptions::default());
    validate(
        "scan-report",
        true,
        &[("report.json", &bytes), ("with-image.json", &with_image)],
    );
}

#[test]
fn the_json_schema_rejects_what_the_report_cannot_be() {
    let mut value = json_of(&render_as(ReportFormat::Json, &report(), &RenderOptions::default()));
    value["targets"][0]["findings"][1]["severity"] = "severe".into();
    value["schema_version"] = 2.into();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/schemas/validate.py");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, serde_json::to_vec(&value).unwrap()).unwrap();
    let output = Command::new("python3")
        .arg(&script)
        .arg("scan-report")
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("/schema_version") && stdout.contains("severity"),
        "{stdout}"
    );
}

fn image() -> drydock_model::ImageDescription {
    serde_json::from_value(serde_json::json!({
        "reference": "oci:layout:app",
        "source": "oci",
        "manifest_digest": format!("sha256:{}", "a".repeat(64)),
        "config_digest": format!("sha256:{}", "b".repeat(64)),
        "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"},
        "created": "2026-11-01T00:00:00Z",
        "layers": [{"index": 0, "digest": null, "diff_id": format!("sha256:{}", "0".repeat(64)),
                    "size": 1234, "media_type": "application/vnd.oci.image.layer.v1.tar", "created_by": null}],
        "config": {"user": null, "env": ["PATH=/usr/bin"], "entrypoint": null, "cmd": ["python3"],
                   "working_dir": "/app", "exposed_ports": ["8080/tcp"], "volumes": [], "labels": {"a": "b"},
                   "healthcheck": {"test": ["CMD", "true"], "interval": 30000000000u64, "timeout": null,
                                   "start_period": null, "retries": 3},
                   "stop_signal": null},
        "files": [{"path": "/app/.env", "kind": "file", "mode": 420, "uid": 0, "gid": 0, "size": 40,
                   "layer": 2}]
    }))
    .unwrap()
}

#[test]
fn sarif_is_valid_and_has_what_github_code_scanning_needs() {
    let bytes = render_as(ReportFormat::Sarif, &report(), &RenderOptions::default());
    validate("sarif", false, &[("report.sarif", &bytes)]);
    let sarif = json_of(&bytes);
    assert_eq!(sarif["version"], "2.1.0");
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1);
    let driver = &runs[0]["tool"]["driver"];
    assert_eq!(driver["name"], "drydock");
    assert_eq!(driver["version"], "0.1.0");
    assert!(driver["informationUri"].as_str().unwrap().starts_with("https://"));
    let rules = driver["rules"].as_array().unwrap();
    let ids: Vec<&str> = rules.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [
            "CVE-2010-4756",
            "CVE-2023-45853",
            "CVE-2024-0727",
            "DD-IMG-001",
            "DD-SEC-001",
            "GHSA-q2x7-8rv6-6q7h",
            "MAL-2024-1234",
            "PYSEC-2024-10"
        ]
    );
    for rule in rules {
        assert_rule_is_complete(rule);
    }
    let rule = |id: &str| rules.iter().find(|r| r["id"] == id).unwrap();
    assert_eq!(rule("CVE-2024-0727")["properties"]["security-severity"], "7.5");
    assert_eq!(rule("CVE-2024-0727")["defaultConfiguration"]["level"], "error");
    assert_eq!(rule("CVE-2010-4756")["properties"]["security-severity"], "2.0");
    assert_eq!(rule("PYSEC-2024-10")["properties"]["security-severity"], "5.4");
    assert_eq!(
        rule("DD-SEC-001")["properties"]["tags"],
        serde_json::json!(["security", "secret"])
    );
    assert_eq!(
        rule("DD-IMG-001")["properties"]["tags"],
        serde_json::json!(["security", "misconfiguration"])
    );
    assert_eq!(
        rule("MAL-2024-1234")["properties"]["tags"],
        serde_json::json!(["security", "vulnerability", "malware"])
    );
    let help = rule("CVE-2024-0727")["help"]["markdown"].as_str().unwrap();
    assert!(
        help.contains(
            "| libssl3 | 3.0.11-1\\~deb12u2 | 3.0.13-1\\~deb12u1 | /var/lib/dpkg/status | upgrade to 3.0.13-1\\~deb12u1 |"
        ),
        "{help}"
    );
    assert!(
        help.contains("- <https://www.openssl.org/news/secadv/20240125.txt>") && !help.contains("not a url"),
        "{help}"
    );
    assert_eq!(
        rule("CVE-2024-0727")["helpUri"],
        "https://nvd.nist.gov/vuln/detail/CVE-2024-0727"
    );
    assert_eq!(
        rule("PYSEC-2024-10")["helpUri"],
        "https://osv.dev/vulnerability/PYSEC-2024-10"
    );
    assert_results(&runs[0], rules);
    assert_no_control_characters(&sarif, "");
}

/// SARIF is read by people through viewers: no string in it may carry terminal controls.
fn assert_no_control_characters(value: &Value, path: &str) {
    match value {
        Value::String(text) => assert!(
            !text.chars().any(|c| c.is_control() && c != '\n' || c == '\u{202e}'),
            "{path}: {text:?}"
        ),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                assert_no_control_characters(item, &format!("{path}/{index}"));
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                assert_no_control_characters(item, &format!("{path}/{key}"));
            }
        }
        _ => {}
    }
}

fn assert_rule_is_complete(rule: &Value) {
    let id = rule["id"].as_str().unwrap();
    for field in ["shortDescription", "fullDescription"] {
        assert!(!rule[field]["text"].as_str().unwrap().is_empty(), "{id}: {field}");
    }
    assert!(!rule["help"]["text"].as_str().unwrap().is_empty(), "{id}");
    assert!(!rule["help"]["markdown"].as_str().unwrap().is_empty(), "{id}");
    assert!(rule["helpUri"].as_str().unwrap().starts_with("https://"), "{id}");
    let tags = rule["properties"]["tags"].as_array().unwrap();
    assert_eq!(tags[0], "security", "{id}");
    let score: f64 = rule["properties"]["security-severity"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((0.0..=10.0).contains(&score), "{id}: {score}");
    let level = rule["defaultConfiguration"]["level"].as_str().unwrap();
    let expected = if score >= 7.0 {
        "error"
    } else if score >= 4.0 {
        "warning"
    } else {
        "note"
    };
    assert_eq!(level, expected, "{id}: level and security-severity agree");
}

fn assert_results(run: &Value, rules: &[Value]) {
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 8, "6 findings (suppressed ones too) and 2 checks");
    let mut fingerprints = std::collections::HashSet::new();
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(!result["message"]["text"].as_str().unwrap().is_empty());
        let physical = &result["locations"][0]["physicalLocation"];
        let uri = physical["artifactLocation"]["uri"].as_str().unwrap();
        assert!(!uri.starts_with('/') && !uri.contains(' '), "{uri}");
        assert!(physical["region"]["startLine"].as_u64().unwrap() >= 1);
        let fingerprint = result["partialFingerprints"]["drydock/v1"].as_str().unwrap();
        assert!(
            fingerprints.insert(fingerprint.to_string()),
            "fingerprints are distinct"
        );
    }
    let by_rule = |id: &str| results.iter().find(|r| r["ruleId"] == id).unwrap();
    let openssl = by_rule("CVE-2024-0727");
    assert_eq!(openssl["level"], "error");
    assert_eq!(
        openssl["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "var/lib/dpkg/status"
    );
    assert_eq!(
        openssl["message"]["text"],
        "libssl3 3.0.11-1~deb12u2 is affected by CVE-2024-0727 (high): PKCS12 Decoding crashes. \
         Upgrade to 3.0.13-1~deb12u1."
    );
    assert_eq!(by_rule("PYSEC-2024-10")["level"], "warning");
    assert_eq!(by_rule("CVE-2010-4756")["level"], "note");
    assert_eq!(
        by_rule("CVE-2023-45853")["suppressions"],
        serde_json::json!([{"kind": "external", "status": "accepted",
            "justification": "vex app.vex.json: vulnerable_code_not_in_execute_path"}])
    );
    assert!(
        by_rule("GHSA-q2x7-8rv6-6q7h")["suppressions"][0]["justification"]
            .as_str()
            .unwrap()
            .starts_with("ignore-file .drydockignore")
    );
    assert!(openssl.get("suppressions").is_none());
    let secret = by_rule("DD-SEC-001");
    assert_eq!(
        secret["locations"][0]["physicalLocation"],
        serde_json::json!({"artifactLocation": {"uri": "app/.env"}, "region": {"startLine": 3, "startColumn": 15}})
    );
    assert_eq!(
        run["invocations"][0]["toolExecutionNotifications"][0]["level"],
        "warning"
    );
}

#[test]
fn sarif_fingerprints_identify_a_finding_across_runs() {
    let fingerprints = |report: &ScanReport| -> Vec<(String, String)> {
        let sarif = json_of(&render_as(ReportFormat::Sarif, report, &RenderOptions::default()));
        sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["ruleId"].as_str().unwrap().to_string(),
                    r["partialFingerprints"]["drydock/v1"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let first = fingerprints(&report());
    let mut later = report();
    later.database.built = "2026-12-01T00:00:00Z".into();
    later.targets[0].findings[1].severity = Severity::Critical;
    later.targets[0].findings[1].title = Some("New title".into());
    let mut second = fingerprints(&later);
    let mut first_sorted = first.clone();
    first_sorted.sort();
    second.sort();
    assert_eq!(
        first_sorted, second,
        "new data about the same findings keeps their fingerprints"
    );
    let mut moved = report();
    moved.targets[0].findings[1].package.purl.push_str("&x=1");
    assert_ne!(fingerprints(&moved), first, "another package is another finding");
}

#[test]
fn cyclonedx_adds_vulnerabilities_that_point_at_components() {
    let bytes = render_as(ReportFormat::CycloneDx, &report(), &RenderOptions::default());
    validate("cyclonedx", false, &[("report.cdx.json", &bytes)]);
    let bom = json_of(&bytes);
    assert_eq!(bom["specVersion"], "1.6");
    assert_eq!(bom["metadata"]["timestamp"], "2026-11-22T09:38:00Z");
    let component_refs: std::collections::HashSet<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    let vulnerabilities = bom["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulnerabilities.len(), 6, "suppressed findings too");
    let mut vulnerability_refs = std::collections::HashSet::new();
    for vulnerability in vulnerabilities {
        assert!(vulnerability_refs.insert(vulnerability["bom-ref"].as_str().unwrap()));
        let affects = vulnerability["affects"].as_array().unwrap();
        assert_eq!(affects.len(), 1);
        let reference = affects[0]["ref"].as_str().unwrap();
        assert!(component_refs.contains(reference), "{reference} is a component");
        assert_eq!(affects[0]["versions"][0]["status"], "affected");
    }
    let by_id = |id: &str| vulnerabilities.iter().find(|v| v["id"] == id).unwrap();
    let openssl = by_id("CVE-2024-0727");
    assert_eq!(
        openssl["affects"][0]["ref"],
        "pkg:deb/debian/libssl3@3.0.11-1~deb12u2?arch=amd64&distro=debian-12&upstream=openssl"
    );
    assert_eq!(openssl["affects"][0]["versions"][0]["version"], "3.0.11-1~deb12u2");
    assert_eq!(
        openssl["ratings"],
        serde_json::json!([{"score": 7.5, "severity": "high", "method": "CVSSv31",
            "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}])
    );
    assert_eq!(
        openssl["source"],
        serde_json::json!({"name": "NVD", "url": "https://nvd.nist.gov/vuln/detail/CVE-2024-0727"})
    );
    assert_eq!(openssl["references"][0]["id"], "DSA-5678-1");
    assert_eq!(openssl["recommendation"], "Upgrade libssl3 to 3.0.13-1~deb12u1");
    assert_eq!(openssl["description"], "PKCS12 Decoding crashes");
    assert_eq!(
        openssl["advisories"].as_array().unwrap().len(),
        2,
        "the non-URL reference is left out"
    );
    assert_eq!(openssl["published"], "2024-01-26T09:15:07Z");
    let jinja = by_id("PYSEC-2024-10");
    let aliases: Vec<&str> = jinja["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(aliases, ["CVE-2024-22195", "GHSA-h5c8-rqwp-cp95"]);
    assert_eq!(jinja["references"][1]["source"]["name"], "GitHub Advisories");
    let zlib = by_id("CVE-2023-45853");
    assert_eq!(
        zlib["analysis"],
        serde_json::json!({"state": "not_affected", "justification": "code_not_reachable",
            "detail": "VEX statement in app.vex.json: MiniZip is not built into Debian's zlib1g"})
    );
    assert!(zlib.get("published").is_none(), "an invalid date is left out");
    assert_eq!(by_id("CVE-2010-4756")["ratings"][0]["method"], "other");
    assert!(by_id("CVE-2010-4756").get("recommendation").is_none());
    let ignored = by_id("GHSA-q2x7-8rv6-6q7h");
    assert!(ignored.get("analysis").is_none());
    assert!(
        ignored["properties"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({"name": "drydock:suppressed:source", "value": "ignore-file"}))
    );
    assert!(
        by_id("MAL-2024-1234")["recommendation"]
            .as_str()
            .unwrap()
            .starts_with("Remove evil-pkg")
    );
}

#[test]
fn cyclonedx_without_findings_is_the_plain_sbom() {
    let mut clean = report();
    for target in &mut clean.targets {
        target.findings.clear();
    }
    let bytes = render_as(ReportFormat::CycloneDx, &clean, &RenderOptions::default());
    let sbom = drydock_catalog::sbom::render(
        drydock_catalog::sbom::SbomFormat::CycloneDx,
        &drydock_catalog::sbom::SbomDocument {
            inventory: &inventory(),
            subject: &subject(),
            tool_version: "0.1.0",
            created: CREATED,
        },
    )
    .unwrap();
    assert_eq!(bytes, sbom);
    let with_findings = json_of(&render_as(
        ReportFormat::CycloneDx,
        &report(),
        &RenderOptions::default(),
    ));
    assert_ne!(
        with_findings["serialNumber"],
        json_of(&sbom)["serialNumber"],
        "a BOM with vulnerabilities is another document"
    );
}

#[test]
fn every_format_is_deterministic() {
    for format in ReportFormat::ALL {
        let options = RenderOptions {
            show_suppressed: true,
            ..RenderOptions::default()
        };
        assert_eq!(
            render_as(format, &report(), &options),
            render_as(format, &report(), &options),
            "{format}"
        );
    }
}

#[test]
fn a_report_of_another_schema_version_is_refused() {
    let mut future = report();
    future.schema_version = 2;
    let error = render(
        ReportFormat::Json,
        &future,
        &inventory(),
        &subject(),
        CREATED,
        &RenderOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(error, ReportError::SchemaVersion { found: 2, supported: 1 }));
    assert!(error.to_string().contains("version 2"), "{error}");
}
