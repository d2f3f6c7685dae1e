//! CIS Docker Benchmark v1.6.0 section 3: ownership and permissions of the daemon's files
//! and sockets.

use std::os::unix::fs::MetadataExt;

use super::daemon::DaemonOptions;
use super::fs::HostFs;
use super::layout::Layout;
use super::rules;
use super::{HostCheck, Status};

/// Who must own a file.
#[derive(Clone, Copy)]
enum Group {
    Root,
    /// The `docker` group (root when the host has no such group).
    Docker,
}

/// One file the benchmark names.
struct Expected {
    cis: &'static str,
    /// Candidate locations; the first that exists is checked.
    paths: &'static [&'static str],
    group: Group,
    /// The most permissive mode allowed.
    mode: u32,
}

const ROOTFUL: &[Expected] = &[
    Expected {
        cis: "3.1, 3.2",
        paths: &[
            "/usr/lib/systemd/system/docker.service",
            "/lib/systemd/system/docker.service",
            "/etc/systemd/system/docker.service",
        ],
        group: Group::Root,
        mode: 0o644,
    },
    Expected {
        cis: "3.3, 3.4",
        paths: &[
            "/usr/lib/systemd/system/docker.socket",
            "/lib/systemd/system/docker.socket",
            "/etc/systemd/system/docker.socket",
        ],
        group: Group::Root,
        mode: 0o644,
    },
    Expected {
        cis: "3.5, 3.6",
        paths: &["/etc/docker"],
        group: Group::Root,
        mode: 0o755,
    },
    Expected {
        cis: "3.15, 3.16",
        paths: &["/var/run/docker.sock"],
        group: Group::Docker,
        mode: 0o660,
    },
    Expected {
        cis: "3.17, 3.18",
        paths: &["/etc/docker/daemon.json"],
        group: Group::Root,
        mode: 0o644,
    },
    Expected {
        cis: "3.19, 3.20",
        paths: &["/etc/default/docker"],
        group: Group::Root,
        mode: 0o644,
    },
    Expected {
        cis: "3.21, 3.22",
        paths: &["/etc/sysconfig/docker"],
        group: Group::Root,
        mode: 0o644,
    },
    Expected {
        cis: "3.23, 3.24",
        paths: &["/run/containerd/containerd.sock"],
        group: Group::Root,
        mode: 0o660,
    },
];

/// The TLS files named in the daemon's options: (key, CIS items, most permissive mode).
const TLS_FILES: &[(&str, &str, u32)] = &[
    ("tlscacert", "3.9, 3.10", 0o444),
    ("tlscert", "3.11, 3.12", 0o444),
    ("tlskey", "3.13, 3.14", 0o400),
];

pub fn checks(fs: &HostFs, layout: &Layout, options: Option<&DaemonOptions>) -> Vec<HostCheck> {
    let Some(docker) = &layout.docker else {
        return vec![HostCheck::new(
            &rules::FILE_OWNERSHIP,
            Status::NotApplicable,
            "no Docker installation found",
        )];
    };
    let ids = IdNames::read(fs);
    if docker.rootless {
        return [docker.config.as_str(), docker.socket.as_str()]
            .iter()
            .map(|path| rootless_file(fs, path))
            .collect();
    }
    let mut results: Vec<HostCheck> = ROOTFUL
        .iter()
        .map(|expected| rootful_file(fs, &ids, expected))
        .collect();
    if let Some(options) = options {
        for (key, cis, mode) in TLS_FILES {
            if let Some(path) = options.text(key) {
                let expected = Expected {
                    cis,
                    paths: &[],
                    group: Group::Root,
                    mode: *mode,
                };
                results.push(judge(fs, &ids, &expected, path));
            }
        }
    }
    results
}

fn rootful_file(fs: &HostFs, ids: &IdNames, expected: &Expected) -> HostCheck {
    match expected.paths.iter().find(|path| fs.exists(path)) {
        Some(path) => judge(fs, ids, expected, path),
        None => HostCheck::new(&rules::FILE_OWNERSHIP, Status::NotApplicable, "not present")
            .on(expected.paths[0])
            .cis(format!("{} {}", rules::CIS_EDITION, expected.cis)),
    }
}

