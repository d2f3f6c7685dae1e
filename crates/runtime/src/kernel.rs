//! The running kernel's version against kernel bugs known to let a process break out of a
//! container. Shared by the host audit and the in-container probe (a container shares the
//! host's kernel, so both see the same version).
//!
//! Versions are upstream ones. Distributions backport fixes without changing the upstream
//! number (RHEL's 4.18.0-…, Ubuntu's 5.15.0-…), so a match is reported as "possibly
//! vulnerable": the distribution's advisory decides.

use std::fmt;

use serde::Serialize;

/// `major.minor.patch` of a kernel release string (`6.1.0-18-amd64` → 6.1.0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct KernelVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl KernelVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        KernelVersion { major, minor, patch }
    }

    /// The leading `major.minor[.patch]` of `release` (`uname -r`, /proc/sys/kernel/osrelease).
    pub fn parse(release: &str) -> Option<KernelVersion> {
        let release = release.trim();
        let numeric_end = release
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(release.len());
        let mut parts = release[..numeric_end].split('.').filter(|p| !p.is_empty());
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
        Some(KernelVersion { major, minor, patch })
    }

    fn same_branch(self, other: KernelVersion) -> bool {
        self.major == other.major && self.minor == other.minor
    }
}

impl fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// A kernel bug used to escape containers, with the upstream releases that fixed it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct KnownEscape {
    pub cve: &'static str,
    pub name: &'static str,
    /// The first release that has the bug.
    pub introduced: KernelVersion,
    /// The first mainline release with the fix; every later release is fixed.
    pub fixed_mainline: KernelVersion,
    /// Stable branches that got the fix: the first fixed release of each branch.
    pub fixed_stable: &'static [KernelVersion],
    /// What else must hold for the bug to be reachable from a container.
    pub condition: &'static str,
}

const fn v(major: u32, minor: u32, patch: u32) -> KernelVersion {
    KernelVersion::new(major, minor, patch)
}

/// The table, oldest first. Fixed versions are those of the upstream stable announcements.
pub const KNOWN_ESCAPES: &[KnownEscape] = &[
    KnownEscape {
        cve: "CVE-2016-5195",
        name: "Dirty COW (copy-on-write race writes read-only memory mappings)",
        introduced: v(2, 6, 22),
        fixed_mainline: v(4, 9, 0),
        fixed_stable: &[v(4, 8, 3), v(4, 7, 9), v(4, 4, 26)],
        condition: "none: any process can use it",
    },
    KnownEscape {
        cve: "CVE-2022-0185",
        name: "fsconfig legacy_parse_param heap overflow",
        introduced: v(5, 1, 0),
        fixed_mainline: v(5, 17, 0),
        fixed_stable: &[v(5, 16, 2), v(5, 15, 16), v(5, 10, 93), v(5, 4, 173)],
        condition: "CAP_SYS_ADMIN in a user namespace (unprivileged user namespaces or seccomp unconfined)",
    },
    KnownEscape {
        cve: "CVE-2022-0492",
        name: "cgroup v1 release_agent written without capability check",
        introduced: v(2, 6, 24),
        fixed_mainline: v(5, 17, 0),
        fixed_stable: &[
            v(5, 16, 6),
            v(5, 15, 20),
            v(5, 10, 97),
            v(5, 4, 177),
            v(4, 19, 229),
            v(4, 14, 266),
            v(4, 9, 301),
        ],
        condition: "cgroup v1, and no AppArmor/SELinux/seccomp confinement of mount(2)",
    },
    KnownEscape {
        cve: "CVE-2022-0847",
        name: "Dirty Pipe (pipe buffer flags let page-cache pages be overwritten)",
        introduced: v(5, 8, 0),
        fixed_mainline: v(5, 17, 0),
        fixed_stable: &[v(5, 16, 11), v(5, 15, 25), v(5, 10, 102)],
        condition: "none: any process can use it",
    },
    KnownEscape {
        cve: "CVE-2024-1086",
        name: "nf_tables nft_verdict_init use-after-free",
        introduced: v(3, 15, 0),
        fixed_mainline: v(6, 8, 0),
        fixed_stable: &[
            v(6, 7, 3),
            v(6, 6, 15),
            v(6, 1, 76),
            v(5, 15, 149),
            v(5, 10, 209),
            v(5, 4, 269),
            v(4, 19, 307),
        ],
        condition: "CAP_NET_ADMIN in a user or network namespace",
    },
];

