//! Checks of the merged filesystem's metadata: setuid/setgid and world-writable entries,
//! SSH servers and sudo, package manager caches. One pass over the merged entries.

use drydock_model::{CheckFinding, CheckLocation, FileKind, FileRecord};
use drydock_oci::engine::merge::{MergedEntry, MergedFs};

use super::rules::{
    PACKAGE_CACHE, SETUID_FILE, SSHD_INSTALLED, SUDO_INSTALLED, WORLD_WRITABLE_DIR, WORLD_WRITABLE_FILE,
};

/// Where package managers leave caches and lists; files named `lock` do not count.
const CACHE_DIRS: &[(&str, &str)] = &[
    ("/var/lib/apt/lists", "apt package lists"),
    ("/var/cache/apt", "apt package cache"),
    ("/var/cache/apk", "apk package cache"),
    ("/var/cache/yum", "yum cache"),
    ("/var/cache/dnf", "dnf cache"),
    ("/var/cache/zypp", "zypper cache"),
    ("/root/.cache/pip", "pip cache"),
    ("/root/.npm/_cacache", "npm cache"),
];

const SSH_SERVERS: &[&str] = &["/usr/sbin/sshd", "/usr/bin/sshd", "/sbin/sshd", "/usr/sbin/dropbear"];
const SUDO: &[&str] = &["/usr/bin/sudo", "/bin/sudo", "/usr/sbin/sudo"];

fn at(entry: &MergedEntry) -> CheckLocation {
    CheckLocation {
        path: Some(entry.entry.path.clone()),
        layer: Some(entry.layer),
        ..Default::default()
    }
}

fn mode_string(entry: &MergedEntry) -> String {
    FileRecord {
        path: String::new(),
        kind: entry.entry.kind,
        mode: entry.entry.mode,
        uid: entry.entry.uid,
        gid: entry.entry.gid,
        size: entry.entry.size,
        link_target: None,
        layer: entry.layer,
    }
    .mode_string()
}

/// Every metadata finding of the merged view.
pub fn filesystem_findings(merged: &MergedFs) -> Vec<CheckFinding> {
    let mut findings = Vec::new();
    let mut caches: Vec<(u64, u64)> = vec![(0, 0); CACHE_DIRS.len()];
    for entry in merged.iter() {
        findings.extend(permission_finding(entry));
        count_cache_file(entry, &mut caches);
    }
    findings.extend(cache_findings(&caches));
    findings.extend(installed(merged, SSH_SERVERS, &SSHD_INSTALLED, "an SSH server"));
    findings.extend(installed(merged, SUDO, &SUDO_INSTALLED, "sudo"));
    findings
}

/// setuid/setgid regular files; world-writable files; world-writable directories without
/// the sticky bit. Symlinks (always 0777) and device nodes are not judged by their mode.
fn permission_finding(entry: &MergedEntry) -> Option<CheckFinding> {
    let mode = entry.entry.mode;
    let is_file = matches!(entry.entry.kind, FileKind::File | FileKind::Hardlink);
    let path = &entry.entry.path;
    if is_file && mode & 0o6000 != 0 {
        let bits = match (mode & 0o4000 != 0, mode & 0o2000 != 0) {
            (true, true) => "setuid and setgid",
            (true, false) => "setuid",
            _ => "setgid",
        };
        let message = format!(
            "{path} is {bits} ({}, owner {}:{})",
            mode_string(entry),
            entry.entry.uid,
            entry.entry.gid
        );
        return Some(CheckFinding::new(&SETUID_FILE, message, at(entry)));
    }
    if mode & 0o002 == 0 {
        return None;
    }
    if is_file {
        let message = format!("{path} is writable by every user ({})", mode_string(entry));
        return Some(CheckFinding::new(&WORLD_WRITABLE_FILE, message, at(entry)));
    }
    if entry.entry.kind == FileKind::Dir && mode & 0o1000 == 0 {
        let message = format!(
            "{path} is writable by every user and has no sticky bit ({})",
            mode_string(entry)
        );
        return Some(CheckFinding::new(&WORLD_WRITABLE_DIR, message, at(entry)));
    }
    None
}

fn count_cache_file(entry: &MergedEntry, caches: &mut [(u64, u64)]) {
    if !matches!(entry.entry.kind, FileKind::File | FileKind::Hardlink) {
        return;
    }
    let path = entry.entry.path.as_str();
    if path.rsplit('/').next() == Some("lock") {
        return;
    }
    for (slot, (dir, _)) in caches.iter_mut().zip(CACHE_DIRS) {
        if path.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/')) {
            slot.0 += 1;
            slot.1 += entry.entry.size;
        }
    }
}

fn cache_findings(caches: &[(u64, u64)]) -> Vec<CheckFinding> {
    caches
        .iter()
        .zip(CACHE_DIRS)
        .filter(|((files, _), _)| *files > 0)
        .map(|((files, bytes), (dir, what))| {
            CheckFinding::new(
                &PACKAGE_CACHE,
                format!("{what} left in {dir}: {files} files, {bytes} bytes"),
                CheckLocation {
                    path: Some(dir.to_string()),
                    ..Default::default()
                },
            )
        })
        .collect()
}

