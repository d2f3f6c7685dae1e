//! Which container engines a host has and where their files are: rootful Docker, rootless
//! Docker (per-user daemon, socket in $XDG_RUNTIME_DIR, config in ~/.config/docker) and
//! Podman (no daemon). Rootless and Podman hosts are judged by their own layout, not failed
//! for lacking the rootful daemon's files.

use serde::Serialize;

use super::daemon::split_cmdline;
use super::fs::HostFs;

const DOCKERD_BINARIES: &[&str] = &["/usr/bin/dockerd", "/usr/sbin/dockerd", "/usr/local/bin/dockerd"];
const DOCKER_UNITS: &[&str] = &[
    "/usr/lib/systemd/system/docker.service",
    "/lib/systemd/system/docker.service",
    "/etc/systemd/system/docker.service",
];
const PODMAN_MARKERS: &[&str] = &[
    "/usr/bin/podman",
    "/usr/local/bin/podman",
    "/etc/containers/containers.conf",
    "/etc/containers/storage.conf",
];

/// The Docker installation on the host.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DockerLayout {
    pub rootless: bool,
    /// daemon.json (`/etc/docker/daemon.json`, or `~/.config/docker/daemon.json` rootless).
    pub config: String,
    /// The API socket.
    pub socket: String,
    /// The default data root.
    pub data_root: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Layout {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docker: Option<DockerLayout>,
    /// Podman is installed (daemonless: the Docker daemon checks do not apply to it).
    pub podman: bool,
}

impl Layout {
    pub fn detect(fs: &HostFs, dockerd: Option<&[String]>) -> Layout {
        let podman = PODMAN_MARKERS.iter().any(|path| fs.exists(path));
        let rootful = DOCKERD_BINARIES.iter().chain(DOCKER_UNITS).any(|path| fs.exists(path))
            || fs.exists("/etc/docker")
            || fs.exists("/var/run/docker.sock");
        let rootless_home = rootless_home(fs);
        let runs_rootless = dockerd.is_some_and(|args| args.iter().any(|a| a == "--rootless"));
        let docker = if runs_rootless || (!rootful && rootless_home.is_some()) {
            let (home, uid) = rootless_home.unwrap_or_else(|| ("/root".to_string(), "0".to_string()));
            Some(DockerLayout {
                rootless: true,
                config: format!("{home}/.config/docker/daemon.json"),
                socket: format!("/run/user/{uid}/docker.sock"),
                data_root: format!("{home}/.local/share/docker"),
            })
        } else if rootful || dockerd.is_some() {
            Some(DockerLayout {
                rootless: false,
                config: "/etc/docker/daemon.json".to_string(),
                socket: "/var/run/docker.sock".to_string(),
                data_root: "/var/lib/docker".to_string(),
            })
        } else {
            None
        };
        Layout { docker, podman }
    }
}

/// The home and uid of the first user with a rootless Docker setup
/// (~/.config/systemd/user/docker.service or ~/.local/share/docker).
fn rootless_home(fs: &HostFs) -> Option<(String, String)> {
    let passwd = fs.read("/etc/passwd").unwrap_or_default();
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        let (uid, home) = (fields.get(2)?, fields.get(5)?);
        if *uid == "0" || home.is_empty() {
            return None;
        }
        let unit = format!("{home}/.config/systemd/user/docker.service");
        let data = format!("{home}/.local/share/docker");
        (fs.exists(&unit) || fs.exists(&data)).then(|| (home.to_string(), uid.to_string()))
    })
}

/// The command line of the running dockerd, from `/proc/PID/cmdline` under the root.
pub fn dockerd_command_line(fs: &HostFs) -> Option<Vec<String>> {
    fs.list("/proc")
        .into_iter()
        .filter(|name| name.bytes().all(|b| b.is_ascii_digit()))
        .find_map(|pid| {
            let raw = fs.read(&format!("/proc/{pid}/cmdline"))?;
            let args = split_cmdline(raw.as_bytes());
            let program = args.first()?.rsplit('/').next()?.to_string();
            (program == "dockerd").then_some(args)
        })
}
