//! CIS Docker Benchmark v1.6.0 section 2: the daemon's configuration.

use super::daemon::DaemonOptions;
use super::fs::HostFs;
use super::layout::{DockerLayout, Layout};
use super::rules;
use super::{HostCheck, Status};

/// Log drivers that ship logs off the host.
const REMOTE_LOG_DRIVERS: &[&str] = &[
    "syslog",
    "journald",
    "gelf",
    "fluentd",
    "awslogs",
    "splunk",
    "gcplogs",
    "logentries",
    "etwlogs",
];

/// daemon.json merged with the running daemon's command line, and the result of reading it.
pub fn effective_options(
    fs: &HostFs,
    docker: &DockerLayout,
    dockerd: Option<&[String]>,
) -> (DaemonOptions, Option<HostCheck>) {
    let (mut options, result) = match fs.read(&docker.config) {
        None => (
            DaemonOptions::default(),
            HostCheck::new(
                &rules::DAEMON_CONFIG,
                Status::Info,
                "no daemon.json: the defaults apply",
            ),
        ),
        Some(text) => match DaemonOptions::from_daemon_json(&text) {
            Ok(options) => (
                options,
                HostCheck::new(&rules::DAEMON_CONFIG, Status::Pass, "daemon.json is valid"),
            ),
            Err(reason) => (
                DaemonOptions::default(),
                HostCheck::new(&rules::DAEMON_CONFIG, Status::Fail, reason),
            ),
        },
    };
    if let Some(args) = dockerd {
        options.merge_command_line(args.get(1..).unwrap_or_default());
    }
    (options, Some(result.on(docker.config.clone())))
}

/// The section 2 results; not applicable without Docker.
pub fn checks(layout: &Layout, options: Option<&DaemonOptions>) -> Vec<HostCheck> {
    let (Some(docker), Some(options)) = (&layout.docker, options) else {
        let why = if layout.podman {
            "Podman has no daemon; its containers are configured per container"
        } else {
            "no Docker installation found"
        };
        return rules::ALL
            .iter()
            .filter(|rule| ("DD-HOST-010".."DD-HOST-026").contains(&rule.id))
            .map(|rule| HostCheck::new(rule, Status::NotApplicable, why))
            .collect();
    };
    vec![
        rootless(docker),
        icc(options),
        log_level(options),
        iptables(options),
        insecure_registries(options),
        aufs(options),
        tls(options),
        optional(options, &rules::DEFAULT_ULIMITS, "default-ulimits", Status::Info),
        userns(docker, options),
        optional(
            options,
            &rules::AUTHORIZATION_PLUGIN,
            "authorization-plugins",
            Status::Warn,
        ),
        remote_logging(options),
        enabled(options, &rules::NO_NEW_PRIVILEGES, "no-new-privileges", false),
        enabled(options, &rules::LIVE_RESTORE, "live-restore", false),
        userland_proxy(options),
        optional(options, &rules::SECCOMP_PROFILE, "seccomp-profile", Status::Info),
        experimental(options),
    ]
}

fn rootless(docker: &DockerLayout) -> HostCheck {
    if docker.rootless {
        HostCheck::new(&rules::DAEMON_ROOTLESS, Status::Pass, "rootless Docker")
    } else {
        HostCheck::new(&rules::DAEMON_ROOTLESS, Status::Info, "the daemon runs as root")
    }
}

fn icc(options: &DaemonOptions) -> HostCheck {
    match options.flag("icc") {
        Some(false) => HostCheck::new(&rules::ICC, Status::Pass, "icc is false"),
        _ => HostCheck::new(
            &rules::ICC,
            Status::Fail,
            "icc is not false: every container on docker0 reaches every other",
        ),
    }
}

fn log_level(options: &DaemonOptions) -> HostCheck {
    match options.text("log-level") {
        Some(level) if level.eq_ignore_ascii_case("debug") => {
            HostCheck::new(&rules::LOG_LEVEL, Status::Fail, "log-level is debug")
        }
        _ if options.flag("debug") == Some(true) => HostCheck::new(&rules::LOG_LEVEL, Status::Fail, "debug is on"),
        Some(level) => HostCheck::new(&rules::LOG_LEVEL, Status::Pass, format!("log-level is {level}")),
        None => HostCheck::new(&rules::LOG_LEVEL, Status::Pass, "log-level is the default (info)"),
    }
}

fn iptables(options: &DaemonOptions) -> HostCheck {
    match options.flag("iptables") {
        Some(false) => HostCheck::new(&rules::IPTABLES, Status::Fail, "iptables is false"),
        _ => HostCheck::new(&rules::IPTABLES, Status::Pass, "Docker manages iptables"),
    }
}