/// The first of `paths` that resolves to a regular file (symlinks followed inside the image).
fn installed(merged: &MergedFs, paths: &[&str], rule: &drydock_model::RuleInfo, what: &str) -> Option<CheckFinding> {
    paths.iter().find_map(|path| {
        let (resolved, entry) = merged.resolve(path).ok().flatten()?;
        matches!(entry.entry.kind, FileKind::File | FileKind::Hardlink).then(|| {
            let message = if resolved == *path {
                format!("{what} is installed: {path}")
            } else {
                format!("{what} is installed: {path} (resolves to {resolved})")
            };
            CheckFinding::new(rule, message, at(entry))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use drydock_oci::engine::facts::{LayerEntry, LayerFacts};

    fn entry(path: &str, kind: FileKind, mode: u32) -> LayerEntry {
        LayerEntry {
            path: path.into(),
            kind,
            mode,
            uid: 0,
            gid: 0,
            size: 10,
            link_target: None,
        }
    }

    fn merged(entries: Vec<LayerEntry>) -> MergedFs {
        let facts = LayerFacts {
            entries,
            ..Default::default()
        };
        MergedFs::build([(0, &facts)]).unwrap()
    }

    fn rules_of(findings: &[CheckFinding]) -> Vec<(&str, &str)> {
        findings
            .iter()
            .map(|f| (f.rule.as_str(), f.location.path.as_deref().unwrap_or("")))
            .collect()
    }

    #[test]
    fn permission_checks_positive_and_negative() {
        let fs = merged(vec![
            entry("/usr/bin/su", FileKind::File, 0o4755),
            entry("/usr/bin/chage", FileKind::File, 0o2755),
            entry("/usr/bin/ls", FileKind::File, 0o755),
            entry("/tmp", FileKind::Dir, 0o1777),
            entry("/opt/shared", FileKind::Dir, 0o777),
            entry("/opt/open.txt", FileKind::File, 0o666),
            entry("/opt/link", FileKind::Symlink, 0o777),
            entry("/dev/null", FileKind::Char, 0o666),
            entry("/etc", FileKind::Dir, 0o755),
        ]);
        assert_eq!(
            rules_of(&filesystem_findings(&fs)),
            [
                ("DD-IMG-012", "/opt/open.txt"),
                ("DD-IMG-013", "/opt/shared"),
                ("DD-IMG-011", "/usr/bin/chage"),
                ("DD-IMG-011", "/usr/bin/su"),
            ]
        );
        let su = &filesystem_findings(&fs)[3];
        assert_eq!(su.message, "/usr/bin/su is setuid (-rwsr-xr-x, owner 0:0)");
    }

    #[test]
    fn caches_count_files_but_not_locks() {
        let clean = merged(vec![
            entry("/var/lib/apt/lists", FileKind::Dir, 0o755),
            entry("/var/lib/apt/lists/lock", FileKind::File, 0o640),
            entry("/var/lib/apt/lists/partial", FileKind::Dir, 0o700),
            entry("/var/cache/apt/archives/lock", FileKind::File, 0o640),
        ]);
        assert!(filesystem_findings(&clean).is_empty());
        let dirty = merged(vec![
            entry(
                "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_InRelease",
                FileKind::File,
                0o644,
            ),
            entry(
                "/var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages.lz4",
                FileKind::File,
                0o644,
            ),
            entry("/root/.cache/pip/http/a/b", FileKind::File, 0o600),
            entry("/var/cache/apkx/file", FileKind::File, 0o644),
        ]);
        let found = filesystem_findings(&dirty);
        let messages: Vec<&str> = found.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "apt package lists left in /var/lib/apt/lists: 2 files, 20 bytes",
                "pip cache left in /root/.cache/pip: 1 files, 10 bytes",
            ]
        );
    }

    #[test]
    fn sshd_and_sudo_through_symlinks() {
        let mut with_link = entry("/sbin", FileKind::Symlink, 0o777);
        with_link.link_target = Some("usr/sbin".into());
        let fs = merged(vec![
            entry("/usr", FileKind::Dir, 0o755),
            entry("/usr/sbin", FileKind::Dir, 0o755),
            entry("/usr/sbin/dropbear", FileKind::File, 0o755),
            with_link,
            entry("/usr/bin", FileKind::Dir, 0o755),
            entry("/usr/bin/sudo", FileKind::File, 0o755),
        ]);
        assert_eq!(
            rules_of(&filesystem_findings(&fs)),
            [("DD-IMG-007", "/usr/sbin/dropbear"), ("DD-IMG-008", "/usr/bin/sudo")]
        );
        let none = merged(vec![entry("/usr/sbin/sshd", FileKind::Dir, 0o755)]);
        assert!(filesystem_findings(&none).is_empty());
    }
}
