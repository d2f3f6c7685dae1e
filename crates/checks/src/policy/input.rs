//! The input documents policies see (`input` in Rego), one builder per kind. Every field is
//! documented in docs/policy.md; `drydock policy input` prints them. Absent facts are left
//! out (so `not input.config.healthcheck` works), lists and strings are empty rather than null.

use drydock_dockerfile::syntax::{Body, Command, Dockerfile, Flag, Heredoc, Instruction, Word};
use drydock_model::{CheckLocation, Digest, FileKind, Inventory, Package};
use drydock_oci::ImageScan;
use serde_json::{Map, Value, json};

use super::{InputKind, PolicyError, PolicyInput};
use crate::workload::{self, model::Workload};

/// The input of an image: what `drydock scan` read in its one pass.
pub fn image(scan: &ImageScan, inventory: &Inventory) -> PolicyInput {
    let description = &scan.description;
    let mut document = Map::new();
    document.insert("format".into(), json!(InputKind::Image.name()));
    document.insert("reference".into(), json!(description.reference));
    document.insert("source".into(), json!(description.source));
    insert_digest(&mut document, "digest", description.manifest_digest.as_ref());
    insert_digest(&mut document, "index_digest", description.index_digest.as_ref());
    insert_digest(&mut document, "config_digest", description.config_digest.as_ref());
    let platform = &description.platform;
    let mut platform_json = json!({ "os": platform.os, "architecture": platform.architecture });
    if let Some(variant) = &platform.variant {
        platform_json["variant"] = json!(variant);
    }
    document.insert("platform".into(), platform_json);
    if let Some(created) = &description.created {
        document.insert("created".into(), json!(created));
    }
    document.insert("config".into(), image_config(scan));
    document.insert("history".into(), history(scan));
    document.insert("layers".into(), layers(scan));
    document.insert(
        "files".into(),
        Value::Array(scan.merged.iter().map(|m| file(&m.entry, m.layer)).collect()),
    );
    document.insert(
        "packages".into(),
        Value::Array(inventory.packages.iter().map(package).collect()),
    );
    if let Some(os) = &inventory.os {
        let mut os_json = json!({ "id": os.id, "id_like": os.id_like, "path": os.path });
        for (key, value) in [
            ("version_id", &os.version_id),
            ("version_codename", &os.version_codename),
            ("pretty_name", &os.pretty_name),
        ] {
            if let Some(value) = value {
                os_json[key] = json!(value);
            }
        }
        document.insert("os".into(), os_json);
    }
    PolicyInput {
        kind: InputKind::Image,
        document: Value::Object(document),
        location: CheckLocation::default(),
        name: format!("image {}", description.reference),
    }
}

fn insert_digest(document: &mut Map<String, Value>, key: &str, digest: Option<&Digest>) {
    if let Some(digest) = digest {
        document.insert(key.into(), json!(digest.to_string()));
    }
}

fn image_config(scan: &ImageScan) -> Value {
    let config = &scan.description.config;
    let env_vars: Map<String, Value> = config
        .env
        .iter()
        .map(|entry| match entry.split_once('=') {
            Some((name, value)) => (name.to_string(), json!(value)),
            None => (entry.clone(), json!("")),
        })
        .collect();
    let mut out = json!({
        "user": config.user.clone().unwrap_or_default(),
        "env": config.env,
        "env_vars": env_vars,
        "entrypoint": config.entrypoint.clone().unwrap_or_default(),
        "cmd": config.cmd.clone().unwrap_or_default(),
        "workdir": config.working_dir.clone().unwrap_or_default(),
        "exposed_ports": config.exposed_ports,
        "volumes": config.volumes,
        "labels": config.labels,
        "stop_signal": config.stop_signal.clone().unwrap_or_default(),
    });
    if let Some(health) = &config.healthcheck {
        let mut health_json = json!({ "test": health.test });
        for (key, value) in [
            ("interval_ns", health.interval),
            ("timeout_ns", health.timeout),
            ("start_period_ns", health.start_period),
            ("retries", health.retries),
        ] {
            if let Some(value) = value {
                health_json[key] = json!(value);
            }
        }
        out["healthcheck"] = health_json;
    }
    out
}