fn insecure_registries(options: &DaemonOptions) -> HostCheck {
    let registries = options.list("insecure-registries");
    if registries.is_empty() {
        HostCheck::new(&rules::INSECURE_REGISTRIES, Status::Pass, "none")
    } else {
        HostCheck::new(&rules::INSECURE_REGISTRIES, Status::Fail, registries.join(", "))
    }
}

fn aufs(options: &DaemonOptions) -> HostCheck {
    match options.text("storage-driver") {
        Some("aufs") => HostCheck::new(&rules::AUFS, Status::Fail, "storage-driver is aufs"),
        Some(driver) => HostCheck::new(&rules::AUFS, Status::Pass, format!("storage-driver is {driver}")),
        None => HostCheck::new(&rules::AUFS, Status::Pass, "the default storage driver (overlay2)"),
    }
}

fn tls(options: &DaemonOptions) -> HostCheck {
    let tcp: Vec<String> = options
        .list("hosts")
        .into_iter()
        .filter(|host| host.starts_with("tcp://"))
        .collect();
    if tcp.is_empty() {
        return HostCheck::new(&rules::TLS, Status::NotApplicable, "the daemon does not listen on TCP");
    }
    let verified = options.flag("tlsverify") == Some(true);
    let material = ["tlscacert", "tlscert", "tlskey"]
        .iter()
        .all(|key| options.text(key).is_some());
    if verified && material {
        HostCheck::new(&rules::TLS, Status::Pass, format!("{} with tlsverify", tcp.join(", ")))
    } else {
        HostCheck::new(
            &rules::TLS,
            Status::Fail,
            format!(
                "{} without tlsverify and a CA, certificate and key: anyone who reaches it is root",
                tcp.join(", ")
            ),
        )
    }
}

/// Pass when `key` is set, else `otherwise`.
fn optional(options: &DaemonOptions, rule: &drydock_model::RuleInfo, key: &str, otherwise: Status) -> HostCheck {
    if options.has(key) {
        HostCheck::new(rule, Status::Pass, format!("{key} is set"))
    } else {
        HostCheck::new(rule, otherwise, format!("{key} is not set"))
    }
}

/// Pass when the boolean `key` is true.
fn enabled(options: &DaemonOptions, rule: &drydock_model::RuleInfo, key: &str, default: bool) -> HostCheck {
    if options.flag(key).unwrap_or(default) {
        HostCheck::new(rule, Status::Pass, format!("{key} is true"))
    } else {
        HostCheck::new(rule, Status::Fail, format!("{key} is not true"))
    }
}

fn userns(docker: &DockerLayout, options: &DaemonOptions) -> HostCheck {
    if docker.rootless {
        return HostCheck::new(
            &rules::USERNS_REMAP,
            Status::NotApplicable,
            "rootless Docker runs every container in the user's own user namespace",
        );
    }
    match options.text("userns-remap") {
        Some(remap) => HostCheck::new(&rules::USERNS_REMAP, Status::Pass, format!("userns-remap is {remap}")),
        None => HostCheck::new(
            &rules::USERNS_REMAP,
            Status::Warn,
            "userns-remap is not set: root in a container is root on the host",
        ),
    }
}

fn remote_logging(options: &DaemonOptions) -> HostCheck {
    match options.text("log-driver") {
        Some(driver) if REMOTE_LOG_DRIVERS.contains(&driver) => {
            HostCheck::new(&rules::REMOTE_LOGGING, Status::Pass, format!("log-driver is {driver}"))
        }
        Some(driver) => HostCheck::new(
            &rules::REMOTE_LOGGING,
            Status::Warn,
            format!("log-driver {driver} keeps logs on this host"),
        ),
        None => HostCheck::new(
            &rules::REMOTE_LOGGING,
            Status::Warn,
            "the default log driver (json-file) keeps logs on this host",
        ),
    }
}

fn userland_proxy(options: &DaemonOptions) -> HostCheck {
    match options.flag("userland-proxy") {
        Some(false) => HostCheck::new(&rules::USERLAND_PROXY, Status::Pass, "userland-proxy is false"),
        _ => HostCheck::new(
            &rules::USERLAND_PROXY,
            Status::Warn,
            "userland-proxy is on (the default)",
        ),
    }
}

fn experimental(options: &DaemonOptions) -> HostCheck {
    match options.flag("experimental") {
        Some(true) => HostCheck::new(&rules::EXPERIMENTAL, Status::Fail, "experimental is true"),
        _ => HostCheck::new(&rules::EXPERIMENTAL, Status::Pass, "experimental is off"),
    }
}
