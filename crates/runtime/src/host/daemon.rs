//! The Docker daemon's effective options: daemon.json merged with the running dockerd's
//! command line. Both use the same names (`icc`, `userns-remap`, `live-restore`, …); the few
//! flags that differ from their daemon.json key are mapped (`-H` → `hosts`).

use serde_json::{Map, Value};

/// Options that take no value on the command line (`--icc=false`, `--live-restore`).
const BOOLEAN_FLAGS: &[&str] = &[
    "icc",
    "iptables",
    "ip6tables",
    "ip-forward",
    "ip-masq",
    "live-restore",
    "no-new-privileges",
    "userland-proxy",
    "tls",
    "tlsverify",
    "experimental",
    "selinux-enabled",
    "debug",
    "rootless",
];

/// Options that may be given several times and are lists in daemon.json.
const LIST_FLAGS: &[&str] = &[
    "hosts",
    "insecure-registries",
    "authorization-plugins",
    "default-ulimits",
    "storage-opts",
];

/// The daemon's effective options, by daemon.json key.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DaemonOptions {
    pub options: Map<String, Value>,
}

impl DaemonOptions {
    /// Parses daemon.json. An empty file means no options, as dockerd reads it.
    pub fn from_daemon_json(text: &str) -> Result<DaemonOptions, String> {
        if text.trim().is_empty() {
            return Ok(DaemonOptions::default());
        }
        match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(options)) => Ok(DaemonOptions { options }),
            Ok(_) => Err("daemon.json is not a JSON object".to_string()),
            Err(e) => Err(format!("daemon.json is not valid JSON: {e}")),
        }
    }

    /// Adds the options of a dockerd command line (`argv` without the program name);
    /// the command line wins over daemon.json.
    pub fn merge_command_line(&mut self, args: &[String]) {
        let mut index = 0;
        while index < args.len() {
            let arg = &args[index];
            index += 1;
            let Some(flag) = arg.strip_prefix("--").or_else(|| arg.strip_prefix('-')) else {
                continue;
            };
            let (name, inline) = match flag.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (flag, None),
            };
            let key = daemon_key(name);
            if BOOLEAN_FLAGS.contains(&key.as_str()) {
                let value = inline.is_none_or(|v| !v.eq_ignore_ascii_case("false"));
                self.options.insert(key, Value::Bool(value));
                continue;
            }
            let value = match inline {
                Some(value) => value,
                None if index < args.len() => {
                    index += 1;
                    args[index - 1].clone()
                }
                None => continue,
            };
            self.insert_value(key, value);
        }
    }

    fn insert_value(&mut self, key: String, value: String) {
        if LIST_FLAGS.contains(&key.as_str()) {
            let entry = self.options.entry(key).or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = entry {
                items.push(Value::String(value));
            } else {
                *entry = Value::Array(vec![Value::String(value)]);
            }
        } else {
            self.options.insert(key, Value::String(value));
        }
    }

    /// A boolean option (`true`/`false` or the strings of a command line).
    pub fn flag(&self, key: &str) -> Option<bool> {
        match self.options.get(key)? {
            Value::Bool(value) => Some(*value),
            Value::String(text) => Some(!text.eq_ignore_ascii_case("false")),
            _ => None,
        }
    }

    /// A string option.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.options.get(key)?.as_str().filter(|s| !s.is_empty())
    }

    /// A list option; empty when absent. A lone string counts as a list of one.
    pub fn list(&self, key: &str) -> Vec<String> {
        match self.options.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                })
                .collect(),
            Some(Value::String(text)) if !text.is_empty() => vec![text.clone()],
            Some(Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    pub fn has(&self, key: &str) -> bool {
        match self.options.get(key) {
            None | Some(Value::Null) => false,
            Some(Value::Array(items)) => !items.is_empty(),
            Some(Value::Object(map)) => !map.is_empty(),
            Some(Value::String(text)) => !text.is_empty(),
            Some(_) => true,
        }
    }
}

/// The daemon.json key of a command-line flag.
fn daemon_key(flag: &str) -> String {
    match flag {
        "H" | "host" => "hosts",
        "l" => "log-level",
        "D" => "debug",
        "s" => "storage-driver",
        "insecure-registry" => "insecure-registries",
        "authorization-plugin" => "authorization-plugins",
        "default-ulimit" => "default-ulimits",
        "storage-opt" => "storage-opts",
        "g" | "graph" => "data-root",
        other => other,
    }
    .to_string()
}

/// The arguments of a `/proc/PID/cmdline` (NUL-separated).
pub fn split_cmdline(raw: &[u8]) -> Vec<String> {
    raw.split(|b| *b == 0)
        .filter(|part| !part.is_empty())
        .map(|part| String::from_utf8_lossy(part).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn command_line_overrides_and_extends_daemon_json() {
        let mut options =
            DaemonOptions::from_daemon_json(r#"{"icc": true, "hosts": ["unix:///var/run/docker.sock"]}"#).unwrap();
        options.merge_command_line(&args(
            "--icc=false -H tcp://0.0.0.0:2375 --userns-remap default --live-restore --insecure-registry=r:5000 -D",
        ));
        assert_eq!(options.flag("icc"), Some(false));
        assert_eq!(options.flag("live-restore"), Some(true));
        assert_eq!(options.flag("debug"), Some(true));
        assert_eq!(options.text("userns-remap"), Some("default"));
        assert_eq!(
            options.list("hosts"),
            ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"]
        );
        assert_eq!(options.list("insecure-registries"), ["r:5000"]);
    }

    #[test]
    fn bad_daemon_json_is_an_error() {
        assert!(DaemonOptions::from_daemon_json("[1]").is_err());
        assert!(DaemonOptions::from_daemon_json("{").is_err());
        assert_eq!(
            DaemonOptions::from_daemon_json(" \n").unwrap(),
            DaemonOptions::default()
        );
    }

    #[test]
    fn cmdline_splits_on_nul() {
        assert_eq!(
            split_cmdline(b"/usr/bin/dockerd\0-H\0fd://\0"),
            ["/usr/bin/dockerd", "-H", "fd://"]
        );
    }
}