/// The history entries that made a layer (the engine keeps no empty-layer entries).
fn history(scan: &ImageScan) -> Value {
    Value::Array(
        scan.description
            .layers
            .iter()
            .filter_map(|layer| {
                let created_by = layer.created_by.as_ref()?;
                Some(json!({ "layer": layer.index, "created_by": created_by }))
            })
            .collect(),
    )
}

fn layers(scan: &ImageScan) -> Value {
    Value::Array(
        scan.description
            .layers
            .iter()
            .map(|layer| {
                let mut out = Map::new();
                out.insert("index".into(), json!(layer.index));
                insert_digest(&mut out, "digest", layer.digest.as_ref());
                insert_digest(&mut out, "diff_id", layer.diff_id.as_ref());
                if let Some(size) = layer.size {
                    out.insert("size".into(), json!(size));
                }
                out.insert("media_type".into(), json!(layer.media_type));
                out.insert("created_by".into(), json!(layer.created_by.clone().unwrap_or_default()));
                Value::Object(out)
            })
            .collect(),
    )
}

fn file(entry: &drydock_oci::engine::facts::LayerEntry, layer: usize) -> Value {
    let mut out = json!({
        "path": entry.path,
        "type": file_type(entry.kind),
        "mode": entry.mode,
        "mode_octal": format!("{:04o}", entry.mode & 0o7777),
        "uid": entry.uid,
        "gid": entry.gid,
        "size": entry.size,
        "layer": layer,
    });
    if let Some(target) = &entry.link_target {
        out["link_target"] = json!(target);
    }
    out
}

fn file_type(kind: FileKind) -> &'static str {
    match kind {
        FileKind::File => "file",
        FileKind::Dir => "dir",
        FileKind::Symlink => "symlink",
        FileKind::Hardlink => "hardlink",
        FileKind::Char => "char",
        FileKind::Block => "block",
        FileKind::Fifo => "fifo",
    }
}

fn package(package: &Package) -> Value {
    let mut out = json!({
        "name": package.name,
        "version": package.version,
        "type": package.ecosystem.purl_type(),
        "purl": package.purl,
        "licenses": package.licenses,
        "locations": package.locations.iter().map(|l| {
            let mut location = json!({ "path": l.path });
            if let Some(layer) = l.layer {
                location["layer"] = json!(layer);
            }
            location
        }).collect::<Vec<_>>(),
        "found_by": package.found_by,
    });
    if let Some(source) = &package.source {
        out["source"] = json!({ "name": source.name, "version": source.version });
    }
    out
}

/// The input of a Dockerfile: its directives, global ARGs, stages and every instruction.
pub fn dockerfile(file: &Dockerfile) -> PolicyInput {
    let directives: Map<String, Value> = file
        .directives
        .iter()
        .map(|d| (d.name.clone(), json!(d.value)))
        .collect();
    let global_args: Vec<Value> = file
        .global_args()
        .map(|a| arg_json(&a.name, a.default.as_deref(), a.position.line))
        .collect();
    let stages = file.stages();
    let stage_of = |line: u32| {
        stages
            .iter()
            .rev()
            .find(|s| s.from.position.line <= line)
            .map(|s| s.index)
    };
    let instructions: Vec<Value> = file
        .instructions
        .iter()
        .map(|i| {
            let mut value = instruction(i);
            if let Some(stage) = stage_of(i.position.line) {
                value["stage"] = json!(stage);
            }
            value
        })
        .collect();
    let stages_json: Vec<Value> = stages
        .iter()
        .map(|stage| {
            let mut out = json!({
                "index": stage.index,
                "image": stage.image.value,
                "line": stage.from.position.line,
                "instructions": stage.instructions.iter().map(instruction).collect::<Vec<_>>(),
            });
            if let Some(alias) = stage.alias {
                out["name"] = json!(alias.value);
            }
            if let Some(platform) = stage.from.flag("platform").and_then(|f| f.value.as_ref()) {
                out["platform"] = json!(platform);
            }
            out
        })
        .collect();
    PolicyInput {
        kind: InputKind::Dockerfile,
        document: json!({
            "format": InputKind::Dockerfile.name(),
            "path": file.path,
            "escape": file.escape.to_string(),
            "directives": directives,
            "args": global_args,
            "stages": stages_json,
            "instructions": instructions,
        }),
        location: CheckLocation {
            path: Some(file.path.clone()),
            ..CheckLocation::default()
        },
        name: format!("Dockerfile {}", file.path),
    }
}

