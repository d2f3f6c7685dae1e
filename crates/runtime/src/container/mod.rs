//! `drydock audit containers`: the CIS Docker Benchmark section 5 runtime checks over each
//! container's inspect document.

mod checks;
pub mod inspect;
pub mod rules;

use drydock_model::CheckFinding;
use serde::Serialize;

pub use inspect::ContainerInspect;
pub use rules::capability_name;

use crate::EngineContext;
use crate::error::Result;

/// One container and what is wrong with how it runs.
#[derive(Clone, Debug, Serialize)]
pub struct ContainerAudit {
    pub id: String,
    pub name: String,
    /// The image as the container was created from it.
    pub image: String,
    /// The image id (`sha256:…`).
    pub image_id: String,
    /// `running`, `created`, `exited`, …
    pub state: String,
    pub findings: Vec<CheckFinding>,
}

/// Audits one container from its inspect document (`GET /containers/{id}/json`).
pub fn audit_inspect_json(bytes: &[u8], source_name: &str, engine: &EngineContext) -> Result<ContainerAudit> {
    let inspect = ContainerInspect::from_json(bytes, source_name)?;
    Ok(audit(&inspect, engine))
}

/// Audits one parsed container.
pub fn audit(inspect: &ContainerInspect, engine: &EngineContext) -> ContainerAudit {
    ContainerAudit {
        id: inspect.id.clone(),
        name: inspect.display_name().to_string(),
        image: inspect.config.image.clone(),
        image_id: inspect.image.clone(),
        state: inspect.state.status.clone(),
        findings: checks::check(inspect, engine),
    }
}

impl ContainerAudit {
    /// The findings with the container's name in front of each location, for reports that
    /// put every container's findings in one list (SARIF).
    pub fn findings_with_container(&self) -> impl Iterator<Item = CheckFinding> + '_ {
        self.findings.iter().map(|finding| {
            let mut finding = finding.clone();
            let field = finding.location.object.take().unwrap_or_default();
            finding.location.object = Some(format!("container/{}/{field}", self.name));
            finding
        })
    }
}
