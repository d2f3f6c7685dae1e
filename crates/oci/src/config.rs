//! The image config blob (`application/vnd.oci.image.config.v1+json` and Docker's
//! equivalent), read leniently: every field is optional, unknown fields are ignored, so
//! configs written by any builder parse, and `Healthcheck` (a Docker extension the OCI
//! types lack) is kept.

use std::collections::BTreeMap;

use drydock_model::{Digest, Healthcheck, ImageConfigSummary, Platform};
use serde::Deserialize;

use crate::error::{OciError, Result};

#[derive(Debug, Default, Deserialize)]
pub struct ConfigFile {
    #[serde(default)]
    pub architecture: Option<String>,
    #[serde(default)]
    pub os: Option<String>,
    #[serde(default)]
    pub variant: Option<String>,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub config: Option<RunConfig>,
    #[serde(default)]
    pub rootfs: Option<RootFs>,
    #[serde(default)]
    pub history: Vec<HistoryEntry>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RunConfig {
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub env: Option<Vec<String>>,
    #[serde(default)]
    pub entrypoint: Option<Vec<String>>,
    #[serde(default)]
    pub cmd: Option<Vec<String>>,
    #[serde(default)]
    pub working_dir: Option<String>,
    #[serde(default)]
    pub exposed_ports: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    pub volumes: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub healthcheck: Option<HealthcheckConfig>,
    #[serde(default)]
    pub stop_signal: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthcheckConfig {
    #[serde(default)]
    pub test: Option<Vec<String>>,
    #[serde(default)]
    pub interval: Option<u64>,
    #[serde(default)]
    pub timeout: Option<u64>,
    #[serde(default)]
    pub start_period: Option<u64>,
    #[serde(default)]
    pub retries: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
pub struct RootFs {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub diff_ids: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct HistoryEntry {
    #[serde(default)]
    pub created_by: Option<String>,
    #[serde(default)]
    pub empty_layer: bool,
}

impl ConfigFile {
    pub fn parse(bytes: &[u8], what: &str) -> Result<Self> {
        serde_json::from_slice(bytes).map_err(|e| OciError::invalid(what.to_string(), e))
    }

    /// The layers' diffIDs, bottom first, each checked to be a digest.
    pub fn diff_ids(&self, what: &str) -> Result<Vec<Digest>> {
        let rootfs = self
            .rootfs
            .as_ref()
            .ok_or_else(|| OciError::invalid(what.to_string(), "it has no rootfs section"))?;
        rootfs
            .diff_ids
            .iter()
            .enumerate()
            .map(|(i, id)| {
                id.parse()
                    .map_err(|e| OciError::invalid(what.to_string(), format!("rootfs.diff_ids[{i}]: {e}")))
            })
            .collect()
    }

    /// `created_by` of each history entry that made a layer, in layer order. History is
    /// optional; when it does not line up with the layers, the missing lines are `None`.
    pub fn layer_history(&self, layer_count: usize) -> Vec<Option<String>> {
        let mut lines: Vec<Option<String>> = self
            .history
            .iter()
            .filter(|h| !h.empty_layer)
            .map(|h| h.created_by.clone())
            .collect();
        lines.resize(layer_count, None);
        lines
    }

    pub fn platform(&self) -> Platform {
        Platform {
            os: self.os.clone().unwrap_or_else(|| "linux".to_string()),
            architecture: self.architecture.clone().unwrap_or_else(|| "unknown".to_string()),
            variant: self.variant.clone(),
        }
    }

    pub fn summary(&self) -> ImageConfigSummary {
        let Some(run) = &self.config else {
            return ImageConfigSummary::default();
        };
        let keys = |map: &Option<BTreeMap<String, serde_json::Value>>| {
            map.as_ref().map(|m| m.keys().cloned().collect()).unwrap_or_default()
        };
        ImageConfigSummary {
            user: run.user.clone().filter(|u| !u.is_empty()),
            env: run.env.clone().unwrap_or_default(),
            entrypoint: run.entrypoint.clone(),
            cmd: run.cmd.clone(),
            working_dir: run.working_dir.clone().filter(|w| !w.is_empty()),
            exposed_ports: keys(&run.exposed_ports),
            volumes: keys(&run.volumes),
            labels: run.labels.clone().unwrap_or_default(),
            healthcheck: run.healthcheck.as_ref().map(|h| Healthcheck {
                test: h.test.clone().unwrap_or_default(),
                interval: h.interval,
                timeout: h.timeout,
                start_period: h.start_period,
                retries: h.retries,
            }),
            stop_signal: run.stop_signal.clone().filter(|s| !s.is_empty()),
        }
    }
}