fn arg_json(name: &str, default: Option<&str>, line: u32) -> Value {
    let mut out = json!({ "name": name, "line": line });
    if let Some(default) = default {
        out["default"] = json!(default);
    }
    out
}

fn words(words: &[Word]) -> Vec<&str> {
    words.iter().map(|w| w.value.as_str()).collect()
}

fn flags(flags: &[Flag]) -> Map<String, Value> {
    flags
        .iter()
        .map(|f| (f.name.clone(), f.value.as_ref().map_or(json!(true), |v| json!(v))))
        .collect()
}

fn command(command: &Command) -> Value {
    match command {
        Command::Exec(args) => json!({ "form": "exec", "args": words(args) }),
        Command::Shell(script) => json!({ "form": "shell", "script": script.text }),
    }
}

fn heredoc(heredoc: &Heredoc) -> Value {
    json!({ "delimiter": heredoc.delimiter, "body": heredoc.body.text, "line": heredoc.position.line })
}

fn instruction(instruction: &Instruction) -> Value {
    let mut out = json!({
        "keyword": instruction.keyword.as_str(),
        "line": instruction.position.line,
        "end_line": instruction.end_line,
        "flags": flags(&instruction.flags),
        "heredocs": instruction.heredocs.iter().map(heredoc).collect::<Vec<_>>(),
    });
    let body = match &instruction.body {
        Body::From(from) => {
            let mut body = json!({ "image": from.image.value });
            if let Some(alias) = &from.alias {
                body["name"] = json!(alias.value);
            }
            body
        }
        Body::Run(c) | Body::Cmd(c) | Body::Entrypoint(c) => json!({ "command": command(c) }),
        Body::Healthcheck(Some(c)) => json!({ "command": command(c) }),
        Body::Healthcheck(None) => json!({ "none": true }),
        Body::Shell(args) | Body::Expose(args) | Body::Volume(args) => json!({ "values": words(args) }),
        Body::Env(pairs) | Body::Label(pairs) => json!({
            "pairs": pairs.iter().map(|p| json!({ "key": p.key, "value": p.value, "line": p.position.line })).collect::<Vec<_>>(),
        }),
        Body::Arg(args) => json!({
            "args": args.iter().map(|a| arg_json(&a.name, a.default.as_deref(), a.position.line)).collect::<Vec<_>>(),
        }),
        Body::User(word) | Body::Workdir(word) | Body::StopSignal(word) | Body::Maintainer(word) => {
            json!({ "value": word.value })
        }
        Body::Copy(transfer) | Body::Add(transfer) => json!({
            "sources": words(&transfer.sources),
            "destination": transfer.destination.value,
        }),
        Body::Onbuild(inner) => json!({ "instruction": self::instruction(inner) }),
    };
    if let (Some(out), Value::Object(body)) = (out.as_object_mut(), body) {
        out.extend(body);
    }
    out
}