impl KnownEscape {
    /// Whether `version` has the bug by its upstream number.
    pub fn affects(&self, version: KernelVersion) -> bool {
        if version < self.introduced || version >= self.fixed_mainline {
            return false;
        }
        match self.fixed_stable.iter().find(|fix| fix.same_branch(version)) {
            Some(fix) => version < *fix,
            // A branch that never got the fix stays vulnerable until mainline.
            None => true,
        }
    }
}

/// Every known escape `version` has by its upstream number.
pub fn escapes_for(version: KernelVersion) -> Vec<&'static KnownEscape> {
    KNOWN_ESCAPES.iter().filter(|escape| escape.affects(version)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cves(release: &str) -> Vec<&'static str> {
        escapes_for(KernelVersion::parse(release).unwrap())
            .iter()
            .map(|e| e.cve)
            .collect()
    }

    #[test]
    fn releases_parse_to_their_upstream_numbers() {
        assert_eq!(KernelVersion::parse("6.1.0-18-amd64"), Some(v(6, 1, 0)));
        assert_eq!(KernelVersion::parse("5.15.25"), Some(v(5, 15, 25)));
        assert_eq!(KernelVersion::parse("4.18.0-513.el8.x86_64\n"), Some(v(4, 18, 0)));
        assert_eq!(KernelVersion::parse("6.8-rc2"), Some(v(6, 8, 0)));
        assert_eq!(KernelVersion::parse("6.18.44-fc-v657"), Some(v(6, 18, 44)));
        assert_eq!(KernelVersion::parse("linux"), None);
        assert_eq!(KernelVersion::parse("5"), None);
        assert_eq!(KernelVersion::parse("99999999999.1"), None);
    }

    #[test]
    fn dirty_pipe_boundaries() {
        assert!(!cves("5.7.19").contains(&"CVE-2022-0847"));
        assert!(cves("5.8.0").contains(&"CVE-2022-0847"));
        assert!(cves("5.10.101").contains(&"CVE-2022-0847"));
        assert!(!cves("5.10.102").contains(&"CVE-2022-0847"));
        assert!(cves("5.15.24").contains(&"CVE-2022-0847"));
        assert!(!cves("5.15.25").contains(&"CVE-2022-0847"));
        assert!(cves("5.16.10").contains(&"CVE-2022-0847"));
        assert!(!cves("5.16.11").contains(&"CVE-2022-0847"));
        // 5.13 got no backport: vulnerable until 5.17.
        assert!(cves("5.13.19").contains(&"CVE-2022-0847"));
        assert!(!cves("5.17.0").contains(&"CVE-2022-0847"));
    }

    #[test]
    fn old_and_new_kernels() {
        assert_eq!(cves("4.4.0"), ["CVE-2016-5195", "CVE-2022-0492", "CVE-2024-1086"]);
        assert_eq!(cves("4.4.26"), ["CVE-2022-0492", "CVE-2024-1086"]);
        assert_eq!(
            cves("5.10.0"),
            ["CVE-2022-0185", "CVE-2022-0492", "CVE-2022-0847", "CVE-2024-1086"]
        );
        assert_eq!(cves("6.1.75"), ["CVE-2024-1086"]);
        assert!(cves("6.1.76").is_empty());
        assert!(cves("6.8.0").is_empty());
        assert!(cves("2.6.18").is_empty());
    }
}
