//! The analyzers in the real layer walk: secrets in every layer (also deleted ones), the
//! size limit, binary files, and the allow-list's part in the cache key.

use std::sync::Arc;

use drydock_checks::{AllowList, AllowListFormat, CheckOptions};
use drydock_model::{CheckFinding, ImageConfigSummary, ImageDescription, Platform, Severity};
use drydock_oci::ImageScan;
use drydock_oci::engine::analyzer::InterestIndex;
use drydock_oci::engine::limits::Limits;
use drydock_oci::engine::merge::MergedFs;
use drydock_oci::engine::walk::{LayerExpectation, walk_layer};
use drydock_oci::image::Compression;

/// A token the GitLab rule matches, made at run time.
fn gitlab_token() -> String {
    ["glpat-", "Qm7Rt2Vx9Lp4Wz8Nc3Kd"].concat()
}

fn tar_layer(files: &[(&str, &[u8], u32)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, content, mode) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(*mode);
        header.set_entry_type(tar::EntryType::Regular);
        builder.append_data(&mut header, path, *content).unwrap();
    }
    builder.into_inner().unwrap()
}

fn scan_layers(layers: &[Vec<u8>], options: &CheckOptions) -> ImageScan {
    let analyzers = drydock_checks::analyzers(options);
    let index = InterestIndex::new(&analyzers).unwrap();
    let facts: Vec<_> = layers
        .iter()
        .enumerate()
        .map(|(i, blob)| {
            let expect = LayerExpectation {
                index: i,
                label: format!("#{i}"),
                compression: Compression::None,
                digest: None,
                size: None,
                diff_id: None,
            };
            Arc::new(
                walk_layer(blob.as_slice(), &expect, &analyzers, &index, &Limits::default())
                    .unwrap()
                    .facts,
            )
        })
        .collect();
    let merged = MergedFs::build(facts.iter().enumerate().map(|(i, f)| (i, f.as_ref()))).unwrap();
    let description = ImageDescription {
        reference: "test".into(),
        source: "test".into(),
        manifest_digest: None,
        index_digest: None,
        config_digest: None,
        platform: Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            variant: None,
        },
        created: None,
        layers: Vec::new(),
        config: ImageConfigSummary {
            user: Some("app".into()),
            healthcheck: Some(drydock_model::Healthcheck {
                test: vec!["CMD".into(), "true".into()],
                ..Default::default()
            }),
            ..Default::default()
        },
        files: None,
    };
    ImageScan {
        description,
        layers: facts,
        merged,
    }
}

fn findings(layers: &[Vec<u8>], options: &CheckOptions) -> Vec<CheckFinding> {
    drydock_checks::image_findings(&scan_layers(layers, options), options).unwrap()
}

#[test]
fn a_secret_deleted_by_a_later_layer_is_reported_with_its_layer() {
    let env = format!("# app settings\nGITLAB_TOKEN={}\n", gitlab_token());
    let base = tar_layer(&[
        ("app/.env", env.as_bytes(), 0o600),
        ("app/main.py", b"print('hi')\n", 0o644),
    ]);
    let cleanup = tar_layer(&[("app/.wh..env", b"", 0o644)]);
    let found = findings(&[base, cleanup], &CheckOptions::default());
    assert_eq!(found.len(), 1, "{found:#?}");
    let secret = &found[0];
    assert_eq!(secret.rule, "DD-SEC-016");
    assert_eq!(secret.severity, Severity::Critical);
    assert_eq!(
        (
            secret.location.path.as_deref(),
            secret.location.layer,
            secret.location.line,
            secret.location.column
        ),
        (Some("/app/.env"), Some(0), Some(2), Some(14))
    );
    assert_eq!(
        secret.message,
        "GitLab personal access token (gitlab-pat) glpat-**** (removed or replaced by a later layer, but still in layer 0)"
    );
    assert!(!serde_json::to_string(&found).unwrap().contains(&gitlab_token()));
}

#[test]
fn credential_files_are_reported_once_and_with_their_layer() {
    let npmrc = format!(
        "//registry.npmjs.org/:_authToken={}\n",
        ["npm_", "Qm7Rt2Vx9Lp4Wz8Nc3KdQm7Rt2Vx9Lp4Wz8N"].concat()
    );
    let netrc = b"machine ci.internal login bot password ${CI_PASSWORD}\n".as_slice();
    let docker = br#"{"auths":{"registry.internal":{"auth":"Ym90OnMzY3IzdA=="}}}"#.as_slice();
    let layer = tar_layer(&[
        ("root/.npmrc", npmrc.as_bytes(), 0o600),
        ("root/.netrc", netrc, 0o600),
        ("home/ci/.docker/config.json", docker, 0o600),
    ]);
    let found = findings(&[layer], &CheckOptions::default());
    let summary: Vec<(&str, &str)> = found
        .iter()
        .map(|f| (f.rule.as_str(), f.location.path.as_deref().unwrap()))
        .collect();
    // The npm token and the Docker auth are secrets (DD-SEC); the credential-file check
    // does not repeat them. The .netrc holds only a reference, so nothing is reported.
    assert_eq!(
        summary,
        [
            ("DD-SEC-031", "/root/.npmrc"),
            ("DD-SEC-035", "/home/ci/.docker/config.json")
        ]
    );

    let misconfig_only = CheckOptions {
        secrets: false,
        ..CheckOptions::default()
    };
    let layer = tar_layer(&[("root/.npmrc", npmrc.as_bytes(), 0o600)]);
    let found = findings(&[layer], &misconfig_only);
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].rule.as_str(), found[0].message.as_str()),
        ("DD-IMG-015", "/root/.npmrc: npm registry token (.npmrc)")
    );
}

#[test]
fn binary_and_oversized_files_are_not_scanned() {
    let token = gitlab_token();
    let mut binary = b"\x7fELF\0\0\0\0".to_vec();
    binary.extend_from_slice(token.as_bytes());
    let mut big = vec![b'#'; 2048];
    big.extend_from_slice(token.as_bytes());
    let layer = tar_layer(&[("bin/tool", &binary, 0o755), ("data/big.txt", &big, 0o644)]);
    let small_limit = CheckOptions {
        max_secret_file_bytes: 1024,
        ..CheckOptions::default()
    };
    assert!(findings(std::slice::from_ref(&layer), &small_limit).is_empty());
    let found = findings(&[layer], &CheckOptions::default());
    assert_eq!(found.len(), 1, "the big file is scanned under the default limit");
    assert_eq!(found[0].location.path.as_deref(), Some("/data/big.txt"));
}

#[test]
fn options_that_change_results_change_the_analyzer_name() {
    let name = |options: &CheckOptions| drydock_checks::analyzers(options)[0].name();
    let default = CheckOptions::default();
    assert_eq!(name(&default), "checks/secrets");
    let limited = CheckOptions {
        max_secret_file_bytes: 4096,
        ..CheckOptions::default()
    };
    assert_eq!(name(&limited), "checks/secrets/max=4096");
    let allow = AllowList::parse("rules = [\"DD-SEC-016\"]", AllowListFormat::Toml, "t").unwrap();
    let allowing = CheckOptions {
        allow_list: Arc::new(allow),
        ..CheckOptions::default()
    };
    assert!(name(&allowing).starts_with("checks/secrets/allow="));
    assert_eq!(
        name(&allowing),
        name(&allowing.clone()),
        "the same options give the same name"
    );

    let env = format!("GITLAB_TOKEN={}\n", gitlab_token());
    let layer = tar_layer(&[("app/.env", env.as_bytes(), 0o600)]);
    assert!(findings(&[layer], &allowing).is_empty());
}