/// The inputs of a manifest file: one per YAML document (every document, whatever its
/// kind), or one for an OCI runtime `config.json`.
pub fn manifest(path: &str, bytes: &[u8]) -> Result<Vec<PolicyInput>, PolicyError> {
    // The built-in audit's parser first: the same errors for the same bad input.
    let workloads = workload::parse(path, bytes)?;
    let text = std::str::from_utf8(bytes).map_err(|e| PolicyError::Input {
        what: path.to_string(),
        reason: format!("not UTF-8 text: {e}"),
    })?;
    if let Ok(json) = serde_json::from_str::<Value>(text)
        && json.get("ociVersion").is_some()
    {
        let object = workloads.first().map(|w| w.name.clone());
        return Ok(vec![manifest_input(
            path,
            InputKind::OciRuntime,
            None,
            1,
            json,
            &workloads,
            object,
        )]);
    }
    let mut documents = Vec::new();
    for (index, deserializer) in yaml_serde::Deserializer::from_str(text).enumerate() {
        let value =
            <yaml_serde::Value as serde::Deserialize>::deserialize(deserializer).map_err(|e| PolicyError::Input {
                what: format!("{path} document {}", index + 1),
                reason: e.to_string(),
            })?;
        documents.push(value);
    }
    let count = documents.len();
    let mut inputs = Vec::new();
    for (index, document) in documents.into_iter().enumerate() {
        if document.is_null() {
            continue;
        }
        let number = index + 1;
        let compose = document.get("services").is_some() && document.get("kind").is_none();
        let kind = if compose {
            InputKind::Compose
        } else {
            InputKind::Kubernetes
        };
        let raw = yaml_to_json(document).map_err(|reason| PolicyError::Input {
            what: format!("{path} document {number}"),
            reason,
        })?;
        let own: Vec<Workload> = workloads
            .iter()
            .filter(|w| w.document.unwrap_or(1) == number)
            .cloned()
            .collect();
        let object = (!compose).then(|| kubernetes_name(&raw)).flatten();
        let object = match (count > 1, object) {
            (true, Some(name)) => Some(format!("document {number}: {name}")),
            (true, None) => Some(format!("document {number}")),
            (false, name) => name,
        };
        let document_number = (count > 1).then_some(number);
        inputs.push(manifest_input(path, kind, document_number, count, raw, &own, object));
    }
    Ok(inputs)
}

fn manifest_input(
    path: &str,
    kind: InputKind,
    document: Option<usize>,
    documents: usize,
    raw: Value,
    workloads: &[Workload],
    object: Option<String>,
) -> PolicyInput {
    let number = document.unwrap_or(1);
    PolicyInput {
        kind,
        document: json!({
            "format": kind.name(),
            "path": path,
            "document": number,
            "documents": documents,
            "raw": raw,
            "workloads": workloads,
        }),
        location: CheckLocation {
            path: Some(path.to_string()),
            object,
            ..CheckLocation::default()
        },
        name: match document {
            Some(number) => format!("{path} document {number}"),
            None => path.to_string(),
        },
    }
}

/// `Deployment/web`, from a Kubernetes object's kind and metadata.name.
fn kubernetes_name(raw: &Value) -> Option<String> {
    let kind = raw.get("kind")?.as_str()?;
    match raw.pointer("/metadata/name").and_then(Value::as_str) {
        Some(name) => Some(format!("{kind}/{name}")),
        None => Some(kind.to_string()),
    }
}

/// A YAML document as JSON: keys that are not strings (`1:`, `true:`) become their YAML
/// text, tags are dropped; a float that JSON cannot hold (`.nan`, `.inf`) is an error.
fn yaml_to_json(value: yaml_serde::Value) -> Result<Value, String> {
    use yaml_serde::Value as Yaml;
    Ok(match value {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(b),
        Yaml::Number(n) => {
            if let Some(i) = n.as_i64() {
                json!(i)
            } else if let Some(u) = n.as_u64() {
                json!(u)
            } else {
                let f = n.as_f64().unwrap_or(f64::NAN);
                serde_json::Number::from_f64(f)
                    .map(Value::Number)
                    .ok_or_else(|| format!("the number {n} has no JSON form"))?
            }
        }
        Yaml::String(s) => Value::String(s),
        Yaml::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect::<Result<_, _>>()?),
        Yaml::Mapping(mapping) => {
            let mut out = Map::new();
            for (key, value) in mapping {
                let key = match key {
                    Yaml::String(s) => s,
                    other => yaml_key_text(&other),
                };
                out.insert(key, yaml_to_json(value)?);
            }
            Value::Object(out)
        }
        Yaml::Tagged(tagged) => yaml_to_json(tagged.value)?,
    })
}

fn yaml_key_text(key: &yaml_serde::Value) -> String {
    match key {
        yaml_serde::Value::Null => "null".into(),
        yaml_serde::Value::Bool(b) => b.to_string(),
        yaml_serde::Value::Number(n) => n.to_string(),
        yaml_serde::Value::String(s) => s.clone(),
        other => yaml_serde::to_string(other).unwrap_or_default().trim().to_string(),
    }
}
