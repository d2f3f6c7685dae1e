//! CIS Docker Benchmark v1.6.0 section 1: the container partition, who controls the daemon,
//! and audit rules for the daemon's files.

use super::daemon::DaemonOptions;
use super::files::docker_group_members;
use super::fs::HostFs;
use super::layout::Layout;
use super::rules;
use super::{HostCheck, Status};

/// The files and directories the benchmark wants audited, with their item numbers.
const AUDITED: &[(&str, &str)] = &[
    ("1.1.3", "/usr/bin/dockerd"),
    ("1.1.4", "/run/containerd"),
    ("1.1.5", "/var/lib/docker"),
    ("1.1.6", "/etc/docker"),
    ("1.1.7", "/lib/systemd/system/docker.service"),
    ("1.1.8", "/run/containerd/containerd.sock"),
    ("1.1.9", "/lib/systemd/system/docker.socket"),
    ("1.1.10", "/etc/default/docker"),
    ("1.1.11", "/etc/docker/daemon.json"),
    ("1.1.12", "/etc/containerd/config.toml"),
    ("1.1.13", "/etc/sysconfig/docker"),
    ("1.1.14", "/usr/bin/containerd"),
    ("1.1.15", "/usr/bin/containerd-shim"),
    ("1.1.16", "/usr/bin/containerd-shim-runc-v1"),
    ("1.1.17", "/usr/bin/containerd-shim-runc-v2"),
    ("1.1.18", "/usr/bin/runc"),
];

pub fn checks(fs: &HostFs, layout: &Layout, options: Option<&DaemonOptions>) -> Vec<HostCheck> {
    let Some(docker) = &layout.docker else {
        return [&rules::SEPARATE_PARTITION, &rules::DOCKER_GROUP, &rules::AUDIT_RULES]
            .into_iter()
            .map(|rule| HostCheck::new(rule, Status::NotApplicable, "no Docker installation found"))
            .collect();
    };
    let data_root = options
        .and_then(|o| o.text("data-root"))
        .unwrap_or(&docker.data_root)
        .to_string();
    let mut results = vec![separate_partition(fs, &data_root), docker_group(fs, docker.rootless)];
    if docker.rootless {
        results.push(HostCheck::new(
            &rules::AUDIT_RULES,
            Status::NotApplicable,
            "rootless Docker: the daemon's files belong to one user",
        ));
    } else {
        results.extend(audit_rules(fs));
    }
    results
}

fn separate_partition(fs: &HostFs, data_root: &str) -> HostCheck {
    let mounted = mount_points(&fs.read("/proc/mounts").unwrap_or_default(), 1)
        .into_iter()
        .chain(mount_points(&fs.read("/etc/fstab").unwrap_or_default(), 1))
        .any(|point| point == data_root);
    let result = if mounted {
        HostCheck::new(
            &rules::SEPARATE_PARTITION,
            Status::Pass,
            format!("{data_root} is its own mount"),
        )
    } else {
        HostCheck::new(
            &rules::SEPARATE_PARTITION,
            Status::Warn,
            format!("{data_root} is not a mount point in /proc/mounts or /etc/fstab"),
        )
    };
    result.on(data_root)
}

/// Field `index` (0-based) of every non-comment line: the mount point of fstab and
/// /proc/mounts, with the octal escapes (`\040` for a space) decoded.
fn mount_points(text: &str, index: usize) -> Vec<String> {
    text.lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .filter_map(|line| line.split_whitespace().nth(index))
        .map(|point| {
            let decoded = unescape_octal(point);
            if decoded.len() > 1 {
                decoded.trim_end_matches('/').to_string()
            } else {
                decoded
            }
        })
        .collect()
}

