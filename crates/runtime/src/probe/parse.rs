//! Parsers of the /proc files the probe reads: pure functions, fuzzed and unit-tested.

use serde::Serialize;

use crate::host::unescape_mount_path;

/// Capability names by bit number (linux/capability.h), without the `CAP_` prefix.
pub const CAPABILITY_NAMES: [&str; 41] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];

/// The names of the bits set in a capability mask; unknown bits as `CAP_<n>`.
pub fn capability_names(mask: u64) -> Vec<String> {
    (0..64)
        .filter(|bit| mask & (1u64 << bit) != 0)
        .map(|bit| match CAPABILITY_NAMES.get(bit as usize) {
            Some(name) => (*name).to_string(),
            None => format!("CAP_{bit}"),
        })
        .collect()
}

/// The fields of /proc/self/status the probe uses.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProcessStatus {
    pub cap_effective: u64,
    pub cap_permitted: u64,
    pub cap_bounding: u64,
    /// 0 disabled, 1 strict, 2 filter.
    pub seccomp: Option<u8>,
    pub no_new_privs: Option<bool>,
    /// Real and effective uid.
    pub uid: Option<(u32, u32)>,
}

pub fn parse_status(text: &str) -> ProcessStatus {
    let mut status = ProcessStatus::default();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        let mask = || u64::from_str_radix(value, 16).unwrap_or(0);
        match key {
            "CapEff" => status.cap_effective = mask(),
            "CapPrm" => status.cap_permitted = mask(),
            "CapBnd" => status.cap_bounding = mask(),
            "Seccomp" => status.seccomp = value.parse().ok(),
            "NoNewPrivs" => status.no_new_privs = value.parse::<u8>().ok().map(|v| v != 0),
            "Uid" => {
                let mut ids = value.split_whitespace().filter_map(|id| id.parse().ok());
                if let (Some(real), Some(effective)) = (ids.next(), ids.next()) {
                    status.uid = Some((real, effective));
                }
            }
            _ => {}
        }
    }
    status
}

/// One line of /proc/self/mountinfo.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MountInfo {
    /// The path inside the source filesystem that is mounted (`/` for a whole filesystem).
    pub root: String,
    pub mount_point: String,
    pub read_only: bool,
    pub fstype: String,
    pub source: String,
}

pub fn parse_mountinfo(text: &str) -> Vec<MountInfo> {
    text.lines().filter_map(parse_mountinfo_line).collect()
}

fn parse_mountinfo_line(line: &str) -> Option<MountInfo> {
    let (before, after) = line.split_once(" - ")?;
    let fields: Vec<&str> = before.split_whitespace().collect();
    let (root, mount_point, options) = (fields.get(3)?, fields.get(4)?, fields.get(5)?);
    let mut after = after.split_whitespace();
    let fstype = after.next()?;
    let source = after.next().unwrap_or_default();
    Some(MountInfo {
        root: unescape_mount_path(root),
        mount_point: unescape_mount_path(mount_point),
        read_only: options.split(',').any(|o| o == "ro"),
        fstype: fstype.to_string(),
        source: unescape_mount_path(source),
    })
}

/// The lines of /proc/self/uid_map (`inside outside count`).
pub fn parse_id_map(text: &str) -> Vec<(u64, u64, u64)> {
    text.lines()
        .filter_map(|line| {
            let mut numbers = line.split_whitespace().map(|n| n.parse::<u64>());
            match (numbers.next(), numbers.next(), numbers.next()) {
                (Some(Ok(inside)), Some(Ok(outside)), Some(Ok(count))) => Some((inside, outside, count)),
                _ => None,
            }
        })
        .collect()
}

/// The whole id space mapped to itself: no user namespace between here and the host.
pub fn is_identity_map(map: &[(u64, u64, u64)]) -> bool {
    map == [(0, 0, 4_294_967_295)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_decode() {
        assert_eq!(capability_names(0), Vec::<String>::new());
        assert_eq!(capability_names(0x00000000a80425fb).len(), 14);
        assert!(capability_names(0x00000000a80425fb).contains(&"NET_BIND_SERVICE".to_string()));
        assert_eq!(capability_names(1 << 21), ["SYS_ADMIN"]);
        assert_eq!(capability_names(1 << 45), ["CAP_45"]);
        assert_eq!(capability_names(0x000001ffffffffff).len(), 41);
    }

    #[test]
    fn status_fields() {
        let status = parse_status(
            "Name:\tsleep\nUid:\t1000\t1000\t1000\t1000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000200000\nCapBnd:\t00000000a80425fb\nNoNewPrivs:\t1\nSeccomp:\t2\n",
        );
        assert_eq!(status.cap_effective, 1 << 21);
        assert_eq!(status.seccomp, Some(2));
        assert_eq!(status.no_new_privs, Some(true));
        assert_eq!(status.uid, Some((1000, 1000)));
        assert_eq!(parse_status("garbage\nCapEff: zz\n").cap_effective, 0);
    }

    #[test]
    fn mountinfo_lines() {
        let text = "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n\
                    600 500 0:50 / /proc ro,nosuid - proc proc rw\n\
                    bad line\n\
                    700 500 8:1 /srv/my\\040dir /data rw - ext4 /dev/sda1 rw\n";
        let mounts = parse_mountinfo(text);
        assert_eq!(mounts.len(), 3);
        assert_eq!(mounts[0].root, "/mnt1");
        assert!(!mounts[0].read_only && mounts[1].read_only);
        assert_eq!(mounts[2].root, "/srv/my dir");
        assert_eq!(mounts[2].fstype, "ext4");
    }

    #[test]
    fn id_maps() {
        assert!(is_identity_map(&parse_id_map("         0          0 4294967295\n")));
        assert!(!is_identity_map(&parse_id_map("0 100000 65536\n")));
        assert!(parse_id_map("x y z\n").is_empty());
    }
}
