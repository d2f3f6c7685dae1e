//! `drydock image inspect` on the real fixture images, in every source form they exist in:
//! the multi-image OCI layout, the per-image layouts, OCI archives, docker-archives made by
//! skopeo, the Docker Engine (after `docker load`), and an unpacked root filesystem. Every
//! form must give the same merged file list, and the metadata must match the ground truth
//! in `tests/fixtures/images/<name>.expected.json`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use assert_cmd::cargo::cargo_bin;
use serde_json::Value;

const IMAGES: [&str; 8] = [
    "debian-min",
    "debian-python",
    "node-app",
    "rust-app",
    "misconfig",
    "layers-whiteout",
    "distroless-style",
    "debian-nosec",
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/images")
}

/// A scratch directory shared by the tests of this file, for generated archives and the
/// layer cache.
fn scratch() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("temp dir")).path()
}

/// Runs `drydock image inspect <image> --files --format json` and parses the output.
fn inspect(image: &str) -> Value {
    let output = Command::new(cargo_bin("drydock"))
        .args(["--cache-dir"])
        .arg(scratch().join("cache"))
        .args(["image", "inspect", image, "--files", "--format", "json"])
        .output()
        .expect("run drydock");
    assert!(
        output.status.success(),
        "drydock image inspect {image} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("inspect prints JSON")
}

fn expected(name: &str) -> Value {
    let text = std::fs::read_to_string(fixtures().join(format!("{name}.expected.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// One file of the merged view, without the layer index (a directory has none).
#[derive(Clone, Debug, PartialEq)]
struct FileFact {
    path: String,
    kind: String,
    mode: u64,
    uid: u64,
    gid: u64,
    size: u64,
    link_target: Option<String>,
}

fn file_facts(inspected: &Value) -> Vec<FileFact> {
    inspected["files"]
        .as_array()
        .expect("files")
        .iter()
        .map(|f| FileFact {
            path: f["path"].as_str().unwrap().to_string(),
            kind: f["kind"].as_str().unwrap().to_string(),
            mode: f["mode"].as_u64().unwrap(),
            uid: f["uid"].as_u64().unwrap(),
            gid: f["gid"].as_u64().unwrap(),
            size: f["size"].as_u64().unwrap(),
            link_target: f["link_target"].as_str().map(str::to_string),
        })
        .collect()
}

/// The diffIDs of the layers, bottom first.
fn diff_ids(inspected: &Value) -> Vec<Value> {
    inspected["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["diff_id"].clone())
        .collect()
}

/// path → layer that last wrote it.
fn file_layers(inspected: &Value) -> BTreeMap<String, u64> {
    inspected["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_string(), f["layer"].as_u64().unwrap()))
        .collect()
}

fn require_tool(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "`{tool}` is needed by this test; .ci/run installs it (apt-get install {tool})"
    );
}

/// Serializes the generation of archives that several tests share.
fn generation_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A docker-archive of a fixture, made by skopeo from the OCI layout.
fn docker_archive(name: &str) -> PathBuf {
    let _guard = generation_lock();
    let committed = fixtures().join(format!("{name}.docker.tar"));
    if committed.exists() {
        return committed;
    }
    let out = scratch().join(format!("{name}.docker.tar"));
    if !out.exists() {
        require_tool("skopeo");
        let layout = fixtures().join("oci").join(name);
        let status = Command::new("skopeo")
            .args(["copy", "--quiet"])
            .arg(format!("oci:{}:latest", layout.display()))
            .arg(format!(
                "docker-archive:{}:drydock-fixture/{name}:latest",
                out.display()
            ))
            .status()
            .expect("run skopeo");
        assert!(status.success(), "skopeo copy of {name} to a docker-archive failed");
    }
    out
}

/// An OCI archive (tar of a single-image layout) of a fixture, blobs copied in.
fn oci_archive(name: &str) -> PathBuf {
    let _guard = generation_lock();
    let committed = fixtures().join(format!("{name}.oci.tar"));
    if committed.exists() {
        return committed;
    }
    let out = scratch().join(format!("{name}.oci.tar"));
    if !out.exists() {
        let layout = fixtures().join("oci").join(name);
        let index: Value = serde_json::from_str(&std::fs::read_to_string(layout.join("index.json")).unwrap()).unwrap();
        let file = std::fs::File::create(&out).unwrap();
        let mut builder = tar::Builder::new(file);
        builder
            .append_path_with_name(layout.join("oci-layout"), "oci-layout")
            .unwrap();
        builder
            .append_path_with_name(layout.join("index.json"), "index.json")
            .unwrap();
        let manifest_digest = index["manifests"][0]["digest"].as_str().unwrap();
        let mut blobs = vec![manifest_digest.to_string()];
        let manifest: Value =
            serde_json::from_slice(&std::fs::read(blob_path(&layout, manifest_digest)).unwrap()).unwrap();
        blobs.push(manifest["config"]["digest"].as_str().unwrap().to_string());
        for layer in manifest["layers"].as_array().unwrap() {
            blobs.push(layer["digest"].as_str().unwrap().to_string());
        }
        for digest in blobs {
            let name = format!("blobs/{}", digest.replace(':', "/"));
            builder
                .append_path_with_name(blob_path(&layout, &digest), name)
                .unwrap();
        }
        builder.finish().unwrap();
    }
    out
}

fn blob_path(layout: &Path, digest: &str) -> PathBuf {
    layout.join("blobs").join(digest.replace(':', "/"))
}

#[test]
fn metadata_matches_the_ground_truth_for_every_fixture() {
    for name in IMAGES {
        let truth = expected(name);
        let inspected = inspect(&format!("oci:{}:{name}", fixtures().join("oci").display()));
        assert_eq!(inspected["manifest_digest"], truth["manifest_digest"], "{name}");
        assert_eq!(inspected["config_digest"], truth["config_digest"], "{name}");
        assert_eq!(inspected["platform"]["os"], truth["platform"]["os"], "{name}");
        assert_eq!(
            inspected["platform"]["architecture"], truth["platform"]["architecture"],
            "{name}"
        );
        let layers = inspected["layers"].as_array().unwrap();
        let truth_layers = truth["layers"].as_array().unwrap();
        assert_eq!(layers.len(), truth_layers.len(), "{name}");
        for (layer, want) in layers.iter().zip(truth_layers) {
            for key in ["digest", "diff_id", "size", "media_type", "created_by"] {
                assert_eq!(layer[key], want[key], "{name} layer {} {key}", want["index"]);
            }
        }
        let config = &inspected["config"];
        let want = &truth["config"];
        assert_eq!(
            config["cmd"],
            want.get("Cmd").cloned().unwrap_or(Value::Null),
            "{name} Cmd"
        );
        assert_eq!(
            config["entrypoint"],
            want.get("Entrypoint").cloned().unwrap_or(Value::Null),
            "{name} Entrypoint"
        );
        assert_eq!(
            config["env"],
            want.get("Env").cloned().unwrap_or(Value::Array(vec![])),
            "{name} Env"
        );
        assert_eq!(
            config["working_dir"],
            want.get("WorkingDir").cloned().unwrap_or(Value::Null),
            "{name} WorkingDir"
        );
        assert_eq!(
            config["user"],
            want.get("User").cloned().unwrap_or(Value::Null),
            "{name} User"
        );
        assert_eq!(
            config["labels"],
            want.get("Labels").cloned().unwrap_or(Value::Object(Default::default())),
            "{name}"
        );
        let ports: Vec<String> = want
            .get("ExposedPorts")
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default();
        assert_eq!(config["exposed_ports"], serde_json::json!(ports), "{name} ExposedPorts");
    }
}

#[test]
fn shared_and_single_image_layouts_give_the_same_files() {
    for name in IMAGES {
        let shared = inspect(&format!("oci:{}:{name}", fixtures().join("oci").display()));
        let single = inspect(&format!("oci:{}", fixtures().join("oci").join(name).display()));
        assert_eq!(shared["files"], single["files"], "{name}");
        assert!(!file_facts(&shared).is_empty(), "{name} has files");
    }
}

#[test]
fn archives_give_the_same_files_as_the_layout() {
    for name in ["distroless-style", "layers-whiteout", "misconfig"] {
        let layout = inspect(&format!("oci:{}", fixtures().join("oci").join(name).display()));
        let oci = inspect(&format!("oci-archive:{}", oci_archive(name).display()));
        assert_eq!(oci["files"], layout["files"], "oci-archive {name}");
        assert_eq!(oci["manifest_digest"], layout["manifest_digest"], "oci-archive {name}");
        let docker = inspect(&format!("docker-archive:{}", docker_archive(name).display()));
        assert_eq!(docker["files"], layout["files"], "docker-archive {name}");
        assert_eq!(
            docker["config_digest"], layout["config_digest"],
            "docker-archive {name}"
        );
        assert_eq!(diff_ids(&docker), diff_ids(&layout), "docker-archive {name}");
    }
}

#[test]
fn multi_image_docker_archive_selects_by_name() {
    // skopeo writes one image per archive; build the two-image archive by merging manifests.
    let merged = merge_docker_archives(
        &[docker_archive("distroless-style"), docker_archive("layers-whiteout")],
        &scratch().join("two-images.docker.tar"),
    );
    let layout = inspect(&format!(
        "oci:{}",
        fixtures().join("oci").join("layers-whiteout").display()
    ));
    let chosen = inspect(&format!(
        "docker-archive:{}:drydock-fixture/layers-whiteout:latest",
        merged.display()
    ));
    assert_eq!(chosen["files"], layout["files"]);
    let unnamed = Command::new(cargo_bin("drydock"))
        .args(["--no-cache", "image", "inspect"])
        .arg(format!("docker-archive:{}", merged.display()))
        .output()
        .unwrap();
    assert_eq!(unnamed.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&unnamed.stderr);
    assert!(
        stderr.contains("holds 2 images") && stderr.contains("layers-whiteout:latest"),
        "{stderr}"
    );
}

/// Concatenates docker-archives into one with a combined manifest.json, as `docker save a b`
/// writes.
fn merge_docker_archives(inputs: &[PathBuf], out: &Path) -> PathBuf {
    let mut builder = tar::Builder::new(std::fs::File::create(out).unwrap());
    let mut manifests = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for input in inputs {
        let mut archive = tar::Archive::new(std::fs::File::open(input).unwrap());
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().to_string_lossy().into_owned();
            if path == "manifest.json" {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
                let list: Vec<Value> = serde_json::from_str(&text).unwrap();
                manifests.extend(list);
                continue;
            }
            if path == "repositories" || !seen.insert(path.clone()) {
                continue;
            }
            let mut header = entry.header().clone();
            builder.append_data(&mut header, &path, &mut entry).unwrap();
        }
    }
    let manifest = serde_json::to_vec(&manifests).unwrap();
    let mut header = tar::Header::new_gnu();
    header.set_size(manifest.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    builder
        .append_data(&mut header, "manifest.json", manifest.as_slice())
        .unwrap();
    builder.finish().unwrap();
    out.to_path_buf()
}

#[test]
fn layers_whiteout_merged_view_is_exactly_as_built() {
    let inspected = inspect(&format!("oci:{}:layers-whiteout", fixtures().join("oci").display()));
    let truth = expected("layers-whiteout");
    let layers = file_layers(&inspected);
    for present in truth["planted"]["present_files"].as_array().unwrap() {
        assert!(
            layers.contains_key(present.as_str().unwrap()),
            "{present} must be present"
        );
    }
    for absent in truth["planted"]["absent_files"].as_array().unwrap() {
        assert!(!layers.contains_key(absent.as_str().unwrap()), "{absent} must be gone");
    }
    let opt: Vec<(&String, &u64)> = layers.iter().filter(|(p, _)| p.starts_with("/opt/")).collect();
    let expected_opt = [
        ("/opt/data".to_string(), 2),
        ("/opt/data/b.txt".to_string(), 1),
        ("/opt/gone".to_string(), 2),
        ("/opt/gone/y.txt".to_string(), 2),
    ];
    assert_eq!(
        opt.iter().map(|(p, l)| ((*p).clone(), **l)).collect::<Vec<_>>(),
        expected_opt
    );
    // The status file the top layer rewrote, and e2fsprogs' files still there from layer 0.
    assert_eq!(layers.get("/var/lib/dpkg/status"), Some(&2));
    assert_eq!(layers.get("/sbin/mke2fs").or(layers.get("/usr/sbin/mke2fs")), Some(&0));
}

#[test]
fn os_release_symlink_and_setuid_files_are_as_the_ground_truth_says() {
    let inspected = inspect(&format!("oci:{}:misconfig", fixtures().join("oci").display()));
    let files: BTreeMap<String, Value> = inspected["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_string(), f.clone()))
        .collect();
    assert_eq!(files["/etc/os-release"]["kind"], "symlink");
    assert_eq!(files["/etc/os-release"]["link_target"], "../usr/lib/os-release");
    let truth = expected("misconfig");
    let facts = &truth["filesystem_facts"];
    let setuid_like: Vec<String> = files
        .values()
        .filter(|f| f["kind"] == "file" && f["mode"].as_u64().unwrap() & 0o6000 != 0)
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    let mut want: Vec<String> = facts
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| k.contains("setuid") || k.contains("setgid"))
        .flat_map(|(_, v)| v.as_array().cloned().unwrap_or_default())
        .filter_map(|v| {
            v.get("path")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or(v.as_str().map(str::to_string))
        })
        .collect();
    want.sort();
    want.dedup();
    assert!(!want.is_empty(), "ground truth lists setuid/setgid files");
    for path in &want {
        assert!(
            setuid_like.contains(path),
            "{path} should be setuid/setgid in the merged view"
        );
    }
    assert_eq!(files["/usr/local/bin/suid-tool"]["mode"].as_u64().unwrap(), 0o4755);
}

#[test]
fn docker_engine_gives_the_same_files_as_the_layout() {
    let engine_up = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !engine_up {
        eprintln!(
            "SKIP docker_engine_gives_the_same_files_as_the_layout: no Docker Engine answers on this machine (`docker info` failed)"
        );
        return;
    }
    for name in ["distroless-style", "layers-whiteout"] {
        let archive = docker_archive(name);
        let load = Command::new("docker")
            .arg("load")
            .arg("-i")
            .arg(&archive)
            .output()
            .unwrap();
        assert!(
            load.status.success(),
            "docker load: {}",
            String::from_utf8_lossy(&load.stderr)
        );
        let tag = if name == "distroless-style" {
            "distroless-style:latest".to_string()
        } else {
            format!("drydock-fixture/{name}:latest")
        };
        let layout = inspect(&format!("oci:{}", fixtures().join("oci").join(name).display()));
        let engine = inspect(&format!("docker:{tag}"));
        assert_eq!(engine["files"], layout["files"], "docker:{tag}");
        assert_eq!(diff_ids(&engine), diff_ids(&layout), "docker:{tag}");
    }
    let missing = Command::new(cargo_bin("drydock"))
        .args(["--no-cache", "image", "inspect", "docker:drydock-no-such-image:nope"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no image `drydock-no-such-image:nope`"));
}

#[test]
fn unpacked_root_filesystem_gives_the_same_files() {
    require_tool("umoci");
    for name in ["distroless-style", "layers-whiteout"] {
        let bundle = scratch().join(format!("bundle-{name}"));
        let _guard = generation_lock();
        if !bundle.exists() {
            let status = Command::new("umoci")
                .args(["unpack", "--image"])
                .arg(format!("{}:latest", fixtures().join("oci").join(name).display()))
                .arg(&bundle)
                .status()
                .unwrap();
            assert!(status.success(), "umoci unpack {name}");
        }
        let layout = inspect(&format!("oci:{}", fixtures().join("oci").join(name).display()));
        let dir = inspect(&format!("dir:{}", bundle.join("rootfs").display()));
        // umoci creates parent directories a layer only implies; compare what the layers list.
        let dir_facts: BTreeMap<String, FileFact> = file_facts(&dir).into_iter().map(|f| (f.path.clone(), f)).collect();
        for mut fact in file_facts(&layout) {
            // A directory cannot tell a hardlink from its target: both are plain files.
            if fact.kind == "hardlink" {
                fact.kind = "file".to_string();
                fact.link_target = None;
            }
            let got = dir_facts
                .get(&fact.path)
                .unwrap_or_else(|| panic!("dir:{name} lacks {}", fact.path));
            // Directory sizes differ between a tar and a real filesystem; files must not.
            let comparable = |f: &FileFact| FileFact {
                size: if f.kind == "file" { f.size } else { 0 },
                ..f.clone()
            };
            assert_eq!(comparable(got), comparable(&fact), "{}", fact.path);
        }
    }
}
