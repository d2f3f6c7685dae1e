//! The Docker Engine API over its unix socket (bollard): the container list, each
//! container's inspect document and the engine's security options.

use bollard::Docker;
use bollard::query_parameters::ListContainersOptions;
use serde::Serialize;

use crate::container::{self, ContainerAudit, ContainerInspect};
use crate::error::{Result, RuntimeError};

const DEFAULT_SOCKET: &str = "unix:///var/run/docker.sock";
/// Seconds to wait for one answer.
const REQUEST_TIMEOUT_SECS: u64 = 60;

/// What the engine says about itself that changes how a container is judged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EngineContext {
    /// AppArmor is enabled on the engine (containers get docker-default unless told otherwise).
    pub apparmor: bool,
    /// SELinux is enabled on the engine.
    pub selinux: bool,
    /// The engine runs rootless.
    pub rootless: bool,
    /// The engine remaps users (userns-remap).
    pub userns_remap: bool,
    /// The daemon sets no-new-privileges for every container (daemon.json).
    pub no_new_privileges: bool,
}

impl EngineContext {
    /// From the `SecurityOptions` of `GET /info` (`name=apparmor`, `name=seccomp,profile=default`, …).
    pub fn from_security_options(options: &[String]) -> EngineContext {
        let names: Vec<&str> = options
            .iter()
            .filter_map(|option| {
                option
                    .split(',')
                    .find_map(|part| part.strip_prefix("name="))
                    .or(Some(option.as_str()))
            })
            .collect();
        EngineContext {
            apparmor: names.contains(&"apparmor"),
            selinux: names.contains(&"selinux"),
            rootless: names.contains(&"rootless"),
            userns_remap: names.contains(&"userns"),
            no_new_privileges: names.contains(&"no-new-privileges"),
        }
    }
}

/// The engine's context and every container's audit (running ones, or all with `all`).
pub struct EngineAudit {
    pub address: String,
    pub context: EngineContext,
    pub containers: Vec<ContainerAudit>,
}

/// `docker_host`, else `$DOCKER_HOST`, else the default socket; only unix sockets.
pub fn socket_address(docker_host: Option<&str>) -> Result<String> {
    let from_env = std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty());
    let address = docker_host
        .map(str::to_string)
        .or(from_env)
        .unwrap_or_else(|| DEFAULT_SOCKET.to_string());
    if address.starts_with("unix://") || address.starts_with('/') {
        Ok(address)
    } else {
        Err(RuntimeError::Engine {
            address,
            reason: "only unix:// sockets are supported".into(),
        })
    }
}

/// Audits the containers of the engine at `docker_host`.
pub fn audit_containers(docker_host: Option<&str>, all: bool) -> Result<EngineAudit> {
    let address = socket_address(docker_host)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| engine_error(&address, format!("starting the async runtime: {e}")))?;
    runtime.block_on(audit_async(address, all))
}

fn engine_error(address: &str, reason: String) -> RuntimeError {
    RuntimeError::Engine {
        address: address.to_string(),
        reason,
    }
}

async fn audit_async(address: String, all: bool) -> Result<EngineAudit> {
    let docker = Docker::connect_with_unix(&address, REQUEST_TIMEOUT_SECS, bollard::API_DEFAULT_VERSION)
        .map_err(|e| engine_error(&address, format!("cannot connect: {e}")))?;
    // Older engines refuse a client API version newer than theirs: speak theirs.
    let docker = docker
        .negotiate_version()
        .await
        .map_err(|e| engine_error(&address, format!("cannot reach the engine: {e}")))?;
    let info = docker
        .info()
        .await
        .map_err(|e| engine_error(&address, format!("GET /info: {e}")))?;
    let context = EngineContext::from_security_options(&info.security_options.unwrap_or_default());
    let options = ListContainersOptions {
        all,
        ..ListContainersOptions::default()
    };
    let summaries = docker
        .list_containers(Some(options))
        .await
        .map_err(|e| engine_error(&address, format!("listing containers: {e}")))?;
    let mut containers = Vec::new();
    for id in summaries.into_iter().filter_map(|summary| summary.id) {
        let response = match docker.inspect_container(&id, None).await {
            Ok(response) => response,
            // Removed between the list and the inspect: nothing left to audit.
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => continue,
            Err(e) => return Err(engine_error(&address, format!("inspecting container {id}: {e}"))),
        };
        let bytes = serde_json::to_vec(&response)
            .map_err(|e| engine_error(&address, format!("re-encoding the inspect document of {id}: {e}")))?;
        let inspect = ContainerInspect::from_json(&bytes, &format!("container {id}"))?;
        containers.push(container::audit(&inspect, &context));
    }
    containers.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(EngineAudit {
        address,
        context,
        containers,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_options_of_the_engine() {
        let options = [
            "name=apparmor".to_string(),
            "name=seccomp,profile=default".to_string(),
            "name=rootless".to_string(),
        ];
        let context = EngineContext::from_security_options(&options);
        assert!(context.apparmor && context.rootless && !context.selinux && !context.userns_remap);
    }

    #[test]
    fn only_unix_sockets() {
        assert!(socket_address(Some("tcp://10.0.0.1:2375")).is_err());
        assert_eq!(
            socket_address(Some("unix:///run/docker.sock")).unwrap(),
            "unix:///run/docker.sock"
        );
    }
}
