//! The parts of the Docker Engine's container inspect document (`GET /containers/{id}/json`)
//! the runtime checks read. Every field is optional and `null` reads as absent, because
//! engines of different API versions leave different fields out or null.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use crate::error::{Result, RuntimeError};

/// Most bytes of one inspect document accepted: real ones are a few KiB.
pub const MAX_INSPECT_BYTES: usize = 4 << 20;

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ContainerInspect {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
    /// `/name`, as the engine reports it.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    /// The image id (`sha256:…`).
    #[serde(deserialize_with = "nullable")]
    pub image: String,
    #[serde(deserialize_with = "nullable")]
    pub state: State,
    #[serde(deserialize_with = "nullable")]
    pub app_armor_profile: String,
    #[serde(deserialize_with = "nullable")]
    pub process_label: String,
    #[serde(deserialize_with = "nullable")]
    pub host_config: HostConfig,
    #[serde(deserialize_with = "nullable")]
    pub mounts: Vec<Mount>,
    #[serde(deserialize_with = "nullable")]
    pub config: Config,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct State {
    #[serde(deserialize_with = "nullable")]
    pub status: String,
    #[serde(deserialize_with = "nullable")]
    pub running: bool,
    pub health: Option<Health>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Health {
    #[serde(deserialize_with = "nullable")]
    pub status: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct HostConfig {
    #[serde(deserialize_with = "nullable")]
    pub privileged: bool,
    #[serde(deserialize_with = "nullable")]
    pub cap_add: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub cap_drop: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub security_opt: Vec<String>,
    #[serde(deserialize_with = "nullable")]
    pub readonly_rootfs: bool,
    #[serde(deserialize_with = "nullable")]
    pub memory: i64,
    #[serde(deserialize_with = "nullable")]
    pub nano_cpus: i64,
    #[serde(deserialize_with = "nullable")]
    pub cpu_shares: i64,
    #[serde(deserialize_with = "nullable")]
    pub cpu_quota: i64,
    pub pids_limit: Option<i64>,
    #[serde(deserialize_with = "nullable")]
    pub network_mode: String,
    #[serde(deserialize_with = "nullable")]
    pub pid_mode: String,
    #[serde(deserialize_with = "nullable")]
    pub ipc_mode: String,
    #[serde(rename = "UTSMode", deserialize_with = "nullable")]
    pub uts_mode: String,
    #[serde(deserialize_with = "nullable")]
    pub userns_mode: String,
    #[serde(deserialize_with = "nullable")]
    pub restart_policy: RestartPolicy,
    #[serde(deserialize_with = "nullable")]
    pub port_bindings: BTreeMap<String, Option<Vec<PortBinding>>>,
    #[serde(deserialize_with = "nullable")]
    pub devices: Vec<Device>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RestartPolicy {
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub maximum_retry_count: i64,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PortBinding {
    #[serde(deserialize_with = "nullable")]
    pub host_ip: String,
    #[serde(deserialize_with = "nullable")]
    pub host_port: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Device {
    #[serde(deserialize_with = "nullable")]
    pub path_on_host: String,
    #[serde(deserialize_with = "nullable")]
    pub path_in_container: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Mount {
    #[serde(deserialize_with = "nullable")]
    pub r#type: String,
    #[serde(deserialize_with = "nullable")]
    pub source: String,
    #[serde(deserialize_with = "nullable")]
    pub destination: String,
    #[serde(rename = "RW", deserialize_with = "nullable")]
    pub rw: bool,
    #[serde(deserialize_with = "nullable")]
    pub propagation: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Config {
    #[serde(deserialize_with = "nullable")]
    pub user: String,
    /// The image as the container was created from it (`nginx:1.27`, `sha256:…`, `app@sha256:…`).
    #[serde(deserialize_with = "nullable")]
    pub image: String,
    pub healthcheck: Option<Healthcheck>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct Healthcheck {
    #[serde(deserialize_with = "nullable")]
    pub test: Vec<String>,
}

/// `null` as the type's default.
fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

impl ContainerInspect {
    /// Parses one inspect document; `source_name` names it in errors.
    pub fn from_json(bytes: &[u8], source_name: &str) -> Result<ContainerInspect> {
        if bytes.len() > MAX_INSPECT_BYTES {
            return Err(RuntimeError::Inspect {
                source_name: source_name.to_string(),
                reason: format!("{} bytes is more than the {MAX_INSPECT_BYTES} accepted", bytes.len()),
            });
        }
        let inspect: ContainerInspect = serde_json::from_slice(bytes).map_err(|e| RuntimeError::Inspect {
            source_name: source_name.to_string(),
            reason: e.to_string(),
        })?;
        if inspect.id.is_empty() {
            return Err(RuntimeError::Inspect {
                source_name: source_name.to_string(),
                reason: "no `Id`: this is not a container inspect document".to_string(),
            });
        }
        Ok(inspect)
    }

    /// The name without the engine's leading `/`, or the short id when there is none.
    pub fn display_name(&self) -> &str {
        let name = self.name.trim_start_matches('/');
        if name.is_empty() { self.short_id() } else { name }
    }

    pub fn short_id(&self) -> &str {
        self.id.get(..12).unwrap_or(&self.id)
    }
}