pub(crate) fn unescape_octal(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let escape = bytes.get(index + 1..index + 4);
        if bytes[index] == b'\\'
            && let Some(digits) = escape
            && digits.iter().all(|d| (b'0'..=b'7').contains(d))
        {
            let value = digits.iter().fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
            out.push(u8::try_from(value).unwrap_or(b'?'));
            index += 4;
            continue;
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn docker_group(fs: &HostFs, rootless: bool) -> HostCheck {
    if rootless {
        return HostCheck::new(
            &rules::DOCKER_GROUP,
            Status::NotApplicable,
            "rootless Docker: only its user reaches the socket",
        );
    }
    match docker_group_members(fs) {
        None => HostCheck::new(
            &rules::DOCKER_GROUP,
            Status::Info,
            "no docker group: only root uses the socket",
        ),
        Some(members) if members.is_empty() => {
            HostCheck::new(&rules::DOCKER_GROUP, Status::Pass, "the docker group has no members")
        }
        Some(members) => HostCheck::new(
            &rules::DOCKER_GROUP,
            Status::Info,
            format!("docker group members (root-equivalent): {}", members.join(", ")),
        ),
    }
}

/// One result per benchmark path that exists on the host.
fn audit_rules(fs: &HostFs) -> Vec<HostCheck> {
    let watched = watched_paths(fs);
    AUDITED
        .iter()
        .map(|(item, path)| {
            let path = &located(fs, path);
            let cis = format!("{} {item}", rules::CIS_EDITION);
            let result = if !fs.exists(path) {
                HostCheck::new(&rules::AUDIT_RULES, Status::NotApplicable, "not present")
            } else if watched.iter().any(|w| w == path) {
                HostCheck::new(&rules::AUDIT_RULES, Status::Pass, "audited")
            } else {
                HostCheck::new(&rules::AUDIT_RULES, Status::Warn, "no audit rule watches it")
            };
            result.on(path.as_str()).cis(cis)
        })
        .collect()
}

/// Where the host keeps a file the benchmark names by its usual path: dockerd is in
/// /usr/sbin on some distributions, units are in /usr/lib/systemd on merged-/usr ones.
fn located(fs: &HostFs, path: &str) -> String {
    let alternatives: &[&str] = match path {
        "/usr/bin/dockerd" => &["/usr/bin/dockerd", "/usr/sbin/dockerd", "/usr/local/bin/dockerd"],
        "/lib/systemd/system/docker.service" => &[
            "/lib/systemd/system/docker.service",
            "/usr/lib/systemd/system/docker.service",
            "/etc/systemd/system/docker.service",
        ],
        "/lib/systemd/system/docker.socket" => &[
            "/lib/systemd/system/docker.socket",
            "/usr/lib/systemd/system/docker.socket",
            "/etc/systemd/system/docker.socket",
        ],
        _ => &[],
    };
    alternatives
        .iter()
        .find(|candidate| fs.exists(candidate))
        .unwrap_or(&path)
        .to_string()
}

/// The paths audit rules watch: `-w PATH …` and `-F path=PATH` / `-F dir=PATH`.
fn watched_paths(fs: &HostFs) -> Vec<String> {
    let mut texts: Vec<String> = fs
        .list("/etc/audit/rules.d")
        .into_iter()
        .filter(|name| name.ends_with(".rules"))
        .filter_map(|name| fs.read(&format!("/etc/audit/rules.d/{name}")))
        .collect();
    texts.extend(fs.read("/etc/audit/audit.rules"));
    texts.iter().flat_map(|text| rule_paths(text)).collect()
}

pub fn rule_paths(text: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.starts_with('#')) {
        let words: Vec<&str> = line.split_whitespace().collect();
        for pair in words.windows(2) {
            match pair {
                ["-w", path] => paths.push(path.trim_end_matches('/').to_string()),
                ["-F", field] => {
                    if let Some(path) = field.strip_prefix("path=").or_else(|| field.strip_prefix("dir=")) {
                        paths.push(path.trim_end_matches('/').to_string());
                    }
                }
                _ => {}
            }
        }
    }
    paths
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audit_rule_paths() {
        let rules = "# docker\n-w /usr/bin/dockerd -k docker\n-a always,exit -F path=/usr/bin/runc -F perm=x -k docker\n-a always,exit -F dir=/etc/docker/ -k docker\n";
        assert_eq!(rule_paths(rules), ["/usr/bin/dockerd", "/usr/bin/runc", "/etc/docker"]);
    }

    #[test]
    fn mount_points_decode_escapes() {
        let mounts = "/dev/sdb1 /var/lib/docker ext4 rw 0 0\n/dev/sdc1 /srv/my\\040data xfs rw 0 0\n";
        assert_eq!(mount_points(mounts, 1), ["/var/lib/docker", "/srv/my data"]);
        assert_eq!(unescape_octal("a\\12"), "a\\12");
    }
}