fn judge(fs: &HostFs, ids: &IdNames, expected: &Expected, path: &str) -> HostCheck {
    let cis = format!("{} {}", rules::CIS_EDITION, expected.cis);
    let Some(metadata) = fs.metadata(path) else {
        return HostCheck::new(
            &rules::FILE_OWNERSHIP,
            Status::Warn,
            "configured but missing or unreadable",
        )
        .on(path)
        .cis(cis);
    };
    let mode = metadata.mode() & 0o7777;
    let want_gid = match expected.group {
        Group::Root => 0,
        Group::Docker => ids.docker_gid.unwrap_or(0),
    };
    let mut problems = Vec::new();
    if metadata.uid() != 0 || metadata.gid() != want_gid {
        problems.push(format!(
            "owned by {}:{}, expected root:{}",
            ids.user(metadata.uid()),
            ids.group(metadata.gid()),
            ids.group(want_gid)
        ));
    }
    if mode & !expected.mode != 0 {
        problems.push(format!("mode {mode:04o} allows more than {:04o}", expected.mode));
    }
    let (status, detail) = if problems.is_empty() {
        (
            Status::Pass,
            format!("{}:{} {mode:04o}", ids.user(metadata.uid()), ids.group(metadata.gid())),
        )
    } else {
        (Status::Fail, problems.join("; "))
    };
    HostCheck::new(&rules::FILE_OWNERSHIP, status, detail).on(path).cis(cis)
}

/// A rootless daemon's files belong to its user; only group or other write access is wrong.
fn rootless_file(fs: &HostFs, path: &str) -> HostCheck {
    let check = |status, detail: String| HostCheck::new(&rules::FILE_OWNERSHIP, status, detail).on(path);
    match fs.metadata(path) {
        None => check(Status::NotApplicable, "not present (rootless Docker)".into()),
        Some(metadata) if metadata.mode() & 0o022 != 0 => check(
            Status::Fail,
            format!("mode {:04o}: writable by group or others", metadata.mode() & 0o7777),
        ),
        Some(metadata) => check(
            Status::Pass,
            format!(
                "rootless Docker: owned by uid {}, mode {:04o}",
                metadata.uid(),
                metadata.mode() & 0o7777
            ),
        ),
    }
}

/// User and group names of the audited host, for messages.
struct IdNames {
    users: Vec<(u32, String)>,
    groups: Vec<(u32, String)>,
    docker_gid: Option<u32>,
}

impl IdNames {
    fn read(fs: &HostFs) -> IdNames {
        let users = id_table(&fs.read("/etc/passwd").unwrap_or_default());
        let groups = id_table(&fs.read("/etc/group").unwrap_or_default());
        let docker_gid = groups.iter().find(|(_, name)| name == "docker").map(|(id, _)| *id);
        IdNames {
            users,
            groups,
            docker_gid,
        }
    }

    fn user(&self, uid: u32) -> String {
        name_of(&self.users, uid)
    }

    fn group(&self, gid: u32) -> String {
        name_of(&self.groups, gid)
    }
}

fn name_of(table: &[(u32, String)], id: u32) -> String {
    match table.iter().find(|(known, _)| *known == id) {
        Some((_, name)) => name.clone(),
        None if id == 0 => "root".to_string(),
        None => id.to_string(),
    }
}

/// `name:x:id:…` lines (passwd and group share the first three fields).
fn id_table(text: &str) -> Vec<(u32, String)> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?.trim();
            let id = fields.nth(1)?.trim().parse().ok()?;
            (!name.is_empty() && !name.starts_with('#')).then(|| (id, name.to_string()))
        })
        .collect()
}

/// The members of the `docker` group.
pub fn docker_group_members(fs: &HostFs) -> Option<Vec<String>> {
    let group = fs.read("/etc/group")?;
    group.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.first() == Some(&"docker")).then(|| {
            fields
                .get(3)
                .map(|members| {
                    members
                        .split(',')
                        .map(str::trim)
                        .filter(|m| !m.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        })
    })
}
